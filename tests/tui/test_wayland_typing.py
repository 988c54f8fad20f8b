"""Typing on Wayland (issue 19): the real `dictate tui` types through wtype into a foot window of a headless sway,
in final, paste (wl-copy, clipboard restored) and live modes (a revision's backspaces land); with no backend at
all the dashboard says what to install and stays usable with typing off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Tmux, poll_until, tui_command, words
from .fakeserver import FakeServer, Script
from .test_x11_typing import stays, wait_text
from .wayland import HeadlessSway

CLIP = "ps_librivox_sns01_0880.wav"  # "he was not an ill disposed young man"
PASTED = "Pasted on Wayland: naïve café, 100% once."
EARLIER = "what the user had copied before"
CORRECTED = "Typed on Wayland after a revision."
SHOWN = "Shown, not typed."


@pytest.fixture(scope="module")
def sway() -> Iterator[HeadlessSway]:
    compositor = HeadlessSway().start()
    yield compositor
    compositor.stop()


def wayland_env(sway: HeadlessSway) -> dict[str, str]:
    return {**sway.env, "DISPLAY": ""}  # no X display: the dashboard must choose wtype by itself


@pytest.mark.model
def test_dictated_clip_is_typed_once_through_wtype(
    tmp_path: Path, sway: HeadlessSway, real_server: str, clips: dict
) -> None:
    target = sway.terminal("final")
    command = tui_command(real_server, clips[CLIP].path, tmp_path, "--on", "--no-global-hotkey")
    tmux = Tmux(command, env=wayland_env(sway))
    try:
        wait_text(target, lambda t: "young man" in words(t), 40, "the dictated text in the foot window")  # type: ignore[arg-type]
        typed = stays(target.text, 2.0)
        assert words(typed).count("young man") == 1, typed
        assert words(typed).startswith("he was"), f"the first characters were lost: {typed!r}"
        tmux.resize(200, 40)
        tmux.wait_for(lambda s: "typing final via wtype" in s, 10, "the typing route in the status bar")
    finally:
        tmux.close()
        target.close()


def test_paste_typing_through_wl_copy_restores_the_clipboard(tmp_path: Path, sway: HeadlessSway, clips: dict) -> None:
    server = FakeServer([Script(interims=["pasted"], final=PASTED)]).start()
    target = sway.terminal("paste")
    sway.copy(EARLIER)
    source = clips["ps_cards_001.wav"].path
    command = tui_command(server.url, source, tmp_path, "--on", "--no-global-hotkey", "--type", "paste")
    tmux = Tmux(command, env=wayland_env(sway))
    try:
        wait_text(target, lambda t: PASTED in t, 20, "the pasted final")  # type: ignore[arg-type]
        assert stays(target.text, 1.5) == PASTED, "the text arrives once"
        poll_until(lambda: sway.clipboard() == EARLIER, 10, "the earlier clipboard text back")
    finally:
        tmux.close()
        target.close()
        server.stop()


def test_live_revision_backspaces_land(tmp_path: Path, sway: HeadlessSway, clips: dict) -> None:
    server = FakeServer([Script(interims=["Typed on a revision here"] * 2, final=CORRECTED)]).start()
    target = sway.terminal("live")
    source = clips["ps_cards_001.wav"].path
    command = tui_command(server.url, source, tmp_path, "--on", "--no-global-hotkey", "--type", "live")
    tmux = Tmux(command, env=wayland_env(sway))
    try:
        wait_text(target, lambda t: t == CORRECTED, 20, "the corrected final")  # type: ignore[arg-type]
        assert stays(target.text, 1.5) == CORRECTED
        assert target.raw().count("\x7f") == len("a revision"), repr(target.raw())
    finally:
        tmux.close()
        target.close()
        server.stop()


def test_no_typing_tool_says_what_to_install_and_stays_usable(tmp_path: Path, sway: HeadlessSway, clips: dict) -> None:
    server = FakeServer([Script(interims=[], final=SHOWN)]).start()
    target = sway.terminal("none")
    empty = tmp_path / "bin"
    empty.mkdir()
    command = tui_command(server.url, clips["ps_cards_001.wav"].path, tmp_path, "--no-global-hotkey")
    tmux = Tmux(command, env={**wayland_env(sway), "PATH": str(empty)})  # no wtype, no ydotool, no dotool
    try:
        screen = tmux.wait_for(lambda s: "install wtype" in " ".join(s.split()), 20, "the install hint")
        assert "Typing: off" in screen
        tmux.press("Space")
        tmux.wait_for(lambda s: SHOWN in s, 20, "the final shown with typing off")
        assert stays(target.text, 1.0) == "", "nothing is typed"
    finally:
        tmux.close()
        target.close()
        server.stop()
