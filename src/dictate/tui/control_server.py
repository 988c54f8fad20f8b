"""The dashboard's control socket: an asyncio Unix server that hands each `dictate ctl` command to the app.

The app owns it: ``ControlServer.claim`` binds the socket when the app mounts (a stale socket is replaced; a
live dashboard's is left alone), a worker of the app runs ``serve``, and ``close`` (on unmount) stops it and
removes the socket file, unless another dashboard has replaced it meanwhile. Each connection carries one
request line and gets one reply line (``tui/control.py``); the handler runs on the event loop, as a key does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dictate.tui.control import (
    MAX_LINE,
    ControlCommand,
    ControlProtocolError,
    claim_socket,
    decode_request,
    encode_reply,
)

if TYPE_CHECKING:
    from dictate.tui.app import DictateApp

logger = logging.getLogger(__name__)

READ_TIMEOUT_S = 5.0


class ControlServer:
    """Serves ``handler`` (command in, status out) on the control socket at ``path``."""

    def __init__(self, path: Path, handler: Callable[[ControlCommand], Mapping[str, Any]]) -> None:
        self.path = path
        self._handler = handler
        self._listening: socket.socket | None = None
        self._inode: int | None = None
        self._server: asyncio.AbstractServer | None = None

    def claim(self) -> None:
        """Bind the socket now; ControlSocketBusyError when another dashboard owns it."""
        self._listening = claim_socket(self.path)
        self._inode = os.stat(self.path).st_ino
        logger.info("control socket %s", self.path)

    async def serve(self) -> None:
        """Answer commands until ``close``."""
        if self._listening is None:
            return
        try:
            self._server = await asyncio.start_unix_server(self._answer, sock=self._listening, limit=MAX_LINE + 2)
            await self._server.serve_forever()
        except OSError as exc:  # the socket was closed under it: dictate ctl no longer reaches this dashboard
            logger.warning("control socket %s stopped: %s", self.path, exc)

    def close(self) -> None:
        """Stop answering and remove the socket file (if it is still ours). Idempotent."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._listening is not None:
            self._listening.close()
            self._listening = None
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == self._inode:
                    self.path.unlink()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT_S)
                command = decode_request(line)
            except ControlProtocolError as exc:
                writer.write(encode_reply(error=str(exc)))
            except (ValueError, TimeoutError):  # longer than the limit, or nothing sent
                writer.write(encode_reply(error="expected one JSON line"))
            else:
                logger.info("control: %s", command.value)
                try:
                    status = self._handler(command)
                except Exception as exc:  # a bug: say so to `dictate ctl`, keep serving
                    logger.exception("control command %s failed", command.value)
                    writer.write(encode_reply(error=f"{command.value} failed: {type(exc).__name__}: {exc}"))
                else:
                    writer.write(encode_reply(status=status))
            await writer.drain()
        except OSError:
            pass  # the client went away
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def dashboard_command(app: DictateApp, command: ControlCommand) -> dict[str, Any]:
    """What a `dictate ctl` command does to the dashboard (on its event loop), as its keys would; the status after.

    ``press``/``release`` are push-to-talk whatever ``--mode`` says (a compositor binds the key's press and its
    release: no auto-repeat to filter); ``on``/``off`` do nothing when the dashboard already is so."""
    now = time.monotonic()
    if command is ControlCommand.TOGGLE:
        app.action_toggle_listening()
    elif command is ControlCommand.ON:
        app._do(app.onoff.turn_on())
    elif command is ControlCommand.OFF:
        app._do(app.onoff.turn_off())
    elif command is ControlCommand.PRESS:
        app.hotkey.press(now)
    elif command is ControlCommand.RELEASE:
        app.hotkey.release(now)
    return {
        "state": app.onoff.phase.value,  # off, on, stopping
        "held": app._push_to_talk.held_since is not None,
        "typing": app.transcript.mode.value,
        "profile": app.profiles.typing.profile,
        "connection": app.status.connection,
        "server": app.status.server,
        "pid": os.getpid(),
    }


__all__ = ["ControlServer", "dashboard_command"]
