"""The connection: the stream URL, opening the WebSocket, reading server messages, and mapping a close to the
error a user should see. asyncio + websockets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from dictate.errors import (
    AuthenticationError,
    ConnectionFailedError,
    NoSpeechError,
    ServerBusyError,
    SessionExpiredError,
)
from dictate.protocol import (
    STREAM_PATH,
    CloseCode,
    ErrorMessage,
    ProtocolError,
    ReadyMessage,
    ServerMessage,
    decode_server_message,
)

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


async def open_stream(url: str, token: str | None = None, timeout: float = 10.0) -> ClientConnection:
    """Open the audio WebSocket, mapping handshake failures to one-line DictateErrors."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        return await connect(url, additional_headers=headers, open_timeout=timeout, max_size=2**20, ping_interval=20)
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status in (401, 403):
            raise AuthenticationError(f"{url} refused the connection (HTTP {status}): check the token") from exc
        raise ConnectionFailedError(f"{url} answered HTTP {status}: is it a dictate server?") from exc
    except InvalidURI as exc:
        raise ConnectionFailedError(f"invalid server URL {url!r}") from exc
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        raise ConnectionFailedError(f"cannot connect to {url}: {exc or type(exc).__name__}") from exc


def error_for_close(code: int | None, reason: str) -> ConnectionFailedError | None:
    """Map a close frame to the error a user should see (None for a normal close)."""
    if code in (None, CloseCode.NORMAL):
        return None
    text = reason or "no reason given"
    if code == CloseCode.POLICY_VIOLATION and "token" in text.lower():
        return AuthenticationError(f"the server refused the token: {text}")
    if code == CloseCode.SESSION_EXPIRED:
        return SessionExpiredError(f"the session reached the server's time limit: {text}")
    if code == CloseCode.NO_SPEECH:
        return NoSpeechError(f"the server closed a session without speech: {text}")
    if code == CloseCode.TRY_AGAIN_LATER:
        return ServerBusyError(f"the server is busy: {text}")
    if code == CloseCode.GOING_AWAY:
        return ConnectionFailedError(f"the server is shutting down: {text}")
    return ConnectionFailedError(f"the server closed the connection ({code}): {text}")


async def messages(ws: ClientConnection) -> AsyncIterator[ServerMessage]:
    """Yield decoded server messages until the server closes; raise the mapped error on an abnormal close."""
    try:
        async for raw in ws:
            try:
                yield decode_server_message(raw)
            except ProtocolError as exc:
                logger.warning("ignoring undecodable server message: %s", exc.message)
    except ConnectionClosed:
        pass
    error = error_for_close(ws.close_code, ws.close_reason or "")
    if error is not None:
        raise error


async def wait_ready(ws: ClientConnection) -> ReadyMessage:
    """Read the session's first message: ``ready``. Audio sent before it would reach the server in a burst,
    which its wall-clock VAD cannot time. Raises the mapped error if the server refuses the session."""
    async for message in messages(ws):
        if isinstance(message, ReadyMessage):
            return message
        if isinstance(message, ErrorMessage) and message.fatal:
            break
    error = error_for_close(ws.close_code, ws.close_reason or "")
    raise error or ConnectionFailedError("the server closed the session before it was ready")


def describe_error(message: ErrorMessage) -> str:
    """One line for an error message from the server."""
    return f"server error ({message.code}): {message.message}"
