"""What a per-connection engine reports to its session. Plain values, no I/O.

The engine calls its ``EventSink`` on its own threads; the session crosses into the event loop
(``loop.call_soon_threadsafe``) and turns each event into a protocol message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


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


@dataclass(frozen=True)
class SpeechDropped:
    """Utterances that will get no final (the stream ended before their passes could run)."""

    utterance_ids: tuple[int, ...]
    seconds: float
    reason: str


@dataclass(frozen=True)
class EngineFailed:
    """Speech recognition failed for this connection; no more events follow."""

    message: str


EngineEvent = SpeechStarted | Interim | Final | SpeechDropped | EngineFailed
EventSink = Callable[[EngineEvent], None]
