"""`dictate ctl`'s side of the dashboard's control socket: where the socket is, the tiny protocol, the client.

Light on purpose (standard library only): `dictate ctl` runs on every key press a compositor binds to it.

The socket is a per-user Unix socket (``$XDG_RUNTIME_DIR/dictate/ctl.sock``, else
``<temp dir>/dictate-<uid>/ctl.sock``, which on macOS is inside the per-user ``$TMPDIR``), in a directory of
mode 0700, itself of mode 0600; no network port. The protocol is one JSON line each way: the client sends
``{"command": "toggle"}``, the dashboard answers ``{"ok": true, "status": {...}}`` (the state after the
command) or ``{"ok": false, "error": "..."}``, then closes. The encoders and decoders are pure.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import sys
import tempfile
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from dictate.errors import ConnectionFailedError, DictateError

SOCKET_NAME = "ctl.sock"
MAX_LINE = 4096  # a request or a reply longer than this is refused
REPLY_TIMEOUT_S = 5.0


class ControlCommand(str, Enum):
    """What `dictate ctl` can ask the running dashboard."""

    TOGGLE = "toggle"  # ON <-> OFF, as space
    ON = "on"  # ON unless it is on
    OFF = "off"  # OFF (the last utterance is still typed) unless it is off
    PRESS = "press"  # push-to-talk: the bound key went down (listen)
    RELEASE = "release"  # push-to-talk: it came up (type the final text; under 0.3 s: a slip, nothing typed)
    STATUS = "status"  # only answer with the status


class ControlProtocolError(ValueError):
    """A line on the control socket that is not a valid request or reply."""


class DashboardNotRunningError(ConnectionFailedError):
    """`dictate ctl` found no dashboard listening on the control socket."""


class ControlSocketBusyError(DictateError):
    """Another dashboard owns the control socket."""


# ------------------------------------------------------------------ the protocol (pure)


def encode_request(command: ControlCommand) -> bytes:
    return json.dumps({"command": command.value}).encode() + b"\n"


def decode_request(line: bytes) -> ControlCommand:
    """The command of one request line; ControlProtocolError says what is wrong with it."""
    message = _decode_object(line)
    value = message.get("command")
    try:
        return ControlCommand(value)
    except ValueError:
        allowed = ", ".join(command.value for command in ControlCommand)
        raise ControlProtocolError(f"unknown command {value!r}; expected one of: {allowed}") from None


def encode_reply(status: Mapping[str, Any] | None = None, error: str | None = None) -> bytes:
    """The answer: the status after the command, or an error."""
    message: dict[str, Any] = {"ok": False, "error": error} if error is not None else {"ok": True, "status": status}
    return json.dumps(message).encode() + b"\n"


def decode_reply(line: bytes) -> dict[str, Any]:
    """The status of an answer line; ControlProtocolError for an error answer or a malformed line."""
    message = _decode_object(line)
    if message.get("ok") is True and isinstance(message.get("status"), dict):
        status: dict[str, Any] = message["status"]
        return status
    if message.get("ok") is False and isinstance(message.get("error"), str):
        raise ControlProtocolError(message["error"])
    raise ControlProtocolError("the dashboard's answer is not a control reply")


def _decode_object(line: bytes) -> dict[str, Any]:
    if len(line) > MAX_LINE:
        raise ControlProtocolError(f"line longer than {MAX_LINE} bytes")
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ControlProtocolError("not a JSON line") from None
    if not isinstance(message, dict):
        raise ControlProtocolError("not a JSON object")
    return message


# ------------------------------------------------------------------ where the socket is


def control_unavailable_reason() -> str | None:
    """None where a control socket can work (Linux, macOS, the BSDs); else why not (Windows)."""
    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "getuid"):
        return "dictate ctl needs Unix sockets, which this system does not offer to Python"
    return None


def socket_path(environ: Mapping[str, str] | None = None, uid: int | None = None, temp_dir: str | None = None) -> Path:
    """The control socket of this user: in ``$XDG_RUNTIME_DIR`` (Linux desktops), else in a private directory
    under the temp dir (macOS: the per-user ``$TMPDIR``)."""
    env = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "dictate" / SOCKET_NAME
    user = os.getuid() if uid is None else uid
    return Path(temp_dir or tempfile.gettempdir()) / f"dictate-{user}" / SOCKET_NAME


def private_directory(path: Path) -> None:
    """Make ``path`` (the socket's directory) if needed; refuse one that is not ours or that others can enter."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError as exc:
        raise ControlSocketBusyError(f"cannot make the control socket's directory {path}: {exc.strerror}") from exc
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ControlSocketBusyError(
            f"{path} is not a private directory of this user (mode {stat.S_IMODE(info.st_mode):o}): "
            "dictate ctl will not use it"
        )


def _connect(path: Path, timeout: float) -> socket.socket:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(str(path))
    except BaseException:
        client.close()
        raise
    return client


def claim_socket(path: Path) -> socket.socket:
    """A listening socket at ``path`` (mode 0600), replacing a stale one a crashed dashboard left behind.

    ControlSocketBusyError when a live dashboard answers there (it keeps it), or the path cannot be used."""
    private_directory(path.parent)
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise ControlSocketBusyError(f"{path} exists and is not a socket: remove it to use dictate ctl")
        try:
            _connect(path, 1.0).close()
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)  # stale: nothing listens on it any more
        except OSError:
            pass  # busy or slow: a live one
        else:
            raise ControlSocketBusyError(
                f"another dashboard is running (its control socket is {path}): dictate ctl drives that one, "
                "this one runs without it"
            )
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listening.bind(str(path))
        os.chmod(path, 0o600)
        listening.listen(8)
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise ControlSocketBusyError(f"another dashboard took the control socket {path} just now") from exc
        raise ControlSocketBusyError(f"cannot listen on the control socket {path}: {exc.strerror}") from exc
    return listening


# ------------------------------------------------------------------ the client


def send_command(command: ControlCommand, path: Path | None = None, timeout: float = REPLY_TIMEOUT_S) -> dict[str, Any]:
    """Send one command to the running dashboard; its status after the command.

    DashboardNotRunningError when none listens; ConnectionFailedError when it does not answer in time."""
    reason = control_unavailable_reason()
    if reason is not None:
        raise DashboardNotRunningError(reason)
    where = path or socket_path()
    try:
        client = _connect(where, timeout)
    except (FileNotFoundError, ConnectionRefusedError):
        raise DashboardNotRunningError(
            f"no dashboard is running (nothing listens on {where}): start `dictate tui` first"
        ) from None
    except OSError as exc:
        raise ConnectionFailedError(f"cannot reach the dashboard on {where}: {exc.strerror or exc}") from exc
    with client:
        try:
            client.sendall(encode_request(command))
            reply = _read_line(client)
        except TimeoutError:
            raise ConnectionFailedError(f"the dashboard did not answer within {timeout:.0f} s ({where})") from None
        except OSError as exc:
            raise ConnectionFailedError(f"the dashboard on {where} went away: {exc.strerror or exc}") from exc
    try:
        return decode_reply(reply)
    except ControlProtocolError as exc:
        raise DictateError(f"the dashboard refused '{command.value}': {exc}") from exc


def run_ctl(command: ControlCommand) -> int:
    """`dictate ctl COMMAND`: send it, print the status for ``status``; the exit status (errors: one line)."""
    try:
        status = send_command(command)
    except DictateError as exc:
        print(f"dictate: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    if command is ControlCommand.STATUS:
        print(json.dumps(status))
    return 0


def _read_line(client: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) <= MAX_LINE:
        chunk = client.recv(MAX_LINE)
        if not chunk:
            break
        data += chunk
    return data


__all__ = [
    "ControlCommand",
    "ControlProtocolError",
    "ControlSocketBusyError",
    "DashboardNotRunningError",
    "claim_socket",
    "control_unavailable_reason",
    "decode_reply",
    "decode_request",
    "encode_reply",
    "encode_request",
    "private_directory",
    "run_ctl",
    "send_command",
    "socket_path",
]
