"""What a trimmed final pass's second decode reads, and whether keeping it would match the full window's text.

Usage: PYTHONPATH=src:. .venv/bin/python docs/bench/second-decode.py (benchmark.md item 28). For item 21's cases
(``TAIL_DECODED_AGAIN`` of tests/server/test_whisper_window.py) and the 40 slices of ``long-final-window.py`` (same
seed), a trimmed final pass whose first decode ends before the audio does is decoded again by faster-whisper from
the last timestamp on. Each such pass prints: seconds of audio after that point, how much of it is louder than the
quiet-frame rule of ``server/live/joins.py`` (10 dB over the pass's floor), the second decode's text, and the WER
between the trimmed pass's kept text and the full window's. Passes with no second decode print nothing.
"""

import numpy as np
from long_slices import RATE, long_slices
from tests.conftest import load_clips
from tests.server.test_whisper_window import TAIL_DECODED_AGAIN, _held_pass_audio, trimmed_decode

from dictate.bench.wer import clip_wer
from dictate.config import ServerSettings
from dictate.server.live.joins import FRAME, QUIET_ABOVE_FLOOR_DB, QUIET_MIN_DBFS
from dictate.server.model.decoded_text import clean_segments
from dictate.server.model.source import choose_model
from dictate.server.model.whisper import load_model, transcribe_pass

settings, full = ServerSettings(), ServerSettings(final_window_margin=0)
model = load_model(choose_model(settings), settings)


def loud_seconds(audio: np.ndarray, start: int) -> float:
    """Seconds of 20 ms frames from ``start`` on that are louder than the joins' quiet threshold."""
    frames = len(audio) // FRAME
    rms = np.sqrt((audio[: frames * FRAME].astype(np.float64).reshape(frames, FRAME) ** 2).mean(axis=1))
    threshold = max(np.percentile(rms, 10) * 10 ** (QUIET_ABOVE_FLOOR_DB / 20), 10 ** (QUIET_MIN_DBFS / 20))
    return float((rms[start // FRAME :] > threshold).sum() * FRAME / RATE)


def report(name: str, audio: np.ndarray) -> None:
    segments = [segment for segment in trimmed_decode(model, audio) if segment.text.strip()]
    again = [segment for segment in segments if segment.seek > 0]
    if not again:
        return
    seek = again[0].seek * 160
    kept, _dropped = clean_segments(((segment.start, segment.text) for segment in segments), audio.size / RATE)
    reference = transcribe_pass(model, audio, full, final=True).text
    second = " ".join(segment.text.strip() for segment in again)
    print(
        f"{name:34s} tail {(audio.size - seek) / RATE:4.1f}s loud {loud_seconds(audio, seek):4.2f}s | "
        f"again {second[:40]!r} | WER kept-vs-full {clip_wer(reference, kept):.2f}",
        flush=True,
    )


clips = load_clips()
for clip, cut, end, tail in TAIL_DECODED_AGAIN:
    report(f"item21 {clip[-8:]} {cut} {tail}", _held_pass_audio(clips[clip], cut, end, tail))
for name, seconds, audio in long_slices():
    report(f"{name} {seconds:.1f}s", audio)
