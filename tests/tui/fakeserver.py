"""A scripted dictate server: a real WebSocket server on 127.0.0.1, real protocol, on its own thread.

It answers with scripted text instead of a model, so dashboard tests can check exact typing, reconnects and
token refusal quickly. Real-model tests use dictate.client.embedded.EmbeddedServer instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import ClassVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from dictate.protocol import CloseCode, FinalMessage, InterimMessage, ReadyMessage, encode

INTERIM_GAP_S = 0.5  # as a real server's interims are spaced: lets a test see each one on screen


@dataclass
class Script:
    """After ``after_bytes`` of audio, send these interims, then the final (unless it is held for the end)."""

    interims: list[str] = field(default_factory=lambda: ["he was", "he was not an"])
    final: str = "He was not an ill-disposed young man."
    after_bytes: int = 16000  # 0.5 s of audio
    final_on_end_only: bool = False  # True: the final only comes after the client's end message
    more_finals: list[str] = field(default_factory=list)  # further utterances' finals, INTERIM_GAP_S apart


@dataclass
class ConnectionLog:
    """What one client connection did."""

    audio_bytes: int = 0
    ended: bool = False
    finals_sent: int = 0
    start: dict[str, object] = field(default_factory=dict)  # the client's start message


class FakeServer:
    """Start with ``start()``, stop with ``stop()``; ``url`` is the ws:// stream URL. A server a test leaves
    running (one that failed before its ``finally``) is stopped after that test by ``stop_all()``."""

    running: ClassVar[set[FakeServer]] = set()

    def __init__(
        self, scripts: list[Script] | None = None, token: str | None = None, late_final: str | None = None
    ) -> None:
        self.scripts = scripts if scripts is not None else [Script()]
        self.late_final = late_final  # sent 2 s after the client's end message (past a 1 s grace)
        self.token = token
        self.connections: list[ConnectionLog] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._utterance = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/stream"

    def start(self) -> FakeServer:
        # daemon: a server left running must never keep the test process from exiting
        self._thread = threading.Thread(target=self._run, name="fake-dictate-server", daemon=True)
        self._thread.start()
        FakeServer.running.add(self)
        if not self._started.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
        FakeServer.running.discard(self)

    @classmethod
    def stop_all(cls) -> int:
        """Stop every server still running; how many there were."""
        left = list(cls.running)
        for server in left:
            server.stop()
        return len(left)

    @property
    def open_connections(self) -> int:
        """How many client connections are open now."""
        return 0 if self._server is None else len(self._server.connections)

    def drop_connections(self) -> None:
        """Abruptly end every open connection (as a crashed server would), keep listening."""
        assert self._loop is not None and self._server is not None
        server = self._server

        def abort() -> None:
            for connection in list(server.connections):
                connection.transport.abort()

        self._loop.call_soon_threadsafe(abort)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0, process_request=self._check_token) as server:
            self._server = server
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._started.set()
            await self._stop.wait()

    def _check_token(self, connection: ServerConnection, request: object) -> object:
        if self.token is None:
            return None
        header = getattr(request, "headers", {}).get("Authorization", "")
        if header != f"Bearer {self.token}":
            return connection.respond(HTTPStatus.UNAUTHORIZED, "missing or wrong token\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        log = ConnectionLog()
        self.connections.append(log)
        await ws.send(encode(ReadyMessage("fake", "fake-model", "cpu", "int8")))
        script = self.scripts[min(len(self.connections) - 1, len(self.scripts) - 1)]
        sent_interims = False
        pending_final = False
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                if isinstance(frame, bytes):
                    log.audio_bytes += len(frame)
                    if not sent_interims and log.audio_bytes >= script.after_bytes:
                        sent_interims = True
                        for text in script.interims:
                            await ws.send(encode(InterimMessage(self._utterance, text, time.time(), time.time())))
                            await asyncio.sleep(INTERIM_GAP_S)
                        if script.final_on_end_only:
                            pending_final = True
                        else:
                            await self._send_final(ws, log, script.final)
                        for text in script.more_finals:
                            await asyncio.sleep(INTERIM_GAP_S)
                            await self._send_final(ws, log, text)
                    continue
                control = json.loads(frame)
                if control.get("type") == "start":
                    log.start = control
                if control.get("type") == "end":
                    log.ended = True
                    if pending_final:
                        await self._send_final(ws, log, script.final)
                    if self.late_final is not None:
                        await asyncio.sleep(2.0)
                        await self._send_final(ws, log, self.late_final)
                    await ws.close(CloseCode.NORMAL, "end of stream")
                    return

    async def _send_final(self, ws: ServerConnection, log: ConnectionLog, text: str) -> None:
        now = time.time()
        await ws.send(encode(FinalMessage(self._utterance, text, now - 1.0, now - 0.25, now, 1.0, 0.2)))
        log.finals_sent += 1
        self._utterance += 1
