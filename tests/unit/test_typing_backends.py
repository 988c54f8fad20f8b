"""Which typing backend a session gets, and the commands the command-line backends run. ydotool and dotool cannot
run here (no /dev/uinput in the sandbox or CI), so their commands are checked as values; wtype runs for real
under headless sway in tests/tui/test_wayland_typing.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dictate.client_config import TypingBackend
from dictate.errors import TypingUnavailableError
from dictate.tui.backends import (
    CommandKeyboard,
    choose_backend,
    desktop_name,
    dotool_backspace_script,
    dotool_script,
    dotool_type_script,
    wtype_backspace_command,
    wtype_command,
    wtype_paste_command,
    wtype_type_command,
    ydotool_backspace_command,
    ydotool_paste_command,
    ydotool_type_command,
)
from dictate.tui.sink import open_keyboard

LEAD = ["-P", "Shift_L", "-p", "Shift_L", "-s", "80"]


def tools(*names: str):  # type: ignore[no-untyped-def]
    return lambda name: f"/usr/bin/{name}" if name in names else None


def choose(env: dict[str, str], *installed: str, uinput: bool = False, socket: bool = False, **kw: object):  # type: ignore[no-untyped-def]
    return choose_backend(
        kw.get("setting", TypingBackend.AUTO),  # type: ignore[arg-type]
        env,
        str(kw.get("platform", "linux")),
        tools(*installed),
        lambda: uinput,
        lambda _path: socket,
    )


SWAY = {"WAYLAND_DISPLAY": "wayland-1", "XDG_CURRENT_DESKTOP": "sway", "XDG_SESSION_TYPE": "wayland"}
GNOME = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "ubuntu:GNOME", "XDG_SESSION_TYPE": "wayland"}
KDE = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE", "XDG_SESSION_TYPE": "wayland"}


def test_x11_macos_and_windows_type_with_pynput() -> None:
    assert choose({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, "wtype").backend is TypingBackend.PYNPUT
    assert choose({}, platform="darwin").backend is TypingBackend.PYNPUT
    assert choose({}, platform="win32").backend is TypingBackend.PYNPUT


def test_wlroots_compositors_type_with_wtype_gnome_and_kde_never() -> None:
    assert choose(SWAY, "wtype", "ydotool", socket=True).backend is TypingBackend.WTYPE
    hyprland = {"WAYLAND_DISPLAY": "wayland-1", "HYPRLAND_INSTANCE_SIGNATURE": "abc"}
    assert desktop_name(hyprland) == "hyprland"
    assert choose(hyprland, "wtype").backend is TypingBackend.WTYPE
    assert choose(GNOME, "wtype", "ydotool", socket=True).backend is TypingBackend.YDOTOOL
    assert choose(KDE, "wtype", "dotool", uinput=True).backend is TypingBackend.DOTOOL


def test_no_backend_says_what_to_install_for_this_desktop() -> None:
    gnome = choose(GNOME, "wtype")
    assert gnome.backend is None and gnome.problem.startswith("GNOME on Wayland does not let wtype type")
    assert "ydotool" in gnome.problem and "/dev/uinput" in gnome.problem
    assert choose(KDE).problem.startswith("KDE Plasma on Wayland")
    assert "install wtype" in choose(SWAY).problem
    assert "start ydotoold" in choose(GNOME, "ydotool").problem, "installed, but its daemon is not running"
    assert "/dev/uinput" in choose(KDE, "dotool").problem, "installed, but uinput is not writable"


def test_xwayland_falls_back_to_pynput_when_nothing_else_works() -> None:
    assert choose({**GNOME, "DISPLAY": ":0"}).backend is TypingBackend.PYNPUT


def test_a_forced_backend_is_used_or_says_why_not() -> None:
    assert choose(GNOME, "wtype", setting=TypingBackend.WTYPE).backend is TypingBackend.WTYPE
    assert "not installed" in choose(SWAY, setting=TypingBackend.DOTOOL).problem
    assert choose({"DISPLAY": ":0"}, setting=TypingBackend.PYNPUT).backend is TypingBackend.PYNPUT


def test_wtype_commands_start_with_a_no_op_key_and_keep_every_character() -> None:
    assert wtype_type_command("hello") == ["wtype", *LEAD, "hello"]
    assert wtype_type_command("a\nb\t-c") == ["wtype", *LEAD, "a", "-k", "Return", "b", "-k", "Tab", "-k", "minus", "c"]
    assert wtype_type_command("--x") == ["wtype", *LEAD, "-k", "minus", "-k", "minus", "x"]
    assert wtype_backspace_command(3) == ["wtype", *LEAD, "-k", "BackSpace", "-k", "BackSpace", "-k", "BackSpace"]
    assert wtype_paste_command() == ["wtype", *LEAD, "-M", "ctrl", "-k", "v", "-m", "ctrl"]


def test_a_correction_is_one_wtype_run_backspaces_first() -> None:
    # one run: one keymap upload, one lead (each run costs the settle pause)
    assert wtype_command(2, "ab") == ["wtype", *LEAD, "-k", "BackSpace", "-k", "BackSpace", "ab"]


def test_ydotool_commands() -> None:
    assert ydotool_type_command("-x y") == ["ydotool", "type", "--", "-x y"]
    assert ydotool_backspace_command(2) == ["ydotool", "key", "14:1", "14:0", "14:1", "14:0"]
    assert ydotool_paste_command() == ["ydotool", "key", "29:1", "47:1", "47:0", "29:0"]


def test_dotool_scripts() -> None:
    assert dotool_type_script("one\n\ntwo") == "type one\nkey enter\nkey enter\ntype two\n"
    assert dotool_backspace_script(2) == "key backspace backspace\n"
    assert dotool_script(1, "a\nb") == "key backspace\ntype a\nkey enter\ntype b\n"


def test_a_failing_tool_is_one_line_naming_it() -> None:
    keyboard = CommandKeyboard(TypingBackend.WTYPE, environ={"PATH": "/nonexistent", "WAYLAND_DISPLAY": "x"})
    with pytest.raises(TypingUnavailableError, match="wtype could not type"):
        keyboard.erase_and_type(0, "hi")


def test_wtype_that_cannot_type_here_says_what_to_install_instead(tmp_path: Path) -> None:
    # the real wtype against a compositor that is not there (GNOME and KDE refuse it the same way: one line)
    env = {"PATH": os.environ["PATH"], "XDG_RUNTIME_DIR": str(tmp_path), "WAYLAND_DISPLAY": "wayland-none"}
    with pytest.raises(TypingUnavailableError) as raised:
        CommandKeyboard(TypingBackend.WTYPE, environ=env).check()
    said = str(raised.value)
    assert said.startswith("wtype could not type") and "ydotool" in said and "\n" not in said, said


def test_ydotool_gets_the_socket_its_daemon_listens_on() -> None:
    runtime = {**GNOME, "XDG_RUNTIME_DIR": "/run/user/1000"}
    at_tmp = choose(runtime, "ydotool", socket=False)
    assert at_tmp.problem == (
        "ydotool needs its daemon: start ydotoold (no socket at /run/user/1000/.ydotool_socket or /tmp/.ydotool_socket)"
    )
    found = choose_backend(
        TypingBackend.AUTO, runtime, "linux", tools("ydotool"), lambda: False, lambda path: path.startswith("/tmp/")
    )
    assert found.backend is TypingBackend.YDOTOOL and dict(found.env) == {"YDOTOOL_SOCKET": "/tmp/.ydotool_socket"}


def test_a_refused_wtype_gives_way_to_ydotool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the real wtype, refused (no compositor answers); ydotool cannot run here (no /dev/uinput): a stand-in
    # records the command line and the socket it was given
    bin_dir, log = tmp_path / "bin", tmp_path / "ydotool.log"
    bin_dir.mkdir()
    (bin_dir / "wtype").symlink_to(shutil.which("wtype") or "/usr/bin/wtype")
    stand_in = bin_dir / "ydotool"
    stand_in.write_text(f'#!/bin/sh\necho "$YDOTOOL_SOCKET $*" >> {log}\n')
    stand_in.chmod(0o755)
    (tmp_path / ".ydotool_socket").touch()
    for name in ("DISPLAY", "YDOTOOL_SOCKET", "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-none")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "weston")
    keyboard = open_keyboard(TypingBackend.AUTO)
    assert keyboard.name == "ydotool"
    keyboard.erase_and_type(1, "hi")
    socket = tmp_path / ".ydotool_socket"
    assert log.read_text().splitlines() == [f"{socket} key 14:1 14:0", f"{socket} type -- hi"]
