"""FastAPI app factory: /stream (WebSocket), /healthz, /readyz, /metrics, and the OpenAI-compatible /v1 routes
(openai_api.py). State lives on the app, not in globals."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from dictate import __version__
from dictate.config import ServerSettings
from dictate.errors import DictateError
from dictate.protocol import STREAM_PATH, CloseCode, ErrorCode, ErrorMessage, encode
from dictate.server.edge.loopwatch import watch_loop
from dictate.server.edge.memory import current_rss, trim_when_idle
from dictate.server.edge.metrics import Metrics
from dictate.server.edge.session import Session
from dictate.server.edge.threads import ServiceThreads
from dictate.server.model.loading import load_scheduler, turn_model_path
from dictate.server.model.scheduler import ModelScheduler
from dictate.server.model.source import ModelChoice, choose_model
from dictate.server.uploads.jobs import FileJobLimits
from dictate.server.uploads.openai_api import openai_router

logger = logging.getLogger(__name__)


class Status(str, Enum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    DRAINING = "draining"


@dataclass
class ServiceState:
    """Everything the routes share. One per app."""

    settings: ServerSettings
    choice: ModelChoice
    metrics: Metrics = field(default_factory=Metrics)
    scheduler: ModelScheduler | None = None  # the shared model, once loaded
    status: Status = Status.LOADING
    load_error: DictateError | None = None
    sessions: dict[str, Session] = field(default_factory=dict)
    session_clients: dict[str, str] = field(default_factory=dict)  # session id -> client address
    session_tasks: set[asyncio.Task[None]] = field(default_factory=set)
    threads: ServiceThreads = field(init=False)
    file_limits: FileJobLimits = field(init=False)

    def __post_init__(self) -> None:
        self.threads = ServiceThreads(self.settings.max_sessions, self.settings.max_file_jobs)
        self.file_limits = FileJobLimits(self.settings.max_file_jobs, self.settings.max_queued_file_seconds)

    def busy(self) -> bool:
        """A live session or a file job is in progress."""
        return bool(self.sessions) or self.file_limits.jobs > 0

    def loop_stalled(self, seconds: float) -> None:
        """The event loop woke ``seconds`` late (loopwatch.py): say so, and tell every live session."""
        logger.warning("the event loop stalled for %.1f s (%d live session(s) told)", seconds, len(self.sessions))
        self.metrics.loop_stalls.inc()
        for session in self.sessions.values():
            session.report_stall(seconds)

    def stall(self, now: float) -> str | None:
        """Why the service is not making progress (a model pass, or a session's start/finish/close, has taken
        longer than ``stall_timeout``), or None."""
        limit = self.settings.stall_timeout
        oldest_pass = self.scheduler.oldest_pass() if self.scheduler is not None else None
        if oldest_pass is not None and now - oldest_pass > limit:
            return f"a model pass has taken {now - oldest_pass:.0f} s (stall_timeout {limit:g} s)"
        oldest_call = self.threads.oldest_live_call()
        if oldest_call is not None and now - oldest_call > limit:
            return f"a session's start/finish/close has taken {now - oldest_call:.0f} s (stall_timeout {limit:g} s)"
        return None

    async def load_model(self) -> None:
        """Load and warm the shared model off the event loop; on failure, record it (run.py exits)."""
        try:
            scheduler = await asyncio.to_thread(load_scheduler, self.choice, self.settings)
        except DictateError as exc:
            self.status, self.load_error = Status.FAILED, exc
            logger.error("%s", exc)
            return
        self.scheduler = scheduler
        if self.status is Status.LOADING:
            self.status = Status.READY
            logger.info("ready: %s on %s (%s)", self.choice.label, self.choice.device, self.choice.compute_type)

    async def drain(self, timeout: float) -> None:
        """Stop taking sessions; ask each to finalize pending speech and close with 1001; wait for them."""
        self.status = Status.DRAINING
        logger.info("draining %d session(s)", len(self.sessions))
        for session in list(self.sessions.values()):
            session.request_drain()
        if self.session_tasks:
            _, pending = await asyncio.wait(self.session_tasks, timeout=timeout)
            if pending:
                logger.warning("%d session(s) did not finish within %.0f s", len(pending), timeout)


METRICS_PATH = "/metrics"


def create_app(settings: ServerSettings, choice: ModelChoice | None = None, metrics_port: int | None = None) -> FastAPI:
    """Build the service. ``choice`` (device/model) is resolved from settings when not given. With
    ``metrics_port`` (the bound port of ``settings.metrics_port``), /metrics is served there only, and only
    /metrics is; without it, /metrics is on the main port, behind the token when there is one."""
    state = ServiceState(settings, choice or choose_model(settings))
    turn_model_path(settings)  # a named end-of-turn model that is missing: say so now, not after loading Whisper
    logger.info("%s", state.choice.reason)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = asyncio.create_task(state.load_model(), name="load-model")
        watch = asyncio.create_task(watch_loop(state.loop_stalled), name="watch-loop")
        trim = asyncio.create_task(trim_when_idle(state.busy, settings.trim_after_idle, current_rss), name="trim")
        yield
        if state.status is Status.READY:
            await state.drain(settings.drain_timeout)
        loader.cancel()
        for task in (watch, trim):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        state.threads.close()

    app = FastAPI(
        title="dictate", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.service = state
    if metrics_port is not None:
        app.add_middleware(MetricsPortRouter, metrics_port=metrics_port)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (the model may still be loading)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """200 once the model is loaded and warmed up; 503 while loading, after a failure, while draining, or
        while stalled (no progress within ``stall_timeout``)."""
        stall = state.stall(time.monotonic()) if state.status is Status.READY else None
        body = {
            "status": "stalled" if stall else state.status.value,
            "model": state.choice.label,
            "device": state.choice.device,
            "compute_type": state.choice.compute_type,
            "sessions": len(state.sessions),
            "max_sessions": settings.max_sessions,
        }
        if state.load_error or stall:
            body["error"] = str(state.load_error or stall)
        if stall:
            logger.warning("not ready: %s", stall)
        return JSONResponse(body, status_code=200 if state.status is Status.READY and not stall else 503)

    @app.get(METRICS_PATH)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics (process ones included); behind the token unless on their own port."""
        if metrics_port is None and not _authorized(request.headers, request.query_params, settings):
            return JSONResponse(
                {"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="dictate"'}
            )
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(
        openai_router(
            settings,
            state.metrics,
            state.choice.label,
            ready_scheduler=lambda: state.scheduler if state.status is Status.READY else None,
            authorized=lambda request: _authorized(request.headers, request.query_params, settings),
            threads=state.threads,
            limits=state.file_limits,
        )
    )

    @app.websocket(STREAM_PATH)
    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        refusal = _refusal(ws, state)
        if refusal is not None:
            code, error_code, message, reason = refusal
            state.metrics.rejected_sessions.labels(reason=error_code).inc()
            logger.info("refused a session: %s", message)
            await ws.send_text(encode(ErrorMessage(error_code, message, fatal=True)))
            await ws.close(code=int(code), reason=reason)
            return
        assert state.scheduler is not None
        task = asyncio.current_task()
        assert task is not None

        def release() -> None:  # the session calls it once, before its close frame
            state.session_clients.pop(session.id, None)
            if state.sessions.pop(session.id, None) is not None:
                state.metrics.active_sessions.dec()

        session = Session(
            ws,
            state.scheduler,
            state.choice,
            settings,
            state.metrics,
            on_released=release,
            run_blocking=state.threads.live,
        )
        state.sessions[session.id] = session
        state.session_clients[session.id] = _client_address(ws)
        state.session_tasks.add(task)
        state.metrics.sessions.inc()
        state.metrics.active_sessions.inc()
        try:
            await session.run()
        finally:
            state.session_tasks.discard(task)

    return app


class MetricsPortRouter:
    """ASGI middleware: requests to the metrics port reach /metrics only; /metrics is not on the main port."""

    def __init__(self, app: ASGIApp, metrics_port: int) -> None:
        self._app = app
        self._metrics_port = metrics_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            server = scope.get("server") or ("", None)
            on_metrics_port = server[1] == self._metrics_port
            if on_metrics_port != (scope["type"] == "http" and scope["path"] == METRICS_PATH):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": int(CloseCode.POLICY_VIOLATION)})
                else:
                    await Response("not found", status_code=404)(scope, receive, send)
                return
        await self._app(scope, receive, send)


def _given_token(headers: Headers, query: QueryParams) -> str:
    header = headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else query.get("token", "")


def _authorized(headers: Headers, query: QueryParams, settings: ServerSettings) -> bool:
    """No token configured, or the request carries it (bearer header or ?token=); constant-time compare."""
    if settings.token is None:
        return True
    return hmac.compare_digest(_given_token(headers, query).encode(), settings.token.get_secret_value().encode())


def _refusal(ws: WebSocket, state: ServiceState) -> tuple[CloseCode, str, str, str] | None:
    """Why this connection must be refused (close code, error code, message, close reason), or None."""
    if not _authorized(ws.headers, ws.query_params, state.settings):
        what = "missing" if not _given_token(ws.headers, ws.query_params) else "invalid"
        return CloseCode.POLICY_VIOLATION, ErrorCode.UNAUTHORIZED, f"{what} token", f"{what} token"
    if state.status is Status.DRAINING:
        return (
            CloseCode.TRY_AGAIN_LATER,
            ErrorCode.SHUTTING_DOWN,
            "the server is shutting down",
            "shutting down",
        )
    if state.status is not Status.READY or state.scheduler is None:
        return CloseCode.TRY_AGAIN_LATER, ErrorCode.SERVER_BUSY, "the model is still loading", "model loading"
    if len(state.sessions) >= state.settings.max_sessions:
        message = f"the server is at its limit of {state.settings.max_sessions} concurrent sessions"
        return CloseCode.TRY_AGAIN_LATER, ErrorCode.SERVER_BUSY, message, "server busy"
    per_client = state.settings.max_sessions_per_client
    address = _client_address(ws)
    open_here = sum(client == address for client in state.session_clients.values())
    if per_client and not is_loopback_address(address) and open_here >= per_client:
        message = f"{address} has {per_client} sessions open, the limit per client address"
        return CloseCode.TRY_AGAIN_LATER, ErrorCode.SERVER_BUSY, message, "too many sessions from this address"
    return None


def _client_address(ws: WebSocket) -> str:
    """The client's address as uvicorn sees it (X-Forwarded-For's, when it comes from a trusted proxy)."""
    return ws.client.host if ws.client is not None else ""


def is_loopback_address(host: str) -> bool:
    """An address of this machine (an empty or unknown one counts as not loopback)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
