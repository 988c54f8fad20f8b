"""Interim/final state machine and the committed-text diff. Pure: messages in, typing plans out, no I/O.

The dashboard types into whatever application has the focus. It cannot read that text back, so it keeps
``committed_text``: exactly what it has typed in the current dictation run (one ON..OFF). Every change is
planned as a diff against it (``TypingPlan``: a number of backspaces, then text to type), so nothing is ever
typed twice, and a revision of text already typed is an explicit correction, never a retyping.

``settled_text`` is the prefix of ``committed_text`` that can no longer change: final utterances, and text
left in place when typing was switched off or the connection dropped. A plan never deletes into it, with two
exceptions, both limited to finals this run typed itself, the latest ones, and nothing before them: the voice
command "scratch that" deletes the last final utterance typed, and a final that *revises* earlier finals
(feature ``revisions``: speech resumed after a thinking pause and the server transcribed the whole sentence again)
replaces their text. A revision of a final this run did not type (typed before OFF, or a voice command) is
never applied backwards: only its new words are typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from enum import Enum

from dictate.protocol import FinalMessage, InterimMessage
from dictate.voice_commands import COMMAND_TEXT, VoiceCommand, parse_command


class TypingMode(str, Enum):
    """What the dashboard types into the focused application."""

    FINAL = "final"  # each final utterance
    LIVE = "live"  # stabilized interim text, corrected with backspaces
    PASTE = "paste"  # each final utterance, pasted through the clipboard (which is restored after)
    OFF = "off"  # show only


# Characters that attach to the previous word: no space is put before them when an utterance starts with one.
_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%…'’\"”")
LIVE_AGREEMENT = 2  # interims that must agree on a prefix before live mode types it
# Live mode types nothing of an utterance that began this soon (s) after the previous final's speech ended: the
# server transcribes it together with that final and its final revises it (the server's DICTATE_JOIN_PAUSE, 2 s
# by default), changing the seam ("woman? He might" -> "woman, he might"), so that every word typed live after
# the seam would be backspaced and typed again. Measured on the replay's paused clips (issue 18 item 5): 30
# characters backspaced per 100 typed without the rule, 9 with it.
REVISION_WINDOW = 2.0


@dataclass(frozen=True)
class TypingPlan:
    """Press backspace ``backspaces`` times, then type ``text`` (``paste``: through the clipboard)."""

    backspaces: int = 0
    text: str = ""
    paste: bool = False

    @property
    def is_empty(self) -> bool:
        """Whether the plan sends no key at all."""
        return self.backspaces == 0 and not self.text


NO_TYPING = TypingPlan()


def common_prefix_length(first: str, second: str) -> int:
    """Number of leading characters ``first`` and ``second`` share."""
    limit = min(len(first), len(second))
    index = 0
    while index < limit and first[index] == second[index]:
        index += 1
    return index


def plan_edit(committed: str, target: str) -> TypingPlan:
    """The fewest keys (backspaces, then a tail) that turn ``committed`` into ``target``."""
    shared = common_prefix_length(committed, target)
    return TypingPlan(backspaces=len(committed) - shared, text=target[shared:])


def apply_plan(text: str, plan: TypingPlan) -> str:
    """What a text field holding ``text`` holds after ``plan`` (backspaces stop at the start)."""
    kept = text[: max(0, len(text) - plan.backspaces)]
    return kept + plan.text


def normalise_utterance(text: str) -> str:
    """One utterance as typed: surrounding whitespace dropped, inner runs of whitespace collapsed."""
    return " ".join(text.split())


def join_utterance(previous: str, utterance: str) -> str:
    """``previous`` followed by ``utterance``, with one space between them where one is needed."""
    if not utterance:
        return previous
    if not previous or previous[-1].isspace() or utterance[0].isspace() or utterance[0] in _NO_SPACE_BEFORE:
        return previous + utterance
    return f"{previous} {utterance}"


def stable_prefix(interims: Sequence[str], agreement: int = LIVE_AGREEMENT) -> str:
    """The whole words that the last ``agreement`` interims agree on (empty until there are that many)."""
    if agreement < 1 or len(interims) < agreement:
        return ""
    recent = [normalise_utterance(text) for text in interims[-agreement:]]
    shared = recent[0]
    for text in recent[1:]:
        shared = shared[: common_prefix_length(shared, text)]
    if shared and all(text[len(shared) : len(shared) + 1] == " " for text in recent):
        return shared  # every interim goes on with a space: the last shared word is complete
    cut = shared.rfind(" ")
    return shared[:cut] if cut > 0 else ""


_WORD = re.compile(r"[\w']+")


def _comparable(word: str) -> str:
    return "".join(_WORD.findall(word.lower()))


def new_words(old: str, new: str) -> str:
    """The part of ``new`` that follows what it shares with ``old`` (word-aligned, case and punctuation
    ignored): the words a revising final adds to finals it cannot replace."""
    old_words, words = old.split(), new.split()
    matcher = SequenceMatcher(
        None, [_comparable(w) for w in old_words], [_comparable(w) for w in words], autojunk=False
    )
    blocks = [block for block in matcher.get_matching_blocks() if block.size]
    cut = blocks[-1].b + blocks[-1].size if blocks else 0
    return " ".join(words[cut:])


@dataclass
class FinalTexts:
    """A session's final texts by utterance, revisions applied: the transcript as a reader sees it."""

    texts: dict[int, str] = field(default_factory=dict)  # in order

    def apply(self, message: FinalMessage) -> None:
        """Add a final; one that revises earlier finals takes their place."""
        for revised in message.revises:
            self.texts.pop(revised, None)
        self.texts[message.utterance_id] = normalise_utterance(message.text)

    @property
    def lines(self) -> list[str]:
        return [text for text in self.texts.values() if text]

    @property
    def text(self) -> str:
        joined = ""
        for line in self.lines:
            joined = join_utterance(joined, line)
        return joined


def final_latency_ms(message: FinalMessage) -> float | None:
    """End of speech to final text on the server's clock (ms), or None when the server did not say."""
    if message.speech_end is None:
        return None
    return max(0.0, (message.sent_at - message.speech_end) * 1000.0)


@dataclass
class Transcript:
    """What is being said now, and what has been typed in this dictation run.

    Feed it server messages; each call returns the ``TypingPlan`` to send to the focused application
    (``NO_TYPING`` when nothing must be typed). ``reset()`` starts a new run (each ON).

    With ``commands`` on, a final that is only a voice command (see dictate.voice_commands) is not typed as text:
    new line / new paragraph type line breaks, scratch that deletes the last utterance typed, and
    ``last_command`` tells the caller which command the latest final was (stop listening is the caller's).
    """

    mode: TypingMode = TypingMode.FINAL
    commands: bool = False
    committed_text: str = ""
    settled_text: str = ""
    interim_text: str = ""
    typing_stopped: bool = False
    last_command: VoiceCommand | None = None
    _typed_starts: list[int] = field(default_factory=list)  # where each final typed in this run begins
    _typed_ids: list[int] = field(default_factory=list)  # its utterance id (-1: a voice command), in step
    _final_texts: dict[int, str] = field(default_factory=dict)  # this session's finals as received
    _utterance_id: int | None = None
    _interims: list[str] = field(default_factory=list)
    _finalized_ids: set[int] = field(default_factory=set)
    _last_final_end: float | None = None  # server clock: when the latest final's speech ended
    _joins_previous: bool = False  # the open utterance will likely revise the previous final: not typed live

    def reset(self) -> None:
        """A new dictation run: nothing typed yet, typing allowed."""
        self.committed_text = ""
        self.settled_text = ""
        self.typing_stopped = False
        self._typed_starts.clear()
        self._typed_ids.clear()
        self.new_session()

    def new_session(self) -> None:
        """A new server session (first connection or a reconnect): utterance ids start again."""
        self.interim_text = ""
        self._utterance_id = None
        self._interims.clear()
        self._finalized_ids.clear()
        self._final_texts.clear()
        self._last_final_end = None
        self._freeze_typed()  # ids of the old session: a new one counts from 1 again

    @property
    def live_text(self) -> str:
        """What was typed from interims of the open utterance (the final may still correct it)."""
        return self.committed_text[len(self.settled_text) :]

    def set_mode(self, mode: TypingMode) -> None:
        """Change the typing mode; live text typed so far stays (the final corrects it unless now off)."""
        self.mode = mode
        if mode is TypingMode.OFF:
            self.settle()
            self._freeze_typed()

    def settle(self) -> None:
        """Make everything typed so far permanent: later plans never delete into it."""
        self.settled_text = self.committed_text

    def stop_typing(self) -> None:
        """Type nothing more in this run (after OFF, or when the connection drops)."""
        self.typing_stopped = True
        self.settle()
        self._freeze_typed()

    def resume_typing(self) -> None:
        """Allow typing again after a reconnect, keeping what was typed (it is never replayed)."""
        self.typing_stopped = False
        self.settle()
        self._freeze_typed()

    def _freeze_typed(self) -> None:
        """Finals typed so far may still be scratched, but no revision from the server replaces them."""
        self._typed_ids[:] = [-1] * len(self._typed_ids)

    def new_target(self) -> None:
        """The focus moved to another application (per-app profiles look before each final): what was typed
        stays in the other one, settled; the next final starts afresh here, with no joining space, and neither
        "scratch that" nor a revision reaches back into the other application."""
        self.committed_text = ""
        self.settled_text = ""
        self._typed_starts.clear()
        self._typed_ids.clear()

    def connection_lost(self) -> None:
        """The socket dropped: stop typing now, keep the text typed so far, forget the open utterance.

        Plans not yet typed are dropped with the connection, so what was typed before is no longer known
        exactly: "scratch that" cannot reach back past this point.
        """
        self.stop_typing()
        self._typed_starts.clear()
        self._typed_ids.clear()
        self.new_session()

    def on_interim(self, message: InterimMessage) -> TypingPlan:
        """An interim result: show it; in live mode type its stabilized words."""
        if message.utterance_id in self._finalized_ids or message.utterance_id < max(self._finalized_ids, default=0):
            return NO_TYPING  # a late interim of an utterance already final, or older than the latest final
        if message.utterance_id != self._utterance_id:
            self._utterance_id = message.utterance_id
            self._interims.clear()
            self._joins_previous = (
                message.speech_start is not None
                and self._last_final_end is not None
                and message.speech_start - self._last_final_end < REVISION_WINDOW
            )
        text = normalise_utterance(message.text)
        self.interim_text = text
        self._interims.append(text)
        del self._interims[:-LIVE_AGREEMENT]
        if self.mode is not TypingMode.LIVE or self.typing_stopped or self._joins_previous:
            return NO_TYPING
        stable = stable_prefix(self._interims)
        target = join_utterance(self.settled_text, stable) if stable else self.settled_text
        if self.committed_text.startswith(target):
            return NO_TYPING  # the model is only less sure than before: keep what is typed, no churn
        return self._commit(target)

    def on_final(self, message: FinalMessage) -> TypingPlan:
        """A final result: type it (correcting live text) unless typing is off. Each utterance only once."""
        self.last_command = None
        if message.utterance_id in self._finalized_ids:
            return NO_TYPING
        self._finalized_ids.add(message.utterance_id)
        # the shown interim is stale unless it belongs to a later utterance: an utterance whose final text
        # was empty never gets a final, and its last interim ("Hey") must not outlive the next final
        if self._utterance_id is None or self._utterance_id <= message.utterance_id:
            self.interim_text = ""
            self._interims.clear()
            self._utterance_id = None
        text = normalise_utterance(message.text)
        if text and message.speech_end is not None:
            self._last_final_end = message.speech_end
        revised = {i: self._final_texts.pop(i, "") for i in message.revises}
        self._final_texts[message.utterance_id] = text
        if revised and self.commands:
            added = new_words(" ".join(revised.values()), text)
            if parse_command(added) is not None:  # a command said after a pause is not part of the sentence
                text, revised = added, {}
        command = parse_command(text) if self.commands else None
        self.last_command = command
        if self.mode is TypingMode.OFF or self.typing_stopped:
            self.settle()
            return NO_TYPING
        if revised and not self._take_back(revised):
            text = new_words(" ".join(revised.values()), text)  # cannot replace them: type only what is new
        if command is VoiceCommand.SCRATCH_THAT:
            start = self._typed_starts.pop() if self._typed_starts else len(self.settled_text)
            if self._typed_ids:
                self._typed_ids.pop()
            self.settled_text = self.committed_text[:start]
            return self._commit(self.settled_text)  # also removes live text of the command itself
        if command is VoiceCommand.STOP_LISTENING:
            return self._commit(self.settled_text)
        start = len(self.settled_text)
        target = join_utterance(self.settled_text, COMMAND_TEXT.get(command, text) if command else text)
        plan = self._commit(target)
        if len(target) > start:
            self._typed_starts.append(start)
            self._typed_ids.append(-1 if command else message.utterance_id)
        self.settle()
        return plan

    def _take_back(self, revised: dict[int, str]) -> bool:
        """Make the latest finals typed in this run that ``revised`` names (id: its text) editable again, for
        their text to be replaced; False when that is not allowed: one with text was not typed by this run as
        plain text (or never arrived), or a final typed after them is not revised."""
        typed = [i for i in revised if i in self._typed_ids]
        others = set(revised) - set(typed)
        if any(revised[i] or i not in self._finalized_ids for i in others):
            return False
        if not typed:
            return True  # they said nothing: nothing to take back
        count = len(typed)
        if sorted(self._typed_ids[-count:]) != sorted(typed):
            return False
        start = self._typed_starts[-count]
        del self._typed_starts[-count:], self._typed_ids[-count:]
        self.settled_text = self.committed_text[:start]
        return True

    def on_message(self, message: InterimMessage | FinalMessage) -> TypingPlan:
        """``on_interim`` or ``on_final``, by message type."""
        if isinstance(message, FinalMessage):
            return self.on_final(message)
        return self.on_interim(message)

    def _commit(self, target: str) -> TypingPlan:
        if not target.startswith(self.settled_text):  # pragma: no cover - join_utterance guarantees it
            raise AssertionError("a typing plan must never delete settled text")
        plan = plan_edit(self.committed_text, target)
        self.committed_text = target
        return replace(plan, paste=True) if self.mode is TypingMode.PASTE else plan


__all__ = [
    "NO_TYPING",
    "FinalTexts",
    "Transcript",
    "TypingPlan",
    "apply_plan",
    "common_prefix_length",
    "final_latency_ms",
    "join_utterance",
    "new_words",
    "normalise_utterance",
    "plan_edit",
    "stable_prefix",
]
