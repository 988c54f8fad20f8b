"""What a model pass gives back, and the final passes of one recorder (so that a pause inside an utterance
costs nothing and loses nothing).

RealtimeSTT starts a final pass speculatively whenever a pause begins (``early_transcription_on_silence``). When
speech resumes, the pass is neither cancelled nor forgotten: the recorder waits for every pass it started and
returns whichever result arrives last. In a passage with short pauses those stale passes queued up on the shared
model (a 52 s passage with 0.3 s gaps: 11 s from the end of speech to the final text), and the result that
arrives last need not cover the whole utterance (a pass still running on a second model worker, or an end of
stream in mid-speech, when RealtimeSTT starts no new pass).

``FinalPasses`` keeps the bookkeeping: each pass is begun in an *epoch* that ends when speech resumes; a pass
whose epoch has ended before it reaches the model is dropped; the final text is the newest pass of the current
epoch, or None when no pass covers the utterance (then the caller transcribes the utterance's audio itself).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar


@dataclass(frozen=True)
class Transcription:
    """What the model makes of some audio (``whisper.transcribe_pass``)."""

    text: str
    language: str | None = None
    language_probability: float = 0.0


@dataclass(frozen=True)
class PassResult:
    """One scheduled pass (``ModelScheduler``): the model's text, with what it cost."""

    text: str
    language: str | None
    language_probability: float
    audio_seconds: float  # length of the audio transcribed
    compute_seconds: float  # time the model call took

    @classmethod
    def of(cls, transcription: Transcription, audio_seconds: float, compute_seconds: float) -> PassResult:
        return cls(
            transcription.text,
            transcription.language,
            transcription.language_probability,
            audio_seconds,
            compute_seconds,
        )


Result = TypeVar("Result")


@dataclass(frozen=True, order=True)
class PassTicket:
    epoch: int
    number: int


class FinalPasses(Generic[Result]):
    """Thread-safe: passes begin and end on RealtimeSTT's threads, speech resumes on its recording thread, and
    the utterance's result is taken on the engine's final-text thread (it is handed over under the lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoch = 0
        self._issued = 0
        self._newest: tuple[PassTicket, Result] | None = None

    def begin(self) -> PassTicket:
        """A pass starts over the audio heard so far."""
        with self._lock:
            self._issued += 1
            return PassTicket(self._epoch, self._issued)

    def speech_resumed(self) -> None:
        """Speech went on after a pause: every pass begun so far misses what follows."""
        with self._lock:
            self._epoch += 1

    def is_current(self, ticket: PassTicket) -> bool:
        """Whether the pass still covers all the speech so far (else it need not run)."""
        with self._lock:
            return ticket.epoch == self._epoch

    def done(self, ticket: PassTicket, result: Result) -> None:
        """A pass finished with ``result``."""
        with self._lock:
            if ticket.epoch == self._epoch and (self._newest is None or ticket > self._newest[0]):
                self._newest = (ticket, result)

    def take(self) -> Result | None:
        """The result of the utterance that just closed: the newest pass of the current epoch, or None when no
        pass covers all its speech. Clears it for the next utterance."""
        with self._lock:
            newest, self._newest = self._newest, None
            if newest is None or newest[0].epoch != self._epoch:
                return None
            return newest[1]
