"""The random 12-20 s slices of real speech that ``long-final-window.py`` and ``second-decode.py`` (benchmark.md
item 28) pass through final passes: the same slices in both, in the same order (seeded)."""

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


def long_slices(per_source: int = 20) -> Iterator[tuple[str, float, np.ndarray]]:
    """(source, seconds, audio) of ``per_source`` random slices of the 52 s passage, then of the LibriVox and JFK
    clips joined with 0.3 s gaps (other speakers), each 12-20 s of speech followed by 0.5 s of silence."""
    gap = np.zeros(int(0.3 * RATE), np.float32)
    others = np.concatenate(
        [
            np.concatenate([load(path), gap])
            for path in [*sorted(AUDIO.glob("ps_librivox*.wav")), AUDIO / "whisper_jfk.wav"]
        ]
    )
    rng = np.random.default_rng(28)
    for name, source in (("passage", load(PASSAGE)), ("others", others)):
        for _ in range(per_source):
            length = rng.uniform(12, 20)
            start = rng.uniform(0, source.size / RATE - length)
            speech = source[int(start * RATE) : int((start + length) * RATE)]
            yield name, length + 0.5, np.concatenate([speech, np.zeros(RATE // 2, np.float32)])
