"""Percentiles and p50/p95/max/mean summaries of the bench's figures. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0-100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    weight = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * weight


@dataclass(frozen=True)
class Distribution:
    """p50/p95/max/mean of one metric over the streams that measured it."""

    count: int
    p50: float | None
    p95: float | None
    max: float | None
    mean: float | None

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Distribution:
        """Summarise the values, skipping ``None``."""
        present = [v for v in values if v is not None]
        if not present:
            return cls(0, None, None, None, None)
        return cls(
            count=len(present),
            p50=percentile(present, 50),
            p95=percentile(present, 95),
            max=max(present),
            mean=sum(present) / len(present),
        )
