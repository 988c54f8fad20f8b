"""Small types shared by the dashboard's parts: its options and the messages posted from other threads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from dictate.config import ClientSettings


@dataclass(frozen=True)
class TuiOptions:
    """What `dictate tui` was asked to do, beyond ClientSettings."""

    settings: ClientSettings
    source: Path | None = None
    record_pcm: Path | None = None
    start_on: bool = False
    global_hotkey: bool = True
    vocabulary: tuple[str, ...] = ()  # sent with every session's start message (feature ``vocabulary``)
    profile_vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # each profile's words
    control_socket: Path | None = None  # listen for `dictate ctl` there (None: no control socket)


class HotkeyPressed(Message):
    """The global hotkey was pressed (posted from pynput's thread)."""


class HotkeyReleased(Message):
    """The global hotkey came up (push-to-talk; posted from pynput's thread)."""


class TypingFailed(Message):
    """The typing thread could not send keys."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


__all__ = ["HotkeyPressed", "HotkeyReleased", "TuiOptions", "TypingFailed"]
