"""What the live core (``core.LiveCore``) is told. Plain values, no I/O; ``at`` is the wall clock (seconds since
the epoch) when the shell saw it happen: the core never reads a clock.

The RealtimeSTT adapter (``voice_activity.py``) turns the recorder's callbacks into ``AudioRead`` and the
``Voice*`` edges, in the order the VAD read the audio; the session adds ``AudioReceived``, ``ClientStart`` and
``EndOfStream``; the worker adds the passes' results and ``GiveUp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dictate.server.model.pass_types import PassResult


@dataclass(frozen=True)
class AudioReceived:
    """The client sent ``samples`` more samples (the books: every second received must end in a final or a drop)."""

    samples: int


@dataclass(frozen=True)
class AudioRead:
    """The VAD read this chunk of the session's audio (16 kHz mono int16), the next one on the timeline."""

    pcm: bytes = field(repr=False)
    at: float


@dataclass(frozen=True)
class VoiceStarted:
    """The VAD heard speech begin (RealtimeSTT ``on_recording_start``)."""

    at: float


@dataclass(frozen=True)
class VoicePaused:
    """Silence began: the VAD waits to be sure the speaker stopped (``on_turn_detection_start``)."""

    at: float


@dataclass(frozen=True)
class VoiceResumed:
    """Speech went on after a pause that did not close the utterance (``on_turn_detection_stop``)."""

    at: float


@dataclass(frozen=True)
class VoiceStopped:
    """The VAD's closing silence ended the utterance (``on_recording_stop``)."""

    at: float


@dataclass(frozen=True)
class ClientStart:
    """The client's ``start`` message: revising finals, the vocabulary, the commands it acts on."""

    revisions: bool = False
    vocabulary: Sequence[str] = ()
    commands: Sequence[str] = ()


@dataclass(frozen=True)
class EndOfStream:
    """The client ended the stream and the VAD has read every sample received: close the open utterance."""

    at: float


@dataclass(frozen=True)
class PassDone:
    """A pass the core asked for ran (``result``), or was skipped or cancelled before the model (None)."""

    pass_id: int
    result: PassResult | None


@dataclass(frozen=True)
class PassFailed:
    """A pass raised: speech recognition failed for this session."""

    pass_id: int
    message: str


@dataclass(frozen=True)
class RecorderFailed:
    """The voice-activity recorder failed: speech recognition failed for this session."""

    message: str


@dataclass(frozen=True)
class Stalled:
    """The server's event loop stalled for ``seconds`` (``samples`` of audio): the audio of that time arrives in a
    burst, in which the VAD may hear no speech (``stalls.StallWatch``)."""

    samples: int
    seconds: float


@dataclass(frozen=True)
class TurnJudged:
    """The acoustic end-of-turn model's answer to a ``JudgeTurn``: the probability that the turn is complete (None:
    the call failed; the text alone decides)."""

    judge_id: int
    probability: float | None


@dataclass(frozen=True)
class GiveUp:
    """The utterances still without a final will not get one (the end of the stream waited long enough)."""

    reason: str


Input = (
    AudioReceived
    | AudioRead
    | VoiceStarted
    | VoicePaused
    | VoiceResumed
    | VoiceStopped
    | ClientStart
    | EndOfStream
    | PassDone
    | PassFailed
    | RecorderFailed
    | Stalled
    | TurnJudged
    | GiveUp
)
