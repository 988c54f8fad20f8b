"""Trimmed final passes that dropped a segment, scored against what was said (benchmark.md item 31).

A trimmed final pass whose first decode holds a segment that starts after the audio ends, or repeats the one
before it word for word (``clean_segments``), is redone in the full window (item 7): about 0.8-1.0 s more on this
CPU, while the end-of-turn decision waits for it. Usage: PYTHONPATH=src:. .venv/bin/python
docs/bench/dropped-redo.py. The passes are ``long_slices.scored_passes`` (the short clips held with 0.15, 0.3 and
0.6 s after their speech). For each pass that dropped a segment and has no second decode, two texts: ``redone``
(the server's final: the whole pass again in the full window) and ``cleaned`` (the trimmed decode less the dropped
segments). Prints the WER and seconds of each (of ``cleaned``, the trimmed pass's), then each one's mean WER.
"""

import time

from long_slices import RATE, scored_passes
from tests.server.test_whisper_window import trimmed_decode

from dictate.bench.wer import clip_wer
from dictate.config import ServerSettings
from dictate.server.model.decoded_text import clean_segments, second_decode_from
from dictate.server.model.source import choose_model
from dictate.server.model.whisper import load_model, transcribe_pass

settings = ServerSettings()
model = load_model(choose_model(settings), settings)
scores: dict[str, list[float]] = {"redone": [], "cleaned": []}
for label, audio, reference in scored_passes(model, after_speech=(0.15, 0.3, 0.6)):
    start = time.perf_counter()
    segments = [segment for segment in trimmed_decode(model, audio) if segment.text.strip()]
    trimmed_seconds = time.perf_counter() - start
    if second_decode_from(segment.seek for segment in segments) is not None:
        continue
    cleaned, dropped = clean_segments(((s.start, s.text) for s in segments), audio.size / RATE)
    if not dropped:
        continue
    start = time.perf_counter()
    redone = transcribe_pass(model, audio, settings, final=True).text
    redone_seconds = time.perf_counter() - start
    scores["redone"].append(clip_wer(reference, redone))
    scores["cleaned"].append(clip_wer(reference, cleaned))
    print(
        f"{label:34s} {audio.size / RATE:4.1f}s dropped {dropped} | redone {scores['redone'][-1]:.2f} "
        f"{redone_seconds:.2f}s | cleaned {scores['cleaned'][-1]:.2f} {trimmed_seconds:.2f}s",
        flush=True,
    )
    if scores["redone"][-1] != scores["cleaned"][-1]:
        print(f"    redone:  {redone}\n    cleaned: {cleaned}", flush=True)
for arm, values in scores.items():
    print(f"{arm}: mean WER {sum(values) / max(1, len(values)):.3f} over {len(values)} passes")
