"""The real `dictate tui` command in a real terminal (tmux): its embedded server, real model, a shared clip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import Tmux, dictate_command, words

pytestmark = pytest.mark.model

CLIP = "ps_librivox_sns01_0880.wav"


def test_tmux_run_with_embedded_server_shows_the_final_text(tmp_path: Path, clips: dict) -> None:
    command = dictate_command(
        "tui",
        "--source",
        str(clips[CLIP].path),
        "--on",
        "--type",
        "off",
        "--history",
        str(tmp_path / "history.sqlite3"),
        "--no-global-hotkey",
    )
    tmux = Tmux(command, env={"DISPLAY": ""})
    try:
        screen = tmux.wait_for(lambda s: "young man" in words(s), timeout=40, what="the final text on screen")
        assert "LISTENING" in screen
        assert "embedded ws://127.0.0.1:" in screen  # no --server: `dictate tui` started its own
        assert "Traceback" not in screen
        tmux.press("Space")
        tmux.wait_for(lambda s: "OFF" in s, timeout=15, what="the OFF state")
    finally:
        tmux.close()


def test_quitting_while_listening_leaves_a_clean_terminal(tmp_path: Path, clips: dict) -> None:
    """`q` while the session streams: the dictation's clean-up runs after Textual removed the widgets, which
    printed a NoMatches('#banner') traceback after exit (status 0). The terminal must be left empty."""
    command = dictate_command(
        "tui",
        "--source",
        str(clips[CLIP].path),
        "--on",
        "--type",
        "off",
        "--history",
        str(tmp_path / "history.sqlite3"),
        "--no-global-hotkey",
    )
    tmux = Tmux(command, env={"DISPLAY": ""})
    try:
        tmux.wait_for(lambda s: "state connected" in s, timeout=60, what="a connected session")
        tmux.press("q")
        assert tmux.wait_exit(timeout=60, what="the dashboard to exit") == 0
        scrollback = subprocess.run(
            ["tmux", "capture-pane", "-p", "-S", "-2000", "-t", tmux.name], capture_output=True, text=True, check=True
        ).stdout
        assert scrollback.strip() == "", scrollback  # the dashboard's screen is gone, and nothing was printed
    finally:
        tmux.close()
