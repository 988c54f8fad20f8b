"""`--plot FILE.png`: cumulative distributions of the latencies, one panel per metric, one line per N."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PANELS = (
    ("first_interim_latency", "first interim after speech onset (s)"),
    ("final_latency", "final text after end of speech (s)"),
)


def cdf_points(values: Sequence[float]) -> tuple[list[float], list[float]]:
    """Sorted values and their cumulative fractions (1/n ... 1), for a step plot. Pure."""
    ordered = sorted(values)
    count = len(ordered)
    return ordered, [(index + 1) / count for index in range(count)]


def plot_report(report: Mapping[str, Any], path: Path) -> None:
    """Draw the latency CDFs of every level of a stream run (or the floor's pass times) into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = PANELS if report["kind"] == "stream" else (("floor_seconds", "offline final pass (s)"),)
    figure, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for axis, (metric, label) in zip(axes[0], panels, strict=True):
        for level in report["levels"]:
            values = [s[metric] for s in level["streams"] if s.get(metric) is not None and not s.get("failure")]
            if not values:
                continue
            xs, ys = cdf_points(values)
            axis.step(xs, ys, where="post", label=f"N={level['concurrency']} ({len(values)})")
        axis.set_xlabel(label)
        axis.set_ylabel("fraction of streams")
        axis.set_ylim(0, 1.02)
        axis.grid(True, alpha=0.3)
        if axis.get_legend_handles_labels()[0]:  # no line when every stream of every level failed
            axis.legend(loc="lower right")
    ready = report.get("server", {}).get("ready") or {}
    figure.suptitle(
        f"dictate bench: {ready.get('model', '?')} on {ready.get('device', '?')} "
        f"({ready.get('compute_type', '?')}), {report.get('machine', {}).get('cpu', '')}"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
