"""Typing into a real focused X window (Xvfb + a Tk Text widget, read back) with the real `dictate tui`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Tmux, TypingTarget, dictate_command, words
from .fakeserver import FakeServer, Script

pytestmark = pytest.mark.x11

CLIP = "ps_librivox_sns01_0880.wav"
NON_ASCII = "Grüße aus Köln: café, naïve, ß, 東京!"


def stays(read: object, seconds: float) -> str:
    """Read the target for ``seconds``; fail if it changes; return it."""
    assert callable(read)
    first = read()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
        assert read() == first, "text was typed after it should have stopped"
    return str(first)


def wait_text(target: TypingTarget, condition: object, timeout: float, what: str, quiet: float = 0.5) -> str:
    """The window's text once ``condition`` holds and no key has arrived for ``quiet`` seconds: a final is typed
    key by key, and under load a read can land between its last word and its full stop."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    text, since = target.text(), time.monotonic()
    while not condition(text) or time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the window holds {target.text()!r}")
        time.sleep(0.1)
        if target.text() != text:
            text, since = target.text(), time.monotonic()
    return text


@pytest.mark.model
def test_dictated_clip_is_typed_once_into_the_focused_window(
    tmp_path: Path, xvfb: str, real_server: str, clips: dict
) -> None:
    target = TypingTarget(xvfb, tmp_path)
    command = dictate_command(
        "tui",
        "--server",
        real_server,
        "--source",
        str(clips[CLIP].path),
        "--on",
        "--type",
        "final",
        "--history",
        str(tmp_path / "history.sqlite3"),
        "--no-global-hotkey",
    )
    tmux = Tmux(command, env={"DISPLAY": xvfb})
    try:
        typed = wait_text(target, lambda t: "young man" in words(t), 40, "the dictated text in the window")
        typed = stays(target.text, 2.0)
        assert words(typed).count("young man") == 1, typed
        screen = tmux.screen()
        assert typed.strip() in " ".join(screen.split()), "the typed text is the final shown in the history"
        tmux.press("Space")
        tmux.wait_for(lambda s: "OFF" in s, timeout=15, what="the OFF state")
        assert stays(target.text, 3.0) == typed, "nothing is typed after OFF"
    finally:
        tmux.close()
        target.close()


def test_non_ascii_final_typed_exactly_and_nothing_after_off(tmp_path: Path, xvfb: str, clips: dict) -> None:
    server = FakeServer([Script(interims=["gruesse"], final=NON_ASCII)], late_final="TOO LATE").start()
    target = TypingTarget(xvfb, tmp_path)
    command = dictate_command(
        "tui",
        "--server",
        server.url,
        "--source",
        str(clips["ps_cards_001.wav"].path),
        "--type",
        "final",
        "--history",
        str(tmp_path / "history.sqlite3"),
    )
    tmux = Tmux(command, env={"DISPLAY": xvfb, "DICTATE_FINAL_GRACE": "1"})
    try:
        tmux.wait_for(lambda s: "OFF" in s and "ctrl" in s, timeout=20, what="the idle dashboard with its hotkey")
        # ON with the global hotkey, pressed while the Tk window has the focus
        subprocess.run(["xdotool", "key", "ctrl+alt+space"], env=target.env, check=True)
        tmux.wait_for(lambda s: "LISTENING" in s, timeout=10, what="ON via the global hotkey")
        assert wait_text(target, lambda t: NON_ASCII in t, 20, "the non-ASCII final") == NON_ASCII
        tmux.press("Space")  # OFF: the server answers the end message only after the grace period
        tmux.wait_for(lambda s: "OFF" in s, timeout=15, what="the OFF state")
        assert stays(target.text, 3.0) == NON_ASCII, "nothing is typed after OFF"
        assert server.connections[0].ended
    finally:
        tmux.close()
        target.close()
        server.stop()
