"""Typing backends that run a command per action: wtype (Wayland, wlroots compositors), ydotool and dotool (kernel
uinput, any desktop); and ``choose_backend``, which picks the backend for this session (pure).

Every backend is a ``Keyboard``: press backspace N times then type text (one run of the tool where it can), send
the paste shortcut, and say whether keys it sends are known to reach the focused application (``confirmed``).
The typing thread of ``typist.py`` drives one. pynput's backend (X11 through XTEST, macOS, Windows) lives in
``sink.py``, pynput's only importer.

wtype uploads a keymap of its own on each run, and the first key of a run is often lost while the compositor
hands that keymap to the focused app (measured under headless sway 1.7 with foot, docs/bench/wtype-race.txt: a
run's text arrived incomplete in 25 and 40 of 60 plain runs). Each run therefore starts with a no-op key (Shift_L
pressed and released) and an 80 ms pause before the real keys (0 of 120 runs incomplete; 1 of 120 at 40 ms).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from dictate.client_config import TypingBackend
from dictate.errors import TypingUnavailableError

TOOL_TIMEOUT_S = 30.0  # a long final at wtype's 4 ms a key takes a few seconds
WTYPE_SETTLE_MS = 80
WTYPE_LEAD = ("-P", "Shift_L", "-p", "Shift_L", "-s", str(WTYPE_SETTLE_MS))
YDOTOOL_BACKSPACE = ("14:1", "14:0")  # Linux input event codes: KEY_BACKSPACE pressed, released
YDOTOOL_PASTE = ("29:1", "47:1", "47:0", "29:0")  # KEY_LEFTCTRL + KEY_V
WLROOTS = ("sway", "hyprland", "river", "labwc", "wayfire", "niri", "dwl", "qtile", "cage")


class Keyboard(Protocol):
    """What sends keys into the focused application, from the typing thread."""

    name: str  # shown in the status bar: "XTEST", "wtype", ...
    confirmed: bool  # False: keys may be ignored by the focused app (X11 without XTEST), said in the status bar

    def erase_and_type(self, backspaces: int, text: str) -> None:
        """Press and release backspace ``backspaces`` times, then type ``text`` (newlines as Return)."""
        ...

    def paste_shortcut(self) -> None:
        """Press the paste shortcut (ctrl+v; cmd+v on macOS)."""
        ...


def wtype_command(backspaces: int, text: str) -> list[str]:
    """One wtype run that presses backspace ``backspaces`` times then types ``text``: newlines, tabs and a leading
    "-" as keys, the rest as text (wtype reads an argument that starts with "-" as an option)."""
    command = ["wtype", *WTYPE_LEAD, *(["-k", "BackSpace"] * backspaces)]
    keys = {"\n": "Return", "\t": "Tab"}
    segment = ""

    def flush() -> None:
        nonlocal segment
        while segment.startswith("-"):
            command.extend(["-k", "minus"])
            segment = segment[1:]
        if segment:
            command.append(segment)
        segment = ""

    for char in text:
        if char in keys:
            flush()
            command.extend(["-k", keys[char]])
        else:
            segment += char
    flush()
    return command


def wtype_type_command(text: str) -> list[str]:
    return wtype_command(0, text)


def wtype_backspace_command(count: int) -> list[str]:
    return wtype_command(count, "")


def wtype_paste_command() -> list[str]:
    return ["wtype", *WTYPE_LEAD, "-M", "ctrl", "-k", "v", "-m", "ctrl"]


def ydotool_type_command(text: str) -> list[str]:
    """ydotool 1.x (with ydotoold running) types ASCII text, newlines as Enter."""
    return ["ydotool", "type", "--", text]


def ydotool_backspace_command(count: int) -> list[str]:
    return ["ydotool", "key", *(YDOTOOL_BACKSPACE * count)]


def ydotool_paste_command() -> list[str]:
    return ["ydotool", "key", *YDOTOOL_PASTE]


def dotool_script(backspaces: int, text: str) -> str:
    """dotool reads one command a line: the backspaces, then a line of text each, an Enter key between them."""
    commands = ["key" + " backspace" * backspaces] if backspaces else []
    for number, line in enumerate(text.split("\n")):
        if number:
            commands.append("key enter")
        if line:
            commands.append(f"type {line}")
    return "".join(f"{command}\n" for command in commands)


def dotool_type_script(text: str) -> str:
    return dotool_script(0, text)


def dotool_backspace_script(count: int) -> str:
    return dotool_script(count, "")


DOTOOL_PASTE_SCRIPT = "key ctrl+v\n"


class CommandKeyboard:
    """A ``Keyboard`` that runs the backend's command once per action (on the typing thread)."""

    confirmed = True

    def __init__(self, backend: TypingBackend, environ: Mapping[str, str] | None = None) -> None:
        self.backend = backend
        self.name = backend.value
        self._env = None if environ is None else dict(environ)

    def erase_and_type(self, backspaces: int, text: str) -> None:
        if backspaces <= 0 and not text:
            return
        if self.backend is TypingBackend.WTYPE:
            self._run(wtype_command(max(backspaces, 0), text))
        elif self.backend is TypingBackend.DOTOOL:
            self._run(["dotool"], dotool_script(max(backspaces, 0), text))
        else:
            if backspaces > 0:
                self._run(ydotool_backspace_command(backspaces))
            if text:
                self._run(ydotool_type_command(text))

    def paste_shortcut(self) -> None:
        if self.backend is TypingBackend.WTYPE:
            self._run(wtype_paste_command())
        elif self.backend is TypingBackend.YDOTOOL:
            self._run(ydotool_paste_command())
        else:
            self._run(["dotool"], DOTOOL_PASTE_SCRIPT)

    def check(self) -> None:
        """Raise TypingUnavailableError unless this backend can send keys here (wtype: a no-op key; GNOME and KDE
        refuse wtype's virtual keyboard)."""
        if self.backend is TypingBackend.WTYPE:
            try:
                self._run(["wtype", "-P", "Shift_L", "-p", "Shift_L"])
            except TypingUnavailableError as exc:
                raise TypingUnavailableError(f"{exc}; on this desktop: {UINPUT_HINT}") from exc

    def _run(self, command: list[str], script: str | None = None) -> None:
        try:
            done = subprocess.run(
                command,
                input=None if script is None else script.encode("utf-8"),
                capture_output=True,
                timeout=TOOL_TIMEOUT_S,
                env=self._env,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TypingUnavailableError(f"{self.name} could not type: {exc}") from exc
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            detail = said[-1] if said else f"exit status {done.returncode}"
            raise TypingUnavailableError(f"{self.name} could not type: {detail}")


@dataclass(frozen=True)
class BackendChoice:
    """The backend to type with, or None and one line that says what to install or allow."""

    backend: TypingBackend | None
    problem: str = ""
    env: tuple[tuple[str, str], ...] = ()  # set for the tool's runs (ydotool: YDOTOOL_SOCKET, where ydotoold is)


def desktop_name(env: Mapping[str, str]) -> str:
    """The desktop, lower case: "gnome", "kde", "sway", ... ("" when unknown)."""
    desktop = (env.get("XDG_CURRENT_DESKTOP") or env.get("XDG_SESSION_DESKTOP") or "").lower()
    if env.get("SWAYSOCK") and not desktop:
        return "sway"
    if env.get("HYPRLAND_INSTANCE_SIGNATURE") and not desktop:
        return "hyprland"
    for name in ("gnome", "kde", *WLROOTS):
        if name in desktop:
            return name
    return desktop


def is_wayland(env: Mapping[str, str]) -> bool:
    return bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE", "").lower() == "wayland"


def ydotool_sockets(env: Mapping[str, str]) -> list[str]:
    """Where ydotoold's socket may be: YDOTOOL_SOCKET, else $XDG_RUNTIME_DIR/.ydotool_socket (ydotool 1.0.4 and
    later) or /tmp/.ydotool_socket (1.0.0-1.0.3, and ydotoold run as a system service)."""
    if env.get("YDOTOOL_SOCKET"):
        return [env["YDOTOOL_SOCKET"]]
    runtime = env.get("XDG_RUNTIME_DIR")
    return [*([f"{runtime}/.ydotool_socket"] if runtime else []), "/tmp/.ydotool_socket"]


def uinput_writable() -> bool:
    return os.access("/dev/uinput", os.W_OK)


UINPUT_HINT = (
    "install ydotool and start ydotoold, or install dotool; either needs write access to /dev/uinput "
    "(a udev rule for the input group)"
)


def choose_backend(
    setting: TypingBackend = TypingBackend.AUTO,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
    can_write_uinput: Callable[[], bool] = uinput_writable,
    exists: Callable[[str], bool] = os.path.exists,
) -> BackendChoice:
    """The backend for ``setting`` in this session; with ``auto``, the first that can work here. Pure given its
    arguments. A problem is one line saying what to install or allow on this desktop."""
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if setting is TypingBackend.PYNPUT:
        return BackendChoice(setting)
    if setting is not TypingBackend.AUTO:
        if which(setting.value) is None:
            return BackendChoice(None, f"typing backend {setting.value} is not installed (on the PATH)")
        return _uinput_choice(setting, env, can_write_uinput, exists)
    if not system.startswith("linux") or not is_wayland(env):
        return BackendChoice(TypingBackend.PYNPUT)
    desktop = desktop_name(env)
    tried: list[str] = []
    if desktop not in ("gnome", "kde") and which("wtype") is not None:
        return BackendChoice(TypingBackend.WTYPE)
    for tool in (TypingBackend.YDOTOOL, TypingBackend.DOTOOL):
        if which(tool.value) is not None:
            choice = _uinput_choice(tool, env, can_write_uinput, exists)
            if not choice.problem:
                return choice
            tried.append(choice.problem)
    if env.get("DISPLAY"):
        return BackendChoice(TypingBackend.PYNPUT)  # XWayland: reaches X11 apps only (said in the status bar)
    if tried:
        return BackendChoice(None, tried[0])
    return BackendChoice(None, install_hint(desktop))


def _uinput_choice(
    tool: TypingBackend, env: Mapping[str, str], can_write_uinput: Callable[[], bool], exists: Callable[[str], bool]
) -> BackendChoice:
    """``tool`` (ydotool with the socket its daemon listens on), or its problem (wtype: none known beforehand)."""
    if tool is TypingBackend.YDOTOOL:
        sockets = ydotool_sockets(env)
        found = [path for path in sockets if exists(path)]
        if not found:
            return BackendChoice(
                tool, f"ydotool needs its daemon: start ydotoold (no socket at {' or '.join(sockets)})"
            )
        return BackendChoice(tool, env=(("YDOTOOL_SOCKET", found[0]),))
    if tool is TypingBackend.DOTOOL and not can_write_uinput():
        return BackendChoice(
            tool, "dotool cannot write /dev/uinput: add a udev rule giving your user (the input group) access"
        )
    return BackendChoice(tool)


def install_hint(desktop: str) -> str:
    """One line: what to install or allow so that dictate can type on this Wayland desktop."""
    if desktop == "gnome":
        return f"GNOME on Wayland does not let wtype type: {UINPUT_HINT}; typing is off"
    if desktop == "kde":
        return f"KDE Plasma on Wayland does not let wtype type: {UINPUT_HINT}; typing is off"
    return (
        "nothing can type on this Wayland desktop: install wtype (sway, Hyprland, river, labwc; "
        f"Debian/Ubuntu: sudo apt-get install wtype), or {UINPUT_HINT}; typing is off"
    )


__all__ = [
    "BackendChoice",
    "CommandKeyboard",
    "Keyboard",
    "choose_backend",
    "desktop_name",
    "dotool_script",
    "dotool_type_script",
    "install_hint",
    "is_wayland",
    "wtype_command",
    "wtype_type_command",
    "ydotool_type_command",
]
