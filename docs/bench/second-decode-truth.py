"""Final passes whose first decode stops short of the audio, scored against what was said (benchmark.md item 29).

Usage: PYTHONPATH=src:. .venv/bin/python docs/bench/second-decode-truth.py. The passes are
``long_slices.scored_passes`` (the short clips held with 0.15, 0.3 and 0.6 s after their speech). The reference is
the manifest's transcript, and for a slice the words of its source that Whisper's word timestamps put inside it.
For each pass with a second decode, three texts: ``redone``, the whole pass again in the full
window (the server's final until item 29); ``full tail``, the first decode, then the rest of the audio in a full
window of its own; ``server``, the server's final pass now (the second decode kept when Silero hears speech in
what it read, joined without the word both decodes hold). Prints the WER and seconds of each (of ``redone`` and
``full tail``, what they add to the trimmed pass; of ``server``, the whole pass), then each one's mean WER.
"""

import time
from collections.abc import Callable

import numpy as np
from long_slices import RATE, scored_passes, untimed_full_window
from tests.server.test_whisper_window import trimmed_decode

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
        "redone": timed(lambda: untimed_full_window(model, audio)),
        "full tail": timed(lambda: f"{first} {untimed_full_window(model, tail)}".strip()),
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


for label, audio, reference in scored_passes(model, after_speech=(0.15, 0.3, 0.6)):
    report(label, audio, reference)
for arm, values in scores.items():
    print(f"{arm}: mean WER {sum(values) / len(values):.3f} over {len(values)} passes")
