"""When a pause ends the utterance (issue 18 item 3, "hold, then finalize"). Pure: text and seconds in, a decision
out; the live core (``core.LiveCore``) asks it at every chunk the VAD reads during a pause.

With the fixed rule (``adaptive`` off) the VAD's closing silence alone ends an utterance (RealtimeSTT's
``post_speech_silence_duration``, ``silence_duration``). With the adaptive rule the VAD's closing silence is set to
the longest hold, and the core ends the utterance itself, by how complete the sentence sounds so far:

* the cue is the text of the speculative pass at this pause (the pass over exactly the audio up to the pause,
  made anyway: its text is the final when no speech follows). Closing before it is back would not send the
  final any sooner, so the decision waits for it, but no longer than ``unsure``: then (or without a
  speculative pass) the latest interim's text is the cue until the pass is back. Waiting longer held every
  pause open on a busy model, whose passes took over a second, and the whole clip became one utterance;
* complete (it ends a sentence: ``.``, ``?``, ``!``, and not on a word that cannot end one): close after
  ``complete`` seconds of silence, sooner than the fixed rule;
* incomplete (it ends on "to", "the", "and", "of", a filler such as "um", or on a dash, an ellipsis): keep the
  utterance open (no final, nothing to revise later) up to ``hold`` seconds of silence;
* unsure (no text, no closing punctuation, a comma): the fixed rule's ``unsure`` seconds. Whisper leaves the full
  stop out at about 40 % of mid-sentence pauses, but also at the end of clipped or list-like speech ("8 of
  spades, 4 of clubs") and of the shared LJ Speech clips, which stop at a comma: holding there would cost their
  final up to ``hold`` seconds.

Whisper closes almost any audio that stops with a full stop ("Ask not."), so "complete" is weak evidence at a
mid-sentence pause. The second cue is acoustic: an end-of-turn model (Smart Turn, ``model/turn.py``) hears the
speech up to the pause and says how likely the turn is finished. Below ``threshold`` the utterance is held as
if its text ended on "the" (its answer comes in about 50 ms, before the speculative pass's text); above it the
text decides as above. The revising final stays the fallback for a pause held too short.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dictate.server.live.timeline import Span


class Completeness(Enum):
    COMPLETE = "complete"
    UNSURE = "unsure"
    INCOMPLETE = "incomplete"


# words a sentence (almost) never ends on: articles, most prepositions, conjunctions, possessives, fillers
# fmt: off
CONTINUATION_WORDS = frozenset({
    "a", "an", "the", "to", "of", "and", "or", "but", "nor", "with", "from", "into", "onto", "at", "as", "than",
    "if", "because", "although", "though", "whether", "my", "your", "our", "their", "its", "very",
    "um", "uh", "er", "erm", "hmm",
})
# fmt: on
_OPEN_ENDING = re.compile(r"(-|\u2013|\u2014|\.\.\.|\u2026)$")
_SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")


def completeness(text: str) -> Completeness:
    """How complete the sentence in ``text`` (a pass's text up to the pause) looks."""
    text = text.strip()
    if not text:
        return Completeness.UNSURE
    if _OPEN_ENDING.search(text):
        return Completeness.INCOMPLETE
    words = re.findall(r"[\w']+", text.lower())
    if words and words[-1] in CONTINUATION_WORDS:
        return Completeness.INCOMPLETE
    if _SENTENCE_END.search(text):
        return Completeness.COMPLETE
    return Completeness.UNSURE


@dataclass(frozen=True)
class EndOfTurnRules:
    """Seconds of silence (counted from the VAD's pause edge) before a pause ends the utterance."""

    adaptive: bool = False  # False: the VAD's own closing silence decides (the fixed rule)
    complete: float = 0.15
    unsure: float = 0.45
    hold: float = 2.5
    acoustic: bool = False  # ask the acoustic end-of-turn model at each pause
    threshold: float = 0.5  # its probability of a finished turn below which the utterance is held


def acoustic_cue(probability: float | None, threshold: float) -> Completeness | None:
    """The acoustic model's verdict: INCOMPLETE (hold) below ``threshold``; None (the text decides) above it or
    without an answer."""
    if probability is not None and probability < threshold:
        return Completeness.INCOMPLETE
    return None


def pause_ends_utterance(rules: EndOfTurnRules, silence: float, cue: Completeness | None) -> bool:
    """Whether ``silence`` seconds into a pause the utterance ends; ``cue`` None: the cue is not known yet."""
    if not rules.adaptive:
        return False
    if silence >= rules.hold:
        return True
    if cue is None:
        return False
    wait = {
        Completeness.COMPLETE: rules.complete,
        Completeness.UNSURE: rules.unsure,
        Completeness.INCOMPLETE: rules.hold,
    }
    return silence >= wait[cue]


@dataclass
class Pause:
    """The cues gathered at one pause of the open utterance (the live core holds one)."""

    at_sample: int  # where the VAD's pause edge came
    span: Span | None  # the span a speculative pass transcribes for it (None: no speculative pass)
    text: str | None = None  # that pass's text, once back
    judge_id: int | None = None  # the acoustic end-of-turn model's answer awaited (None: not asked, or back)
    acoustic: float | None = None  # its probability that the turn is complete, once back
    # the speech since the utterance began or last resumed is short enough to be one of the client's voice
    # commands: not held on the acoustic cue (held, a command would be joined to the speech around it)
    command_sized: bool = False

    def ended_sentence(self, rules: EndOfTurnRules, interim: str) -> bool:
        """Whether the speech before this pause ended a sentence, where a long utterance may be cut
        (``timeline.py``): the text up to it (the speculative pass's, else ``interim``) ends one, and the end-of-turn
        model, when it was asked, did not hear the speech unfinished."""
        text = self.text if self.text is not None else interim
        unfinished = acoustic_cue(self.acoustic, rules.threshold) is not None
        return completeness(text) is Completeness.COMPLETE and not unfinished

    def cue(
        self, rules: EndOfTurnRules, silence: float, interim: str, is_command: Callable[[str], bool]
    ) -> Completeness | None:
        """How complete the utterance sounds ``silence`` seconds into the pause (``interim``: its latest interim's
        text); None: a cue is due, wait for it. A voice command said on its own is complete, however it sounds
        (held, it would be joined to the speech after it and typed as text)."""
        if self.text is not None and is_command(self.text):
            return Completeness.COMPLETE
        acoustic = None if self.command_sized else acoustic_cue(self.acoustic, rules.threshold)
        if acoustic is not None:
            return acoustic  # the speech sounds unfinished: hold (the text cannot say more)
        if self.judge_id is not None and not self.command_sized and silence < rules.unsure:
            return None  # the acoustic model's answer is due (about 50 ms)
        if self.text is not None:
            return completeness(self.text)
        if self.span is None or silence >= rules.unsure:
            return completeness(interim)  # no speculative pass, or it is late (busy model)
        return None  # the speculative pass's text is the cue (the final waits for it anyway)
