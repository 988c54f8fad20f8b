"""The reconnecting stream: one dictation run (ON..OFF), audio source -> WebSocket -> events. asyncio, no UI.

The dashboard runs ``ReconnectingStream.run()`` as a worker on its event loop and receives ``StreamEvent``s
through a plain callback on that loop. Speech before the first connection is ready is kept (a pre-roll of
``PREROLL_S``) and sent once the server listens; audio while disconnected later is dropped. When the server closes
a session that heard no speech for its limit (close 4001), the stream reconnects only once the source's level
rises above ``WAKE_LEVEL_DBFS`` (the user speaks again), and sends that speech with its pre-roll.
``stop()`` is the OFF sequence: stop the audio at once, send the end
message, wait up to ``final_grace`` for the last final, then close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from dictate.audio import DEFAULT_FRAME_MS, level_dbfs, pcm16_to_float
from dictate.client.connection import describe_error, error_for_close, messages, open_stream
from dictate.client.dispatch import Dispatcher
from dictate.client.sources import AudioSource
from dictate.errors import AudioError, AuthenticationError, ConnectionFailedError, NoSpeechError, SessionExpiredError
from dictate.protocol import (
    EndMessage,
    ErrorCode,
    ErrorMessage,
    FinalMessage,
    InterimMessage,
    ReadyMessage,
    StartMessage,
)
from dictate.protocol import encode as encode_message

logger = logging.getLogger(__name__)

LEVEL_INTERVAL_S = 0.1
PREROLL_S = 1.0  # microphone audio kept while the first connection opens, sent once the server is ready
ROLLOVER_HOLD_S = 15.0  # audio kept while an expired session (server time limit) is replaced by a new one
WAKE_LEVEL_DBFS = -40.0  # after a no-speech close, a 20 ms frame this loud means the user speaks: reconnect


def reconnect_delay(attempt: int, base: float = 0.5, cap: float = 10.0) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0-based): exponential, capped."""
    return float(min(cap, base * 2 ** min(attempt, 16)))


@dataclass(frozen=True)
class Connecting:
    """Opening the socket (attempt 0 is the first)."""

    url: str
    attempt: int


@dataclass(frozen=True)
class Connected:
    """The server said ready."""

    ready: ReadyMessage


@dataclass(frozen=True)
class Disconnected:
    """The connection failed or dropped; ``retry_in`` is None when no retry will follow."""

    reason: str
    retry_in: float | None


@dataclass(frozen=True)
class ServerWarning:
    """A non-fatal error message from the server."""

    reason: str


@dataclass(frozen=True)
class Level:
    """Input level of the audio just sent (dBFS)."""

    dbfs: float


@dataclass(frozen=True)
class Failed:
    """The run cannot go on (token refused, no microphone...): the dashboard goes OFF."""

    reason: str


StreamEvent = Connecting | Connected | Disconnected | ServerWarning | Level | Failed | InterimMessage | FinalMessage


class _Dropped(Exception):
    """The server closed a session we did not end."""


class ReconnectingStream:
    """Stream one source to one server until ``stop()``; reconnects with backoff when the socket drops."""

    def __init__(
        self,
        url: str,
        source: AudioSource,
        on_event: Callable[[StreamEvent], None],
        token: str | None = None,
        connect_timeout: float = 10.0,
        final_grace: float = 3.0,
        record_pcm: Path | None = None,
        vocabulary: tuple[str, ...] = (),
        rewrite: Callable[[str], str] | None = None,
        commands: tuple[str, ...] = (),
    ) -> None:
        self.url = url
        self._vocabulary = vocabulary
        self._rewrite = rewrite  # the user's word replacements, on every interim and final (see Dispatcher)
        self._commands = commands
        self._source = source
        self._emit = on_event
        self._token = token
        self._connect_timeout = connect_timeout
        self._final_grace = final_grace
        self._record_path = record_pcm
        self._record: BinaryIO | None = None
        self._ws: ClientConnection | None = None
        self._stop_requested = asyncio.Event()
        self._audio_task: asyncio.Task[None] | None = None
        self._ever_connected = False
        self._rolling_over = False  # the server expired the session: hold audio for the next one
        self._dozing = False  # the server closed a session without speech: reconnect when the user speaks
        self._speech_heard = asyncio.Event()
        self._first_ready = asyncio.Event()
        self.frames_sent = 0

    # ------------------------------------------------------------------ public

    async def run(self) -> None:
        """Stream until ``stop()`` (or a fatal failure, reported as ``Failed``)."""
        try:
            if self._record_path is not None:
                self._record = self._record_path.open("wb")
            self._audio_task = asyncio.create_task(self._pump_audio(), name="dictate-audio")
            await self._connection_loop()
        except AuthenticationError as exc:
            self._emit(Failed(str(exc)))
        except AudioError as exc:
            self._emit(Failed(str(exc)))
        except OSError as exc:
            self._emit(Failed(f"cannot write {self._record_path}: {exc}"))
        finally:
            await self._stop_audio()
            if self._record is not None:
                self._record.close()

    def stop(self) -> None:
        """Request OFF: audio stops now, the last final is awaited for ``final_grace`` seconds."""
        self._stop_requested.set()

    # ------------------------------------------------------------------ audio

    async def _pump_audio(self) -> None:
        """Read the source; send each frame while connected (frames are dropped while disconnected)."""
        last_level = 0.0
        peak = -120.0
        preroll_frames = int(PREROLL_S * 1000 / DEFAULT_FRAME_MS)
        preroll: deque[bytes] = deque(maxlen=int(ROLLOVER_HOLD_S * 1000 / DEFAULT_FRAME_MS))
        if self._source.wait_for_server:
            await self._first_ready.wait()  # a file starts playing when the server listens
        async for frame in self._source.frames():
            frame_level = level_dbfs(pcm16_to_float(frame))
            peak = max(peak, frame_level)
            now = time.monotonic()
            if now - last_level >= LEVEL_INTERVAL_S:
                self._emit(Level(peak))
                last_level, peak = now, -120.0
            ws = self._ws
            if ws is None:
                if self._dozing and frame_level >= WAKE_LEVEL_DBFS:
                    self._speech_heard.set()  # the user speaks again: reconnect, and hold everything until then
                if self._rolling_over or self._speech_heard.is_set():
                    preroll.append(frame)  # between one session and the next: sent to the next one
                elif not self._ever_connected or self._dozing:
                    preroll.append(frame)  # speech before the (next) ready is sent once the server is ready
                    while len(preroll) > preroll_frames:
                        preroll.popleft()
                continue
            preroll.append(frame)
            while preroll:
                try:
                    await ws.send(preroll[0])
                except ConnectionClosed:
                    preroll.clear()
                    break  # the receiver notices and reconnects; audio of a dead connection is dropped
                sent = preroll.popleft()
                self.frames_sent += 1
                if self._record is not None:
                    self._record.write(sent)

    async def _stop_audio(self) -> None:
        task, self._audio_task = self._audio_task, None
        if task is None:
            return
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # a failure was already raised by run()
            await task
        self._emit(Level(-120.0))

    def _audio_error(self) -> BaseException | None:
        """The error the audio task ended with on its own (None: running, cancelled, or ended without one)."""
        task = self._audio_task
        return task.exception() if task is not None and task.done() and not task.cancelled() else None

    def _raise_audio_failure(self) -> None:
        error = self._audio_error()
        if error is not None:
            raise error

    def _audio_failure(self) -> BaseException:
        """Why the audio task ended on its own (the source's error, or that it ran out)."""
        return self._audio_error() or AudioError("the audio source ended")

    # ------------------------------------------------------------------ connection

    async def _connection_loop(self) -> None:
        attempt = 0
        while not self._stop_requested.is_set():
            self._emit(Connecting(self.url, attempt))
            try:
                ws = await self._open()
            except AuthenticationError:
                raise
            except ConnectionFailedError as exc:
                await self._wait_before_retry(str(exc), attempt)
                attempt += 1
                continue
            try:
                ended = await self._serve(ws)
            except SessionExpiredError as exc:  # expected: the held audio goes to the next session at once
                logger.info("%s: reconnecting", exc)
                attempt = 0
                continue
            except NoSpeechError:  # expected: the server freed our slot; come back when the user speaks
                await self._doze()
                attempt = 0
                continue
            except (ConnectionFailedError, _Dropped, ConnectionClosed) as exc:
                if isinstance(exc, AuthenticationError):
                    raise
                if isinstance(exc, ConnectionClosed):  # closed while we sent, e.g. 1013 while the model loads
                    mapped = error_for_close(ws.close_code, ws.close_reason or "")
                    if isinstance(mapped, AuthenticationError):
                        raise mapped from exc
                    exc = mapped or _Dropped("the server closed the connection")
                self._ws = None
                if self._dozing or isinstance(exc, NoSpeechError):  # told no_speech, however the close came
                    await self._doze()
                    attempt = 0
                    continue
                await self._wait_before_retry(str(exc) or "the server closed the connection", 0)
                attempt = 1
                continue
            finally:
                self._ws = None
                await ws.close()
            if ended:
                return

    async def _doze(self) -> None:
        """The server closed the session for want of speech: hold a pre-roll until a frame is loud enough to be
        speech (heard since its ``no_speech`` error counts: all from then on is held for the next session)."""
        self._ws, self._dozing = None, True
        self._emit(Disconnected("no speech for a while: reconnecting when you speak", None))
        speech = asyncio.create_task(self._speech_heard.wait())
        stop = asyncio.create_task(self._stop_requested.wait())
        await asyncio.wait({speech, stop}, return_when=asyncio.FIRST_COMPLETED)
        speech.cancel()
        stop.cancel()

    async def _open(self) -> ClientConnection:
        open_task = asyncio.create_task(open_stream(self.url, self._token, self._connect_timeout))
        stop_task = asyncio.create_task(self._stop_requested.wait())
        try:
            await asyncio.wait({open_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_task.cancel()
        if not open_task.done():
            open_task.cancel()
            with contextlib.suppress(BaseException):
                await open_task
            raise ConnectionFailedError("stopped while connecting")
        return open_task.result()

    async def _wait_before_retry(self, reason: str, attempt: int) -> None:
        self._raise_audio_failure()
        if self._stop_requested.is_set():
            self._emit(Disconnected(reason, None))
            return
        delay = reconnect_delay(attempt)
        self._emit(Disconnected(reason, delay))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), delay)

    async def _serve(self, ws: ClientConnection) -> bool:
        """Run one connection. True: ended by ``stop()``. Raises when the server drops us."""
        # Transcript applies revising finals; the vocabulary biases this session's passes; the server never joins
        # a command said alone to other speech (servers before protocol 1.3 ignore the field)
        start = StartMessage(revisions=True, vocabulary=self._vocabulary, commands=self._commands)
        await ws.send(encode_message(start))
        receiver = asyncio.create_task(self._receive(ws), name="dictate-receive")
        stop_wait = asyncio.create_task(self._stop_requested.wait())
        try:
            done, _ = await asyncio.wait(
                {receiver, stop_wait, *([self._audio_task] if self._audio_task else [])},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if receiver in done:
                receiver.result()  # raises the mapped close error
                raise _Dropped("the server ended the session")
            audio_failure = None if stop_wait in done else self._audio_failure()
            await self._finish(ws, receiver)  # OFF, or the audio source failed: the speech so far is finalized
            if audio_failure is not None:
                raise audio_failure
            return True
        finally:
            stop_wait.cancel()
            if not receiver.done():
                receiver.cancel()
                with contextlib.suppress(BaseException):
                    await receiver

    async def _finish(self, ws: ClientConnection, receiver: asyncio.Task[None]) -> None:
        """OFF: no more audio, ask for the last final, give it ``final_grace`` seconds to arrive."""
        self._ws = None
        await self._stop_audio()
        with contextlib.suppress(ConnectionClosed):
            await ws.send(encode_message(EndMessage()))
        try:
            await asyncio.wait_for(asyncio.shield(receiver), self._final_grace)
        except TimeoutError:
            logger.info("no close within the %.1f s grace period after end", self._final_grace)
        except ConnectionFailedError as exc:
            logger.info("connection closed after end: %s", exc)

    async def _receive(self, ws: ClientConnection) -> None:
        end_now = False

        def ready(message: ReadyMessage) -> None:
            self._ever_connected = True
            self._first_ready.set()
            self._rolling_over = self._dozing = False
            self._speech_heard.clear()
            self._ws = ws  # audio flows from now on (held audio first)
            self._emit(Connected(message))

        def error(message: ErrorMessage) -> None:
            nonlocal end_now
            if message.code == ErrorCode.SESSION_EXPIRED:
                # the server's time limit: hold new audio from now on, and end this session so that everything
                # sent so far is transcribed (the server reads until our end); then reconnect (SessionExpiredError)
                self._rolling_over, self._ws, end_now = True, None, True
                return
            if message.code == ErrorCode.NO_SPEECH:
                # the server frees our slot: from now on hold a pre-roll, and reconnect when the user speaks
                self._speech_heard.clear()
                self._dozing, self._ws = True, None
                return
            if message.fatal:
                logger.info("fatal server error: %s", message.code)
            self._emit(ServerWarning(describe_error(message)))

        dispatch = Dispatcher(ready=ready, interim=self._emit, final=self._emit, error=error, rewrite=self._rewrite)
        async for message in messages(ws):
            dispatch(message)
            if end_now:
                end_now = False
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(encode_message(EndMessage()))


__all__ = [
    "Connected",
    "Connecting",
    "Disconnected",
    "Failed",
    "Level",
    "ReconnectingStream",
    "ServerWarning",
    "StreamEvent",
    "reconnect_delay",
]
