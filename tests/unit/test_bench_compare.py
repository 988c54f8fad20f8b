"""`dictate bench compare` over runs of different clip sets, and the latency-by-utterance-length table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from dictate.bench.compare import comparable, run_clips
from dictate.bench.metrics import Event, StreamRecord, score_stream, summarise
from dictate.bench.plot import final_points, plot_report
from dictate.bench.report import (
    build_report,
    flat_figures,
    latency_by_length,
    length_table,
    level_entry,
    lost_lines,
    write_report,
)
from dictate.bench.wer import clip_wer, corpus_wer
from dictate.cli import app


def run(clips: dict[str, float], variant: str = "") -> dict[str, Any]:
    """One level over ``clips`` (name -> final latency); the clip "bad.wav" is transcribed wrongly."""
    records = [
        StreamRecord(
            name,
            "ten of clubs",
            1.0,
            2.0,
            (Event(2.0 + delay, "final", "ten of gloves" if name == "bad.wav" else "ten of clubs", delay * 4, 0.2),),
            audio_seconds=5.0,
            variant=variant,
        )
        for name, delay in clips.items()
    ]
    results = [score_stream(record, clip_wer) for record in records]
    level = level_entry(summarise(results, 1, corpus_wer, 3.0), results, 10.0)
    return build_report("stream", [level], {"cpu": "x"}, {"ready": {}}, {"max_final_latency": 3.0})


def test_runs_over_the_same_clips_are_compared_as_they_are() -> None:
    a, b = run({"a.wav": 1.0, "b.wav": 2.0}), run({"b.wav": 0.5, "a.wav": 0.5})
    left, right, warnings = comparable(a, b)
    assert warnings == [] and left == a and right == b


def test_different_clip_sets_compare_only_the_shared_clips() -> None:
    a = run({"a.wav": 1.0, "bad.wav": 3.0, "only-a.wav": 9.0})
    b = run({"a.wav": 0.5, "bad.wav": 1.5, "only-b.wav": 0.1})
    left, right, warnings = comparable(a, b)
    assert len(warnings) == 1 and "only the 2 both have" in warnings[0] and "only-a.wav" in warnings[0]
    assert run_clips(left) == run_clips(right) == ["a.wav", "bad.wav"]
    assert flat_figures(left["levels"][0])["final_latency.max"] == pytest.approx(3.0)  # 9.0 left out
    assert flat_figures(right["levels"][0])["final_latency.p50"] == pytest.approx(1.0)
    assert flat_figures(left["levels"][0])["wer"] == pytest.approx(100 / 6)  # 1 error in 6 words, again
    assert flat_figures(a["levels"][0])["wer"] == pytest.approx(100 / 9)  # the inputs are left alone


def test_no_shared_clip_and_other_variants_are_warned_about() -> None:
    _left, _right, warnings = comparable(run({"a.wav": 1.0}), run({"b.wav": 1.0}, variant="pauses 1 s"))
    assert any("different variants" in w and "pauses 1 s" in w for w in warnings)
    assert any("share no clip" in w for w in warnings)


def test_runs_with_different_vocabularies_are_warned_about() -> None:
    """A floor or stream run with --vocabulary records its words; comparing it with one without is not fair."""
    plain, cards = run({"a.wav": 1.0}), run({"a.wav": 1.0})
    cards["settings"]["vocabulary"] = ["clubs", "hearts"]
    _left, _right, warnings = comparable(cards, plain)
    assert warnings == ["the runs used different vocabularies (--vocabulary): A 2 entries, B none"]
    assert comparable(cards, cards)[2] == []


def test_cli_compare_warns(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_report(run({"a.wav": 1.0, "x.wav": 1.0}), a)
    write_report(run({"a.wav": 0.5}), b)
    result = CliRunner().invoke(app, ["bench", "compare", str(a), str(b)], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "only the 1 both have" in result.output


def test_latency_by_utterance_length() -> None:
    report = run({"short.wav": 0.5, "mid.wav": 1.0, "long.wav": 6.0})  # utterances of 2, 4 and 24 s
    rows = report["levels"][0]["latency_by_utterance_length"]
    assert [(row["utterance"], row["finals"], row["p50"]) for row in rows] == [
        ("2-5 s", 2, pytest.approx(0.75)),
        (">= 20 s", 1, pytest.approx(6.0)),
    ]
    failed = {"failure": "no final text", "final_timings": [{"utterance_seconds": 1.0, "latency": 9.0}]}
    assert latency_by_length([failed]) == []
    console = Console(record=True, width=120)
    console.print(length_table(report))
    assert ">= 20 s" in console.export_text()


def test_plot_points_of_each_final(tmp_path: Path) -> None:
    report = run({"short.wav": 0.5, "long.wav": 6.0})
    assert final_points(report["levels"][0]["streams"]) == ([2.0, 24.0], [pytest.approx(0.5), pytest.approx(6.0)])
    plot_report(report, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_lost_words_are_listed() -> None:
    report = run({"a.wav": 1.0})
    assert lost_lines(report) == []
    report["levels"][0]["streams"][0].update(words_lost=3, lost_runs=["10 of clubs"])
    assert lost_lines(report) == ['N=1 a.wav: 3 words lost: "10 of clubs"']
    report["levels"][0]["streams"][0].update(dropped_reports=["speech_dropped: 0.5 s ..."])
    assert lost_lines(report)[1:] == ["N=1 a.wav: the server reported speech_dropped: 0.5 s ..."]
