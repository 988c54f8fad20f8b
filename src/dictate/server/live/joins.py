"""The audio a joined pass reads, with the thinking pauses inside it shortened (issue 18 item 2). Pure: numpy.

A span that starts soon after a final is transcribed together with that final's audio (``timeline.context_for``),
and that audio holds the pause between them: a second or two of silence, or of room noise. Whisper fills a long
silence inside its window with words nobody said ("A gold ring will be a gold medal, please, most any girl.",
issue 18). A pass over VAD-chunked audio (faster-whisper's ``vad_filter``) never sees such a gap: its chunks are
put next to each other with a few hundred milliseconds of padding. So a joined pass reads its audio as several
sample ranges (``PassRequest.ranges``) that leave out the middle of every pause, ``keep`` samples of it left.

The core knows where the pauses are: each part's speech ended where its closing pause began (the VAD's
``pause`` edge), and the next part's speech began where the VAD heard it (``onset``). The VAD decides late, so
speech may begin a little before that onset (the span's pre-roll is there for it); within each such range the
audio says where it is really quiet: the longest run of 20 ms frames at most ``QUIET_ABOVE_FLOOR_DB`` above the
range's noise floor (or below ``QUIET_MIN_DBFS``). Only the middle of that run is left out, ``keep / 2`` stays on
each side, so no speech is ever removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.live.session_audio import Range

KEEP_PAUSE = int(0.3 * SAMPLE_RATE)  # what is left of a pause inside a joined pass (samples)
FRAME = int(0.02 * SAMPLE_RATE)  # quiet-run search: frame length (samples)
QUIET_ABOVE_FLOOR_DB = 10.0  # a frame is quiet when its RMS is at most this far above the range's floor
QUIET_MIN_DBFS = -70.0  # ... or below this level (digital silence, dithering)


def quiet_run(audio: np.ndarray) -> tuple[int, int] | None:
    """The longest run of quiet frames in ``audio`` as [first, end) sample indices, or None (no whole frame)."""
    frames = len(audio) // FRAME
    if frames < 1:
        return None
    block = audio[: frames * FRAME].astype(np.float64).reshape(frames, FRAME)
    rms = np.sqrt(np.mean(block**2, axis=1))
    floor = float(np.percentile(rms, 10))
    threshold = max(floor * 10 ** (QUIET_ABOVE_FLOOR_DB / 20), 10 ** (QUIET_MIN_DBFS / 20))
    best: tuple[int, int] | None = None
    run_start: int | None = None
    for index, is_quiet in enumerate([*(rms <= threshold).tolist(), False]):
        if is_quiet and run_start is None:
            run_start = index
        elif not is_quiet and run_start is not None:
            if best is None or index - run_start > best[1] - best[0]:
                best = (run_start, index)
            run_start = None
    return None if best is None else (best[0] * FRAME, best[1] * FRAME)


def pauses_between(parts: Sequence[tuple[int, int]]) -> list[Range]:
    """The pauses between consecutive parts of a joined pass: (speech end, next onset) on the timeline.
    ``parts``: (onset, speech end) of each utterance the pass covers, in order."""
    return [(end, onset) for (_onset, end), (onset, _end) in pairwise(parts) if onset > end]


def joined_ranges(
    start: int, end: int, pauses: Sequence[Range], audio: Callable[[int, int], np.ndarray], keep: int = KEEP_PAUSE
) -> tuple[Range, ...]:
    """The ranges of [start, end) a joined pass reads: everything but the middle of the quiet run of every pause
    (``audio(first, end)``: the session's samples), ``keep`` samples of it left. ``keep`` 0: one range."""
    if keep <= 0:
        return ((start, end),)
    ranges: list[Range] = []
    position = start
    for pause_start, pause_end in sorted(pauses):
        first, last = max(pause_start, position), min(pause_end, end)
        if last - first <= keep:
            continue
        run = quiet_run(audio(first, last))
        if run is None or run[1] - run[0] <= keep:
            continue
        cut_from, cut_to = first + run[0] + keep // 2, first + run[1] - (keep - keep // 2)
        ranges.append((position, cut_from))
        position = cut_to
    ranges.append((position, end))
    return tuple(ranges)
