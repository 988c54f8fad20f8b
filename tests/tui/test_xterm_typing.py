"""Typing into apps that ignore synthetic X events (issue 20): a default xterm drops XSendEvent keys (unless
allowSendEvents), so the dashboard types through XTEST; on an X server without XTEST it says, in the status bar,
that typing is unconfirmed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import Tmux, TypingTarget, poll_until, running_xvfb, tui_command
from .fakeserver import FakeServer, Script
from .test_x11_typing import stays, wait_text

pytestmark = pytest.mark.x11

TYPED = "Typed into xterm: Hello, World! (twice?) no, once."
CORRECTED = "Typed into xterm after a revision."


class XtermTarget:
    """A default xterm (allowSendEvents off) running ``cat`` into a file, focused; ``text()`` is what arrived,
    with backspaces applied (the terminal is not in line mode, so each key reaches the file at once)."""

    def __init__(self, display: str, tmp_path: Path) -> None:
        if shutil.which("xterm") is None:
            pytest.fail("xterm is not installed: this test needs it (Debian: apt-get install xterm)")
        self.output = tmp_path / "xterm.txt"
        self.env = {**os.environ, "DISPLAY": display}
        title = f"dictate-xterm-{os.getpid()}"
        self.log = tmp_path / "xterm.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["xterm", "-title", title, "-e", "sh", "-c", f"stty -icanon; exec cat > {self.output}"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        window = ""

        def found() -> bool:
            nonlocal window
            if self.process.poll() is not None:
                log = self.log.read_text(errors="replace")
                raise AssertionError(f"xterm exited ({self.process.returncode}): {log}")
            done = subprocess.run(["xdotool", "search", "--name", title], env=self.env, capture_output=True, text=True)
            window = done.stdout.split()[0] if done.stdout.split() else ""
            return bool(window) and self.output.exists()

        try:
            poll_until(found, 30, "the xterm window")
            subprocess.run(["xdotool", "windowfocus", "--sync", window], env=self.env, check=True, timeout=10)
        except BaseException:
            self.close()
            raise

    def raw(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def text(self) -> str:
        typed: list[str] = []
        for char in self.raw():
            if char in "\x7f\b":
                if typed:
                    typed.pop()
            else:
                typed.append(char)
        return "".join(typed)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def test_a_final_is_typed_into_a_default_xterm(tmp_path: Path, xvfb: str, clips: dict) -> None:
    # Before XTEST typing the dashboard logged "typed 0 backspaces and 50 chars" and nothing arrived.
    server = FakeServer([Script(interims=["typed into"], final=TYPED)]).start()
    target = XtermTarget(xvfb, tmp_path)
    source = clips["ps_cards_001.wav"].path
    tmux = Tmux(tui_command(server.url, source, tmp_path, "--on", "--no-global-hotkey"), env={"DISPLAY": xvfb})
    try:
        wait_text(target, lambda t: TYPED in t, 20, "the final in the xterm")  # type: ignore[arg-type]
        assert stays(target.text, 1.5) == TYPED
        tmux.resize(200, 40)
        tmux.wait_for(lambda s: "typing final via XTEST" in s, 10, "the typing route in the status bar")
    finally:
        tmux.close()
        target.close()
        server.stop()


def test_live_corrections_land_in_a_default_xterm(tmp_path: Path, xvfb: str, clips: dict) -> None:
    server = FakeServer([Script(interims=["Typed into a revision here"] * 2, final=CORRECTED)]).start()
    target = XtermTarget(xvfb, tmp_path)
    source = clips["ps_cards_001.wav"].path
    command = tui_command(server.url, source, tmp_path, "--on", "--no-global-hotkey", "--type", "live")
    tmux = Tmux(command, env={"DISPLAY": xvfb})
    try:
        wait_text(target, lambda t: t == CORRECTED, 20, "the corrected final in the xterm")  # type: ignore[arg-type]
        assert stays(target.text, 1.5) == CORRECTED
        assert "\x7f" in target.raw() or "\b" in target.raw(), "the revision was typed with backspaces"
    finally:
        tmux.close()
        target.close()
        server.stop()


def test_without_xtest_typing_is_shown_unconfirmed(tmp_path: Path, clips: dict) -> None:
    server = FakeServer([Script(interims=[], final="Sent as synthetic events.")]).start()
    with running_xvfb(500 + os.getpid() % 400, "-extension", "XTEST") as display:
        target = TypingTarget(display, tmp_path)  # Tk takes synthetic events: the text still arrives
        source = clips["ps_cards_001.wav"].path
        command = tui_command(server.url, source, tmp_path, "--on", "--no-global-hotkey")
        tmux = Tmux(command, env={"DISPLAY": display})
        try:
            wait_text(target, lambda t: "Sent as synthetic events." in t, 20, "the final in the Tk window")
            tmux.resize(200, 40)
            tmux.wait_for(
                lambda s: "via XSendEvent (unconfirmed)" in s and "X server has no XTEST" in " ".join(s.split()),
                10,
                "typing shown unconfirmed",
            )
        finally:
            tmux.close()
            target.close()
            server.stop()
