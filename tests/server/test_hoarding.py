"""Slot hoarding (issue 20 item 11): a session that hears no speech is closed after DICTATE_NO_SPEECH_TIMEOUT
(close 4001, ``no_speech``), and one client address holds at most DICTATE_MAX_SESSIONS_PER_CLIENT sessions.
One real `dictate serve` (packaged base); the client address is set the way a reverse proxy sets it
(X-Forwarded-For from 127.0.0.1, which uvicorn trusts by default)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator

import pytest
from websockets.asyncio.client import connect

from dictate.audio import silence, split_frames
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import send_paced
from dictate.protocol import CloseCode, ErrorCode
from tests.streaming import SessionLog, collect

pytestmark = pytest.mark.model

NO_SPEECH_S = 3
DEADLINE_S = 60.0


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    env |= {"DICTATE_NO_SPEECH_TIMEOUT": str(NO_SPEECH_S), "DICTATE_MAX_SESSIONS_PER_CLIENT": "1"}
    with EmbeddedServer(env=env, extra_args=["--max-sessions", "4"]) as running:
        yield running


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _silence_until_closed(url: str) -> tuple[SessionLog, float]:
    """A session streaming digital silence at real-time pace until the server closes it."""
    log = SessionLog()
    async with connect(url, max_size=2**20) as ws:
        collector = asyncio.create_task(collect(ws, log))
        await _until(lambda: bool(log.messages), "ready")
        assert log.messages[0]["type"] == "ready", log.messages
        ready_at = time.monotonic()
        sender = asyncio.create_task(send_paced(ws, split_frames(silence(NO_SPEECH_S * 10), 20)))
        await asyncio.wait({collector, sender}, timeout=DEADLINE_S, return_when=asyncio.FIRST_COMPLETED)
        sender.cancel()
        await asyncio.wait_for(collector, DEADLINE_S)
    return log, time.monotonic() - ready_at


def test_a_session_without_speech_is_closed_and_frees_its_slot(server: EmbeddedServer) -> None:
    log, lasted = asyncio.run(_silence_until_closed(server.url))
    errors = log.of_type("error")
    assert errors and errors[-1]["code"] == ErrorCode.NO_SPEECH and errors[-1]["fatal"], log.messages
    assert log.close_code == CloseCode.NO_SPEECH, (log.close_code, log.close_reason)
    assert lasted < NO_SPEECH_S * 10, lasted  # closed long before the silence ran out


async def _three_sessions(url: str) -> tuple[SessionLog, SessionLog, SessionLog]:
    """Two sessions from one (proxied) client address, then one from another, the first two still open."""
    logs = (SessionLog(), SessionLog(), SessionLog())
    addresses = ("203.0.113.7", "203.0.113.7", "203.0.113.8")
    async with contextlib.AsyncExitStack() as stack:
        for log, address in zip(logs, addresses, strict=True):
            ws = await stack.enter_async_context(
                connect(url, additional_headers={"X-Forwarded-For": address}, max_size=2**20)
            )
            task = asyncio.create_task(collect(ws, log))
            await _until(_answered(log, task), "an answer")
    return logs


def _answered(log: SessionLog, task: asyncio.Task[None]) -> Callable[[], bool]:
    return lambda: bool(log.messages) or task.done()


def test_one_client_address_holds_at_most_its_limit_of_sessions(server: EmbeddedServer) -> None:
    first, second, other = asyncio.run(_three_sessions(server.url))
    assert first.messages[0]["type"] == "ready", first.messages
    refusal = second.messages[0]
    assert refusal["type"] == "error" and refusal["code"] == ErrorCode.SERVER_BUSY, second.messages
    assert "203.0.113.7 has 1 sessions open" in refusal["message"], refusal
    assert other.messages[0]["type"] == "ready", other.messages  # another address is not held back
