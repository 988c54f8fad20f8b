"""The dashboard's hotkey: the global key listener (a pynput thread this object starts with the dashboard and
stops when it closes) and what a press or a release means, from the key or from `dictate ctl press/release`:
ON/OFF (``--mode toggle``) or hold to talk (pushtotalk.py's rules; a key's release counts once its auto-repeat
has settled)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.timer import Timer

from dictate.config import ClientSettings, HotkeyMode
from dictate.transcript import TypingPlan
from dictate.tui.messages import HotkeyPressed, HotkeyReleased
from dictate.tui.onoff import OnOff, Step
from dictate.tui.pushtotalk import RELEASE_SETTLE_S, HoldEnd, PushToTalk
from dictate.tui.sink import GlobalHotkey, typing_unavailable_reason


class Hotkey:
    """The hotkey's listener and its press/release rules; ``do`` carries out an ON/OFF step, ``submit`` types a plan
    kept while the key was held, ``set_timer`` is the app's (the release's settle time)."""

    def __init__(
        self,
        settings: ClientSettings,
        onoff: OnOff,
        push_to_talk: PushToTalk,
        do: Callable[[Step], None],
        submit: Callable[[TypingPlan], None],
        set_timer: Callable[[float, Callable[[], None]], Timer],
    ) -> None:
        self._settings = settings
        self._onoff = onoff
        self._push_to_talk = push_to_talk
        self._do = do
        self._submit = submit
        self._set_timer = set_timer
        self._listener: GlobalHotkey | None = None
        self._release: Timer | None = None  # a release waiting to settle

    @property
    def listening(self) -> str | None:
        """The global hotkey being listened for, if any."""
        return None if self._listener is None else self._listener.hotkey

    def start(self, post: Callable[[Message], Any]) -> str | None:
        """Listen for the global hotkey (if one is set and typing works here); why it cannot, or None."""
        hotkey = self._settings.hotkey
        if not hotkey or typing_unavailable_reason() is not None:
            return None
        hold = self._settings.hotkey_mode is HotkeyMode.HOLD
        listener = GlobalHotkey(
            hotkey,
            lambda: post(HotkeyPressed()),
            (lambda: post(HotkeyReleased())) if hold else None,
        )
        try:
            listener.start()
        except Exception as exc:  # a bad hotkey string, or no keyboard access
            return f"global hotkey {hotkey} is not available: {exc}"
        self._listener = listener
        return None

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()

    def key_pressed(self, now: float) -> None:
        """The global hotkey went down (or auto-repeats)."""
        if self._settings.hotkey_mode is HotkeyMode.TOGGLE:
            self._do(self._onoff.toggle())
        elif self._release is not None:  # the key's auto-repeat: still held
            self._release.stop()
            self._release = None
        else:
            self.press(now)

    def key_released(self, now: float) -> None:
        """The global hotkey came up: the hold ends unless a press follows within the settle time."""
        if self._release is None:
            self._release = self._set_timer(RELEASE_SETTLE_S, lambda: self._settled(now))

    def _settled(self, released_at: float) -> None:
        self._release = None
        self.release(released_at)

    def press(self, now: float) -> None:
        """A hold begins: listen."""
        if self._push_to_talk.press(now):
            self._do(self._onoff.turn_on())

    def release(self, released_at: float) -> None:
        """Push-to-talk released: finish as OFF does, or drop a press too short to be speech."""
        end = self._push_to_talk.release(released_at)
        if end is HoldEnd.FINISH:
            for plan in self._push_to_talk.take_plans():  # typed now that no key of the hotkey is down
                self._submit(plan)
            self._do(self._onoff.turn_off())
        elif end is not HoldEnd.NOTHING:
            self._push_to_talk.drop_plans()
            self._do(self._onoff.discard())  # a slip of the key: type nothing, close the connection now


__all__ = ["Hotkey"]
