"""Which application has the focus: one small probe per desktop, behind one interface (``FocusProbe``).

- X11: ``xprop`` reads the root window's ``_NET_ACTIVE_WINDOW`` (any EWMH window manager), or ``xdotool
  getwindowfocus`` when there is none, then that window's ``WM_CLASS`` (instance and class).
- sway (and other i3-IPC wlroots compositors): the focused node of ``swaymsg -t get_tree``: its ``app_id``, or
  the X11 class of an XWayland window. Hyprland: ``hyprctl activewindow -j``'s class.
- macOS: the frontmost application's bundle id, from ``lsappinfo`` (``osascript`` when that fails).

Each probe runs its commands through an injected runner, and its output parsers are pure functions, so the
probes are tested with recorded outputs (tests/unit/test_focus.py). A probe blocks for a few milliseconds to
a few tens: callers run it off the event loop. It never raises: None means "cannot tell".
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from dictate.profiles import FocusedApp

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0

Runner = Callable[[list[str]], str]  # runs a command, returns its stdout; raises OSError/subprocess errors


def run_command(command: list[str]) -> str:
    """The default runner: the command's stdout (CalledProcessError on failure)."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=True)
    return done.stdout


class FocusProbe(Protocol):
    """Finds the focused application."""

    name: str

    def focused(self) -> FocusedApp | None:
        """The focused application, or None when it cannot be told (never raises)."""
        ...


# ------------------------------------------------------------------ output parsers (pure)

_WINDOW_ID = re.compile(r"window id # (0x[0-9a-fA-F]+)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse_active_window(output: str) -> int | None:
    """The window id in ``xprop -root _NET_ACTIVE_WINDOW``'s output (None: no such atom, or no window)."""
    match = _WINDOW_ID.search(output)
    if match is None:
        return None
    window = int(match.group(1), 16)
    return window or None


def parse_wm_class(output: str) -> tuple[str, ...]:
    """(instance, class) from ``xprop -id WINDOW WM_CLASS``'s output; () when the window has none."""
    if "WM_CLASS" not in output or "=" not in output:
        return ()
    return tuple(name for name in _QUOTED.findall(output.split("=", 1)[1]) if name)


def parse_sway_tree(output: str) -> tuple[str, ...]:
    """The focused window's app_id (Wayland) or X11 instance and class (XWayland) in ``swaymsg -t get_tree``."""
    node = _focused_node(json.loads(output))
    if node is None:
        return ()
    names = [node.get("app_id")]
    properties = node.get("window_properties") or {}
    names += [properties.get("instance"), properties.get("class")]
    return tuple(name for name in names if isinstance(name, str) and name)


def _focused_node(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if node.get("focused") and node.get("type") in ("con", "floating_con"):
        return node
    for child in [*node.get("nodes", []), *node.get("floating_nodes", [])]:
        found = _focused_node(child)
        if found is not None:
            return found
    return None


def parse_hyprland_window(output: str) -> tuple[str, ...]:
    """The class (and initial class) in ``hyprctl activewindow -j``'s output."""
    window = json.loads(output or "{}")
    if not isinstance(window, dict):
        return ()
    names = [window.get("class"), window.get("initialClass")]
    return tuple(dict.fromkeys(name for name in names if isinstance(name, str) and name))


def parse_lsappinfo_front(output: str) -> str | None:
    """The ASN in ``lsappinfo front``'s output ("ASN:0x0-0x2d02d:")."""
    match = re.search(r"ASN:[0-9a-fA-Fx-]+:", output)
    return match.group(0) if match else None


def parse_lsappinfo_bundle(output: str) -> str | None:
    """The bundle id in ``lsappinfo info -only bundleid ASN``'s output ('"CFBundleIdentifier"="com.apple.Terminal"')."""
    found = _QUOTED.findall(output)
    return found[-1] if len(found) >= 2 and found[-1] not in ("", "[ NULL ]") else None


# ------------------------------------------------------------------ the probes


class X11Probe:
    """X11: the active (or focused) window's WM_CLASS."""

    name = "x11"

    def __init__(self, run: Runner = run_command) -> None:
        self._run = run

    def focused(self) -> FocusedApp | None:
        try:
            window = parse_active_window(self._run(["xprop", "-root", "-notype", "_NET_ACTIVE_WINDOW"]))
            if window is None:  # no EWMH window manager: the window with the input focus
                focus = self._run(["xdotool", "getwindowfocus"]).strip()
                window = int(focus) if focus.isdigit() and int(focus) > 1 else None
            if window is None:
                return None
            names = parse_wm_class(self._run(["xprop", "-id", str(window), "-notype", "WM_CLASS"]))
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            logger.debug("x11 focus probe failed: %s", exc)
            return None
        return FocusedApp(names) if names else None


class SwayProbe:
    """sway: the focused node of the layout tree."""

    name = "sway"

    def __init__(self, run: Runner = run_command) -> None:
        self._run = run

    def focused(self) -> FocusedApp | None:
        try:
            names = parse_sway_tree(self._run(["swaymsg", "-t", "get_tree", "--raw"]))
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            logger.debug("sway focus probe failed: %s", exc)
            return None
        return FocusedApp(names) if names else None


class HyprlandProbe:
    """Hyprland: the active window's class."""

    name = "hyprland"

    def __init__(self, run: Runner = run_command) -> None:
        self._run = run

    def focused(self) -> FocusedApp | None:
        try:
            names = parse_hyprland_window(self._run(["hyprctl", "activewindow", "-j"]))
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            logger.debug("hyprland focus probe failed: %s", exc)
            return None
        return FocusedApp(names) if names else None


class MacProbe:
    """macOS: the frontmost application's bundle id."""

    name = "macos"

    def __init__(self, run: Runner = run_command) -> None:
        self._run = run

    def focused(self) -> FocusedApp | None:
        bundle: str | None = None
        try:
            asn = parse_lsappinfo_front(self._run(["lsappinfo", "front"]))
            if asn is not None:
                bundle = parse_lsappinfo_bundle(self._run(["lsappinfo", "info", "-only", "bundleid", asn]))
        except (OSError, subprocess.SubprocessError) as exc:
            logger.debug("lsappinfo failed: %s", exc)
        if bundle is None:
            try:
                script = "id of application (path to frontmost application as text)"
                bundle = self._run(["osascript", "-e", script]).strip() or None
            except (OSError, subprocess.SubprocessError) as exc:
                logger.debug("osascript failed: %s", exc)
        return FocusedApp((bundle,)) if bundle else None


def choose_probe(
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> FocusProbe | str:
    """The probe for this desktop, or a plain-words reason why the focused application cannot be found."""
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system == "darwin":
        return MacProbe()
    if env.get("SWAYSOCK") and which("swaymsg"):
        return SwayProbe()
    if env.get("HYPRLAND_INSTANCE_SIGNATURE") and which("hyprctl"):
        return HyprlandProbe()
    if env.get("DISPLAY") and which("xprop"):
        return X11Probe()
    if env.get("DISPLAY"):
        return "profiles need xprop to see the focused window (Debian: apt-get install x11-utils)"
    if env.get("WAYLAND_DISPLAY"):
        return "profiles cannot see the focused window on this Wayland desktop (sway and Hyprland only)"
    return "profiles cannot see the focused window here (no X display)"


__all__ = [
    "FocusProbe",
    "HyprlandProbe",
    "MacProbe",
    "SwayProbe",
    "X11Probe",
    "choose_probe",
    "parse_active_window",
    "parse_hyprland_window",
    "parse_lsappinfo_bundle",
    "parse_lsappinfo_front",
    "parse_sway_tree",
    "parse_wm_class",
]
