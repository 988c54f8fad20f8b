"""Reading audio files into the wire format (16 kHz mono int16). Thin I/O over soundfile + audio.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from dictate.audio import to_pcm16_mono_16k
from dictate.errors import AudioError


def read_wav_as_pcm16(path: str | Path) -> bytes:
    """Read any soundfile-readable file (WAV, FLAC, OGG...) at any rate/channels as 16 kHz mono int16 bytes."""
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"cannot read audio file {path}: {exc}") from exc
    if data.shape[0] == 0:
        raise AudioError(f"audio file {path} holds no samples")
    return to_pcm16_mono_16k(np.asarray(data, dtype=np.float32), int(rate))
