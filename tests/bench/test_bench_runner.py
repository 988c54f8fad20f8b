"""The bench runner against a scripted in-process WebSocket server (real sockets, fake recognizer)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from dictate.bench.inputs import BenchClip, StreamAudio
from dictate.bench.metrics import score_stream
from dictate.bench.runner import RunObservations, StreamJob, StreamOptions, rotated, run_level, run_stream
from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH, CloseCode

Handler = Callable[[ServerConnection], Awaitable[None]]
READY = {"type": "ready", "session_id": "s", "model": "fake", "device": "cpu", "compute_type": "none"}


@asynccontextmanager
async def fake_server(handler: Handler) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/stream"


def job(seconds: float = 0.4, onset: float = 0.1, end: float = 0.3, name: str = "clip.wav") -> StreamJob:
    pcm = bytes(int(seconds * SAMPLE_RATE) * SAMPLE_WIDTH)
    return StreamJob(BenchClip(name, Path(name), "ten of clubs"), StreamAudio(pcm, onset, end))


async def echo_recognizer(ws: ServerConnection) -> None:
    """Interim once 0.2 s of audio arrived, final (with timings) on the end message, then close 1000."""
    await ws.send(json.dumps(READY))
    received = 0
    async for frame in ws:
        if isinstance(frame, bytes):
            received += len(frame)
            if received == int(0.2 * SAMPLE_RATE) * SAMPLE_WIDTH:
                await ws.send(
                    json.dumps(
                        {
                            "type": "interim",
                            "utterance_id": 1,
                            "text": "ten",
                            "speech_start": 1.0,
                            "sent_at": 2.0,
                        }
                    )
                )
        elif json.loads(frame)["type"] == "end":
            await asyncio.sleep(0.05)
            final = {
                "type": "final", "utterance_id": 1, "text": "10 of clubs", "speech_start": 1.0,
                "speech_end": 2.0, "sent_at": 2.1, "audio_seconds": 0.2, "processing_seconds": 0.05,
            }  # fmt: skip
            await ws.send(json.dumps(final))
            await ws.close(CloseCode.NORMAL)
            return


def test_stream_timeline_is_recorded() -> None:
    async def go() -> tuple[Any, RunObservations, float]:
        async with fake_server(echo_recognizer) as url:
            observations = RunObservations()
            started = time.monotonic()
            record = await run_stream(job(), StreamOptions(url), 1, observations)
            return record, observations, started

    record, observations, started = asyncio.run(go())
    assert record.failure is None
    assert observations.ready is not None and observations.ready["model"] == "fake"
    assert record.onset_sent_at is not None and record.end_sent_at is not None
    # real-time pacing: the onset (0.1 s) and the end (0.3 s) go out about that long after the start
    assert 0.05 < record.onset_sent_at - started < 0.5
    assert record.end_sent_at - record.onset_sent_at == pytest.approx(0.2, abs=0.1)
    assert [e.kind for e in record.events] == ["interim", "final"]
    result = score_stream(record)
    assert result.ok
    assert result.first_interim_latency is not None and result.first_interim_latency >= 0
    assert result.final_latency is not None and result.final_latency > 0.05
    assert result.rtf == pytest.approx(0.25)
    assert result.hypothesis == "10 of clubs"
    assert result.server_finalize == pytest.approx(0.1)  # the fake's sent_at - speech_end


def test_server_error_and_abnormal_close_are_failures() -> None:
    async def failing(ws: ServerConnection) -> None:
        await ws.send(json.dumps(READY))
        await ws.recv()
        await ws.send(json.dumps({"type": "error", "code": "engine_failed", "message": "boom", "fatal": True}))
        await ws.close(CloseCode.INTERNAL_ERROR, "recognizer failed")

    async def go() -> Any:
        async with fake_server(failing) as url:
            return await run_stream(job(), StreamOptions(url), 1)

    record = asyncio.run(go())
    assert record.failure is not None and "1011" in record.failure
    assert score_stream(record).failure == record.failure


def test_silent_server_times_out_as_a_failure() -> None:
    async def mute(ws: ServerConnection) -> None:
        await ws.send(json.dumps(READY))
        async for _ in ws:
            pass  # never answers the end message, never closes

    async def go() -> Any:
        async with fake_server(mute) as url:
            return await run_stream(job(), StreamOptions(url, final_timeout=0.5, connect_timeout=1.0), 1)

    record = asyncio.run(go())
    assert record.failure is not None and record.failure.startswith("timed out")
    assert score_stream(record).failure == record.failure


def test_refused_connection_is_a_failure() -> None:
    record = asyncio.run(run_stream(job(), StreamOptions("ws://127.0.0.1:9/stream", connect_timeout=1.0), 1))
    assert record.failure is not None and "cannot connect" in record.failure


def test_level_runs_every_job_on_every_worker_at_once() -> None:
    async def go() -> RunObservations:
        async with fake_server(echo_recognizer) as url:
            return await run_level([job(name="a"), job(name="b")], StreamOptions(url), 2)

    started = time.monotonic()
    observations = asyncio.run(go())
    assert sorted(r.clip for r in observations.records) == ["a", "a", "b", "b"]
    assert all(r.failure is None and r.concurrency == 2 for r in observations.records)
    assert time.monotonic() - started < 2 * 0.4 * 2  # the two workers ran side by side


def test_rotation() -> None:
    jobs = [job(name=n) for n in "abcd"]
    assert [j.clip.name for j in rotated(jobs, 0, 2)] == list("abcd")
    assert [j.clip.name for j in rotated(jobs, 1, 2)] == list("cdab")
    assert rotated([], 0, 1) == []
