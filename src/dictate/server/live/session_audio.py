"""The session's audio, by sample position on its timeline, and what the live core reads off it. Pure: numpy only.

The VAD reads the audio in order (``inputs.AudioRead``); the core appends each chunk here and cuts the audio of
every pass out of it by sample ranges (``PassRequest.ranges``), so a pass reads exactly the audio its
utterances cover, however far back RealtimeSTT's own buffers reach.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from dictate.protocol import SAMPLE_RATE

logger = logging.getLogger(__name__)

Range = tuple[int, int]  # [first sample, one past the last) on the session's timeline


class SessionAudio:
    """The session's PCM by sample position on the timeline, trimmed to the latest ``keep`` samples."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._first = 0  # timeline position of _pcm[0]
        self._pcm = bytearray()

    def __repr__(self) -> str:
        return f"SessionAudio(samples {self._first}..{self.end})"

    @property
    def end(self) -> int:
        """One past the last sample held."""
        return self._first + len(self._pcm) // 2

    def append(self, pcm: bytes) -> None:
        self._pcm += pcm
        excess = len(self._pcm) // 2 - self._keep
        if excess > SAMPLE_RATE:  # trim in whole seconds, not at every chunk
            del self._pcm[: excess * 2]
            self._first += excess

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) as float32 (what was trimmed away is missing: logged)."""
        if start < self._first:
            logger.warning("audio before sample %d was already released", self._first)
        lo, hi = max(0, start - self._first) * 2, max(0, end - self._first) * 2
        return np.frombuffer(bytes(self._pcm[lo:hi]), dtype=np.int16).astype(np.float32) / 32768.0

    def of(self, ranges: Sequence[Range]) -> np.ndarray:
        """The samples of ``ranges``, one after the other, as float32 (what a pass transcribes)."""
        if len(ranges) == 1:
            return self.slice(*ranges[0])
        return np.concatenate([self.slice(start, end) for start, end in ranges]).astype(np.float32)


def trailing_quiet(audio: np.ndarray, ratio: float, tail_seconds: float = 0.2) -> bool:
    """Whether the last ``tail_seconds`` are much quieter than the utterance (RMS below ``ratio`` of it).

    An interim pass started then is likely to still be running when the speaker has stopped, delaying the
    final pass behind it on a busy CPU; skipping it costs one preview. ``ratio`` 0 disables the check.
    """
    tail = int(tail_seconds * SAMPLE_RATE)
    if ratio <= 0 or audio.size <= 2 * tail:
        return False
    overall = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    recent = float(np.sqrt(np.mean(np.square(audio[-tail:], dtype=np.float64))))
    return overall > 0 and recent < ratio * overall
