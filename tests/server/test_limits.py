"""Slots cannot be hoarded and the log cannot be flooded: the real service with short limits, real clients."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from dictate.audio import silence
from dictate.client.embedded import EmbeddedServer
from tests.streaming import SessionLog, collect

pytestmark = pytest.mark.model
MAX_SESSION_S = 5
IDLE_S = 2
MAX_ERRORS = 10


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    env |= {
        "DICTATE_MAX_SESSION_SECONDS": str(MAX_SESSION_S),
        "DICTATE_IDLE_TIMEOUT": str(IDLE_S),
        "DICTATE_MAX_CLIENT_ERRORS": str(MAX_ERRORS),
        "DICTATE_ERROR_WINDOW": "30",
    }
    with EmbeddedServer(env=env) as embedded:
        yield embedded


async def _session(
    url: str, frames: list[str | bytes], every: float, end_on_expiry: bool = False
) -> tuple[SessionLog, int]:
    """Send ``frames`` ``every`` seconds apart until the server closes; returns the log and how many were sent."""
    log = SessionLog()
    sent = 0
    async with connect(url) as ws:
        collector = asyncio.create_task(collect(ws, log))
        while not log.messages:
            await asyncio.sleep(0.02)
        try:
            for frame in frames:
                if collector.done():
                    break
                if end_on_expiry and any(m.get("code") == "session_expired" for m in log.messages):
                    await ws.send(json.dumps({"type": "end"}))
                    break
                await ws.send(frame)
                sent += 1
                await asyncio.sleep(every)
        except ConnectionClosed:
            pass
        await asyncio.wait_for(collector, 30)
    return log, sent


def codes(log: SessionLog) -> list[str]:
    return [m["code"] for m in log.of_type("error")]


def test_invalid_frames_do_not_keep_a_session_alive(server: EmbeddedServer) -> None:
    frames = ["not json"] * 8  # every 0.5 s: 4 s of frames, none valid; 8 errors stay under the error limit
    log, sent = asyncio.run(_session(server.url, frames, every=0.5))
    assert codes(log)[-1] == "idle_timeout" and log.close_code == 1008, log.messages
    assert sent < len(frames), "the idle timeout came only after the client stopped sending"


def test_a_client_looping_on_bad_controls_is_closed_and_barely_logged(server: EmbeddedServer) -> None:
    log, _ = asyncio.run(_session(server.url, ['{"type": "nope"}'] * 50, every=0.01))
    assert codes(log).count("bad_control") == MAX_ERRORS
    assert codes(log)[-1] == "too_many_errors" and log.close_code == 1008
    session = log.messages[0]["session_id"]
    lines = [line for line in server.log_path.read_text().splitlines() if session in line and "bad_control" in line]
    assert len(lines) <= 6, lines  # the first 5 of the window, then one line with the count of the rest
    assert "more not logged" in lines[-1]


def test_deeply_nested_json_is_a_bad_control_and_the_session_goes_on(server: EmbeddedServer) -> None:
    nested = '{"a":' * 999 + "1" + "}" * 999
    log, _ = asyncio.run(_session(server.url, [nested, silence(0.1), json.dumps({"type": "end"})], every=0.1))
    assert codes(log) == ["bad_control"] and log.close_code == 1000, log.messages
    assert "RecursionError" not in server.log_path.read_text()


def test_a_session_sending_silence_expires_and_says_so(server: EmbeddedServer) -> None:
    frames: list[str | bytes] = [silence(0.02)] * int((MAX_SESSION_S + 10) / 0.02)
    log, _ = asyncio.run(_session(server.url, frames, every=0.02, end_on_expiry=True))
    assert codes(log) == ["session_expired"], log.messages
    assert log.close_code == 4000 and log.close_reason == "session expired"
