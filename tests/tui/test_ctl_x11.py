"""`dictate ctl` and per-app profiles with real parts: the real `dictate tui` in tmux against a scripted server,
the real `dictate ctl` command on a private control socket, Tk windows under Xvfb receiving the keys."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import Tmux, TypingTarget, dictate_command, poll_until, tui_command
from .fakeserver import FakeServer, Script
from .test_x11_typing import stays, wait_text

pytestmark = pytest.mark.x11

CLIP = "ps_cards_001.wav"


def runtime_dir(tmp_path: Path) -> Path:
    """A private XDG_RUNTIME_DIR: this test's control socket, apart from any other dashboard on the machine."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    return runtime


def ctl(runtime: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run(dictate_command("ctl", *args), env=env, capture_output=True, text=True, timeout=60)


def status(runtime: Path) -> dict[str, Any]:
    done = ctl(runtime, "status")
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def one_line(screen: str) -> str:
    return " ".join(screen.split())


def test_ctl_toggle_and_push_to_talk_drive_a_running_dashboard(tmp_path: Path, xvfb: str, clips: dict) -> None:
    server = FakeServer([Script(interims=[], final="Toggled on."), Script(interims=[], final="Held down.")]).start()
    runtime = runtime_dir(tmp_path)
    control = runtime / "dictate" / "ctl.sock"
    target = TypingTarget(xvfb, tmp_path)
    command = tui_command(server.url, clips[CLIP].path, tmp_path, "--no-global-hotkey", "--type", "final")
    tmux = Tmux(command, env={"DISPLAY": xvfb, "XDG_RUNTIME_DIR": str(runtime)})
    try:
        poll_until(control.exists, 30, "the dashboard's control socket")
        assert stat.S_IMODE(control.stat().st_mode) == 0o600
        assert status(runtime)["state"] == "off"

        assert ctl(runtime, "toggle").returncode == 0
        wait_text(target, lambda t: t == "Toggled on.", 30, "the final of the dictation ctl switched on")
        assert status(runtime)["state"] == "on"
        assert ctl(runtime, "toggle").returncode == 0
        poll_until(lambda: server.open_connections == 0, 20, "OFF: the connection closed")
        assert status(runtime)["state"] == "off"

        assert ctl(runtime, "press").returncode == 0  # the compositor saw the key go down
        assert status(runtime)["held"] is True
        sent = server.connections
        poll_until(lambda: len(sent) == 2 and sent[1].finals_sent == 1, 30, "the final sent while the key is held")
        assert stays(target.text, 1.0) == "Toggled on.", "nothing is typed while the key is held"
        assert ctl(runtime, "release").returncode == 0
        wait_text(target, lambda t: t == "Toggled on.Held down.", 20, "the held final typed at the release")
        poll_until(lambda: status(runtime)["state"] == "off", 20, "OFF after the release")
        assert status(runtime)["held"] is False

        tmux.press("q")
        poll_until(lambda: not control.exists(), 20, "the socket removed when the dashboard quits")
    finally:
        tmux.close()
        target.close()
        server.stop()
    done = ctl(runtime, "toggle")
    assert done.returncode == 4
    assert done.stderr.strip().count("\n") == 0 and "no dashboard is running" in done.stderr


def test_a_stale_socket_is_replaced_and_a_second_dashboard_leaves_the_first_ones(tmp_path: Path) -> None:
    runtime = runtime_dir(tmp_path)
    control = runtime / "dictate" / "ctl.sock"
    control.parent.mkdir(mode=0o700)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(control))  # a dashboard that crashed: the file stays, nothing listens
    crashed.close()
    done = ctl(runtime, "status")
    assert done.returncode == 4 and "no dashboard is running" in done.stderr

    def dashboard(name: str) -> Tmux:
        command = dictate_command(
            "tui", "--server", "ws://127.0.0.1:9/stream", "--type", "off", "--no-global-hotkey",
            "--history", str(tmp_path / f"{name}.sqlite3"),
        )  # fmt: skip
        return Tmux(command, env={"XDG_RUNTIME_DIR": str(runtime)})

    first = dashboard("first")
    second: Tmux | None = None
    try:
        poll_until(lambda: ctl(runtime, "status").returncode == 0, 30, "the first dashboard answering")
        first_pid = status(runtime)["pid"]
        second = dashboard("second")
        screen = second.wait_for(
            lambda s: "another dashboard is running" in one_line(s), 30, "the second dashboard saying so"
        )
        assert "dictate ctl drives that one" in one_line(screen)
        assert status(runtime)["pid"] == first_pid
        second.close()
        second = None
        assert status(runtime)["pid"] == first_pid, "the second one's exit left the first one's socket"
    finally:
        if second is not None:
            second.close()
        first.close()
    poll_until(lambda: not control.exists(), 20, "the first dashboard's socket removed when it quit")


CHAT_PROFILE = """
[profiles.chat]
match = ["chatapp"]
first_capital = false
final_full_stop = false
"""


def test_two_windows_two_profiles_switched_mid_dictation(tmp_path: Path, xvfb: str, clips: dict) -> None:
    # one dictation, two finals: the first while the chat window has the focus, the second (sent after OFF)
    # once the focus moved to the editor window
    server = FakeServer([Script(interims=[], final="Hello there.")], late_final="Good morning.").start()
    config = tmp_path / "config.toml"
    config.write_text(CHAT_PROFILE, encoding="utf-8")
    runtime = runtime_dir(tmp_path)
    editor = TypingTarget(xvfb, tmp_path, app_class="EditorApp")
    chat = TypingTarget(xvfb, tmp_path, app_class="ChatApp")  # focused
    env = {
        "DISPLAY": xvfb,
        "XDG_RUNTIME_DIR": str(runtime),
        "DICTATE_CONFIG": str(config),
        "DICTATE_FINAL_GRACE": "15",  # the late final comes 2 s after OFF: generous under load
    }
    tmux = Tmux(tui_command(server.url, clips[CLIP].path, tmp_path, "--no-global-hotkey"), env=env)
    try:
        poll_until((runtime / "dictate" / "ctl.sock").exists, 30, "the dashboard's control socket")
        assert ctl(runtime, "on").returncode == 0
        wait_text(chat, lambda t: t == "hello there", 30, "the chat profile's final: no capital, no full stop")
        assert status(runtime)["profile"] == "chat"
        editor.focus()
        assert ctl(runtime, "off").returncode == 0
        wait_text(editor, lambda t: t == "Good morning.", 30, "the editor's final typed as usual")
        assert status(runtime)["profile"] is None
        assert stays(chat.text, 1.0) == "hello there"
        assert editor.text() == "Good morning.", "no joining space: the editor's text starts afresh"
    finally:
        tmux.close()
        editor.close()
        chat.close()
        server.stop()
