"""A long final pass alone and beside a stream of interim passes, for one (model workers, CPU threads) setting.

Usage: .venv/bin/python docs/bench/final-beside-interims.py WORKERS THREADS (benchmark.md item 26). The final pass
is the server's own (transcribe_pass) over the first 16 s of the 52 s passage; the interims, over its next 8 s,
run back to back on a second thread while it runs (only with 2 or more workers). Prints the best of 3 of each.
Run the settings one after another in one session: the box is shared, so compare ratios, not seconds.
"""

import os
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np

from dictate.config import ServerSettings
from dictate.server.model.source import choose_model
from dictate.server.model.whisper import load_model, transcribe_pass

AUDIO = Path(os.environ.get("DICTATE_TEST_AUDIO", Path(__file__).resolve().parents[3] / "shared/audio"))
PASSAGE = AUDIO / "ljspeech_LJ001-0001_to_0008_concat.wav"

workers, threads = int(sys.argv[1]), int(sys.argv[2])
settings = ServerSettings(model_workers=workers, cpu_threads=threads)
model = load_model(choose_model(settings), settings)
with wave.open(str(PASSAGE)) as f:
    audio = np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float32) / 32768
long, short = audio[: 16 * 16000], audio[16 * 16000 : 24 * 16000]
transcribe_pass(model, short, settings, final=True)  # warm-up


def final_seconds() -> float:
    started = time.perf_counter()
    transcribe_pass(model, long, settings, final=True)
    return time.perf_counter() - started


result = {"alone": min(final_seconds() for _ in range(3))}
if workers > 1:
    stop, interims = threading.Event(), [0]

    def interim_stream() -> None:
        while not stop.is_set():
            transcribe_pass(model, short, settings, final=False)
            interims[0] += 1

    thread = threading.Thread(target=interim_stream)
    thread.start()
    try:
        result["beside interims"] = min(final_seconds() for _ in range(3))
    finally:
        stop.set()
        thread.join()
    print(f"interim passes run beside: {interims[0]}")
print(f"workers {workers}, threads {threads}: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.items()))
