"""The finals of one session: one thread turns closed spans (``utterances.py``) into ``Final`` events, in order,
exactly one per span, or reports the spans it had to drop. No RealtimeSTT: the adapter feeds it.

Jobs run in the order they were queued:

* ``speculate(span)``: a pause began. The span so far is transcribed now, while the VAD waits to be sure the
  speaker has stopped (about half a second), so that the final is ready when the utterance closes. The pass is
  skipped when speech resumed before it reached the model;
* ``close(span)``: the utterance is over. Its final is the speculative pass when that covered it, else one
  more pass over its audio.

With ``revisions`` on (the client asked for them), a span whose speech began soon after the previous final is
transcribed together with that final's audio (``context_for``), and its final revises it.

Voice commands (``set_commands``: the phrases the client acts on, protocol 1.3) are never joined: a short span is
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
import queue
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from dictate.commands import normalise_phrase
from dictate.protocol import SAMPLE_RATE
from dictate.server.events import EngineFailed, EventSink, Final, SpeechDropped
from dictate.server.passes import PassResult
from dictate.server.seams import mend_seam
from dictate.server.utterances import Piece, Span, Timeline, context_for

logger = logging.getLogger(__name__)

# (float32 audio, cancelled, words the pass favours besides the session's vocabulary) -> the pass, or None when
# cancelled() turned true before it reached the model
RunFinal = Callable[[np.ndarray, Callable[[], bool], tuple[str, ...]], PassResult | None]
# a pass: over which span (its key), together with which finals (their ids), a command check or not
PassKey = tuple[tuple[int, int, int | None], tuple[int, ...], bool]

MAX_COMMAND_SPEECH = int(2.5 * SAMPLE_RATE)  # longer speech (samples, VAD onset to pause) is never a command


def command_set(phrases: Iterable[str]) -> frozenset[str]:
    """Command phrases as ``dictate.commands.normalise_phrase`` writes them: how finals are matched (the client's
    own matcher ignores case and punctuation the same way)."""
    return frozenset(filter(None, (normalise_phrase(phrase) for phrase in phrases)))


def _never() -> bool:
    return False


class SessionAudio:
    """The session's PCM by sample position on the timeline, trimmed to the latest ``keep`` samples. Thread-safe."""

    def __init__(self, keep: int) -> None:
        self._lock = threading.Lock()
        self._keep = keep
        self._first = 0  # timeline position of _pcm[0]
        self._pcm = bytearray()

    def append(self, pcm: bytes) -> None:
        with self._lock:
            self._pcm += pcm
            excess = len(self._pcm) // 2 - self._keep
            if excess > SAMPLE_RATE:  # trim in whole seconds, not at every chunk
                del self._pcm[: excess * 2]
                self._first += excess

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) as float32 (what was trimmed away is missing: logged)."""
        with self._lock:
            if start < self._first:
                logger.warning("audio before sample %d was already released", self._first)
            lo, hi = max(0, start - self._first) * 2, max(0, end - self._first) * 2
            chunk = bytes(self._pcm[lo:hi])
        return np.frombuffer(chunk, dtype=np.int16).astype(np.float32) / 32768.0


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

    def summary(self) -> str:
        return (
            f"audio {self.received / SAMPLE_RATE:.1f} s received, {self.span_samples / SAMPLE_RATE:.1f} s in "
            f"{self.spans} utterances: {self.final_samples / SAMPLE_RATE:.1f} s in finals "
            f"({self.empty_finals} without text), {self.dropped_samples / SAMPLE_RATE:.1f} s dropped"
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


_WORD = re.compile(r"[\w']+")


def keeps_context(context: Sequence[Piece], text: str) -> bool:
    """Whether a pass over context + new speech still covers what the context's finals said: about as many
    words, some of them the same (a revision may correct words, "It's not!" -> "Ask not what", but a pass
    that lost the earlier speech would delete good text when it revises it)."""
    old = _WORD.findall(" ".join(piece.text for piece in context).lower())
    new = _WORD.findall(text.lower())
    if len(new) < 0.7 * len(old):
        return False
    return len(old) <= 3 or SequenceMatcher(None, old, new[: len(old) + 2], autojunk=False).ratio() >= 0.3


class FinalWorker:
    """Owns one thread (``start``/``stop``); ``speculate``/``close`` queue jobs from the VAD's thread."""

    def __init__(
        self,
        run_final: RunFinal,
        audio: SessionAudio,
        timeline: Timeline,
        emit: EventSink,
        policy: ContextPolicy,
        had_interim: Callable[[int], bool] = lambda _id: False,
        name: str = "session",
    ) -> None:
        self._run_final = run_final
        self._audio = audio
        self._timeline = timeline
        self._emit = emit
        self._policy = policy
        self._had_interim = had_interim
        self._name = name
        self.revisions = False  # set before audio arrives (the client's start message), like set_commands
        self._commands: tuple[str, ...] = ()  # as the client sent them (the check pass's prompt)
        self._command_set: frozenset[str] = frozenset()  # normalised (matching)
        self.coverage = Coverage()
        self._jobs: queue.Queue[tuple[str, Span] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._closing: list[Span] = []  # closed spans not finalised yet, in order
        self._pieces: list[Piece] = []
        self._passes: dict[PassKey, PassResult] = {}  # the passes over the latest span (speculative ones)
        self._failed = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"dictate-final-{self._name}")
        self._thread.start()

    def set_commands(self, phrases: Sequence[str]) -> None:
        """The phrases the client acts on when said alone: never joined to other speech (before audio arrives)."""
        self._commands, self._command_set = tuple(phrases), command_set(phrases)

    def speculate(self, span: Span) -> None:
        self._jobs.put(("speculate", span))

    def close(self, span: Span) -> None:
        with self._idle:
            self._closing.append(span)
            self.coverage.spans += 1
            self.coverage.span_samples += span.end - span.start
        self._jobs.put(("close", span))

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every closed span has its final (or the worker stopped); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._closing or self._failed, timeout)

    def pending_seconds(self) -> float:
        with self._idle:
            return sum(span.end - span.start for span in self._closing) / SAMPLE_RATE

    def stop(self) -> list[Span]:
        """Stop the thread (the job under way finishes, queued ones are skipped); returns the closed spans that
        got no final."""
        self._stopping.set()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                logger.warning("%s: final thread did not stop", self._name)
        with self._idle:
            dropped, self._closing = self._closing, []
            for span in dropped:
                self._drop(span)
            return dropped

    def report_dropped(self, spans: Sequence[Span], reason: str) -> None:
        if spans:
            seconds = sum(span.seconds for span in spans)
            self._emit(SpeechDropped(tuple(span.utterance_id for span in spans), seconds, reason))

    # the thread
    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            kind, span = job
            if self._failed or self._stopping.is_set():
                continue
            try:
                if kind == "speculate":
                    self._speculate(span)
                else:
                    self._finalise(span)
            except Exception as exc:
                logger.exception("%s: final pass failed", self._name)
                with self._idle:
                    self._failed = True
                    self._idle.notify_all()
                self._emit(EngineFailed(f"speech recognition failed: {exc}"))

    def _context(self, span: Span) -> list[Piece]:
        if not self.revisions:
            return []
        return context_for(span, self._pieces, self._policy.join_gap, self._policy.max_samples)

    def _pass(
        self, span: Span, context: Sequence[Piece], check: bool = False, cancelled: Callable[[], bool] = _never
    ) -> PassResult | None:
        """The pass over ``context`` + ``span`` (``check``: alone, favouring the commands): the speculative one
        when it was made already."""
        key = (span.key, tuple(piece.utterance_id for piece in context), check)
        result = self._passes.get(key)
        if result is None:
            start = context[0].start if context else span.start
            audio = self._audio.slice(start, span.end)
            result = self._run_final(audio, cancelled, self._commands if check else ())
            if result is not None:
                self._passes[key] = result
        return result

    def _forget_passes_not_of(self, span: Span) -> None:
        """Passes over the same utterance that ended at another pause (speech resumed since) cover other audio."""
        self._passes = {key: result for key, result in self._passes.items() if key[0] == span.key}

    def _is_command(self, text: str) -> bool:
        return normalise_phrase(text) in self._command_set

    def _choose(self, span: Span, cancelled: Callable[[], bool] = _never) -> tuple[list[Piece], PassResult | None]:
        """The finals ``span`` is transcribed with, and the pass (None: cancelled). A span short enough to be a
        command is checked first: when it is one, it stays alone."""
        speech_end = span.pause if span.pause is not None else span.end
        if self._command_set and speech_end - span.onset <= self._policy.command_samples:
            check = self._pass(span, [], check=True, cancelled=cancelled)
            if check is None or self._is_command(check.text):
                return [], check
        context = self._context(span)
        return context, self._pass(span, context, cancelled=cancelled)

    def _speculate(self, span: Span) -> None:
        if not self._timeline.still_wanted(span):
            return
        self._forget_passes_not_of(span)
        self._choose(span, cancelled=lambda: not self._timeline.still_wanted(span))

    def _finalise(self, span: Span) -> None:
        self._forget_passes_not_of(span)
        context, result = self._choose(span)
        if context and (result is None or not keeps_context(context, result.text)):
            logger.debug("%s: the pass with context lost the earlier text: utterance alone", self._name)
            context = []
            result = self._pass(span, context)
        self._passes.clear()
        revises = tuple(piece.utterance_id for piece in context)
        text = result.text.strip() if result is not None else ""
        if text and self.revisions:
            context, text = self._mend_seam(span, context, text)
            revises = tuple(piece.utterance_id for piece in context)
        if text or revises or self._had_interim(span.utterance_id):
            audio_seconds = result.audio_seconds if result is not None else 0.0
            compute = result.compute_seconds if result is not None else 0.0
            self._emit(
                Final(span.utterance_id, text, span.speech_start, span.speech_end, audio_seconds, compute, revises)
            )
        self._remember(span, context, text, standalone=self._is_command(text) and not context)
        with self._idle:
            self._closing.remove(span)
            self.coverage.final_samples += span.end - span.start
            self.coverage.empty_finals += 0 if text else 1
            self._idle.notify_all()

    def _mend_seam(self, span: Span, context: list[Piece], text: str) -> tuple[list[Piece], str]:
        """The text where this final meets the one before it that was transcribed apart (a cut, or both too
        long for one pass), mended (``seams.mend_seam``). When the earlier final's text changes, it joins the
        context: this final revises it too."""
        kept = len(self._pieces) - len(context)
        previous = self._pieces[kept - 1] if kept > 0 else None
        onset = context[0].onset if context else span.onset
        if previous is None or previous.standalone or not previous.text or self._is_command(text):
            return context, text
        if onset - previous.end > self._policy.join_gap:
            return context, text
        before, text = mend_seam(previous.text, text)
        if before == previous.text:
            return context, text
        logger.debug("%s: seam mended: %r | %r", self._name, before[-30:], text[:30])
        return [previous, *context], f"{before} {text}"

    def _remember(self, span: Span, context: Sequence[Piece], text: str, standalone: bool) -> None:
        first = context[0] if context else None
        piece = Piece(
            span.utterance_id,
            first.start if first else span.start,
            span.end,
            first.onset if first else span.onset,
            text,
            standalone,
        )
        self._pieces = [*self._pieces[: len(self._pieces) - len(context)], piece][-8:]

    def _drop(self, span: Span) -> None:
        self.coverage.dropped_samples += span.end - span.start
        self.coverage.dropped_ids.append(span.utterance_id)
