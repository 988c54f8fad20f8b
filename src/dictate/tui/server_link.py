"""Where the dashboard's dictation goes: the server given with --server, or an embedded one (a child process the
dashboard starts in the background and stops when it closes)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from dictate.client.connection import normalise_stream_url

if TYPE_CHECKING:
    from dictate.client.embedded import EmbeddedServer


class ServerLink:
    """The server's stream URL once known; ``ready`` is set then, or when the embedded server failed to start."""

    def __init__(self, server: str | None) -> None:
        self.url = None if server is None else normalise_stream_url(server)
        self.ready = asyncio.Event()
        self._embedded: EmbeddedServer | None = None

    async def start_embedded(self, model: str | None, start_timeout: float) -> str:
        """Start the embedded server (waiting for it in a thread); its URL. Raises what the start raised."""
        from dictate.client.embedded import EmbeddedServer  # imported only when no --server is given

        embedded = EmbeddedServer(model=model, start_timeout=start_timeout)
        self._embedded = embedded
        try:
            await asyncio.to_thread(embedded.start)
            self.url = embedded.url
        finally:
            self.ready.set()
        return embedded.url

    async def close(self) -> None:
        """Stop the embedded server, if one was started."""
        if self._embedded is not None:
            await asyncio.to_thread(self._embedded.stop)


__all__ = ["ServerLink"]
