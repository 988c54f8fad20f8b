"""The soak's pure parts: /metrics parsing, intervals, and the drift verdict (warm-up vs leak)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dictate.bench.metrics import StreamResult
from dictate.bench.soak import (
    MB,
    ProcessSample,
    default_interval,
    drift_verdict,
    interval_rows,
    parse_metrics,
    process_sample,
)

METRICS = """# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 7.16e+08
process_open_fds 41.0
dictate_process_threads 37.0
dictate_rejected_sessions_total{reason="server_busy"} 2.0
"""

RESULT = StreamResult(
    clip="a.wav", repeat=0, concurrency=2, reference="x", hypothesis="x", first_interim_latency=0.9,
    final_latency=0.7, rtf=0.2, wer=0.0, finals=1, interims=3, failure=None, audio_seconds=5.0,
)  # fmt: skip


def test_parse_metrics_reads_samples_a_labelled_one_under_its_labels() -> None:
    values = parse_metrics(METRICS)
    sample = process_sample(values, 12.0)
    assert sample == ProcessSample(12.0, 7.16e8, 37.0, 41.0)
    assert values['dictate_rejected_sessions_total{reason="server_busy"}'] == 2.0


def test_intervals_group_streams_by_finish_time_and_take_the_last_sample() -> None:
    results = [(5.0, RESULT), (15.0, replace(RESULT, final_latency=1.5)), (31.0, replace(RESULT, failure="x"))]
    samples = [ProcessSample(t, (600 + t) * MB, 30, 40) for t in (0.0, 10.0, 20.0, 30.0)]
    rows = interval_rows(results, samples, 10.0, 30.0)
    assert [row["streams"] for row in rows] == [1, 1, 1]  # the late stream counts in the last interval
    assert rows[1]["final_p50_s"] == 1.5 and rows[2]["failures"] == 1 and rows[2]["final_p50_s"] is None
    assert rows[0]["rss_mb"] == pytest.approx(610) and rows[2]["rss_mb"] == pytest.approx(630)


def _samples(rss_mb: list[float], every_s: float = 60.0) -> list[ProcessSample]:
    return [ProcessSample(i * every_s, mb * MB, 30, 40) for i, mb in enumerate(rss_mb)]


def _rows(first_p50: float, last_p50: float) -> list[dict[str, object]]:
    row = {"streams": 10, "failures": 0, "threads": 30, "open_fds": 40, "rss_mb": 700}
    return [{**row, "final_p50_s": first_p50}, {**row, "final_p50_s": last_p50}]


def test_rss_that_levels_off_is_warm_up() -> None:
    warm_up = _samples([600, 640, 670, 690, 700, 702, 703, 703, 703, 704, 704])
    verdict = drift_verdict(_rows(0.7, 0.72), warm_up)
    assert verdict["stable"] and "levels off" in verdict["summary"]
    assert verdict["rss_slope_mb_per_min_first_half"] > 10 > verdict["rss_slope_mb_per_min_second_half"]


def test_rss_that_keeps_rising_is_a_possible_leak() -> None:
    leak = _samples([600 + 3 * i for i in range(12)])
    verdict = drift_verdict(_rows(0.7, 0.7), leak)
    assert not verdict["stable"] and "possible leak" in verdict["summary"]


def test_latency_and_thread_growth_are_drift() -> None:
    rows = _rows(0.7, 1.4)
    rows[1]["threads"] = 45
    verdict = drift_verdict(rows, _samples([700] * 6))
    assert not verdict["stable"]
    assert "2.00x" in verdict["summary"] and "threads grew by 15" in verdict["summary"]


def test_default_interval() -> None:
    assert default_interval(30) == 10 and default_interval(300) == 60 and default_interval(1800) == 60
