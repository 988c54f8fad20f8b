"""One real bench run against the real embedded service (packaged Whisper base) on two short shared clips.

Checks that the JSON holds sane values, never timing thresholds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dictate.audiofile import read_wav_as_pcm16
from dictate.bench.memory import find_child
from dictate.bench.paused import OfflineTranscripts
from dictate.bench.report import load_report, write_report
from dictate.bench.run import BenchOptions, run_bench, run_floor_bench
from dictate.client.embedded import EmbeddedServer, server_extra_installed

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


def test_the_floor_gives_the_vocabulary_to_the_model_as_the_server_does(clips: dict[str, Any]) -> None:
    """`--floor --vocabulary FILE`: the offline pass gets the prompt a streaming session gets, so the floor and
    a stream run with the same words compare like with like ("four queen of clubs": "Cloves" without it)."""
    from dictate.vocabulary import load_vocabulary

    cards = load_vocabulary(Path(__file__).parents[2] / "docs" / "bench" / "vocabulary-cards.txt")
    clip = [clips["ps_cards_002.wav"].path]
    plain = run_floor_bench(BenchOptions(inputs=clip))
    biased = run_floor_bench(BenchOptions(inputs=clip, vocabulary=cards))
    (plain_pass,) = plain["levels"][0]["streams"]
    (biased_pass,) = biased["levels"][0]["streams"]
    assert "clubs" not in plain_pass["hypothesis"].lower(), plain_pass["hypothesis"]
    assert "clubs" in biased_pass["hypothesis"].lower(), biased_pass["hypothesis"]
    assert biased["settings"]["vocabulary"] == list(cards) and plain["settings"]["vocabulary"] == []
    assert biased["server"]["ready"]["prompt"].startswith("Vocabulary: ") and plain["server"]["ready"]["prompt"] is None


def test_thinking_pauses_variant_against_the_real_server(
    server: EmbeddedServer, clips: dict[str, Any], tmp_path: Path
) -> None:
    clip = clips["ps_librivox_sns01_0880.wav"]  # "he was not an ill disposed young man": 8 words, one pause
    options = BenchOptions(
        inputs=[clip.path], server=server.url, pauses=1.0, cache_dir=tmp_path, trailing_silence=2.0, warmup=False
    )
    report = run_bench(options)
    (plan,) = report["settings"]["pause_plans"].values()
    assert len(plan["cuts_s"]) == 1 and 0.3 < plan["cuts_s"][0] < clip.duration - 0.3
    assert plan["offline_text"]
    (stream,) = report["levels"][0]["streams"]
    assert stream["failure"] is None, stream
    assert stream["variant"] == "pauses 1 s"
    assert stream["audio_seconds"] == pytest.approx(1.0 + clip.duration + 1.0 + 2.0, abs=0.05)
    assert stream["formatted_reference"] == plan["offline_text"]  # not the lower-case manifest text
    assert 0 <= stream["formatted_wer"] <= 1.5 and 0 <= stream["wer"] <= 1.0
    assert stream["words_lost"] is not None and stream["words_lost"] >= 0
    timings = stream["final_timings"]
    assert timings and all(t["utterance_seconds"] > 0 for t in timings)
    assert timings[-1]["latency"] == pytest.approx(stream["final_latency"], abs=0.5)
    assert report["levels"][0]["latency_by_utterance_length"]
    summary = report["levels"][0]["summary"]
    assert summary["formatted_wer"] is not None and summary["words_lost"] is not None

    # the offline transcript is cached: a second run loads no model
    assert len(list(tmp_path.glob("*.json"))) == 1
    transcripts = OfflineTranscripts(tmp_path)
    transcript = transcripts.get(clip.path.name, read_wav_as_pcm16(clip.path))
    assert transcripts.misses == 0 and transcript.text == plan["offline_text"]
    assert [w.text for w in transcript.words][-1].rstrip(".").lower() == "man"
