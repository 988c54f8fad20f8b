"""The one message dispatcher: each server message goes to the callback for its type.

``transcribe``, ``bench`` and the dashboard's stream each say what they do with a ready, an interim, a final
and an error message; reading the socket, decoding, and the error of an abnormal close are done here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection

from dictate.client.connection import messages
from dictate.protocol import ErrorMessage, FinalMessage, InterimMessage, ReadyMessage, ServerMessage


@dataclass(frozen=True)
class Dispatcher:
    """Callbacks by message type; a type without one is ignored. Called on the event loop."""

    ready: Callable[[ReadyMessage], None] | None = None
    interim: Callable[[InterimMessage], None] | None = None
    final: Callable[[FinalMessage], None] | None = None
    error: Callable[[ErrorMessage], None] | None = None

    def __call__(self, message: ServerMessage) -> None:
        """Route one message."""
        match message:
            case ReadyMessage():
                if self.ready is not None:
                    self.ready(message)
            case InterimMessage():
                if self.interim is not None:
                    self.interim(message)
            case FinalMessage():
                if self.final is not None:
                    self.final(message)
            case ErrorMessage():
                if self.error is not None:
                    self.error(message)

    async def run(self, ws: ClientConnection) -> None:
        """Route every message until the server closes; raises the mapped error of an abnormal close
        (``connection.error_for_close``), or whatever a callback raises."""
        async for message in messages(ws):
            self(message)
