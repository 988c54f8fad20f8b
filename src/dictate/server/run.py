"""`dictate serve`: uvicorn with a draining SIGTERM handler."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

import uvicorn

from dictate.config import ServerSettings
from dictate.server.app import ServiceState, Status, create_app
from dictate.server.logs import configure_logging

logger = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT: drain sessions (finalize, send, close 1001), then stop. A second one forces."""

    def __init__(self, config: uvicorn.Config, state: ServiceState) -> None:
        super().__init__(config)
        self._state = state
        self._drain_requested = False
        self._drain_task: asyncio.Task[None] | None = None  # started by on_tick, awaited by shutdown

    def handle_exit(self, sig: int, frame: Any) -> None:
        """The signal handler: it only records the request; the next tick starts the drain on the loop."""
        if not self._drain_requested and not self.should_exit:
            self._drain_requested = True
        else:
            super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        """uvicorn's periodic housekeeping, plus: stop if the model failed to load; drain, then stop, on a signal."""
        if self._state.status is Status.FAILED:
            self.should_exit = True
        if self._drain_requested and self._drain_task is None:
            self._drain_task = asyncio.create_task(self._state.drain(self._state.settings.drain_timeout), name="drain")
        if self._drain_task is not None and self._drain_task.done():
            self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Collect the drain (cancelled if a second signal cut it short), then uvicorn's own shutdown."""
        if self._drain_task is not None:
            self._drain_task.cancel()  # a no-op once it is done
            try:
                await self._drain_task
            except asyncio.CancelledError:
                logger.warning("drain cut short by a second signal")
            except Exception:
                logger.exception("draining the sessions failed")
        await super().shutdown(sockets)


def run_server(settings: ServerSettings) -> None:
    """Blocking: serve until SIGTERM/SIGINT. Raises a DictateError if the model cannot be found or loaded."""
    configure_logging(settings.log_level, settings.log_format)
    if settings.cpu_threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(settings.cpu_threads))
    app = create_app(settings)  # resolves the model now: a missing one fails before the port opens
    state: ServiceState = app.state.service
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        ws_max_size=4 * settings.max_frame_bytes + 4096,  # larger frames get our own 1009 + error first
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=5,
        lifespan="on",
    )
    server = DrainingServer(config, state)
    server.run()
    if state.load_error is not None:
        raise state.load_error
