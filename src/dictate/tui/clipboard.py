"""The system clipboard, through the platform's own tool: wl-copy/wl-paste under Wayland, xclip or xsel under X11,
pbcopy/pbpaste on macOS.

Used by paste typing (``--type paste``): the text sink saves the clipboard, puts the final text on it, sends
the paste shortcut, then puts the saved text back. Only text is saved and restored. Calls block (a few ms
each) and run on the typing thread. Clipboard contents are never logged.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from dictate.errors import ClipboardUnavailableError

logger = logging.getLogger(__name__)

TOOL_TIMEOUT_S = 2.0
INSTALL_HINT = "install xclip or xsel (Debian/Ubuntu: sudo apt-get install xclip)"
WAYLAND_INSTALL_HINT = "install wl-clipboard (Debian/Ubuntu: sudo apt-get install wl-clipboard)"


@dataclass(frozen=True)
class ClipboardTool:
    """The commands that write (text on stdin) and read (text on stdout) the clipboard."""

    name: str
    write_command: tuple[str, ...]
    read_command: tuple[str, ...]


TOOLS: dict[str, ClipboardTool] = {
    "xclip": ClipboardTool(
        "xclip", ("xclip", "-selection", "clipboard", "-in"), ("xclip", "-selection", "clipboard", "-out")
    ),
    "xsel": ClipboardTool("xsel", ("xsel", "--clipboard", "--input"), ("xsel", "--clipboard", "--output")),
    "pbcopy": ClipboardTool("pbcopy", ("pbcopy",), ("pbpaste",)),
    "wl-copy": ClipboardTool("wl-copy", ("wl-copy",), ("wl-paste", "--no-newline", "--type", "text")),
}


def find_clipboard_tool(
    platform: str | None = None,
    environ: dict[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> ClipboardTool:
    """The clipboard tool of this platform; raises ClipboardUnavailableError with what to install."""
    system = sys.platform if platform is None else platform
    env = os.environ if environ is None else environ
    if system == "darwin":
        candidates = ["pbcopy"]
    elif (system.startswith("linux") or "bsd" in system) and env.get("WAYLAND_DISPLAY"):
        if which("wl-copy") is not None and which("wl-paste") is not None:
            return TOOLS["wl-copy"]
        raise ClipboardUnavailableError(f"paste typing on Wayland needs wl-copy and wl-paste: {WAYLAND_INSTALL_HINT}")
    elif system.startswith("linux") or "bsd" in system:
        if not env.get("DISPLAY"):
            raise ClipboardUnavailableError("paste typing needs an X display (DISPLAY is not set)")
        candidates = ["xclip", "xsel"]
    else:
        raise ClipboardUnavailableError(f"paste typing is not supported on {system}: use --type final")
    for name in candidates:
        if which(name) is not None:
            return TOOLS[name]
    if system == "darwin":  # pragma: no cover - pbcopy ships with macOS
        raise ClipboardUnavailableError("paste typing needs pbcopy and pbpaste, which macOS normally has")
    raise ClipboardUnavailableError(f"paste typing needs a clipboard tool: {INSTALL_HINT}")


class Clipboard:
    """Read and write the clipboard's text with one ``ClipboardTool``."""

    def __init__(self, tool: ClipboardTool, environ: dict[str, str] | None = None) -> None:
        self.tool = tool
        self._env = None if environ is None else dict(environ)

    def read(self) -> str | None:
        """The clipboard's text; None when it holds no text (empty, or an image)."""
        try:
            done = subprocess.run(
                self.tool.read_command, capture_output=True, timeout=TOOL_TIMEOUT_S, env=self._env, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ClipboardUnavailableError(f"cannot read the clipboard with {self.tool.name}: {exc}") from exc
        if done.returncode != 0:
            return None  # xclip: "target STRING not available" when nothing (or no text) is on it
        return done.stdout.decode("utf-8", errors="replace")

    def write(self, text: str) -> None:
        """Own the clipboard with ``text`` (xclip/xsel/wl-copy fork a process that serves it until replaced)."""
        try:
            subprocess.run(
                self.tool.write_command,
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,  # the forked server keeps inherited pipes open: no pipes
                stderr=subprocess.DEVNULL,
                timeout=TOOL_TIMEOUT_S,
                env=self._env,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ClipboardUnavailableError(f"cannot write the clipboard with {self.tool.name}: {exc}") from exc


__all__ = [
    "INSTALL_HINT",
    "TOOLS",
    "WAYLAND_INSTALL_HINT",
    "Clipboard",
    "ClipboardTool",
    "ClipboardUnavailableError",
    "find_clipboard_tool",
]
