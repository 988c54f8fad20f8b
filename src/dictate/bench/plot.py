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


def final_points(streams: Sequence[Mapping[str, Any]]) -> tuple[list[float], list[float]]:
    """(utterance seconds, latency) of every timed final of the successful streams. Pure."""
    points = [
        (timing["utterance_seconds"], timing["latency"])
        for stream in streams
        if not stream.get("failure")
        for timing in stream.get("final_timings") or ()
        if timing.get("utterance_seconds") is not None and timing.get("latency") is not None
    ]
    return [x for x, _ in points], [y for _, y in points]


def _length_panel(axis: Any, report: Mapping[str, Any]) -> None:
    for level in report["levels"]:
        xs, ys = final_points(level["streams"])
        if xs:
            axis.scatter(xs, ys, s=14, alpha=0.7, label=f"N={level['concurrency']} ({len(xs)})")
    axis.set_xlabel("utterance length (s)")
    axis.set_ylabel("final after its speech ended (s)")
    axis.set_ylim(bottom=0)
    axis.grid(True, alpha=0.3)
    if axis.get_legend_handles_labels()[0]:
        axis.legend(loc="upper left")


def plot_report(report: Mapping[str, Any], path: Path) -> None:
    """Draw the latency CDFs of every level of a stream run (or the floor's pass times) into a PNG; for a
    stream run, a third panel: the latency of each final against the length of its utterance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stream = report["kind"] == "stream"
    panels = PANELS if stream else (("floor_seconds", "offline final pass (s)"),)
    count = len(panels) + (1 if stream else 0)
    figure, axes = plt.subplots(1, count, figsize=(6 * count, 4.2), squeeze=False)
    if stream:
        _length_panel(axes[0][-1], report)
    for axis, (metric, label) in zip(axes[0], panels, strict=False):
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
