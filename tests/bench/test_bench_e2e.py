"""One real bench run against the real embedded service (packaged Whisper base) on two short shared clips.

Checks that the JSON holds sane values, never timing thresholds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dictate.bench.memory import find_child
from dictate.bench.report import load_report, write_report
from dictate.bench.run import BenchOptions, run_bench, run_floor_bench
from dictate.embedded import EmbeddedServer, server_extra_installed

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not server_extra_installed(), reason="needs the server extra"),
]

CLIPS = ("ps_librivox_sns01_0880.wav", "ps_cards_001.wav")


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as embedded:
        yield embedded


@pytest.fixture(scope="module")
def report(server: EmbeddedServer, clips: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pid = find_child(["serve", "--port", str(server.port)])
    options = BenchOptions(
        inputs=[clips[name].path for name in CLIPS],
        server=server.url,
        concurrency=2,
        memory=pid is not None,
        server_pid=pid,
        trailing_silence=2.0,
    )
    path = tmp_path_factory.mktemp("bench") / "run.json"
    write_report(run_bench(options), path)
    return load_report(path)


def test_report_describes_server_and_machine(report: dict[str, Any]) -> None:
    assert report["kind"] == "stream"
    ready = report["server"]["ready"]
    assert ready["model"] and ready["device"] in ("cpu", "cuda") and ready["compute_type"]
    assert report["machine"]["cpu_count"] >= 1
    assert [level["concurrency"] for level in report["levels"]] == [1, 2]
    assert report["settings"]["clips"] == list(CLIPS)


def test_every_stream_has_sane_figures(report: dict[str, Any]) -> None:
    for level in report["levels"]:
        streams = level["streams"]
        assert len(streams) == len(CLIPS) * level["concurrency"]
        for stream in streams:
            assert stream["failure"] is None, stream
            assert stream["hypothesis"]
            assert 0 <= stream["wer"] <= 1.0
            assert 0 < stream["final_latency"] < 30
            assert stream["first_interim_latency"] is None or 0 <= stream["first_interim_latency"] < 30
            assert stream["rtf"] is None or 0 < stream["rtf"] < 10
            assert stream["audio_seconds"] > 3.0  # 1 s + clip + 2 s
        summary = level["summary"]
        assert summary["failures"] == 0
        assert summary["final_latency"]["p50"] <= summary["final_latency"]["max"]
        assert summary["wer"] is not None and summary["wer"] < 0.5  # the words mostly come through


def test_memory_is_sampled(report: dict[str, Any]) -> None:
    if report["memory"] is None:
        pytest.skip("server process not found (not Linux?)")
    for level in report["levels"]:
        assert level["memory"]["peak_rss_bytes"] > 50 * 2**20  # a Whisper model is loaded
    assert report["memory"]["per_session_bytes"] is not None


def test_json_is_plain_json(report: dict[str, Any]) -> None:
    assert json.loads(json.dumps(report)) == report


def test_floor_on_one_clip(clips: dict[str, Any]) -> None:
    floor = run_floor_bench(BenchOptions(inputs=[clips["ps_cards_001.wav"].path]))
    assert floor["kind"] == "floor"
    (stream,) = floor["levels"][0]["streams"]
    assert stream["failure"] is None
    assert stream["floor_seconds"] > 0
    assert stream["hypothesis"]
    assert floor["server"]["ready"]["model"]
