"""The connection: the stream URL, opening the WebSocket, and the error a failed handshake means.
asyncio + websockets. What a close means is the session core's (``client/session.py``)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

from dictate.errors import AuthenticationError, ConnectionFailedError
from dictate.protocol import STREAM_PATH, ErrorMessage

logger = logging.getLogger(__name__)


def normalise_stream_url(server: str) -> str:
    """Accept 'host:port', 'http(s)://host[:port]' or a ws(s):// URL; return the ws(s)://.../stream URL."""
    url = server.strip()
    if "://" not in url:
        url = f"ws://{url}"
    scheme, rest = url.split("://", 1)
    scheme = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme.lower())
    if scheme not in ("ws", "wss"):
        raise ConnectionFailedError(f"server URL must be ws://, wss://, http:// or https://, got {server!r}")
    parts = urlsplit(f"{scheme}://{rest}")
    if not parts.hostname:
        raise ConnectionFailedError(f"server URL has no host: {server!r}")
    path = parts.path if parts.path not in ("", "/") else STREAM_PATH
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{parts.netloc}{path}{query}"


def http_base_url(stream_url: str) -> str:
    """The http(s):// origin of a stream URL (for /healthz, /readyz)."""
    parts = urlsplit(stream_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return f"{scheme}://{parts.netloc}"


def connect_options(url: str, token: str | None, timeout: float) -> dict[str, Any]:
    """The keyword arguments of websockets' ``connect`` for a stream (the token as a bearer header)."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return {"additional_headers": headers, "open_timeout": timeout, "max_size": 2**20, "ping_interval": 20}


def handshake_error(url: str, exc: BaseException) -> ConnectionFailedError:
    """The one-line error a failed opening handshake means."""
    if isinstance(exc, ConnectionFailedError):
        return exc
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return AuthenticationError(f"{url} refused the connection (HTTP {status}): check the token")
        return ConnectionFailedError(f"{url} answered HTTP {status}: is it a dictate server?")
    if isinstance(exc, InvalidURI):
        return ConnectionFailedError(f"invalid server URL {url!r}")
    return ConnectionFailedError(f"cannot connect to {url}: {exc or type(exc).__name__}")


async def open_stream(url: str, token: str | None = None, timeout: float = 10.0) -> ClientConnection:
    """Open the audio WebSocket, mapping handshake failures to one-line DictateErrors."""
    try:
        return await connect(url, **connect_options(url, token, timeout))
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
        raise handshake_error(url, exc) from exc


def describe_error(message: ErrorMessage) -> str:
    """One line for an error message from the server."""
    return f"server error ({message.code}): {message.message}"
