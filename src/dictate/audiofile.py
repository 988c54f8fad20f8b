"""Reading audio files into the wire format (16 kHz mono int16). Thin I/O over soundfile + audio.py."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile

from dictate.audio import FloatArray, resample, to_mono, to_pcm16_mono_16k
from dictate.errors import AudioError


def _read(source: str | io.BytesIO, what: str) -> tuple[np.ndarray, int]:
    """(float32 frames x channels, rate) of anything libsndfile reads; AudioError with ``what`` named otherwise."""
    try:
        data, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (OSError, RuntimeError, TypeError, ValueError, soundfile.LibsndfileError) as exc:
        reason = str(exc).split(">: ", 1)[-1]  # "Error opening <_io.BytesIO object at 0x...>: Format not recognised."
        raise AudioError(f"cannot read {what}: {reason}") from exc
    if data.shape[0] == 0:
        raise AudioError(f"{what} holds no samples")
    return np.asarray(data, dtype=np.float32), int(rate)


def read_wav_as_pcm16(path: str | Path) -> bytes:
    """Read any soundfile-readable file (WAV, FLAC, OGG...) at any rate/channels as 16 kHz mono int16 bytes."""
    data, rate = _read(str(path), f"audio file {path}")
    return to_pcm16_mono_16k(data, rate)


def decode_audio_bytes(content: bytes, what: str = "the uploaded file") -> FloatArray:
    """An uploaded file's bytes (WAV, FLAC, OGG/Vorbis/Opus, MP3...: what libsndfile reads; no ffmpeg) as 16 kHz
    mono float32. Raises AudioError (one line) for anything that is not audio."""
    data, rate = _read(io.BytesIO(content), what)
    return resample(to_mono(data), rate)
