"""The finals of one session: closed spans (``timeline.py``) become ``Final`` events, in order, exactly one per
span, or are reported dropped. Pure: the passes are asked for (``NeedPass``) and their results handed back; the
live core (``core.LiveCore``) turns each need into a ``PassRequest`` and each result into ``advance``.

Jobs run one at a time, in the order they were queued, each waiting for one pass at a time:

* ``speculate(span)``: a pause began. The span so far is transcribed now, while the VAD waits to be sure the
  speaker has stopped (about half a second), so that the final is ready when the utterance closes. The pass is
  cancellable: the core cancels it when speech resumes before it reached the model;
* ``close(span)``: the utterance is over. Its final is the speculative pass when that covered it, else one
  more pass over its audio.

With ``revisions`` on (the client asked for them), a span whose speech began soon after the previous final is
transcribed together with that final's audio (``context_for``), the middle of the pauses inside left out
(``joins.joined_ranges``), and its final revises it when the pass passes ``revisions.check_revision`` against the
earlier finals and the span's own text: its latest interim (or command check), else a pass over the span alone.
Else the earlier finals stay and the span's own pass is its final (issue 18: a repetition loop or invented words
must never replace correct text). Both verdicts are counted in the books (``Coverage``) and on the ``Final``.

Voice commands (``set_commands``: the phrases the client acts on) are never joined: a short span is
first heard alone with the commands in Whisper's prompt (the check pass). When that text is a command, it is the
final: it revises nothing and no later span joins it. Else the usual pass makes the final. Without the check, a
command said between pauses was decoded into its neighbours' sentence ("Thank you. You pair a breath") or,
alone, misheard ("You pair a breath.", "Crash mat!"), and typed as text; with the prompt the packaged base model
heard every espeak-ng command right, and near misses ("new paper", "stop it", "start listening") stayed text.
The check pass costs one more pass for short utterances of sessions that declared commands; both passes are
speculative passes when the pause allows it, and the final pass does not redo them.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.live.joins import KEEP_PAUSE, joined_ranges, pauses_between
from dictate.server.live.outputs import EngineEvent, Final, Purpose, SpeechDropped
from dictate.server.live.revisions import (
    SHORT_UTTERANCE,
    check_revision,
    command_set,
    keep_typed_form,
    mend_seam,
)
from dictate.server.live.session_audio import Range
from dictate.server.live.timeline import Piece, Span, context_for, piece_parts, span_parts, speech_end
from dictate.server.model.pass_types import PassResult
from dictate.voice_commands import normalise_phrase

logger = logging.getLogger(__name__)

# a pass: over which span (its key), together with which finals (their ids), a command check or not
PassKey = tuple[tuple[int, int, int | None], tuple[int, ...], bool]

MAX_COMMAND_SPEECH = int(2.5 * SAMPLE_RATE)  # longer speech (samples, VAD onset to pause) is never a command


@dataclass(frozen=True)
class NeedPass:
    """What a job waits for: a pass over ``ranges`` (favouring ``words``); ``for_pause``: a speculative pass,
    wanted only while ``Timeline.still_wanted(for_pause)``."""

    key: PassKey
    purpose: Purpose
    ranges: tuple[Range, ...]
    words: tuple[str, ...] = ()
    for_pause: Span | None = None


@dataclass
class Coverage:
    """The no-lost-speech invariant's books: every span closed ends in a final (maybe empty) or is dropped."""

    received: int = 0  # samples fed
    spans: int = 0
    span_samples: int = 0
    final_samples: int = 0
    empty_finals: int = 0
    dropped_samples: int = 0
    dropped_ids: list[int] = field(default_factory=list)
    revisions_accepted: int = 0  # revising passes used (the final revises earlier ones)
    revisions_rejected: int = 0  # revising passes refused by ``check_revision`` (the span's own final was sent)
    # speech no utterance covers, reported dropped: around a stall, or words the VAD missed (``unheard.py``)
    unheard_samples: int = 0

    def summary(self) -> str:
        revisions = self.revisions_accepted + self.revisions_rejected
        return (
            f"audio {self.received / SAMPLE_RATE:.1f} s received, {self.span_samples / SAMPLE_RATE:.1f} s in "
            f"{self.spans} utterances: {self.final_samples / SAMPLE_RATE:.1f} s in finals "
            f"({self.empty_finals} without text), {self.dropped_samples / SAMPLE_RATE:.1f} s dropped"
            + (
                f"; revisions {self.revisions_accepted} accepted, {self.revisions_rejected} rejected"
                if revisions
                else ""
            )
            + (f"; {self.unheard_samples / SAMPLE_RATE:.1f} s of speech not heard" if self.unheard_samples else "")
        )

    @property
    def holds(self) -> bool:
        return self.span_samples == self.final_samples + self.dropped_samples


@dataclass(frozen=True)
class ContextPolicy:
    """When a span is transcribed together with the previous finals (samples)."""

    join_gap: int
    max_samples: int
    command_samples: int = MAX_COMMAND_SPEECH  # speech at most this long may be a command: checked first
    keep_pause: int = KEEP_PAUSE  # a pause inside a joined pass is cut down to this (0: left as it is)


Job = Generator[NeedPass, PassResult | None, None]
Step = Generator[NeedPass, PassResult | None, PassResult | None]


class Finals:
    """The job queue of one session's final passes. ``advance`` runs it until it waits for a pass."""

    def __init__(
        self,
        policy: ContextPolicy,
        still_wanted: Callable[[Span], bool],
        had_interim: Callable[[int], bool] = lambda _id: False,
        interim_text: Callable[[int], str] = lambda _id: "",
        audio: Callable[[int, int], np.ndarray] | None = None,
    ) -> None:
        self._policy = policy
        self._still_wanted = still_wanted
        self._had_interim = had_interim
        self._interim_text = interim_text  # the latest interim of an utterance: its own text, with no pass
        self._audio = audio  # the session's samples [first, end): where the pauses of a joined pass are quiet
        self.revisions = False  # set before audio arrives (the client's start message), like set_commands
        self._commands: tuple[str, ...] = ()  # as the client sent them (the check pass's prompt)
        self._command_set: frozenset[str] = frozenset()  # normalised (matching)
        self.coverage = Coverage()
        self.events: list[EngineEvent] = []  # finals made, for the core to send
        self._queued: deque[tuple[str, Span]] = deque()
        self._job: tuple[str, Span, Job] | None = None
        self.waiting: NeedPass | None = None  # the pass the current job waits for
        self._closing: list[Span] = []  # closed spans not finalised yet, in order
        self._pieces: list[Piece] = []
        self._passes: dict[PassKey, PassResult] = {}  # the passes over the latest span (speculative ones)

    def __repr__(self) -> str:
        job = "idle" if self._job is None else f"{self._job[0]} utterance {self._job[1].utterance_id}"
        if self.waiting is not None:
            job += f", waiting for a {self.waiting.purpose.value} pass over {list(self.waiting.ranges)}"
        queued = [f"{kind} {span.utterance_id}" for kind, span in self._queued]
        closing = [span.utterance_id for span in self._closing]
        return f"Finals({job}; queued {queued}; closing {closing}; revisions {self.revisions})"

    def set_commands(self, phrases: Sequence[str]) -> None:
        """The phrases the client acts on when said alone: never joined to other speech (before audio arrives)."""
        self._commands, self._command_set = tuple(phrases), command_set(phrases)

    def speculate(self, span: Span) -> None:
        self._queued.append(("speculate", span))

    def close(self, span: Span) -> None:
        self._closing.append(span)
        self.coverage.spans += 1
        self.coverage.span_samples += span.end - span.start
        self._queued.append(("close", span))

    @property
    def pending_samples(self) -> int:
        """Samples of closed spans still without a final."""
        return sum(span.end - span.start for span in self._closing)

    def advance(self, result: PassResult | None = None) -> NeedPass | None:
        """Hand the awaited pass's ``result`` to its job (None: no pass awaited, or it was skipped), then run the
        jobs until one waits for a pass (returned) or none is left (None)."""
        send: PassResult | None = result if self.waiting is not None else None
        self.waiting = None
        while True:
            if self._job is None:
                if not self._queued:
                    return None
                kind, span = self._queued.popleft()
                job = self._speculate(span) if kind == "speculate" else self._finalise(span)
                self._job, send = (kind, span, job), None
            try:
                self.waiting = self._job[2].send(send)
                return self.waiting
            except StopIteration:
                self._job = None

    def drop_all(self, reason: str) -> list[EngineEvent]:
        """Give up: every closed span without a final is dropped (reported once), no job goes on."""
        self._queued.clear()
        self._job, self.waiting = None, None
        dropped, self._closing = self._closing, []
        for span in dropped:
            self.coverage.dropped_samples += span.end - span.start
            self.coverage.dropped_ids.append(span.utterance_id)
        if not dropped:
            return []
        seconds = sum(span.seconds for span in dropped)
        return [SpeechDropped(tuple(span.utterance_id for span in dropped), seconds, reason)]

    # the jobs: generators that yield the pass they need and receive its result
    def _context(self, span: Span) -> list[Piece]:
        if not self.revisions:
            return []
        return context_for(span, self._pieces, self._policy.join_gap, self._policy.max_samples)

    def _ranges(self, span: Span, context: Sequence[Piece]) -> tuple[Range, ...]:
        """The audio a pass over ``context`` + ``span`` reads: the pauses between them, and those ``span`` was
        held open through, cut short."""
        start = context[0].start if context else span.start
        if (not context and not span.gaps) or self._audio is None:
            return ((start, span.end),)
        parts = [*(part for piece in context for part in piece_parts(piece)), *span_parts(span)]
        return joined_ranges(start, span.end, pauses_between(parts), self._audio, self._policy.keep_pause)

    def _pass(self, span: Span, context: Sequence[Piece], check: bool = False, speculative: bool = False) -> Step:
        """The pass over ``context`` + ``span`` (``check``: alone, favouring the commands): the speculative one
        when it was made already."""
        key = (span.key, tuple(piece.utterance_id for piece in context), check)
        result = self._passes.get(key)
        if result is None:
            purpose = Purpose.COMMAND_CHECK if check else Purpose.SPECULATIVE if speculative else Purpose.FINAL
            words = self._commands if check else ()
            result = yield NeedPass(key, purpose, self._ranges(span, context), words, span if speculative else None)
            if result is not None:
                self._passes[key] = result
        return result

    def _forget_passes_not_of(self, span: Span) -> None:
        """Passes over the same utterance that ended at another pause (speech resumed since) cover other audio."""
        self._passes = {key: result for key, result in self._passes.items() if key[0] == span.key}

    def might_be_command(self, samples: int) -> bool:
        """Whether speech this long may be one of the client's voice commands (it has some)."""
        return bool(self._command_set) and samples <= self._policy.command_samples

    def is_command(self, text: str) -> bool:
        """Whether ``text`` is one of the client's voice commands (said on its own)."""
        return normalise_phrase(text) in self._command_set

    def _choose(
        self, span: Span, speculative: bool = False
    ) -> Generator[NeedPass, PassResult | None, tuple[list[Piece], PassResult | None]]:
        """The finals ``span`` is transcribed with, and the pass (None: cancelled). A span short enough to be a
        command is checked first: when it is one, it stays alone."""
        if self._command_set and speech_end(span) - span.onset <= self._policy.command_samples:
            check = yield from self._pass(span, [], check=True, speculative=speculative)
            if check is None or self.is_command(check.text):
                return [], check
        context = self._context(span)
        return context, (yield from self._pass(span, context, speculative=speculative))

    def _speculate(self, span: Span) -> Job:
        if not self._still_wanted(span):
            return
        self._forget_passes_not_of(span)
        yield from self._choose(span, speculative=True)

    def _finalise(self, span: Span) -> Job:
        self._forget_passes_not_of(span)
        context, result = yield from self._choose(span)
        verdict = ""
        if context:
            context, result, verdict = yield from self._checked(span, context, result)
        self._passes.clear()
        revises = tuple(piece.utterance_id for piece in context)
        text = result.text.strip() if result is not None else ""
        if context and text:  # an accepted revision: the words it keeps, as they were typed
            text = keep_typed_form([piece.text for piece in context], text)
        if text and self.revisions:
            context, text = self._mend_seam(span, context, text)
            revises = tuple(piece.utterance_id for piece in context)
        if text or revises or self._had_interim(span.utterance_id):
            audio_seconds = result.audio_seconds if result is not None else 0.0
            compute = result.compute_seconds if result is not None else 0.0
            self.events.append(
                Final(
                    span.utterance_id,
                    text,
                    span.speech_start,
                    span.speech_end,
                    audio_seconds,
                    compute,
                    revises,
                    revision=verdict,
                )
            )
        self._remember(span, context, text, standalone=self.is_command(text) and not context)
        self._closing.remove(span)
        self.coverage.final_samples += span.end - span.start
        self.coverage.empty_finals += 0 if text else 1

    def _checked(
        self, span: Span, context: list[Piece], result: PassResult | None
    ) -> Generator[NeedPass, PassResult | None, tuple[list[Piece], PassResult | None, str]]:
        """(context, the revising pass, "accepted") when ``check_revision`` accepts it against the earlier finals
        and the span's own text: its command check or latest interim, or when that does not vouch for it, a
        pass over the span alone. Else ([], the pass over the span alone, "rejected")."""
        if result is None:  # no revising pass (cancelled): nothing was judged
            return [], (yield from self._pass(span, [])), ""
        earlier = [piece.text for piece in context]
        checked_alone = self._passes.get((span.key, (), True))  # a command check heard the span alone already
        evidence = checked_alone.text if checked_alone is not None else self._interim_text(span.utterance_id)
        interim = checked_alone is None  # heard before the utterance ended: it may lack the last words
        check = check_revision(earlier, evidence, result.text, open_end=interim) if evidence.strip() else None
        own: PassResult | None = None
        if check is None or not check.accepted:
            own = yield from self._pass(span, [])
            short = span.seconds <= SHORT_UTTERANCE
            check = check_revision(earlier, own.text if own is not None else "", result.text, own_short=short)
        if check.accepted:
            self.coverage.revisions_accepted += 1
            return context, result, "accepted"
        self.coverage.revisions_rejected += 1
        logger.info(
            "revision of utterance(s) %s refused (%s): utterance %d alone",
            ", ".join(str(piece.utterance_id) for piece in context),
            check.reason,
            span.utterance_id,
        )
        return [], own, "rejected"

    def _mend_seam(self, span: Span, context: list[Piece], text: str) -> tuple[list[Piece], str]:
        """The text where this final meets the one before it that was transcribed apart (a cut, or both too
        long for one pass), mended (``revisions.mend_seam``). When the earlier final's text changes, it joins
        the context: this final revises it too."""
        kept = len(self._pieces) - len(context)
        previous = self._pieces[kept - 1] if kept > 0 else None
        onset = context[0].onset if context else span.onset
        if previous is None or previous.standalone or not previous.text or self.is_command(text):
            return context, text
        if onset - previous.end > self._policy.join_gap:
            return context, text
        before, text = mend_seam(previous.text, text)
        if before == previous.text:
            return context, text
        logger.debug("seam mended: %r | %r", before[-30:], text[:30])
        return [previous, *context], f"{before} {text}"

    def _remember(self, span: Span, context: Sequence[Piece], text: str, standalone: bool) -> None:
        first = context[0] if context else None
        parts = tuple(part for piece in context for part in piece_parts(piece))
        piece = Piece(
            span.utterance_id,
            first.start if first else span.start,
            span.end,
            first.onset if first else span.onset,
            text,
            standalone,
            (*parts, *span_parts(span)),
        )
        self._pieces = [*self._pieces[: len(self._pieces) - len(context)], piece][-8:]
