"""The concurrency levels of a bench sweep (1, 2, 4... N), and the largest that kept up in real time."""

from __future__ import annotations

from collections.abc import Iterable

from dictate.bench.metrics import Summary


def max_realtime_concurrency(summaries: Iterable[Summary]) -> int | None:
    """The largest N such that every level up to and including N kept up (None if even the first did not)."""
    best: int | None = None
    for summary in sorted(summaries, key=lambda s: s.concurrency):
        if not summary.keeps_up:
            break
        best = summary.concurrency
    return best


def concurrency_levels(maximum: int) -> list[int]:
    """The levels a sweep up to ``maximum`` visits: 1, 2, 4, 8... and ``maximum`` itself."""
    if maximum < 1:
        raise ValueError("concurrency must be at least 1")
    levels = []
    level = 1
    while level < maximum:
        levels.append(level)
        level *= 2
    levels.append(maximum)
    return levels
