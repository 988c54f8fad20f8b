"""/readyz's stall watchdog (issue 20 item 8): the service is "not ready" while a model pass, or a session's
start/finish/close on the live threads, has taken longer than DICTATE_STALL_TIMEOUT; ready again once it ends.
Real scheduler and thread pools; the pass is held inside the model by a gate; time is passed in, not waited."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.unit.test_scheduler import WAIT, GatedModel, busy_with_final

from dictate.config import ServerSettings
from dictate.server.edge.app import ServiceState
from dictate.server.model.scheduler import ModelScheduler
from dictate.server.model.source import ModelChoice

CHOICE = ModelChoice("/nonexistent", "test", "cpu", "int8", True, "test")
LIMIT = 60.0


@pytest.fixture
def state() -> Iterator[ServiceState]:
    service = ServiceState(ServerSettings(stall_timeout=LIMIT), CHOICE)
    yield service
    service.threads.close()


def test_a_model_pass_that_does_not_end_makes_the_service_stalled(state: ServiceState) -> None:
    model = GatedModel()
    state.scheduler = ModelScheduler(model, workers=1)
    assert state.stall(time.monotonic() + LIMIT + 1) is None  # nothing running: nothing stalled
    with ThreadPoolExecutor(1) as pool:
        running = busy_with_final(state.scheduler, model, pool)
        assert state.stall(time.monotonic()) is None  # running, not for long
        reason = state.stall(time.monotonic() + LIMIT + 1)
        assert reason is not None and "a model pass has taken" in reason
        model.gate.set()
        assert running.result(WAIT) is not None
    assert state.stall(time.monotonic() + LIMIT + 1) is None


def test_a_session_lifecycle_call_that_does_not_end_makes_the_service_stalled(state: ServiceState) -> None:
    gate, inside = threading.Event(), threading.Event()

    def start() -> None:  # a session's start stuck in RealtimeSTT
        inside.set()
        gate.wait(WAIT)

    async def scenario() -> str | None:
        call = asyncio.create_task(state.threads.live(start))
        await asyncio.to_thread(inside.wait, WAIT)
        reason = state.stall(time.monotonic() + LIMIT + 1)
        gate.set()
        await call
        return reason

    reason = asyncio.run(scenario())
    assert reason is not None and "start/finish/close has taken" in reason
    assert state.stall(time.monotonic() + LIMIT + 1) is None
