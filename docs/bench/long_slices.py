"""The random 12-20 s slices of real speech that ``long-final-window.py``, ``second-decode.py`` (benchmark.md
item 28), ``second-decode-truth.py`` (item 29) and ``full-window-finals.py`` (item 30) pass through final passes:
the same slices in all, in the same order (seeded); and ``scored_passes``, the passes with what was said in them
that the last two score."""

import itertools
import os
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def scored_passes(model: Any, after_speech: tuple[float, ...]) -> Iterator[tuple[str, np.ndarray, str]]:
    """(label, audio, what was said) of the final passes ``second-decode-truth.py`` and ``full-window-finals.py``
    score, decoded by ``model`` only for the slices' references (Whisper's word timestamps of the whole source):

    - each shared clip of 25 s or less, held as a final pass holds it (1 s before, then ``after_speech`` seconds of
      the clip's own audio after the speech Silero hears), clean, in room noise at -50 dBFS and through the
      telephone band;
    - every permutation of three of the LibriVox and JFK clips (0.3 s apart, 0.2 s of silence after; 25 s at most);
    - the 40 ``slices``; the reference is the words of the source whose middle is inside the slice.
    """
    from tests.conftest import load_clips
    from tests.server.test_whisper_window import faster_whisper_decode, held_in_channel, joined_clips

    from dictate.bench.channel import channel_label

    clips = load_clips()
    for name, clip in sorted(clips.items()):
        if load(clip.path).size / RATE > 25:
            continue
        for noise, telephone in ((None, False), (-50.0, False), (None, True)):
            for after in after_speech:
                audio = held_in_channel(clip, after, noise, telephone)
                label = f"{name.removesuffix('.wav')[-14:]} {channel_label(noise, telephone) or 'clean'} +{after}"
                yield label, audio, clip.transcript
    readers = sorted(name for name in clips if name.startswith("ps_librivox") or name == "whisper_jfk.wav")
    for names in itertools.permutations(readers, 3):
        audio = joined_clips(clips, names)
        if audio.size / RATE - 0.2 <= 25:  # 25 s at most before the closing silence
            label = "clips " + "+".join(name[-8:-4] for name in names)
            yield label, audio, " ".join(clips[name].transcript for name in names)
    words = {}
    for name, source in sources().items():
        segments = faster_whisper_decode(model, source, None, word_timestamps=True)
        words[name] = [((word.start + word.end) / 2, word.word) for segment in segments for word in segment.words]
    for name, start, length, audio in slices():
        reference = "".join(word for middle, word in words[name] if start <= middle < start + length)
        yield f"{name} {length + 0.5:.1f}s", audio, reference


def untimed_full_window(model: Any, audio: np.ndarray) -> str:
    """A final pass as the server made one in Whisper's full window until benchmark.md item 30 (every final on
    CUDA, a redone one on a CPU): one decode without timestamps (English, beam 5, temperature 0)."""
    from tests.server.test_whisper_window import faster_whisper_decode

    segments = faster_whisper_decode(model, audio, None, without_timestamps=True)
    return " ".join(segment.text.strip() for segment in segments).strip()
