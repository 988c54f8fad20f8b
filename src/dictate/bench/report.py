"""The bench's outputs: the run JSON, the summary table, and the side-by-side comparison of two runs."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from dictate import __version__
from dictate.bench.levels import max_realtime_concurrency
from dictate.bench.metrics import StreamResult, Summary
from dictate.errors import ConfigError

SCHEMA = "dictate-bench/1"
_EMPTY = {"count": 0, "p50": None, "p95": None, "max": None, "mean": None}

# (flat key, label, unit) of the figures the tables show, in order
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("streams", "streams", ""),
    ("failures", "failures", ""),
    ("late", "finals later than the keep-up limit", ""),
    ("no_interim", "streams without an interim", ""),
    ("first_interim_latency.p50", "first interim p50", "s"),
    ("first_interim_latency.p95", "first interim p95", "s"),
    ("first_interim_latency.max", "first interim max", "s"),
    ("final_latency.p50", "end of speech to final p50", "s"),
    ("final_latency.p95", "end of speech to final p95", "s"),
    ("final_latency.max", "end of speech to final max", "s"),
    ("server_end_detection.p50", "server: end of speech detected after, p50", "s"),
    ("server_end_detection.p95", "server: end of speech detected after, p95", "s"),
    ("server_finalize.p50", "server: its end of speech to final sent, p50", "s"),
    ("server_finalize.p95", "server: its end of speech to final sent, p95", "s"),
    ("interim_gap.p50", "between interims during speech, p50", "s"),
    ("interim_gap.max", "between interims during speech, max", "s"),
    ("each_final_latency.p50", "each final after its speech ended, p50", "s"),
    ("each_final_latency.p95", "each final after its speech ended, p95", "s"),
    ("each_final_latency.max", "each final after its speech ended, max", "s"),
    ("floor_seconds.p50", "offline final pass p50", "s"),
    ("floor_seconds.p95", "offline final pass p95", "s"),
    ("floor_seconds.max", "offline final pass max", "s"),
    ("wer", "WER", "%"),
    ("formatted_wer", "formatted WER (case, punctuation)", "%"),
    ("words_lost", "words lost (runs of >= 3)", ""),
    ("dropped_reports", "server: speech reported dropped", ""),
    ("revising_finals", "finals that revised earlier ones", ""),
    ("revisions_accepted", "server: revising passes accepted", ""),
    ("revisions_rejected", "server: revising passes rejected", ""),
    ("backspaced_per_100_typed", "characters backspaced per 100 typed", ""),
    ("rtf.p50", "RTF p50", ""),
    ("rtf.max", "RTF max", ""),
    ("memory.peak_rss_mb", "server peak RSS", "MB"),
)


PERCENT_KEYS = ("wer", "formatted_wer")

# utterance lengths (s) of the latency-by-length table: [low, high)
LENGTH_BUCKETS: tuple[tuple[float, float], ...] = ((0, 2), (2, 5), (5, 10), (10, 20), (20, math.inf))


def latency_by_length(streams: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The latency of each final (of the successful streams) by the length of its utterance. Pure."""
    rows = []
    for low, high in LENGTH_BUCKETS:
        latencies = [
            timing["latency"]
            for stream in streams
            if not stream.get("failure")
            for timing in stream.get("final_timings") or ()
            if timing.get("utterance_seconds") is not None
            and low <= timing["utterance_seconds"] < high
            and timing.get("latency") is not None
        ]
        if latencies:
            label = f"{low:g}-{high:g} s" if high != math.inf else f">= {low:g} s"
            rows.append({"utterance": label, "low_s": low, "finals": len(latencies), **_stats(latencies)})
    return rows


def _stats(values: Sequence[float]) -> dict[str, float]:
    from dictate.bench.stats import percentile

    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values)}


def level_entry(
    summary: Summary | Mapping[str, Any],
    results: Sequence[StreamResult] | Sequence[Mapping[str, Any]],
    wall_seconds: float,
    memory: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One concurrency level of a run, as JSON-able data."""
    streams = [asdict(r) if isinstance(r, StreamResult) else dict(r) for r in results]
    return {
        "concurrency": summary.concurrency if isinstance(summary, Summary) else summary["concurrency"],
        "wall_seconds": round(wall_seconds, 3),
        "summary": asdict(summary) if isinstance(summary, Summary) else dict(summary),
        "memory": dict(memory) if memory is not None else None,
        "latency_by_utterance_length": latency_by_length(streams),
        "streams": streams,
    }


def build_report(
    kind: str,
    levels: list[dict[str, Any]],
    machine: Mapping[str, Any],
    server: Mapping[str, Any],
    settings: Mapping[str, Any],
    memory: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole run: what was measured, where, against what, with every per-clip figure."""
    summaries = [_summary_from_dict(level["summary"]) for level in levels if kind == "stream"]
    return {
        "schema": SCHEMA,
        "kind": kind,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dictate_version": __version__,
        "machine": dict(machine),
        "server": dict(server),
        "settings": dict(settings),
        "max_realtime_concurrency": max_realtime_concurrency(summaries) if summaries else None,
        "memory": dict(memory) if memory is not None else None,
        "levels": levels,
    }


def _summary_from_dict(data: Mapping[str, Any]) -> Summary:
    from dictate.bench.stats import Distribution

    return Summary(
        concurrency=int(data["concurrency"]),
        streams=int(data["streams"]),
        failures=int(data["failures"]),
        first_interim_latency=Distribution(**data["first_interim_latency"]),
        final_latency=Distribution(**data["final_latency"]),
        rtf=Distribution(**data["rtf"]),
        server_end_detection=Distribution(**data.get("server_end_detection", _EMPTY)),
        server_finalize=Distribution(**data.get("server_finalize", _EMPTY)),
        wer=data["wer"],
        keeps_up=bool(data["keeps_up"]),
        failure_reasons=dict(data.get("failure_reasons", {})),
        late=int(data.get("late", 0)),
        no_interim=int(data.get("no_interim", 0)),
        formatted_wer=data.get("formatted_wer"),
        words_lost=data.get("words_lost"),
        each_final_latency=Distribution(**data.get("each_final_latency", _EMPTY)),
        interim_gap=Distribution(**data.get("interim_gap", _EMPTY)),
    )


def write_report(report: Mapping[str, Any], path: Path) -> None:
    """Write the JSON atomically (a .tmp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)


def load_report(path: Path) -> dict[str, Any]:
    """Read a run JSON written by `dictate bench`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read bench result {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ConfigError(f"{path} is not a `dictate bench` result ({SCHEMA})")
    return data


def flat_figures(level: Mapping[str, Any]) -> dict[str, float | None]:
    """A level's figures keyed like 'final_latency.p50' (WER in %, memory in MB). Pure."""
    flat: dict[str, float | None] = {}
    for key, value in level.get("summary", {}).items():
        if isinstance(value, Mapping):
            for stat in ("p50", "p95", "max"):
                if stat in value:
                    flat[f"{key}.{stat}"] = value[stat]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[key] = value * 100 if key in PERCENT_KEYS else value
        elif value is None and key in PERCENT_KEYS:
            flat[key] = None
    memory = level.get("memory") or {}
    if memory.get("peak_rss_bytes") is not None:
        flat["memory.peak_rss_mb"] = memory["peak_rss_bytes"] / 2**20
    return flat


def ratio(a: float | None, b: float | None) -> float | None:
    """b / a, or None where it means nothing (a missing value, a zero denominator)."""
    if a is None or b is None or a == 0 or math.isnan(a) or math.isnan(b):
        return None
    return b / a


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "" and float(value).is_integer():
        return str(int(value))
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f}{unit and ' ' + unit}" if unit == "s" else f"{value:.3f}"


def _present_figures(levels: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    keys: set[str] = set()
    for level in levels:
        keys.update(k for k, v in flat_figures(level).items() if v is not None)
    keys.update(("streams", "failures"))
    return [figure for figure in FIGURES if figure[0] in keys]


def summary_table(report: Mapping[str, Any]) -> Table:
    """Figures (rows) by concurrency level (columns)."""
    levels = report["levels"]
    title = "dictate bench" + (" --floor (offline, whole clips)" if report["kind"] == "floor" else "")
    ready = report.get("server", {}).get("ready") or {}
    if ready:
        title += f": {ready.get('model')} on {ready.get('device')} ({ready.get('compute_type')})"
    pauses = report.get("settings", {}).get("pauses")
    if pauses:
        title += f", clips with thinking pauses of {pauses:g} s"
    table = Table(title=title, min_width=72, caption_justify="left")
    table.add_column("figure")
    for level in levels:
        table.add_column(f"N={level['concurrency']}", justify="right")
    limit = report.get("settings", {}).get("max_final_latency")
    for key, label, unit in _present_figures(levels):
        if key == "late" and limit is not None:
            label = f"finals later than {limit:g} s"
        table.add_row(label, *(_format(flat_figures(level).get(key), unit) for level in levels))
    if report["kind"] == "stream":
        table.add_row("keeps up in real time", *("yes" if lv["summary"]["keeps_up"] else "NO" for lv in levels))
        best = report.get("max_realtime_concurrency")
        table.caption = f"largest N at which every stream keeps up in real time: {best if best else 'none'}"
    memory = report.get("memory") or {}
    if memory.get("per_session_mb") is not None:
        table.caption = f"{table.caption or ''}\nserver memory per additional session: "
        table.caption += f"{memory['per_session_mb']:.0f} MB"
    return table


def length_table(report: Mapping[str, Any]) -> Table | None:
    """Latency of each final by the length of its utterance, per level (None when nothing was measured)."""
    rows = [(level["concurrency"], row) for level in report["levels"] for row in level_rows(level)]
    if not rows:
        return None
    table = Table(title="each final after its speech ended, by utterance length", min_width=72)
    for column in ("N", "utterance", "finals", "p50", "p95", "max"):
        table.add_column(column, justify="left" if column == "utterance" else "right")
    for concurrency, row in rows:
        table.add_row(
            str(concurrency),
            row["utterance"],
            str(row["finals"]),
            *(_format(row[stat], "s") for stat in ("p50", "p95", "max")),
        )
    return table


def lost_lines(report: Mapping[str, Any]) -> list[str]:
    """One line per stream that lost words (level, clip, the words of each lost run), and one per speech_dropped
    error the server sent. Pure."""
    lines = []
    for level in report["levels"]:
        for stream in level.get("streams", []):
            if stream.get("lost_runs"):
                runs = "; ".join(f'"{run}"' for run in stream["lost_runs"])
                lines.append(f"N={level['concurrency']} {stream['clip']}: {stream['words_lost']} words lost: {runs}")
            for message in stream.get("dropped_reports") or ():
                lines.append(f"N={level['concurrency']} {stream['clip']}: the server reported {message}")
    return lines


def failure_lines(report: Mapping[str, Any]) -> list[str]:
    """One line per level and reason its streams failed for (with how many), the server's reason named. Pure."""
    lines = []
    for level in report["levels"]:
        reasons = Counter(stream["failure"] for stream in level.get("streams", []) if stream.get("failure"))
        for reason, count in reasons.items():
            lines.append(f"N={level['concurrency']}: {count} stream{'s' * (count != 1)} failed: {reason}")
    return lines


def every_stream_failed(report: Mapping[str, Any]) -> str | None:
    """In a run where no stream got through (nothing to measure), the most common reason; else None. Pure."""
    streams = [stream for level in report["levels"] for stream in level.get("streams", [])]
    if not streams or not all(stream.get("failure") for stream in streams):
        return None
    return str(Counter(stream["failure"] for stream in streams).most_common(1)[0][0])


def level_rows(level: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A level's latency-by-length rows (computed from its streams for runs written before they were saved)."""
    rows = level.get("latency_by_utterance_length")
    return list(rows) if rows is not None else latency_by_length(level.get("streams", []))


def compare_table(a: Mapping[str, Any], b: Mapping[str, Any], a_name: str, b_name: str) -> Table:
    """Two runs side by side, level by level (matched by concurrency), with B/A ratios."""
    table = Table(title=f"{a_name} vs {b_name}", min_width=72, caption_justify="left")
    table.add_column("N", justify="right")
    table.add_column("figure")
    table.add_column(a_name, justify="right")
    table.add_column(b_name, justify="right")
    table.add_column("B/A", justify="right")
    a_levels = {lv["concurrency"]: lv for lv in a["levels"]}
    b_levels = {lv["concurrency"]: lv for lv in b["levels"]}
    pairs = [(n, a_levels[n], b_levels[n]) for n in sorted(a_levels) if n in b_levels]
    if not pairs:  # e.g. a floor (N=1) against a sweep that starts elsewhere: compare first levels
        pairs = [(a["levels"][0]["concurrency"], a["levels"][0], b["levels"][0])]
    for n, level_a, level_b in pairs:
        fa, fb = flat_figures(level_a), flat_figures(level_b)
        for key, label, unit in _present_figures([level_a, level_b]):
            r = ratio(fa.get(key), fb.get(key))
            table.add_row(
                str(n),
                label,
                _format(fa.get(key), unit),
                _format(fb.get(key), unit),
                "-" if r is None else f"{r:.2f}x",
            )
        table.add_section()
    _add_floor_rows(table, a, b)
    table.caption = "\n".join(f"{name}: {describe_run(run)}" for name, run in ((a_name, a), (b_name, b)))
    return table


def describe_run(report: Mapping[str, Any]) -> str:
    """One line: kind, model, device, machine, date. Pure."""
    ready = report.get("server", {}).get("ready") or {}
    machine = report.get("machine", {})
    gpus = machine.get("gpus") or []
    where = gpus[0] if gpus else f"{machine.get('cpu', '?')} x{machine.get('usable_cpus', '?')}"
    return (
        f"{report.get('kind')} run, {ready.get('model', '?')} on {ready.get('device', '?')} "
        f"({ready.get('compute_type', '?')}), {where}, {report.get('created', '?')}"
    )


FLOOR_PAIRS = (
    ("server_finalize", "server finalize"),
    ("final_latency", "end of speech to final"),
)


def _add_floor_rows(table: Table, a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """Against a floor run: the stream's finalize time and final latency over the offline pass time."""
    kinds = {a["kind"], b["kind"]}
    if kinds != {"floor", "stream"}:
        return
    floor, stream = (a, b) if a["kind"] == "floor" else (b, a)
    floor_figures = flat_figures(floor["levels"][0])
    stream_level = min(stream["levels"], key=lambda level: level["concurrency"])
    stream_figures = flat_figures(stream_level)
    for key, label in FLOOR_PAIRS:
        for stat in ("p50", "p95"):
            base = floor_figures.get(f"floor_seconds.{stat}")
            value = stream_figures.get(f"{key}.{stat}")
            r = ratio(base, value)
            if value is None or base is None:
                continue
            table.add_row(
                str(stream_level["concurrency"]),
                f"{label} {stat} vs floor",
                _format(base, "s") if a is floor else _format(value, "s"),
                _format(value, "s") if a is floor else _format(base, "s"),
                "-" if r is None else f"{r:.2f}x",
            )
