"""Audio conversions: float32 <-> int16 PCM, down-mixing, resampling, framing, level. Pure numpy (+ soxr)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import soxr

from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH

FloatArray = npt.NDArray[np.float32]
Int16Array = npt.NDArray[np.int16]

DEFAULT_FRAME_MS = 20


def to_mono(samples: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> FloatArray:
    """Average the channels of a (frames, channels) array into one float32 channel; 1-D input passes through."""
    data = np.asarray(samples)
    if np.issubdtype(data.dtype, np.integer):
        data = int_to_float(data)
    data = data.astype(np.float32, copy=False)
    if data.ndim == 1:
        return data
    if data.ndim != 2:
        raise ValueError(f"expected 1-D or (frames, channels) audio, got shape {data.shape}")
    return np.asarray(data.mean(axis=1), dtype=np.float32)


def int_to_float(samples: npt.NDArray[np.integer]) -> FloatArray:
    """Integer PCM of any width to float32 in [-1, 1)."""
    info = np.iinfo(samples.dtype)
    if info.min < 0:
        return np.asarray(samples.astype(np.float32) / float(-info.min), dtype=np.float32)
    middle = (float(info.max) + 1.0) / 2.0
    return np.asarray((samples.astype(np.float32) - middle) / middle, dtype=np.float32)


def resample(samples: FloatArray, from_rate: int, to_rate: int = SAMPLE_RATE) -> FloatArray:
    """Band-limited resampling of a mono float32 signal (libsoxr, high quality)."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
    if from_rate == to_rate:
        return np.asarray(samples, dtype=np.float32)
    return np.asarray(soxr.resample(samples, from_rate, to_rate, quality="HQ"), dtype=np.float32)


def float_to_pcm16(samples: FloatArray) -> bytes:
    """float32 in [-1, 1] to little-endian int16 bytes, clipping out-of-range values."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 32767 / 32768)
    return (np.round(clipped * 32768.0)).astype("<i2").tobytes()


def pcm16_to_float(pcm: bytes) -> FloatArray:
    """Little-endian int16 bytes to float32 in [-1, 1)."""
    if len(pcm) % SAMPLE_WIDTH:
        raise ValueError(f"PCM of {len(pcm)} bytes is not a whole number of int16 samples")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def to_pcm16_mono_16k(samples: npt.NDArray[np.floating] | npt.NDArray[np.integer], rate: int) -> bytes:
    """Any (frames[, channels]) audio at any rate to the wire format: 16 kHz mono int16 LE bytes."""
    return float_to_pcm16(resample(to_mono(samples), rate, SAMPLE_RATE))


def frame_bytes(frame_ms: int = DEFAULT_FRAME_MS, rate: int = SAMPLE_RATE) -> int:
    """Bytes in one int16 mono frame of ``frame_ms`` milliseconds."""
    return rate * frame_ms // 1000 * SAMPLE_WIDTH


def split_frames(pcm: bytes, frame_ms: int = DEFAULT_FRAME_MS) -> Iterator[bytes]:
    """Cut wire PCM into frames of ``frame_ms`` (the last one may be shorter, never odd-length)."""
    size = frame_bytes(frame_ms)
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


def padding_to_whole_chunk(bytes_fed: int, chunk_samples: int) -> bytes:
    """Digital silence that completes the last partial chunk of ``bytes_fed`` bytes of int16 PCM (empty when
    the stream already ends on a chunk boundary). RealtimeSTT's Silero VAD takes exactly 512-sample chunks."""
    chunk_bytes = chunk_samples * SAMPLE_WIDTH
    return bytes(-bytes_fed % chunk_bytes)


def silence(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    """``seconds`` of digital silence as wire PCM."""
    return bytes(int(rate * seconds) * SAMPLE_WIDTH)


def level_dbfs(samples: FloatArray) -> float:
    """RMS level in dBFS (0 = full scale sine-ish, -inf clamped to -120)."""
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-120.0, 20.0 * np.log10(rms)) if rms > 0 else -120.0


class FrameAccumulator:
    """Collect resampled PCM of arbitrary sizes and hand out fixed-size frames (stateful, but no I/O)."""

    def __init__(self, frame_ms: int = DEFAULT_FRAME_MS) -> None:
        self._size = frame_bytes(frame_ms)
        self._pending = bytearray()

    def push(self, pcm: bytes) -> list[bytes]:
        """Add PCM; return every complete frame now available."""
        self._pending.extend(pcm)
        frames = []
        while len(self._pending) >= self._size:
            frames.append(bytes(self._pending[: self._size]))
            del self._pending[: self._size]
        return frames

    def flush(self) -> bytes:
        """Whatever is left (shorter than a frame), emptied."""
        rest = bytes(self._pending)
        self._pending.clear()
        return rest


class StreamConverter:
    """Blocks of device audio (frames[, channels], any rate) to wire PCM, resampled as one continuous stream.

    Unlike ``to_pcm16_mono_16k`` on each block, the resampler keeps its filter state between blocks, so block
    edges add no clicks. Stateful, no I/O; ``level_dbfs`` of the last block is kept for a meter.
    """

    def __init__(self, rate: int, to_rate: int = SAMPLE_RATE) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        self.rate = rate
        self.last_level_dbfs = -120.0
        self._stream = None if rate == to_rate else soxr.ResampleStream(rate, to_rate, 1, dtype="float32")

    def push(self, block: npt.NDArray[np.floating] | npt.NDArray[np.integer], last: bool = False) -> bytes:
        """Convert one block; ``last=True`` flushes the resampler's delay line."""
        mono = to_mono(block)
        self.last_level_dbfs = level_dbfs(mono)
        if self._stream is not None:
            mono = np.asarray(self._stream.resample_chunk(mono, last=last), dtype=np.float32)
        return float_to_pcm16(mono)
