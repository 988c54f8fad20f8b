"""What the live core (``core.LiveCore``) asks of its shells. Plain values, no I/O.

* events for the client (``SpeechStarted``, ``Interim``, ``Final``, ``SpeechDropped``, ``EngineFailed``): the
  worker hands them to the session, which crosses into the event loop and turns each into a protocol message;
* ``PassRequest``: run one model pass over this audio, at this priority; its result comes back as
  ``inputs.PassDone`` with the same ``pass_id``;
* ``CancelPass``: a pass asked for earlier is no longer wanted (speech resumed after the pause it was for);
  drop it if it has not reached the model yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from dictate.server.live.session_audio import Range
from dictate.server.model.pass_types import NO_OPTIONS, PassOptions


@dataclass(frozen=True)
class SpeechStarted:
    """The VAD heard speech begin: a new utterance."""

    utterance_id: int
    at: float  # wall clock


@dataclass(frozen=True)
class Interim:
    """A preview of the open utterance's text (replaced by the next interim or by the final)."""

    utterance_id: int
    text: str
    speech_start: float | None


@dataclass(frozen=True)
class Final:
    """The utterance's text, to be typed."""

    utterance_id: int
    text: str
    speech_start: float | None
    speech_end: float | None
    audio_seconds: float  # length of the audio the final pass transcribed
    processing_seconds: float  # compute time of that pass
    revises: tuple[int, ...] = ()  # earlier utterances whose finals this text replaces (it covers them too)
    revision: str = ""  # a revising pass was "accepted", or "rejected" (this is the utterance alone); "": none


@dataclass(frozen=True)
class SpeechDropped:
    """Speech that will get no final: utterances whose passes could not run before the stream ended, or speech
    that no utterance covers (no ids: a stall of the server, or speech the VAD did not hear, ``unheard.py``)."""

    utterance_ids: tuple[int, ...]
    seconds: float
    reason: str


@dataclass(frozen=True)
class EngineFailed:
    """Speech recognition failed for this connection; no more events follow."""

    message: str


EngineEvent = SpeechStarted | Interim | Final | SpeechDropped | EngineFailed
EventSink = Callable[[EngineEvent], None]


class Priority(Enum):
    """How the shared scheduler treats a pass (``scheduler.ModelScheduler``)."""

    FINAL = "final"  # waits for the model, ahead of every interim pass; a cancelled one is dropped
    INTERIM = "interim"  # never waits: skipped (result None) when the model is busy
    IDLE = "idle"  # runs when the model is free (as an interim would), waiting for that in its own lane


class Purpose(Enum):
    """Why the core asked for a pass (for logs and tests; the shell treats them by ``Priority``)."""

    INTERIM = "interim"  # a preview of the open utterance
    SPECULATIVE = "speculative"  # at a pause, before the utterance closes: the final when no speech follows
    FINAL = "final"  # the utterance closed and no speculative pass covers it
    COMMAND_CHECK = "check"  # a short utterance heard alone with the commands in the prompt
    UNHEARD = "unheard"  # loud audio outside any utterance: does it hold words the VAD missed? (``unheard.py``)


@dataclass(frozen=True)
class PassRequest:
    """Run one model pass over ``audio`` (the samples of ``ranges``, in order) with ``options``."""

    pass_id: int
    purpose: Purpose
    ranges: tuple[Range, ...]
    options: PassOptions = NO_OPTIONS  # the session's vocabulary, plus the commands for a check pass
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), compare=False, repr=False)

    @property
    def priority(self) -> Priority:
        if self.purpose is Purpose.UNHEARD:
            return Priority.IDLE
        return Priority.INTERIM if self.purpose is Purpose.INTERIM else Priority.FINAL


@dataclass(frozen=True)
class CancelPass:
    """The pass ``pass_id`` no longer covers its utterance: drop it unless it has reached the model."""

    pass_id: int


@dataclass(frozen=True)
class JudgeTurn:
    """Ask the acoustic end-of-turn model (``model/turn.py``) whether the speech in ``audio`` (16 kHz float32, up
    to a pause) is a finished turn; the answer comes back as ``inputs.TurnJudged``."""

    judge_id: int
    audio: np.ndarray = field(compare=False, repr=False)


@dataclass(frozen=True)
class StopRecording:
    """The core ended the utterance at a pause before the VAD's own closing silence: the VAD must stop recording
    too, so that what follows opens an utterance only when it passes the VAD's test for the start of speech, not
    its weaker one for speech resuming (a noise after the end of a sentence came back as "All right, all right.")."""


Output = EngineEvent | PassRequest | CancelPass | JudgeTurn | StopRecording
