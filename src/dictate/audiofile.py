"""Reading audio files into the wire format (16 kHz mono int16). Thin I/O over soundfile + audio.py."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile

from dictate.audio import FloatArray, resample, to_mono, to_pcm16_mono_16k
from dictate.errors import AudioError, AudioTooLongError

# sample rates an uploaded file may declare: a lying header (a 20 KB WAV "at 1 Hz") would otherwise become hours
# of audio once resampled to 16 kHz
MIN_UPLOAD_RATE = 8_000
MAX_UPLOAD_RATE = 192_000


def _reason(exc: Exception) -> str:
    """libsndfile's reason without the source it names ("Error opening <_io.BytesIO object at 0x...>: Format not
    recognised." or "Error opening '/path': Format not recognised.": the caller names the file)."""
    text = str(exc)
    for end in (">: ", "': "):
        if text.startswith("Error opening") and end in text:
            return text.split(end, 1)[1]
    return text


def _read(source: str | io.BytesIO, what: str) -> tuple[np.ndarray, int]:
    """(float32 frames x channels, rate) of anything libsndfile reads; AudioError with ``what`` named otherwise."""
    try:
        data, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (OSError, RuntimeError, TypeError, ValueError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"cannot read {what}: {_reason(exc)}") from exc
    if data.shape[0] == 0:
        raise AudioError(f"{what} holds no samples")
    return np.asarray(data, dtype=np.float32), int(rate)


def check_audio_file(path: str | Path) -> None:
    """Raise AudioError (one line) unless ``path`` is a file libsndfile reads that holds samples; reads only its
    header, so a list of files is checked at once before any of them is streamed."""
    what = f"audio file {path}"
    try:
        info = soundfile.info(str(path))
    except (OSError, RuntimeError, TypeError, ValueError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"cannot read {what}: {_reason(exc)}") from exc
    if info.frames == 0:
        raise AudioError(f"{what} holds no samples")


def read_wav_as_pcm16(path: str | Path) -> bytes:
    """Read any soundfile-readable file (WAV, FLAC, OGG...) at any rate/channels as 16 kHz mono int16 bytes."""
    data, rate = _read(str(path), f"audio file {path}")
    return to_pcm16_mono_16k(data, rate)


def decode_audio_bytes(content: bytes, what: str = "the uploaded file", max_seconds: float | None = None) -> FloatArray:
    """An uploaded file's bytes (WAV, FLAC, OGG/Vorbis/Opus, MP3...: what libsndfile reads; no ffmpeg) as 16 kHz
    mono float32. Raises AudioError (one line) for anything that is not audio, or that declares a sample rate
    outside 8-192 kHz; AudioTooLongError when it is longer than ``max_seconds``. Both are checked from the
    header, before anything is decoded. Blocking and CPU-bound: call it off the event loop."""
    try:
        with soundfile.SoundFile(io.BytesIO(content)) as header:
            rate, frames = int(header.samplerate), int(header.frames)
    except (OSError, RuntimeError, TypeError, ValueError, soundfile.LibsndfileError) as exc:
        reason = str(exc).split(">: ", 1)[-1]  # "Error opening <_io.BytesIO object at 0x...>: Format not recognised."
        raise AudioError(f"cannot read {what}: {reason}") from exc
    if not MIN_UPLOAD_RATE <= rate <= MAX_UPLOAD_RATE:
        raise AudioError(
            f"{what} declares a sample rate of {rate} Hz: "
            f"only {MIN_UPLOAD_RATE // 1000}-{MAX_UPLOAD_RATE // 1000} kHz is accepted"
        )
    if max_seconds is not None and frames / rate > max_seconds:
        raise AudioTooLongError(f"{what} is {frames / rate:.0f} s long: the limit is {max_seconds:g} s")
    data, rate = _read(io.BytesIO(content), what)
    return resample(to_mono(data), rate)
