"""The random 12-20 s slices of real speech that ``long-final-window.py``, ``second-decode.py`` (benchmark.md
item 28) and ``second-decode-truth.py`` (item 29) pass through final passes: the same slices in all, in the same
order (seeded)."""

import os
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

AUDIO = Path(os.environ.get("DICTATE_TEST_AUDIO", Path(__file__).resolve().parents[3] / "shared/audio"))
RATE = 16000
PASSAGE = AUDIO / "ljspeech_LJ001-0001_to_0008_concat.wav"


def load(path: Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV file as float32 samples."""
    with wave.open(str(path)) as f:
        return np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float32) / 32768


def sources() -> dict[str, np.ndarray]:
    """The audio the slices are cut from: the 52 s passage, and the LibriVox and JFK clips joined with 0.3 s gaps
    (other speakers)."""
    gap = np.zeros(int(0.3 * RATE), np.float32)
    readers = [*sorted(AUDIO.glob("ps_librivox*.wav")), AUDIO / "whisper_jfk.wav"]
    return {"passage": load(PASSAGE), "others": np.concatenate([np.concatenate([load(path), gap]) for path in readers])}


def slices(per_source: int = 20) -> Iterator[tuple[str, float, float, np.ndarray]]:
    """(source, start seconds, seconds of speech, audio) of ``per_source`` random slices of each of ``sources``,
    each 12-20 s of speech followed by 0.5 s of silence."""
    rng = np.random.default_rng(28)
    for name, source in sources().items():
        for _ in range(per_source):
            length = rng.uniform(12, 20)
            start = rng.uniform(0, source.size / RATE - length)
            speech = source[int(start * RATE) : int((start + length) * RATE)]
            yield name, start, length, np.concatenate([speech, np.zeros(RATE // 2, np.float32)])


def long_slices(per_source: int = 20) -> Iterator[tuple[str, float, np.ndarray]]:
    """(source, seconds, audio) of ``slices``."""
    for name, _start, length, audio in slices(per_source):
        yield name, length + 0.5, audio
