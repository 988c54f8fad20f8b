"""What a client's ``Stream`` tells it, besides the server's interim and final messages: one value per event.
Pure values; the dashboard routes each by type (``tui/routes.py``), ``transcribe`` and ``bench`` match on them."""

from __future__ import annotations

from dataclasses import dataclass

from dictate.protocol import FinalMessage, InterimMessage, ReadyMessage


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
    """The connection failed or dropped; ``retry_in`` is None when no retry will follow, 0 when the retry is at
    once. ``was_connected``: some connection of this run was ready before (else the server was never reached)."""

    reason: str
    retry_in: float | None
    was_connected: bool = True


@dataclass(frozen=True)
class ServerWarning:
    """An error message from the server (a fatal one is followed by the close), or the stream's own word about
    the server: ``final_timeout``, no close within the grace period after our end (text still coming is lost)."""

    reason: str
    code: str = ""
    message: str = ""
    fatal: bool = False


@dataclass(frozen=True)
class Level:
    """Input level of the audio just sent (dBFS)."""

    dbfs: float


@dataclass(frozen=True)
class Failed:
    """The run cannot go on (token refused, no microphone...): the dashboard goes OFF."""

    reason: str


StreamEvent = Connecting | Connected | Disconnected | ServerWarning | Level | Failed | InterimMessage | FinalMessage


__all__ = ["Connected", "Connecting", "Disconnected", "Failed", "Level", "ServerWarning", "StreamEvent"]
