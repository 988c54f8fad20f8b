"""HTTP connection hardening uvicorn lacks: a deadline for a connection's request headers.

uvicorn times out idle keep-alive connections, but not one that sends part of its headers and stops (its
keep-alive timer starts only after a first response), so half-open connections would stay open for ever.
"""

from __future__ import annotations

import asyncio
from typing import Any


def header_timeout_protocol(base: type[asyncio.Protocol], timeout: float) -> type[asyncio.Protocol]:
    """``base`` (uvicorn's HTTP protocol class) whose connections are closed when a request's headers are not
    complete ``timeout`` seconds after the connection opened or the next request's first bytes arrived.
    Connections upgraded to WebSocket are left alone."""

    class HeaderTimeoutProtocol(base):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._header_timer: asyncio.TimerHandle | None = None
            self._arm_header_timer()

        def data_received(self, data: bytes) -> None:
            cycle = getattr(self, "cycle", None)
            if self._header_timer is None and (cycle is None or cycle.response_complete):
                self._arm_header_timer()  # the first bytes of a next request on a kept-alive connection
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

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
