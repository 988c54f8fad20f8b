"""Final passes over 12-20 s of speech, with the trimmed encoder window and with the full one (benchmark.md item 28).

Usage: .venv/bin/python docs/bench/long-final-window.py [SLICES] (default 20 per source). Random slices (seeded) of
the 52 s passage and of the LibriVox and JFK clips joined with 0.3 s gaps, each with 0.5 s of closing silence, go
through the server's own final pass (``transcribe_pass``) twice: with the default trimmed window (a pass that
decodes its tail again, or shows another trimmed-window fault, is redone with the full window, as in the server)
and with ``DICTATE_FINAL_WINDOW_MARGIN=0`` (the full 30 s window). Prints each slice, then per length band how many
trimmed passes were redone and the mean seconds of each. One process, one box: compare the two columns, not runs.
"""

import logging
import sys
import time

import numpy as np
from long_slices import PASSAGE, RATE, load, long_slices

from dictate.config import ServerSettings
from dictate.server.model.source import choose_model
from dictate.server.model.whisper import load_model, transcribe_pass


class Redone(logging.Handler):
    """Collects the whisper module's "redone with the full window" messages."""

    def __init__(self) -> None:
        super().__init__()
        self.reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "redone" in message:
            self.reasons.append(message)


redone = Redone()
whisper_log = logging.getLogger("dictate.server.model.whisper")
whisper_log.setLevel(logging.DEBUG)
whisper_log.addHandler(redone)
trimmed, full = ServerSettings(), ServerSettings(final_window_margin=0)
model = load_model(choose_model(trimmed), trimmed)
transcribe_pass(model, load(PASSAGE)[: 3 * RATE], trimmed, final=True)  # warm-up
slices = int(sys.argv[1]) if len(sys.argv) > 1 else 20
rows = []
for name, seconds, audio in long_slices(slices):
    redone.reasons.clear()
    began = time.perf_counter()
    transcribe_pass(model, audio, trimmed, final=True)
    trim_seconds = time.perf_counter() - began
    began = time.perf_counter()
    transcribe_pass(model, audio, full, final=True)
    full_seconds = time.perf_counter() - began
    rows.append((seconds, trim_seconds, full_seconds, bool(redone.reasons)))
    print(f"{name} {seconds:5.1f}s trim {trim_seconds:4.2f} full {full_seconds:4.2f} {redone.reasons}")
for low, high in ((12, 14), (14, 16), (16, 18), (18, 21)):
    band = [row for row in rows if low <= row[0] < high]
    if band:
        print(
            f"{low}-{high}s n={len(band)} redone {sum(row[3] for row in band)} "
            f"trim mean {np.mean([row[1] for row in band]):.2f} full mean {np.mean([row[2] for row in band]):.2f}"
        )
