"""One WebSocket connection: validates frames, feeds the live pipeline, relays its events as protocol messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from dictate.config import ServerSettings
from dictate.protocol import (
    CloseCode,
    EndMessage,
    ErrorCode,
    ErrorMessage,
    FinalMessage,
    InterimMessage,
    ProtocolError,
    ReadyMessage,
    StartFieldError,
    StartMessage,
    check_audio_frame,
    decode_client_control,
    encode,
    frame_seconds,
)
from dictate.server.edge.limits import EXPIRY_END_WAIT_S, ErrorBudget, should_expire
from dictate.server.edge.metrics import Metrics
from dictate.server.live.outputs import EngineEvent, EngineFailed, Final, Interim, SpeechDropped
from dictate.server.live.pipeline import LivePipeline
from dictate.server.model.scheduler import ModelScheduler
from dictate.server.model.source import ModelChoice

logger = logging.getLogger(__name__)

FATAL_CLOSE = {
    ErrorCode.FRAME_TOO_BIG: CloseCode.MESSAGE_TOO_BIG,
    ErrorCode.UNSUPPORTED_FORMAT: CloseCode.UNSUPPORTED_DATA,
    ErrorCode.IDLE_TIMEOUT: CloseCode.POLICY_VIOLATION,
    ErrorCode.ENGINE_FAILED: CloseCode.INTERNAL_ERROR,
}


class _Frame(Enum):
    VALID = "valid"  # audio or a control message: activity
    INVALID = "invalid"  # an error was sent; not activity
    END = "end"  # the client's end of stream


class _Closing(Exception):
    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Session:
    """Owns one LivePipeline; ``run()`` returns when the connection is over and everything is closed."""

    def __init__(
        self,
        ws: WebSocket,
        scheduler: ModelScheduler,
        choice: ModelChoice,
        settings: ServerSettings,
        metrics: Metrics,
        on_released: Callable[[], None] = lambda: None,
        run_blocking: Callable[[Callable[[], None]], Awaitable[None]] = asyncio.to_thread,
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        self._ws = ws
        self._scheduler = scheduler
        self._choice = choice
        self._settings = settings
        self._metrics = metrics
        self._events: asyncio.Queue[EngineEvent | None] = asyncio.Queue()
        self._live: LivePipeline | None = None
        self._drain_requested = asyncio.Event()
        self._on_released = on_released  # frees this session's slot: called before the close frame
        self._run_blocking = run_blocking  # the engine's start/finish/close: the service's live threads
        self._failed = False
        self._error_budget = ErrorBudget(settings.max_client_errors, settings.error_window)
        self.log = logging.LoggerAdapter(logger, {"session": self.id})

    def report_stall(self, seconds: float) -> None:
        """The server's event loop stalled for ``seconds``: this session's audio of that time reached the voice
        detector in a burst, so speech in it may get no final. The live core tells the client
        (``speech_dropped``) when that audio holds speech no utterance covers (``live/stalls.py``)."""
        if self._live is not None:
            self._live.stalled(seconds)

    def request_drain(self) -> None:
        """Server shutdown: finalize what is pending, send it, close with 1001 (going away)."""
        self._drain_requested.set()

    async def run(self) -> None:
        """The whole session. Closes the live pipeline and releases the slot exactly once, before the close frame."""
        loop = asyncio.get_running_loop()

        def emit(event: EngineEvent) -> None:  # called on the live worker's thread
            loop.call_soon_threadsafe(self._events.put_nowait, event)

        live = self._live = LivePipeline(self._scheduler, self._choice, self._settings, emit, name=self.id)
        close: tuple[CloseCode, str] | None = None  # None: the client is gone, no close frame to send
        try:
            close = await self._converse(live)
        except WebSocketDisconnect:
            self.log.info("client disconnected")
        except Exception as exc:
            self.log.exception("session failed")
            message = f"session failed: {exc}"
            await self._send_error(ErrorCode.ENGINE_FAILED, message, fatal=True)
            close = CloseCode.INTERNAL_ERROR, message
        finally:
            # free the recorder before the close frame: once a client sees the close, its slot is free
            try:
                await self._run_blocking(live.close)
            finally:
                self._on_released()
        if close is not None:
            await self._close(*close)
        self.log.info("session closed")

    async def _converse(self, live: LivePipeline) -> tuple[CloseCode, str]:
        """Start the live pipeline, relay frames and events until the stream ends; returns the close code and reason."""
        await self._run_blocking(live.start)
        choice = self._choice
        await self._send(ReadyMessage(self.id, choice.label, choice.device, choice.compute_type))
        self.log.info("session started")
        sender = asyncio.create_task(self._send_events(), name=f"send-{self.id}")
        try:
            code, reason = await self._receive()
            if not self._failed:
                await self._run_blocking(live.finish)  # finalize pending speech, then close
        finally:
            self._events.put_nowait(None)
            await sender
        if self._failed:
            return CloseCode.INTERNAL_ERROR, "speech recognition failed"
        return code, reason

    async def _receive(self) -> tuple[CloseCode, str]:
        """Read frames until end/drain/disconnect/a limit; returns the close code and reason to use.

        Only valid frames count as activity for the idle timeout. Past ``max_session_seconds`` (at the next
        pause, within a grace) the client is told ``session_expired`` and the session goes on reading audio
        until its ``end`` (or ``EXPIRY_END_WAIT_S``), so a client that reconnects then loses nothing."""
        settings = self._settings
        live = self._live
        assert live is not None
        drain = asyncio.create_task(self._drain_requested.wait())
        receive: asyncio.Task[MutableMapping[str, Any]] | None = None
        started = last_activity = last_speech = time.monotonic()
        expires_at = started + settings.max_session_seconds
        expiring_since: float | None = None
        try:
            while True:
                now = time.monotonic()
                if expiring_since is None and should_expire(now, expires_at, live.in_utterance):
                    expiring_since = now
                    limit = f"the session reached its {settings.max_session_seconds:g} s limit: reconnect"
                    await self._send_error(ErrorCode.SESSION_EXPIRED, limit, fatal=True)
                if expiring_since is not None and now >= expiring_since + EXPIRY_END_WAIT_S:
                    return CloseCode.SESSION_EXPIRED, "session expired"
                if now >= last_activity + settings.idle_timeout:
                    idle = f"no audio for {settings.idle_timeout:g} s"
                    await self._send_error(ErrorCode.IDLE_TIMEOUT, idle, fatal=True)
                    return CloseCode.POLICY_VIOLATION, "idle timeout"
                if live.in_utterance:
                    last_speech = now
                elif now >= last_speech + settings.no_speech_timeout:  # an open mic, silence or noise: free the slot
                    quiet = f"no speech for {settings.no_speech_timeout:g} s: reconnect when there is speech"
                    await self._send_error(ErrorCode.NO_SPEECH, quiet, fatal=True)
                    return CloseCode.NO_SPEECH, "no speech"
                wake = min(last_activity + settings.idle_timeout, last_speech + settings.no_speech_timeout)
                wake = min(wake, expiring_since + EXPIRY_END_WAIT_S if expiring_since is not None else expires_at)
                if now >= expires_at:
                    wake = min(wake, now + 0.1)  # waiting for a pause: look again soon
                if receive is None:
                    receive = asyncio.create_task(self._ws.receive())
                done, _ = await asyncio.wait(
                    {receive, drain}, timeout=max(0.0, wake - now), return_when=asyncio.FIRST_COMPLETED
                )
                if drain in done:
                    return CloseCode.GOING_AWAY, "server shutting down"
                if receive not in done:
                    continue
                message, receive = receive.result(), None
                if message["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect(message.get("code", 1000))
                outcome = await self._handle(message)
                if outcome is _Frame.END:
                    if expiring_since is not None:
                        return CloseCode.SESSION_EXPIRED, "session expired"
                    return CloseCode.NORMAL, "end of stream"
                if outcome is _Frame.VALID:
                    last_activity = time.monotonic()
        except _Closing as closing:  # the error message was sent by _handle
            return closing.code, closing.reason
        finally:
            drain.cancel()
            if receive is not None:
                receive.cancel()

    def _start(self, start: StartMessage) -> None:
        """Apply a start message to this session: revising finals, the vocabulary of its passes (no other
        session's), and the client's commands (never joined to other speech)."""
        if self._live is None:
            return
        self._live.apply_start(start.revisions, start.vocabulary, start.commands)
        if start.vocabulary:
            self.log.info("vocabulary of %d entries for this session", len(start.vocabulary))
        if start.commands:
            self.log.info("%d command phrases for this session", len(start.commands))

    async def _handle(self, message: MutableMapping[str, Any]) -> _Frame:
        """Handle one frame. Fatal protocol errors, and too many non-fatal ones, raise _Closing."""
        data: bytes | None = message.get("bytes")
        text: str | None = message.get("text")
        try:
            if data is not None:
                check_audio_frame(data, self._settings.max_frame_bytes)
                self._metrics.audio_seconds.inc(frame_seconds(len(data)))
                assert self._live is not None
                self._live.feed(data)
                return _Frame.VALID
            try:
                control = decode_client_control(text or "")
            except StartFieldError as exc:  # the rest of the start message holds; the error is sent below
                self._start(exc.start)
                raise
            if isinstance(control, StartMessage):
                self._start(control)
            return _Frame.END if isinstance(control, EndMessage) else _Frame.VALID
        except ProtocolError as exc:
            if exc.code in FATAL_CLOSE:
                await self._send_error(exc.code, exc.message, fatal=True)
                raise _Closing(FATAL_CLOSE[exc.code], exc.message) from exc
            verdict = self._error_budget.record(time.monotonic())
            if verdict.log:
                more = f" ({verdict.suppressed} more not logged)" if verdict.suppressed else ""
                self.log.warning("error %s: %s%s", exc.code, exc.message, more)
            self._metrics.errors.labels(code=exc.code).inc()
            await self._send(ErrorMessage(exc.code, exc.message, False))
            if verdict.close:
                limit = f"{self._settings.max_client_errors} errors within {self._settings.error_window:g} s"
                await self._send_error(ErrorCode.TOO_MANY_ERRORS, limit, fatal=True)
                raise _Closing(CloseCode.POLICY_VIOLATION, "too many errors") from exc
            return _Frame.INVALID

    async def _send_events(self) -> None:
        """Relay the live pipeline's events to the client, in order, until None."""
        while (event := await self._events.get()) is not None:
            now = time.time()
            if isinstance(event, Interim):
                await self._send(InterimMessage(event.utterance_id, event.text, event.speech_start, now))
            elif isinstance(event, Final):
                await self._send(
                    FinalMessage(
                        event.utterance_id,
                        event.text,
                        event.speech_start,
                        event.speech_end,
                        now,
                        round(event.audio_seconds, 3),
                        round(event.processing_seconds, 3),
                        list(event.revises),
                    )
                )
                self._metrics.finals.inc()
                self._metrics.final_pass.observe(event.processing_seconds)
                if event.revision:
                    self._metrics.revisions.labels(result=event.revision).inc()
                if event.speech_end is not None:
                    self._metrics.end_of_speech_to_final.observe(max(0.0, now - event.speech_end))
                self.log.info(
                    "final utterance %d%s%s: %d chars, final pass %.2f s for %.2f s of audio",
                    event.utterance_id,
                    f" (revises {list(event.revises)})" if event.revises else "",
                    " (its revising pass was rejected)" if event.revision == "rejected" else "",
                    len(event.text),
                    event.processing_seconds,
                    event.audio_seconds,
                )
                if self._settings.log_transcripts:
                    self.log.debug("final text: %s", event.text)
            elif isinstance(event, SpeechDropped):
                ids = ", ".join(str(utterance) for utterance in event.utterance_ids)
                message = f"{event.seconds:.1f} s of speech (utterances {ids}) got no final: {event.reason}"
                if not ids:  # in no utterance (a stall of the server, speech the VAD did not hear)
                    message = event.reason
                self._metrics.dropped_seconds.inc(event.seconds)
                await self._send_error(ErrorCode.SPEECH_DROPPED, message, fatal=False)
            elif isinstance(event, EngineFailed):
                self._failed = True
                await self._send_error(ErrorCode.ENGINE_FAILED, event.message, fatal=True)
                self._drain_requested.set()

    def _connected(self) -> bool:
        return (
            self._ws.client_state is WebSocketState.CONNECTED and self._ws.application_state is WebSocketState.CONNECTED
        )

    async def _send(self, message: Any) -> None:
        if self._connected():
            try:
                await self._ws.send_text(encode(message))
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.log.info("client went away while sending")

    async def _send_error(self, code: str, text: str, fatal: bool) -> None:
        self._metrics.errors.labels(code=code).inc()
        self.log.warning("error %s: %s", code, text)
        await self._send(ErrorMessage(code, text, fatal))

    async def _close(self, code: int, reason: str) -> None:
        if self._connected():
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):  # the client closed first
                await self._ws.close(code=int(code), reason=reason[:120])
