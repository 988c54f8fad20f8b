"""`dictate serve`: uvicorn with a draining SIGTERM handler, hardened connections and a clean log."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import threading
import time
from typing import Any

import uvicorn

from dictate.config import LogFormat, ServerSettings
from dictate.errors import ConfigError, DictateError
from dictate.server.edge.app import ServiceState, Status, create_app
from dictate.server.edge.header_timeout import H11_MAX_INCOMPLETE_BYTES, header_timeout_protocol
from dictate.server.edge.logs import configure_logging
from dictate.server.edge.stray_output import CapturedOutput

logger = logging.getLogger(__name__)

EXIT_GRACE_S = 15.0  # after the drain's own timeout: uvicorn's graceful shutdown (5 s) and closing the sessions
SECOND_SIGNAL_EXIT_S = 3.0  # after a second signal, uvicorn's forced shutdown gets this long
FORCED_EXIT_STATUS = 70  # EX_SOFTWARE: the process had to be ended by its exit deadline


class ExitDeadline:
    """Ends the process (``os._exit``) if it is still running at a deadline: SIGTERM must always end it, even
    when a thread is stuck (in a model call, in RealtimeSTT) and the interpreter would wait for it at exit.
    Its timer thread is a daemon, armed by the signal handler; it ends with the process."""

    def __init__(self) -> None:
        self._timer: threading.Timer | None = None
        self._due: float | None = None

    def arm(self, seconds: float, why: str) -> None:
        """Exit within ``seconds`` from now (an earlier deadline already armed stays)."""
        due = time.monotonic() + seconds
        if self._due is not None and self._due <= due:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._due = due
        self._timer = threading.Timer(seconds, self._exit, args=(seconds, why))
        self._timer.daemon = True
        self._timer.name = "dictate-exit-deadline"
        self._timer.start()

    @staticmethod
    def _exit(seconds: float, why: str) -> None:
        logger.error("still running %.0f s after %s: forcing exit", seconds, why)
        logging.shutdown()
        os._exit(FORCED_EXIT_STATUS)


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT: drain sessions (finalize, send, close 1001), then stop. A second one forces.
    Either way the process ends by a deadline (``ExitDeadline``)."""

    def __init__(self, config: uvicorn.Config, state: ServiceState) -> None:
        super().__init__(config)
        self._state = state
        self._drain_requested = False
        self._drain_task: asyncio.Task[None] | None = None  # started by on_tick, awaited by shutdown
        self._deadline = ExitDeadline()

    def handle_exit(self, sig: int, frame: Any) -> None:
        """The signal handler: it records the request (the next tick starts the drain on the loop) and arms the
        exit deadline."""
        if not self._drain_requested and not self.should_exit:
            self._drain_requested = True
            self._deadline.arm(self._state.settings.drain_timeout + EXIT_GRACE_S, "the stop signal")
        else:
            self._deadline.arm(SECOND_SIGNAL_EXIT_S, "a second stop signal")
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


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (a name other than localhost: no)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: ServerSettings) -> None:
    """Refuse to serve anyone on the network without a token, unless the operator said so."""
    if settings.token is not None or is_loopback(settings.host):
        return
    if not settings.allow_anonymous:
        raise ConfigError(
            f"refusing to listen on {settings.host} without a token: set DICTATE_TOKEN or --token-file, "
            "or pass --allow-anonymous to serve anyone who can reach it"
        )
    logger.warning("serving WITHOUT a token on %s (--allow-anonymous): anyone who reaches it can use it", settings.host)


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket; a port in use is a one-line ConfigError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def uvicorn_config(app: Any, settings: ServerSettings) -> uvicorn.Config:
    """uvicorn's settings: our logging, no `server` header, connection limits and timeouts."""
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
        server_header=False,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_timeout,
        # request line + headers: capped at MAX_HEADER_BYTES for any parser by header_timeout.py (httptools, the
        # default when installed, has no limit of its own); h11's own bound is above it, so the 431 answers first
        h11_max_incomplete_event_size=H11_MAX_INCOMPLETE_BYTES,
    )
    config.load()
    config.http_protocol_class = header_timeout_protocol(config.http_protocol_class, settings.header_timeout)
    return config


def run_server(settings: ServerSettings) -> None:
    """Blocking: serve until SIGTERM/SIGINT. Raises a DictateError if the model cannot be found or loaded, or
    the settings would expose the service; in JSON log mode such an error is logged and exits (SystemExit)."""
    json_logs = settings.log_format is LogFormat.JSON
    with CapturedOutput() as output:
        secrets = [settings.token.get_secret_value()] if settings.token else []
        configure_logging(settings.log_level, settings.log_format, secrets, stream=output.log_stream)
        try:
            load_error = _serve(settings)
        except DictateError as exc:
            if not json_logs:
                raise
            logger.error("%s", exc)
            raise SystemExit(int(exc.exit_code)) from None
    if load_error is not None:  # the app logged it already
        if json_logs:
            raise SystemExit(int(load_error.exit_code))
        raise load_error


def _serve(settings: ServerSettings) -> DictateError | None:
    """Serve until stopped; returns the model's load error, if that is why it stopped."""
    check_exposure(settings)
    if settings.cpu_threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(settings.cpu_threads))
    sockets = [listen(settings.host, settings.port)]
    try:
        if settings.metrics_port is not None:
            if settings.metrics_port == settings.port and settings.port != 0:
                raise ConfigError(f"--metrics-port {settings.metrics_port} is the main port: pick another one")
            sockets.append(listen(settings.host, settings.metrics_port))
        metrics_port = sockets[1].getsockname()[1] if len(sockets) > 1 else None
        app = create_app(settings, metrics_port=metrics_port)  # resolves the model now, before serving
        state: ServiceState = app.state.service
        DrainingServer(uvicorn_config(app, settings), state).run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()
    return state.load_error
