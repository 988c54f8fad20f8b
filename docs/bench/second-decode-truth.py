"""Final passes whose first decode stops short of the audio, scored against what was said (benchmark.md item 29).

Usage: PYTHONPATH=src:. .venv/bin/python docs/bench/second-decode-truth.py. Passes:
- each shared clip of 25 s or less, held as a final pass holds it (1 s before, then 0.15, 0.3 or 0.6 s of the
  clip's own audio after the speech Silero hears), clean, in room noise at -50 dBFS and through the telephone band;
- every permutation of three of the LibriVox and JFK clips (0.3 s apart, 0.2 s of silence after; 25 s at most);
- the 40 random slices of ``long-final-window.py`` (same seed).
The reference is the manifest's transcript, and for a slice the words of its source that Whisper's word timestamps
put inside it. For each pass with a second decode, three texts: ``redone``, the whole pass again in the full
window (the server's final until item 29); ``full tail``, the first decode, then the rest of the audio in a full
window of its own; ``server``, the server's final pass now (the second decode kept when Silero hears speech in
what it read, joined without the word both decodes hold). Prints the WER and seconds of each (of ``redone`` and
``full tail``, what they add to the trimmed pass; of ``server``, the whole pass), then each one's mean WER.
"""

import itertools
import time
from collections.abc import Callable

import numpy as np
import soundfile as sf
from faster_whisper.vad import VadOptions, get_speech_timestamps
from long_slices import RATE, slices, sources
from tests.conftest import load_clips
from tests.server.test_whisper_window import _held_pass_audio, faster_whisper_decode, joined_clips, trimmed_decode

from dictate.bench.channel import channel_label, clip_seed, through_channel
from dictate.bench.wer import clip_wer
from dictate.config import ServerSettings
from dictate.server.model.decoded_text import second_decode_from
from dictate.server.model.source import choose_model
from dictate.server.model.whisper import HOP, load_model, speech_in, transcribe_pass

settings = ServerSettings()
model = load_model(choose_model(settings), settings)
scores: dict[str, list[float]] = {"redone": [], "full tail": [], "server": []}


def timed(run: Callable[[], str]) -> tuple[str, float]:
    """The text ``run`` returns, and the seconds it took."""
    start = time.perf_counter()
    text = run()
    return text, time.perf_counter() - start


def report(name: str, audio: np.ndarray, reference: str) -> None:
    segments = [segment for segment in trimmed_decode(model, audio) if segment.text.strip()]
    tail_from = second_decode_from(segment.seek for segment in segments)
    if tail_from is None:
        return
    tail = audio[tail_from * HOP :]
    first = " ".join(segment.text.strip() for segment in segments if segment.seek < tail_from)
    texts = {
        "redone": timed(lambda: model.transcribe_text(audio, 5, "en").text),
        "full tail": timed(lambda: f"{first} {model.transcribe_text(tail, 5, 'en').text}".strip()),
        "server": timed(lambda: transcribe_pass(model, audio, settings, final=True).text),
    }
    cells = []
    for arm, (text, seconds) in texts.items():
        scores[arm].append(clip_wer(reference, text))
        cells.append(f"{arm} {scores[arm][-1]:.2f} {seconds:.2f}s")
    print(
        f"{name:28s} {audio.size / RATE:4.1f}s, rest {tail.size / RATE:4.1f}s speech {speech_in(tail)!s:5} | "
        + " | ".join(cells),
        flush=True,
    )


def word_times(source: np.ndarray) -> list[tuple[float, str]]:
    """(mid time, word) of Whisper's offline transcript of ``source`` (full windows, word timestamps)."""
    segments = faster_whisper_decode(model, source, None, word_timestamps=True)
    return [((word.start + word.end) / 2, word.word) for segment in segments for word in segment.words]


clips = load_clips()
for name, clip in sorted(clips.items()):
    whole = sf.read(clip.path, dtype="float32")[0]
    if whole.size / RATE > 25:
        continue
    speech_end = int(get_speech_timestamps(whole, VadOptions(speech_pad_ms=0))[-1]["end"])
    for noise, telephone in ((None, False), (-50.0, False), (None, True)):
        for after_speech in (0.15, 0.3, 0.6):
            audio = _held_pass_audio(clip, None, speech_end, after_speech)
            pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
            pcm = through_channel(pcm, noise, telephone, clip_seed(name))
            audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
            label = f"{name.removesuffix('.wav')[-14:]} {channel_label(noise, telephone) or 'clean'} +{after_speech}"
            report(label, audio, clip.transcript)
readers = sorted(name for name in clips if name.startswith("ps_librivox") or name == "whisper_jfk.wav")
for names in itertools.permutations(readers, 3):
    audio = joined_clips(clips, names)
    if audio.size / RATE - 0.2 <= 25:  # 25 s at most before the closing silence
        label = "clips " + "+".join(name[-8:-4] for name in names)
        report(label, audio, " ".join(clips[name].transcript for name in names))
words = {name: word_times(source) for name, source in sources().items()}
for name, start, length, audio in slices():
    reference = "".join(word for middle, word in words[name] if start <= middle < start + length)
    report(f"{name} {length + 0.5:.1f}s", audio, reference)
for arm, values in scores.items():
    print(f"{arm}: mean WER {sum(values) / len(values):.3f} over {len(values)} passes")
