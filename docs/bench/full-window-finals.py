"""Final passes in Whisper's full window, with and without timestamps, scored against what was said (benchmark.md
item 30).

On CUDA every final pass uses the full 30 s window (``full_window_under``). Until item 30 it decoded once without
timestamps, as Whisper's short-form transcription does; over a long pass Whisper may then end the text before the
audio ends, and nothing decodes the rest. With timestamps, faster-whisper goes on from the last timestamp, as for
long audio, and the pass keeps that second decode when it read speech (the trimmed window's rule, item 29).

No GPU here: the same decodes run on this CPU with the packaged base model (large-v3-turbo is not measured).
Usage: PYTHONPATH=src:. .venv/bin/python docs/bench/full-window-finals.py. The passes are
``long_slices.scored_passes`` (the short clips held with 0.3 s after their speech). Prints, per pass, the WER
and seconds of ``untimed`` (the CUDA final until item 30), ``timed`` (the CUDA final now) and ``trimmed`` (the
CPU final), then per kind of pass each arm's mean WER and seconds, and how many of its passes were 20 % or more
off.
"""

import time
from collections import defaultdict

from long_slices import RATE, scored_passes, untimed_full_window

from dictate.bench.wer import clip_wer
from dictate.config import ServerSettings
from dictate.server.model.source import choose_model
from dictate.server.model.whisper import load_model, transcribe_pass

settings = ServerSettings()
model = load_model(choose_model(settings), settings)
cuda = ServerSettings(full_window_under=30.0)  # the CUDA default: every final in the full window
arms = {
    "untimed": lambda audio: untimed_full_window(model, audio),
    "timed": lambda audio: transcribe_pass(model, audio, cuda, final=True).text,
    "trimmed": lambda audio: transcribe_pass(model, audio, settings, final=True).text,
}
scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
for label, audio, reference in scored_passes(model, after_speech=(0.3,)):
    kind = label.split()[0] if label.startswith(("clips", "passage", "others")) else "short " + label.split()[1]
    cells = []
    for arm, run in arms.items():
        start = time.perf_counter()
        text = run(audio)
        seconds = time.perf_counter() - start
        scores[kind, arm].append((clip_wer(reference, text), seconds))
        cells.append(f"{arm} {scores[kind, arm][-1][0]:.2f} {seconds:.2f}s")
    print(f"{label:28s} {audio.size / RATE:4.1f}s | " + " | ".join(cells), flush=True)
for (kind, arm), values in sorted(scores.items()):
    wer = sum(value for value, _ in values) / len(values)
    seconds = sum(value for _, value in values) / len(values)
    bad = sum(value >= 0.2 for value, _ in values)
    print(f"{kind:14s} {arm:8s} mean WER {wer:.3f}, {seconds:.2f} s, {bad} of {len(values)} passes 20 % off or more")
