"""The server cannot be wedged by file uploads: many concurrent uploads to /v1/audio/transcriptions beside a live
client that ends mid-speech (issue 20 item 8). One real `dictate serve` (packaged base, default limits), real
clips, a real WebSocket client and real HTTP uploads; every wait is on an event with a generous deadline."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from dictate.audio import split_frames
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import send_paced
from tests.conftest import Clip
from tests.streaming import SessionLog, collect, stream_session

pytestmark = pytest.mark.model

UPLOAD = "whisper_jfk.wav"  # 11 s: two windows each
LIVE = "ljspeech_LJ001-0001_to_0008_concat.wav"  # continuous read speech: an utterance is open most of the time
SHORT = "ps_librivox_sns01_0880.wav"
UPLOADS = 8  # more than asyncio's default thread pool on 2 cores (6 threads)
DEADLINE_S = 120.0  # generous: the box is shared and loaded


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    with EmbeddedServer(env=env) as running:
        yield running


async def _metric(http: httpx.AsyncClient, name: str) -> float:
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _wait(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _now(predicate: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return predicate()

    return check


async def _uploads_beside_a_live_client_ending_mid_speech(
    running: EmbeddedServer, clips: dict[str, Clip]
) -> tuple[SessionLog, list[httpx.Response | BaseException], float | None]:
    upload_bytes = clips[UPLOAD].path.read_bytes()
    live_pcm = read_wav_as_pcm16(clips[LIVE].path)
    log = SessionLog()
    async with httpx.AsyncClient(base_url=running.http_url, timeout=httpx.Timeout(DEADLINE_S)) as http:

        async def upload() -> httpx.Response:
            return await http.post(
                "/v1/audio/transcriptions",
                data={"model": "whisper-1", "response_format": "json"},
                files={"file": (UPLOAD, upload_bytes, "audio/wav")},
            )

        async with connect(running.url, max_size=2**20) as ws:
            collector = asyncio.create_task(collect(ws, log))
            await _wait(_now(lambda: bool(log.messages)), "ready")
            assert log.messages[0]["type"] == "ready", log.messages
            sender = asyncio.create_task(send_paced(ws, split_frames(live_pcm, 20)))
            await _wait(_now(lambda: bool(log.of_type("interim"))), "the first interim (speech is open)")
            uploads = [asyncio.create_task(upload()) for _ in range(UPLOADS)]

            async def uploads_in() -> bool:  # all in progress (or some already answered, e.g. refused)
                active = await _metric(http, "dictate_active_file_jobs")
                return active + sum(task.done() for task in uploads) >= UPLOADS

            await _wait(uploads_in, "the uploads to be in progress")
            in_at = time.time()
            # end mid-speech: at the first interim at least 1 s after the uploads were in (an utterance is open)
            await _wait(
                _now(lambda: any(m["_received"] > in_at + 1.0 for m in log.of_type("interim"))),
                "an interim after the uploads",
            )
            sender.cancel()
            await ws.send(json.dumps({"type": "end"}))
            ended_at = time.monotonic()
            try:
                await asyncio.wait_for(collector, DEADLINE_S)
                closed_after: float | None = time.monotonic() - ended_at
            except TimeoutError:
                closed_after = None
        results = await asyncio.gather(*uploads, return_exceptions=True)
    return log, results, closed_after


def test_uploads_never_wedge_a_live_session(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    log, results, closed_after = asyncio.run(_uploads_beside_a_live_client_ending_mid_speech(server, clips))
    assert closed_after is not None, f"the live session never closed after its end: {log.messages[-3:]}"
    assert log.close_code == 1000 and log.of_type("final"), (log.close_code, log.messages[-3:])
    statuses = [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in results]
    assert all(status in (200, 429) for status in statuses), statuses
    assert statuses.count(200) >= 1, statuses
    for result in results:
        assert isinstance(result, httpx.Response)
        if result.status_code == 429:  # beyond the file-job limits: refused at once, with a time to come back
            assert int(result.headers["retry-after"]) >= 1 and result.json()["error"]["code"] == "server_busy"
        else:
            assert "country" in result.json()["text"].lower()
    # the service goes on: a new live session gets ready and its final
    after = asyncio.run(stream_session(server.url, read_wav_as_pcm16(clips[SHORT].path), timeout=DEADLINE_S))
    assert after.of_type("ready") and after.of_type("final"), after.messages
    assert httpx.get(f"{server.http_url}/readyz", timeout=30).status_code == 200


def test_sigterm_ends_the_process(server: EmbeddedServer) -> None:
    """Last in the module: the shared server is stopped by SIGTERM and must exit by itself, cleanly."""
    pid = server.pid
    assert pid is not None
    process = server._process  # the fixture's child: wait on it, do not kill it
    assert process is not None
    os.kill(pid, signal.SIGTERM)
    try:
        process.wait(DEADLINE_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server did not exit within {DEADLINE_S:.0f} s of SIGTERM")
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
