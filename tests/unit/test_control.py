"""`dictate ctl`'s socket: the one-line JSON protocol (pure), where the socket is, the stale and busy cases, and
a real asyncio ControlServer answering the real blocking client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dictate.tui.control import (
    ControlCommand,
    ControlProtocolError,
    ControlSocketBusyError,
    DashboardNotRunningError,
    claim_socket,
    decode_reply,
    decode_request,
    encode_reply,
    encode_request,
    send_command,
    socket_path,
)
from dictate.tui.control_server import ControlServer


@pytest.mark.parametrize("command", list(ControlCommand))
def test_a_request_round_trips(command: ControlCommand) -> None:
    line = encode_request(command)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_request(line) is command


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b'{"command": "explode"}\n', "unknown command 'explode'; expected one of: toggle, on, off"),
        (b"toggle\n", "not a JSON line"),
        (b'["toggle"]\n', "not a JSON object"),
        (b"\xff\n", "not a JSON line"),
        (b'{"command": "' + b"x" * 5000 + b'"}\n', "longer than"),
    ],
)
def test_a_bad_request_is_refused_in_words(line: bytes, says: str) -> None:
    with pytest.raises(ControlProtocolError, match=says):
        decode_request(line)


def test_replies_round_trip() -> None:
    status = {"state": "on", "held": False}
    assert decode_reply(encode_reply(status=status)) == status
    with pytest.raises(ControlProtocolError, match="no such thing"):
        decode_reply(encode_reply(error="no such thing"))
    with pytest.raises(ControlProtocolError):
        decode_reply(b'{"ok": true}\n')


def test_the_socket_is_in_the_runtime_dir_else_a_private_temp_dir() -> None:
    assert socket_path({"XDG_RUNTIME_DIR": "/run/user/1000"}) == Path("/run/user/1000/dictate/ctl.sock")
    # macOS (no XDG_RUNTIME_DIR): $TMPDIR is per user; the uid keeps users apart where it is shared (/tmp)
    assert socket_path({}, uid=501, temp_dir="/var/folders/xy/T") == Path("/var/folders/xy/T/dictate-501/ctl.sock")


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    return tmp_path / "run" / "dictate" / "ctl.sock"


def test_claiming_makes_a_private_socket(runtime: Path) -> None:
    listening = claim_socket(runtime)
    try:
        assert stat.S_ISSOCK(runtime.lstat().st_mode)
        assert stat.S_IMODE(runtime.stat().st_mode) == 0o600
        assert stat.S_IMODE(runtime.parent.stat().st_mode) == 0o700
    finally:
        listening.close()


def test_a_stale_socket_is_replaced(runtime: Path) -> None:
    runtime.parent.mkdir(parents=True, mode=0o700)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(runtime))  # bound, then the process died: the file stays, nothing listens
    crashed.close()
    assert runtime.exists()
    listening = claim_socket(runtime)
    listening.close()


def test_a_live_dashboards_socket_is_left_alone(runtime: Path) -> None:
    first = claim_socket(runtime)
    try:
        with pytest.raises(ControlSocketBusyError, match="another dashboard is running"):
            claim_socket(runtime)
        assert stat.S_ISSOCK(runtime.lstat().st_mode), "the first one's socket is still there"
    finally:
        first.close()


def test_a_directory_others_can_enter_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ControlSocketBusyError, match="not a private directory"):
        claim_socket(shared / "ctl.sock")


def test_no_dashboard_is_one_clear_error(runtime: Path) -> None:
    with pytest.raises(DashboardNotRunningError, match="no dashboard is running") as error:
        send_command(ControlCommand.TOGGLE, runtime)
    assert "\n" not in str(error.value)


@contextlib.contextmanager
def serving(path: Path, handler: Callable[[ControlCommand], dict[str, Any]]) -> Iterator[None]:
    """A real ControlServer for ``handler`` on its own event loop thread while the block runs."""
    server = ControlServer(path, handler)
    server.claim()
    loop = asyncio.new_event_loop()
    task = loop.create_task(server.serve())
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        yield
    finally:

        def stop() -> None:
            server.close()
            task.cancel()
            loop.call_soon(loop.stop)

        loop.call_soon_threadsafe(stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def served(runtime: Path) -> Iterator[tuple[Path, list[ControlCommand]]]:
    """A real ControlServer recording the commands it was given."""
    heard: list[ControlCommand] = []

    def handler(command: ControlCommand) -> dict[str, Any]:
        heard.append(command)
        return {"state": "on", "heard": len(heard)}

    with serving(runtime, handler):
        yield runtime, heard


def test_the_server_answers_each_command_with_the_status(served: tuple[Path, list[ControlCommand]]) -> None:
    path, heard = served
    assert send_command(ControlCommand.TOGGLE, path) == {"state": "on", "heard": 1}
    assert send_command(ControlCommand.STATUS, path)["heard"] == 2
    assert heard == [ControlCommand.TOGGLE, ControlCommand.STATUS]


def test_the_server_refuses_a_bad_line_and_goes_on(served: tuple[Path, list[ControlCommand]]) -> None:
    path, heard = served
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(str(path))
        client.sendall(b'{"command": "explode"}\n')
        reply = client.makefile("rb").readline()
    with pytest.raises(ControlProtocolError, match="unknown command"):
        decode_reply(reply)
    assert heard == []
    assert send_command(ControlCommand.ON, path)["heard"] == 1


def test_closing_removes_only_its_own_socket(runtime: Path) -> None:
    server = ControlServer(runtime, lambda command: {})
    server.claim()
    server.close()
    assert not runtime.exists()
    server.close()  # idempotent
    other = ControlServer(runtime, lambda command: {})
    other.claim()
    replaced = ControlServer(runtime, lambda command: {})
    replaced._listening, replaced._inode = socket.socket(socket.AF_UNIX), os.stat(runtime).st_ino + 1
    replaced.close()  # a dashboard whose socket was replaced by another one's must not remove that one
    assert runtime.exists()
    other.close()


def test_a_failing_command_is_an_error_answer_and_the_server_goes_on(runtime: Path) -> None:
    from dictate.errors import DictateError

    def handler(command: ControlCommand) -> dict[str, Any]:
        if command is ControlCommand.TOGGLE:
            raise RuntimeError("boom")
        return {"state": "off"}

    with serving(runtime, handler):
        with pytest.raises(DictateError, match="refused 'toggle': toggle failed: RuntimeError: boom"):
            send_command(ControlCommand.TOGGLE, runtime)
        assert send_command(ControlCommand.STATUS, runtime) == {"state": "off"}


def test_without_unix_sockets_ctl_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(socket, "AF_UNIX")
    with pytest.raises(DashboardNotRunningError, match="needs Unix sockets"):
        send_command(ControlCommand.STATUS)


def test_dictate_ctl_answers_without_loading_the_cli(tmp_path: Path) -> None:
    # A compositor runs `dictate ctl` on every key press: typer and the settings models (0.5-1 s here) stay out.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.argv = ['dictate', 'ctl', 'status']\n"
        "from dictate.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'pydantic', 'textual'))\n"
        "    print(exit.code, 'dictate.cli' in sys.modules, heavy)\n"
    )
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[0] == "4 False []", done.stdout + done.stderr
    assert done.stderr.startswith("dictate: no dashboard is running") and done.stderr.count("\n") == 1
