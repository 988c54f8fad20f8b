"""Kill and restart the real server under a running dashboard: it recovers and types nothing twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import soundfile

from dictate.client.embedded import EmbeddedServer

from .conftest import RecordingSink, make_app, wait_until, words
from .test_app_flow import text_of

pytestmark = pytest.mark.model

GAP_S = 20.0  # silence between the two utterances: the server is killed and restarted in it


def two_utterances(tmp_path: Path, clips: dict) -> Path:
    first, rate = soundfile.read(str(clips["ps_librivox_sns01_0880.wav"].path), dtype="float32")
    second, rate2 = soundfile.read(str(clips["ps_cards_005.wav"].path), dtype="float32")
    assert rate == rate2 and first.ndim == second.ndim == 1
    path = tmp_path / "two.wav"
    soundfile.write(str(path), np.concatenate([first, np.zeros(int(GAP_S * rate), np.float32), second]), rate)
    return path


def restart_on_same_port(port: int) -> EmbeddedServer:
    server = EmbeddedServer()
    server.port = port
    server.url = f"ws://127.0.0.1:{port}/stream"
    server.http_url = f"http://127.0.0.1:{port}"
    return server.start()


def test_server_killed_and_restarted(tmp_path: Path, clips: dict) -> None:
    source = two_utterances(tmp_path, clips)
    first_server = EmbeddedServer().start()
    servers = [first_server]
    sink = RecordingSink()
    app = make_app(tmp_path, first_server.url, source=source, sink=sink)
    finals: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: bool(app.routes.last_final), timeout=40, what="the first final")
            finals.append(app.routes.last_final)
            typed_before = sink.text
            assert first_server._process is not None
            first_server._process.kill()  # a crash, not a drain
            await wait_until(lambda: "connection lost" in text_of(app, "#alert"), timeout=15, what="a warning")
            assert sink.text == typed_before
            servers.append(await asyncio.to_thread(restart_on_same_port, first_server.port))
            await wait_until(lambda: app.status.connection == "connected", timeout=30, what="the reconnect")
            await wait_until(lambda: app.routes.last_final != finals[0], timeout=40, what="the second final")
            finals.append(app.routes.last_final)
            await pilot.press("space")
            await wait_until(lambda: app.session is None, timeout=15, what="the session to end")

    try:
        asyncio.run(scenario())
    finally:
        for server in servers:
            server.stop()
    assert "young man" in words(finals[0])
    assert "spades" in words(finals[1]) or "clubs" in words(finals[1]), finals[1]
    assert sink.text == f"{finals[0]} {finals[1]}", "each final typed once, nothing replayed"
    assert sum(len(plan.text) for plan in sink.plans) == len(sink.text)
