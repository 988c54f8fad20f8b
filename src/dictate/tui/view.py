"""What the dashboard shows, as pure functions of its state: banner, status bar, level meter, times."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from rich.markup import escape

from dictate.config import TypingMode

METER_FLOOR_DBFS = -60.0
METER_BLOCKS = " ▁▂▃▄▅▆▇█"

MODE_HELP = {
    TypingMode.FINAL: "types each final utterance",
    TypingMode.LIVE: "types words as they firm up, corrects them",
    TypingMode.PASTE: "pastes each final utterance through the clipboard, then restores it",
    TypingMode.OFF: "shows text only, types nothing",
}


class Connection:
    """Values of ``StatusInfo.connection``."""

    IDLE = "idle"
    STARTING_SERVER = "starting server"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPING = "finishing"
    FAILED = "failed"


@dataclass(frozen=True)
class StatusInfo:
    """Everything the status bar shows."""

    server: str = "embedded"
    model: str = "-"
    device: str = "-"
    connection: str = Connection.IDLE
    input_name: str = "-"
    level_dbfs: float = -120.0
    latency_ms: float | None = None
    mode: TypingMode = TypingMode.FINAL
    profile: str = ""  # the focused app's profile ("-": none matched; "": no profiles, not shown)
    typing_via: str = ""  # the typing backend ("XTEST", "wtype"...); "" when the dashboard was given a sink
    typing_confirmed: bool = True  # False: keys may be ignored by the focused app (shown in the status bar)

    def with_(self, **changes: object) -> StatusInfo:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]


def level_fraction(dbfs: float, floor: float = METER_FLOOR_DBFS) -> float:
    """0..1 position of a level on a meter that starts at ``floor`` dBFS."""
    if dbfs <= floor:
        return 0.0
    return min(1.0, (dbfs - floor) / -floor)


def level_meter(dbfs: float, width: int = 12) -> str:
    """A bar of ``width`` cells (eighth-block resolution) for a level in dBFS."""
    eighths = round(level_fraction(dbfs) * width * 8)
    full, rest = divmod(eighths, 8)
    bar = "█" * full + (METER_BLOCKS[rest] if rest and full < width else "")
    return bar.ljust(width, "·")


def connection_style(connection: str) -> str:
    """Rich style of the connection state."""
    return {
        Connection.CONNECTED: "bold green",
        Connection.RECONNECTING: "bold yellow",
        Connection.FAILED: "bold red",
    }.get(connection, "")


def status_markup(info: StatusInfo) -> str:
    """The status bar as Rich markup, one line per group."""
    latency = "-" if info.latency_ms is None else f"{info.latency_ms:.0f} ms"
    style = connection_style(info.connection)
    connection = f"[{style}]{escape(info.connection)}[/]" if style else escape(info.connection)
    level = "  -- " if info.level_dbfs <= -120 else f"{info.level_dbfs:5.0f}"
    return (
        f"[b]server[/] {escape(info.server)}  [b]model[/] {escape(info.model)} on {escape(info.device)}  "
        f"[b]state[/] {connection}\n"
        f"[b]input[/] {escape(info.input_name)} [green]{level_meter(info.level_dbfs)}[/]{level} dBFS  "
        f"[b]end-of-speech→final[/] {latency}  [b]typing[/] {info.mode.value}{typing_route(info)}"
        + (f"  [b]profile[/] {escape(info.profile)}" if info.profile else "")
    )


def typing_route(info: StatusInfo) -> str:
    """What the keys go through, as status-bar markup: " via wtype", or a warning when typing is unconfirmed."""
    if not info.typing_via or info.mode is TypingMode.OFF:
        return ""
    if not info.typing_confirmed:
        return f" via {escape(info.typing_via)} [bold yellow](unconfirmed)[/]"
    return f" via {escape(info.typing_via)}"


def unconfirmed_typing(route: str) -> str:
    """The alert for keys that the focused app may ignore."""
    if "XWayland" in route:
        return (
            "typing through XWayland reaches X11 apps only: for Wayland apps install wtype (sway, Hyprland, river, "
            "labwc) or ydotool/dotool, or copy text from the history"
        )
    return (
        "this X server has no XTEST: keys are sent as synthetic events, which apps such as xterm ignore; if "
        "nothing arrives, use --type paste or copy text from the history"
    )


def banner_markup(listening: bool, stopping: bool, hotkey: str | None, hold: bool = False) -> str:
    """The big ON/OFF state line (``hold``: the hotkey is push-to-talk)."""
    if stopping:
        return "◌  FINISHING: waiting for the last words"
    if listening:
        return "●  LISTENING"
    if hold and hotkey:
        return f"○  OFF  (press space to start, or hold {hotkey} to talk)"
    keys = "space" + (f" or {hotkey}" if hotkey else "")
    return f"○  OFF  (press {keys} to start)"


def clock_time(epoch: float) -> str:
    """HH:MM:SS in local time."""
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def history_time(epoch: float, now: float) -> str:
    """HH:MM:SS today, else YYYY-MM-DD HH:MM."""
    if time.localtime(epoch)[:3] == time.localtime(now)[:3]:
        return clock_time(epoch)
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def next_mode(mode: TypingMode) -> TypingMode:
    """final -> live -> paste -> off -> final."""
    order = [TypingMode.FINAL, TypingMode.LIVE, TypingMode.PASTE, TypingMode.OFF]
    return order[(order.index(mode) + 1) % len(order)]


__all__ = [
    "MODE_HELP",
    "Connection",
    "StatusInfo",
    "banner_markup",
    "clock_time",
    "history_time",
    "level_fraction",
    "level_meter",
    "next_mode",
    "status_markup",
    "typing_route",
    "unconfirmed_typing",
]
