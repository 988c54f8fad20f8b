"""The real `dictate tui` command in a real terminal (tmux): its embedded server, real model, a shared clip."""

from __future__ import annotations

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
