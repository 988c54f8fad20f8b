"""Paste typing (--type paste) into a real focused X window whose clipboard another app owns."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dictate.errors import ClipboardUnavailableError
from dictate.tui.clipboard import TOOLS, find_clipboard_tool

from .conftest import Tmux, TypingTarget, dictate_command, poll_until, tui_command
from .fakeserver import FakeServer, Script
from .test_x11_typing import stays, wait_text

pytestmark = pytest.mark.x11

PASTED = "Pasted through the clipboard: naïve café, 100% once."
EARLIER = "what the user had copied before"


def clipboard_text(env: dict[str, str]) -> str:
    done = subprocess.run(["xclip", "-selection", "clipboard", "-out"], env=env, capture_output=True, timeout=5)
    return done.stdout.decode("utf-8")


def test_paste_typing_pastes_the_final_once_and_restores_the_clipboard(tmp_path: Path, xvfb: str, clips: dict) -> None:
    server = FakeServer([Script(interims=["pasted"], final=PASTED)]).start()
    target = TypingTarget(xvfb, tmp_path, clipboard=EARLIER)  # the Tk window owns the clipboard
    assert clipboard_text(target.env) == EARLIER
    source = clips["ps_cards_001.wav"].path
    command = tui_command(server.url, source, tmp_path, "--on", "--type", "paste", "--no-global-hotkey")
    tmux = Tmux(command, env={"DISPLAY": xvfb})
    try:
        wait_text(target, lambda t: PASTED in t, 20, "the pasted final")
        assert stays(target.text, 1.5) == PASTED, "the text arrives once"
        poll_until(lambda: clipboard_text(target.env) == EARLIER, 10, "the earlier clipboard text back")
        keys = target.keys_pressed()
        assert keys.count("v") == 1 and all(key in {"Control_L", "v"} for key in keys), keys  # a paste, not keys
        assert "Typing: paste" in tmux.screen()
    finally:
        tmux.close()
        target.close()
        server.stop()


def test_no_clipboard_tool_is_a_clear_error() -> None:
    with pytest.raises(ClipboardUnavailableError, match="apt-get install xclip"):
        find_clipboard_tool("linux", {"DISPLAY": ":0"}, which=lambda _name: None)
    with pytest.raises(ClipboardUnavailableError, match="X display"):
        find_clipboard_tool("linux", {}, which=lambda name: f"/usr/bin/{name}")
    assert find_clipboard_tool("linux", {"DISPLAY": ":0"}, which=lambda n: "/x" if n == "xsel" else None).name == "xsel"
    assert find_clipboard_tool("darwin", {}, which=lambda name: f"/usr/bin/{name}") is TOOLS["pbcopy"]


def test_dashboard_without_a_clipboard_tool_says_so_and_does_not_type(tmp_path: Path, xvfb: str) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    command = dictate_command(
        "tui",
        "--server",
        "ws://127.0.0.1:9/stream",
        "--type",
        "paste",
        "--history",
        str(tmp_path / "history.sqlite3"),
        "--no-global-hotkey",
    )
    tmux = Tmux(command, env={"DISPLAY": xvfb, "PATH": str(empty)})  # no xclip, no xsel
    try:
        screen = tmux.wait_for(lambda s: "clipboard tool" in s, timeout=20, what="the missing-clipboard alert")
        assert "apt-get install xclip" in " ".join(screen.split())
        assert "typing off" in screen
    finally:
        tmux.close()
