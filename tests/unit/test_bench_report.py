"""Bench outputs: JSON round trip, summary table, comparison with ratios, CDF plot, and the CLI routing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from dictate.bench.metrics import Event, StreamRecord, score_stream, summarise
from dictate.bench.plot import cdf_points, plot_report
from dictate.bench.report import (
    build_report,
    compare_table,
    flat_figures,
    level_entry,
    load_report,
    ratio,
    summary_table,
    write_report,
)
from dictate.bench.wer import clip_wer, corpus_wer
from dictate.cli import app
from dictate.errors import ConfigError


def fake_run(final_delay: float, levels: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    entries = []
    for n in levels:
        records = [
            StreamRecord(
                f"clip{i}.wav",
                "ten of clubs",
                1.0,
                2.0,
                (
                    Event(1.5 + i / 10, "interim", "ten"),
                    Event(2.0 + final_delay * n + i / 10, "final", "10 of clubs", 1.0, 0.25),
                ),
                concurrency=n,
                audio_seconds=5.0,
            )
            for i in range(3)
        ]
        results = [score_stream(r, clip_wer) for r in records]
        summary = summarise(results, n, corpus_wer, max_final_latency=3.0)
        entries.append(level_entry(summary, results, 12.0, {"peak_rss_bytes": (600 + 40 * n) * 2**20}))
    ready = {"model": "packaged:base", "device": "cpu", "compute_type": "int8"}
    server = {"url": "ws://x/stream", "embedded": True, "ready": ready}
    return build_report("stream", entries, {"cpu": "test cpu"}, server, {"repeat": 1})


def render(table: Any) -> str:
    console = Console(record=True, width=140)
    console.print(table)
    return console.export_text()


def test_report_round_trip_and_flat_figures(tmp_path: Path) -> None:
    report = fake_run(1.0)
    path = tmp_path / "out" / "run.json"
    write_report(report, path)
    loaded = load_report(path)
    assert loaded == json.loads(json.dumps(report))
    assert loaded["max_realtime_concurrency"] == 2  # finals 1.0-1.2 s (N=1) and 2.0-2.2 s (N=2) late
    figures = flat_figures(loaded["levels"][0])
    assert figures["final_latency.p50"] == pytest.approx(1.1)
    assert figures["first_interim_latency.max"] == pytest.approx(0.7)
    assert figures["wer"] == 0.0
    assert figures["memory.peak_rss_mb"] == pytest.approx(640)
    assert figures["failures"] == 0
    stream = loaded["levels"][0]["streams"][0]
    assert {"clip", "first_interim_latency", "final_latency", "wer", "rtf", "hypothesis"} <= set(stream)


def test_load_report_refuses_other_json(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(ConfigError):
        load_report(other)
    with pytest.raises(ConfigError):
        load_report(tmp_path / "missing.json")


def test_summary_table_shows_levels_and_keep_up() -> None:
    report = fake_run(2.5)  # N=1: 2.5-2.7 s (keeps up), N=2: 5.0-5.2 s (does not)
    text = render(summary_table(report))
    assert "N=1" in text and "N=2" in text
    assert "end of speech to final p50" in text
    assert "NO" in text
    assert "largest N at which every stream keeps up in real time: 1" in text


def test_compare_shows_ratios() -> None:
    text = render(compare_table(fake_run(1.0), fake_run(0.5), "before", "after"))
    assert "before" in text and "after" in text
    assert "0.55x" in text  # final p50 at N=1: 0.6 / 1.1


def test_ratio() -> None:
    assert ratio(2.0, 1.0) == 0.5
    assert ratio(0.0, 1.0) is None
    assert ratio(None, 1.0) is None


def test_plot_writes_a_png(tmp_path: Path) -> None:
    assert cdf_points([3.0, 1.0, 2.0]) == ([1.0, 2.0, 3.0], [1 / 3, 2 / 3, 1.0])
    path = tmp_path / "cdf.png"
    plot_report(fake_run(1.0), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_compare_and_routing(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_report(fake_run(1.0), a)
    write_report(fake_run(0.5), b)
    runner = CliRunner()
    result = runner.invoke(app, ["bench", "compare", str(a), str(b)], terminal_width=140)
    assert result.exit_code == 0, result.output
    assert "B/A" in result.output
    # anything that is not a subcommand goes to `run`: here a missing file, refused before any server starts
    result = runner.invoke(app, ["bench", str(tmp_path / "missing.wav"), "--no-warmup"])
    assert isinstance(result.exception, ConfigError)
    assert "no such file" in str(result.exception)
    help_text = runner.invoke(app, ["bench", "--help"], terminal_width=140).output
    assert "compare" in help_text and "run" in help_text
    assert "--concurrency" in runner.invoke(app, ["bench", "--floor", "--help"], terminal_width=140).output


def test_compare_a_floor_with_a_stream_run() -> None:
    from dictate.bench.floor import FloorResult, floor_level

    results = [FloorResult(f"clip{i}.wav", 0, "ten of clubs", "10 of clubs", 0.5, 5.0, 0.1, 0.0) for i in range(3)]
    floor = build_report("floor", [floor_level(results, 2.0)], {"cpu": "x"}, {"ready": {"model": "m"}}, {})
    assert flat_figures(floor["levels"][0])["floor_seconds.p50"] == 0.5
    text = render(compare_table(floor, fake_run(1.0), "floor", "stream"))
    assert "offline final pass p50" in text
    assert "end of speech to final p50 vs floor" in text
    assert "2.20x" in text  # final p50 1.1 s over a 0.5 s floor
