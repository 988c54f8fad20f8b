"""Where a stream's audio comes from: the ``AudioSource`` interface, a file played as if spoken (the dashboard's
``--source``), and PCM played once (``dictate transcribe``, ``dictate bench``).

A source is an async iterator of wire PCM frames (16 kHz mono int16, ``frame_ms`` long) at real-time pace.
The microphone source lives with the dashboard (``tui/sources.py``: it needs PortAudio).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

from dictate.audio import DEFAULT_FRAME_MS, frame_bytes, split_frames
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.sender import paced
from dictate.protocol import frame_seconds

logger = logging.getLogger(__name__)


class AudioSource(Protocol):
    """Something that yields wire PCM frames until closed."""

    description: str
    wait_for_server: bool  # True: start reading only once the server is ready (a file); False: a live mic

    def frames(self) -> AsyncIterator[bytes]:
        """Wire PCM frames, paced at real time, until the consumer stops iterating."""
        ...


class FileSource:
    """A WAV (or any soundfile-readable) file as if spoken into a microphone: real-time pace, then silence.

    After the clip it keeps sending silence, like a quiet room, until closed, so the server's VAD closes the
    last utterance.
    """

    def __init__(
        self,
        path: Path,
        frame_ms: int = DEFAULT_FRAME_MS,
        speed: float = 1.0,
    ) -> None:
        self.path = path
        self.wait_for_server = True
        self._frame_ms = frame_ms
        self._speed = speed
        self._pcm = read_wav_as_pcm16(path)  # raises AudioError with a clear message
        self.clip_seconds = frame_seconds(len(self._pcm))
        self.description = f"file {path.name}"

    async def frames(self) -> AsyncIterator[bytes]:
        async for frame in paced(self._clip_then_silence(), self._speed):
            yield frame

    def _clip_then_silence(self) -> Iterator[bytes]:
        yield from split_frames(self._pcm, self._frame_ms)
        logger.info("%s played (%.1f s); silence follows", self.description, self.clip_seconds)
        yield from itertools.repeat(bytes(frame_bytes(self._frame_ms)))


class PcmSource:
    """PCM played once at ``speed`` x real time (0: as fast as it goes), from the moment the server is ready;
    the stream ends with it (``Stream(until_source_ends=True)``)."""

    def __init__(self, pcm: bytes, description: str, frame_ms: int = DEFAULT_FRAME_MS, speed: float = 1.0) -> None:
        self.description = description
        self.wait_for_server = True
        self.seconds = frame_seconds(len(pcm))
        self._pcm = pcm
        self._frame_ms = frame_ms
        self._speed = speed

    async def frames(self) -> AsyncIterator[bytes]:
        async for frame in paced(split_frames(self._pcm, self._frame_ms), self._speed):
            yield frame
