"""HTTP connection hardening uvicorn lacks: a deadline and a size cap for a connection's request headers.

uvicorn times out idle keep-alive connections, but not one that sends part of its headers and stops (its
keep-alive timer starts only after a first response), so half-open connections would stay open for ever.

uvicorn caps the size of a request's headers only when h11 parses HTTP (``h11_max_incomplete_event_size``);
httptools, its default parser when installed, takes headers of any size, appending each chunk on the event loop
(a 256 MB header stalled every session for 5 s). The cap here counts the bytes a connection sends before its
request's headers are complete, whichever parser is used, and answers 431 past it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024  # request line + headers
# h11's own bound (run.py): above ours plus one read of the event loop (asyncio reads up to 256 KiB at once), so
# the count here, made after each read, always answers 431 first
H11_MAX_INCOMPLETE_BYTES = 1024 * 1024
_TOO_LARGE_BODY = b"request headers too large\n"
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_LARGE_BODY), _TOO_LARGE_BODY)
)


def header_timeout_protocol(
    base: type[asyncio.Protocol], timeout: float, max_header_bytes: int = MAX_HEADER_BYTES
) -> type[asyncio.Protocol]:
    """``base`` (uvicorn's HTTP protocol class) whose connections are closed when a request's headers are not
    complete ``timeout`` seconds after the connection opened or the next request's first bytes arrived, or are
    answered 431 and closed when more than ``max_header_bytes`` arrive before a request's headers are complete.
    Connections upgraded to WebSocket are left alone."""

    class HeaderTimeoutProtocol(base):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._header_timer: asyncio.TimerHandle | None = None
            self._header_bytes = 0  # bytes of the request whose headers are not complete yet
            self._header_cycle: object = None  # the last request cycle seen when bytes were counted
            self._arm_header_timer()

        def data_received(self, data: bytes) -> None:
            cycle = getattr(self, "cycle", None)
            if self._header_timer is None and (cycle is None or cycle.response_complete):
                self._arm_header_timer()  # the first bytes of a next request on a kept-alive connection
            super().data_received(data)
            self._count_header_bytes(len(data))

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

        def _count_header_bytes(self, size: int) -> None:
            """After the parser has seen ``size`` more bytes: refuse the request if its headers are still not
            complete and too many bytes came before them."""
            transport = self.transport
            if transport is None or transport.is_closing() or transport.get_protocol() is not self:
                return  # closed, or upgraded to a WebSocket
            cycle = getattr(self, "cycle", None)
            if cycle is not None and (not cycle.response_complete or getattr(cycle, "more_body", False)):
                self._header_bytes = 0  # a request is being served, or the rest of its body is arriving
                return
            if cycle is not self._header_cycle:  # a request was served since: its bytes do not count
                self._header_cycle, self._header_bytes = cycle, 0
            self._header_bytes += size
            if self._header_bytes > max_header_bytes:
                client = transport.get_extra_info("peername")
                logger.info("refused request headers over %d bytes from %s (431)", max_header_bytes, client)
                transport.write(TOO_LARGE)
                transport.close()

        def _arm_header_timer(self) -> None:
            loop = asyncio.get_running_loop()
            self._header_timer = loop.call_later(timeout, self._headers_late, getattr(self, "cycle", None))

        def _headers_late(self, cycle_when_armed: object) -> None:
            self._header_timer = None
            transport = self.transport
            if transport is None or transport.is_closing() or transport.get_protocol() is not self:
                return  # closed already, or upgraded to a WebSocket
            if getattr(self, "cycle", None) is cycle_when_armed:  # no request's headers completed since
                transport.close()

    HeaderTimeoutProtocol.__name__ = f"HeaderTimeout{base.__name__}"
    return HeaderTimeoutProtocol
