"""The stream: one run of audio source -> WebSocket -> events, for every client (the dashboard, ``dictate
transcribe``, ``dictate bench``). asyncio; the decisions are the session core's (``client/session.py``).

``Stream.run()`` opens a session, sends the ``start`` message, waits for ``ready``, then sends the source's
frames as they come (a file waits for ``ready`` before it plays; a microphone's first second is kept as a
pre-roll), and passes every server message on as a ``StreamEvent``. It ends when ``stop()`` is called or, with
``until_source_ends``, when the source runs out: audio stops, ``end`` is sent, and the last final is awaited
for ``final_grace`` seconds (None: until the server closes). A session that reaches the server's time limit is
replaced by a new one at once, and the audio said meanwhile goes to the new one. A session the server closed
because it heard no speech (close 4001) is replaced when the source's level says the user speaks again, with
that speech's pre-roll (without ``reconnect``: at once).

With ``reconnect`` (the dashboard) a dropped or refused connection is retried with backoff (websockets'
reconnecting ``connect``) until ``stop()``; a refused token ends the run. Without it, ``run()`` raises the
error that ended the session, naming the server's reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import BinaryIO

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from dictate.audio import level_dbfs, pcm16_to_float
from dictate.client.connection import connect_options, describe_error, handshake_error, open_stream
from dictate.client.dispatch import Dispatcher
from dictate.client.events import Connected, Connecting, Disconnected, Failed, Level, ServerWarning, StreamEvent
from dictate.client.session import Next, Phase, SessionCore, SessionOptions, Verdict
from dictate.client.sources import AudioSource
from dictate.errors import AudioError, AuthenticationError, ConnectionFailedError, DictateError
from dictate.protocol import ErrorCode, ErrorMessage, ProtocolError, ReadyMessage
from dictate.protocol import decode_server_message as decode

logger = logging.getLogger(__name__)

LEVEL_INTERVAL_S = 0.1


def reconnect_delay(attempt: int, base: float = 0.5, cap: float = 10.0) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0-based): exponential, capped."""
    return float(min(cap, base * 2 ** min(attempt, 16)))


class Stream:
    """Stream one source to one server until ``stop()`` (or the source's end); see the module docstring."""

    def __init__(
        self,
        url: str,
        source: AudioSource,
        on_event: Callable[[StreamEvent], None],
        *,
        options: SessionOptions | None = None,
        token: str | None = None,
        reconnect: bool = False,
        until_source_ends: bool = False,
        connect_timeout: float = 10.0,
        final_grace: float | None = 5.0,
        rewrite: Callable[[str], str] | None = None,
        record_pcm: Path | None = None,
        on_sent: Callable[[bytes], None] | None = None,
        levels: bool = True,
    ) -> None:
        self.url = url
        self.core = SessionCore(options or SessionOptions())
        self._source = source
        self._emit = on_event
        self._token = token
        self._reconnect = reconnect
        self._until_source_ends = until_source_ends
        self._connect_timeout = connect_timeout
        self._final_grace = final_grace
        self._dispatch = Dispatcher(
            ready=self._on_ready, interim=on_event, final=on_event, error=self._on_error, rewrite=rewrite
        )
        self._record_path = record_pcm
        self._record: BinaryIO | None = None
        self._on_sent = on_sent
        self._levels = levels
        self._ws: ClientConnection | None = None  # set while audio may flow to it
        self._stop_requested = asyncio.Event()
        self._first_ready = asyncio.Event()
        self._session_ready = asyncio.Event()  # the current connection got ``ready``
        self._speech_heard = asyncio.Event()  # a frame loud enough to be speech while the run dozes
        self._audio_task: asyncio.Task[None] | None = None
        self._last_failure = ""  # why the last connection attempt failed (for the retry's event)
        self._attempt = 0

    @property
    def frames_sent(self) -> int:
        return self.core.frames_sent

    def stop(self) -> None:
        """Request the end: audio stops now, the last final is awaited for ``final_grace`` seconds."""
        self._stop_requested.set()

    async def run(self) -> None:
        """Stream until ``stop()``, the source's end (``until_source_ends``) or a failure, which is raised
        (a ``DictateError`` naming the reason); the dashboard shows it (``Failed``)."""
        try:
            if self._record_path is not None:
                try:
                    self._record = self._record_path.open("wb")
                except OSError as exc:
                    raise AudioError(f"cannot write {self._record_path}: {exc}") from exc
            self._audio_task = asyncio.create_task(self._pump_audio(), name="dictate-audio")
            if self._reconnect:
                await self._until_stopped(self._reconnecting())
            else:
                await self._once()
        finally:
            await self._stop_audio()
            if self._record is not None:
                self._record.close()

    # ------------------------------------------------------------------ connections

    async def _once(self) -> None:
        """One session (and its successors when the server's time limit replaces it); raises what ended it."""
        while True:
            self._emit(Connecting(self.url, 0))
            ws = await open_stream(self.url, self._token, self._connect_timeout)
            verdict = await self._serve(ws)
            if verdict.next in (Next.RECONNECT_NOW, Next.RECONNECT_ON_SPEECH):
                continue
            if verdict.error is not None:
                raise verdict.error
            return

    async def _reconnecting(self) -> None:
        """Sessions until the run is done, through websockets' reconnecting ``connect`` (backoff on failures)."""
        self._emit(Connecting(self.url, 0))
        options = connect_options(self.url, self._token, self._connect_timeout)
        async for ws in connect(
            self.url, **options, process_exception=self._retry_or_raise, reconnect_delays=self._delays
        ):
            verdict = await self._serve(ws)
            if verdict.next is Next.FAIL and verdict.error is not None:
                raise verdict.error
            if verdict.next is Next.DONE or self._stop_requested.is_set():
                return
            if verdict.next is Next.RECONNECT_NOW:
                logger.info("the session reached the server's time limit: reconnecting")
                continue
            if verdict.next is Next.RECONNECT_ON_SPEECH:
                logger.info("%s: reconnecting on speech", verdict.error)
                self._emit(Disconnected("no speech for a while: reconnecting when you speak", None))
                await self._wait_for_speech()
                self._attempt = 0
                self._emit(Connecting(self.url, 0))
                continue
            reason = str(verdict.error or "the server closed the connection")
            # a dropped session, or one refused before ready (busy, the model loading), is retried after the first
            # backoff step, never later: the speech said meanwhile is lost (a failed connect backs off further)
            delay = reconnect_delay(0)
            self._raise_audio_failure()
            self._emit(Disconnected(reason, delay, self.core.ever_ready))
            if delay:
                await asyncio.sleep(delay)
            self._attempt += 1
            self._emit(Connecting(self.url, self._attempt))

    async def _wait_for_speech(self) -> None:
        """Until a frame is loud enough to be speech, heard since the ``no_speech`` error (``stop()`` cancels the
        wait: no session is open); raises the source's failure should it end meanwhile."""
        audio = self._audio_task
        speech = asyncio.create_task(self._speech_heard.wait())
        try:
            await asyncio.wait({speech, *([audio] if audio is not None else [])}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            speech.cancel()
        if not self.core.woke:
            failure = self._audio_failure()
            if failure is not None:
                raise failure

    def _retry_or_raise(self, exc: Exception) -> Exception | None:
        """websockets' ``process_exception``: a refused token or a bad URL ends the run; else retry."""
        error = handshake_error(self.url, exc)
        if isinstance(error, AuthenticationError) or "invalid server URL" in str(error):
            return error
        self._last_failure = str(error)
        return None

    def _delays(self) -> Generator[float]:
        """websockets' ``reconnect_delays``: our backoff, each retry announced to the user."""
        attempt = 0
        while True:
            delay = reconnect_delay(attempt)
            self._raise_audio_failure()
            self._emit(Disconnected(self._last_failure, delay, self.core.ever_ready))
            yield delay
            attempt += 1
            self._attempt += 1
            self._emit(Connecting(self.url, self._attempt))

    async def _until_stopped(self, work: Coroutine[object, object, None]) -> None:
        """Run ``work`` until it ends, or until ``stop()`` while no session is open."""
        task = asyncio.create_task(work)
        stop_wait = asyncio.create_task(self._stop_requested.wait())
        try:
            while not task.done():
                await asyncio.wait({task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                if not task.done() and self.core.phase is Phase.DISCONNECTED:
                    task.cancel()  # stopped while connecting or waiting to retry
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    return
                if stop_wait.done():
                    await task  # the open session ends itself (it saw the stop)
            task.result()
        finally:
            stop_wait.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _serve(self, ws: ClientConnection) -> Verdict:
        """One session over ``ws``: start, messages, audio, our end; returns what its close means."""
        core = self.core
        self._session_ready.clear()
        with contextlib.suppress(ConnectionClosed):
            await ws.send(core.opened())
        receiver = asyncio.create_task(self._receive(ws), name="dictate-receive")
        stop_wait = asyncio.create_task(self._stop_requested.wait())
        source_done = asyncio.create_task(self._source_done())
        try:
            done, _ = await asyncio.wait({receiver, stop_wait, source_done}, return_when=asyncio.FIRST_COMPLETED)
            if receiver not in done:  # stop(), or the source ended: the speech so far is finalized
                audio_failure = None if stop_wait in done else self._audio_failure()
                await self._finish(ws, receiver)
                if audio_failure is not None:
                    raise audio_failure
        finally:
            self._ws = None
            stop_wait.cancel()
            source_done.cancel()
            if not receiver.done():
                receiver.cancel()
                with contextlib.suppress(BaseException):
                    await receiver
            await ws.close()
        verdict = core.closed(ws.close_code, ws.close_reason or "")
        if verdict.next is Next.DONE and verdict.error is not None:
            logger.info("connection closed after end: %s", verdict.error)
        return verdict

    async def _source_done(self) -> None:
        """Returns when the source has ended or failed. A finite source's end ends a session only once it is
        ready and not expiring, so that audio held over a rollover reaches the next session first."""
        task = self._audio_task
        if task is None:
            await asyncio.Event().wait()  # never: this session ends by its close
            return
        await asyncio.wait({task})
        if self._until_source_ends and not task.cancelled() and task.exception() is None:
            await self._session_ready.wait()

    async def _finish(self, ws: ClientConnection, receiver: asyncio.Task[None]) -> None:
        """Our end: no more audio, ask for the last final, give it ``final_grace`` seconds to arrive."""
        self._ws = None
        await self._stop_audio()
        if self._until_source_ends:
            await self._send_audio(ws, self.core.flush_held())  # audio held over a rollover, after the source
        for control in self.core.end():
            with contextlib.suppress(ConnectionClosed):
                await ws.send(control)
        try:
            await asyncio.wait_for(asyncio.shield(receiver), self._final_grace)
        except TimeoutError:  # the server has not sent its last final: say so, never drop words silently
            logger.warning("no close within the %.1f s grace period after end", self._final_grace)
            self._emit(
                ServerWarning(
                    f"the server did not finish the last words within {self._final_grace:g} s of the end: "
                    "text still coming is not typed (raise final_grace if the server is busy)",
                    code="final_timeout",
                )
            )

    async def _receive(self, ws: ClientConnection) -> None:
        """Every server message to the core and on to the client, until the server closes."""
        try:
            async for raw in ws:
                try:
                    message = decode(raw)
                except ProtocolError as exc:
                    logger.warning("ignoring undecodable server message: %s", exc.message)
                    continue
                answers = self.core.received(message)
                if isinstance(message, ReadyMessage) and self.core.phase is Phase.STREAMING:
                    self._speech_heard.clear()
                    self._ws = ws  # audio flows from now on (held audio first, with the next frame)
                    self._session_ready.set()
                elif answers:
                    self._ws = None  # the session expired: new audio is held for the next one
                    self._session_ready.clear()
                self._dispatch(message)
                for control in answers:
                    await ws.send(control)
        except ConnectionClosed:
            pass

    def _on_ready(self, message: ReadyMessage) -> None:
        self._first_ready.set()
        self._emit(Connected(message))

    def _on_error(self, message: ErrorMessage) -> None:
        if message.code in (ErrorCode.SESSION_EXPIRED, ErrorCode.NO_SPEECH):
            return  # the core ends this session; the next starts at once, or when the user speaks
        if message.fatal:
            logger.info("fatal server error: %s", message.code)
        self._emit(ServerWarning(describe_error(message), message.code, message.message, message.fatal))

    # ------------------------------------------------------------------ audio

    async def _pump_audio(self) -> None:
        """Read the source; every frame goes to the core, which says what to send now."""
        last_level = 0.0
        peak = -120.0
        if self._source.wait_for_server:
            await self._first_ready.wait()  # a file starts playing when the server listens
        async for frame in self._source.frames():
            level = level_dbfs(pcm16_to_float(frame)) if self._levels or self.core.dozing else None
            if self._levels and level is not None:
                peak = max(peak, level)
                now = time.monotonic()
                if now - last_level >= LEVEL_INTERVAL_S:
                    self._emit(Level(peak))
                    last_level, peak = now, -120.0
            frames = self.core.audio(frame)
            if level is not None and self.core.heard(level):
                self._speech_heard.set()
            ws = self._ws
            if frames and ws is not None:
                await self._send_audio(ws, frames)
            elif frames:
                self.core.send_failed(len(frames))

    async def _send_audio(self, ws: ClientConnection, frames: list[bytes]) -> None:
        for index, frame in enumerate(frames):
            try:
                await ws.send(frame)
            except ConnectionClosed:
                self.core.send_failed(len(frames) - index)
                return  # the receiver notices the close; audio of a dead connection is dropped
            self.core.sent()
            if self._record is not None:
                self._record.write(frame)
            if self._on_sent is not None:
                self._on_sent(frame)

    async def _stop_audio(self) -> None:
        task, self._audio_task = self._audio_task, None
        if task is None:
            return
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # a failure was already raised by run()
            await task
        if self._levels:
            self._emit(Level(-120.0))

    def _audio_error(self) -> BaseException | None:
        """The error the audio task ended with on its own (None: running, cancelled, or ended without one)."""
        task = self._audio_task
        return task.exception() if task is not None and task.done() and not task.cancelled() else None

    def _raise_audio_failure(self) -> None:
        error = self._audio_error()
        if error is not None:
            raise error

    def _audio_failure(self) -> BaseException | None:
        """Why the audio task ended on its own: the source's error, or (a live source) that it ran out."""
        if self._until_source_ends:
            return self._audio_error()
        return self._audio_error() or AudioError("the audio source ended")


async def stream_events(stream: Stream, on_failed: Callable[[Failed], None]) -> None:
    """Run ``stream``; a failure it raises is reported as ``Failed`` (the dashboard's way)."""
    try:
        await stream.run()
    except (DictateError, ConnectionFailedError) as exc:
        on_failed(Failed(str(exc)))


__all__ = ["Stream", "reconnect_delay", "stream_events"]
