"""Operations of the real service: SIGTERM drains open sessions, /metrics reflects real sessions."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from dictate.audio import silence, split_frames
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import send_paced
from tests.conftest import Clip
from tests.streaming import SessionLog, collect, stream_session, word_error_rate

pytestmark = pytest.mark.model


@pytest.fixture()
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(env={**os.environ, "DICTATE_DRAIN_TIMEOUT": "15"}) as embedded:
        yield embedded


def metrics(server: EmbeddedServer) -> dict[str, float]:
    with urllib.request.urlopen(f"{server.http_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_reflect_a_real_session(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    before = metrics(server)
    assert before["dictate_active_sessions"] == 0
    clip = clips["ps_librivox_sns01_0880.wav"]
    pcm = silence(0.5) + read_wav_as_pcm16(clip.path) + silence(1.0)
    log = asyncio.run(stream_session(server.url, pcm))
    assert log.of_type("final")
    after = metrics(server)
    assert after["dictate_sessions_total"] == before["dictate_sessions_total"] + 1
    assert after["dictate_finals_total"] >= 1
    assert after["dictate_audio_seconds_total"] == pytest.approx(len(pcm) / 32000, abs=0.05)
    assert after["dictate_final_pass_seconds_count"] >= 1
    assert after["dictate_end_of_speech_to_final_seconds_count"] >= 1
    assert after["dictate_active_sessions"] == 0
    # the server logged the session, but never the words
    log_text = server.log_path.read_text()
    assert "final utterance 1" in log_text
    assert "young man" not in log_text.lower()


def wait_until_draining(server: EmbeddedServer) -> None:
    """Poll /readyz until it reports the drain (a signal is handled on the server's next tick)."""
    while True:
        try:
            urllib.request.urlopen(f"{server.http_url}/readyz", timeout=5).close()
        except urllib.error.HTTPError as exc:  # 503 while loading or draining
            if json.loads(exc.read())["status"] == "draining":
                return
        time.sleep(0.01)


def test_sigterm_drains_an_open_utterance_then_exits(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    clip = clips["ps_librivox_sns01_0880.wav"]
    pcm = silence(0.5) + read_wav_as_pcm16(clip.path)  # the speaker is mid-sentence when SIGTERM comes
    pid = server.pid
    assert pid is not None

    async def scenario() -> tuple[SessionLog, int]:
        log = SessionLog()
        async with connect(server.url) as ws:
            collector = asyncio.create_task(collect(ws, log))
            while not log.messages:
                await asyncio.sleep(0.02)
            await send_paced(ws, split_frames(pcm))
            os.kill(pid, signal.SIGTERM)
            # a new session during the drain is refused: connect as soon as /readyz says the drain began (the
            # drain lasts as long as the open utterance's final pass, a fraction of a second here)
            refused = SessionLog()
            await asyncio.wait_for(asyncio.to_thread(wait_until_draining, server), 20)
            async with connect(server.url) as late:
                await collect(late, refused)
            await asyncio.wait_for(collector, 30)
        return log, refused.close_code or 0

    log, refused_code = asyncio.run(scenario())
    finals = log.of_type("final")
    # cut at SIGTERM with no closing silence, Whisper base may mishear a word or two: the point is the final arrives
    assert len(finals) == 1 and word_error_rate(clip.transcript, finals[0]["text"]) <= 0.3, finals
    assert log.close_code == 1001
    assert refused_code == 1013
    process = server._process
    assert process is not None
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.returncode == 0


def test_readyz_is_503_unless_ready_and_healthz_always_200() -> None:
    """The route logic, without a model: only READY answers 200 on /readyz."""
    from fastapi.testclient import TestClient

    from dictate.config import ServerSettings
    from dictate.server.edge.app import Status, create_app
    from dictate.server.model.source import ModelChoice

    choice = ModelChoice("/nonexistent", "packaged:base", "cpu", "int8", True, "test")
    app = create_app(ServerSettings(), choice)
    client = TestClient(app)  # no lifespan: nothing loads
    for status, code in [
        (Status.LOADING, 503),
        (Status.READY, 200),
        (Status.DRAINING, 503),
        (Status.FAILED, 503),
    ]:
        app.state.service.status = status
        response = client.get("/readyz")
        assert response.status_code == code, status
        assert response.json()["status"] == status.value
        assert client.get("/healthz").status_code == 200
