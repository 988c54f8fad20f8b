"""pynput's typing backend and the global hotkey. The ONLY module that imports pynput.

pynput needs an X display to import on Linux, so it is imported lazily, after ``typing_unavailable_reason``
said yes. ``open_keyboard`` picks this session's backend (pynput, or a command-line one of backends.py); the
typing thread that drives it is typist.py's ``KeyboardSink``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from dictate.client_config import TypingBackend
from dictate.errors import TypingUnavailableError
from dictate.tui.backends import BackendChoice, CommandKeyboard, Keyboard, choose_backend

logger = logging.getLogger(__name__)

MACOS_ACCESSIBILITY_STEPS = (
    "macOS needs your permission before dictate can type: open System Settings > Privacy & Security > "
    "Accessibility, click +, add the terminal app you run dictate in (Terminal, iTerm2...), switch it on, "
    "then restart dictate."
)


UNICODE_DELAY_S = 0.03


def typing_runs(text: str) -> list[str]:
    """``text`` cut into runs of ASCII characters and single non-ASCII characters, in order."""
    runs: list[str] = []
    ascii_run = ""
    for char in text:
        if char.isascii():
            ascii_run += char
            continue
        if ascii_run:
            runs.append(ascii_run)
            ascii_run = ""
        runs.append(char)
    if ascii_run:
        runs.append(ascii_run)
    return runs


def typing_unavailable_reason(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """None when keystrokes can be sent here; else a plain-words reason (and what to do)."""
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system.startswith("linux"):
        if not env.get("DISPLAY"):
            if env.get("WAYLAND_DISPLAY"):
                return (
                    "this is a Wayland session without an X display: pynput cannot type here, so typing is off "
                    "(set typing_backend to auto, wtype, ydotool or dotool)"
                )
            return "no X display (DISPLAY is not set): dictate cannot type here, so typing is off"
        return None
    if system == "darwin":
        return None if _macos_trusted() else MACOS_ACCESSIBILITY_STEPS
    if system.startswith("win"):
        return None
    return f"typing is not supported on {system}"


def _macos_trusted() -> bool:  # pragma: no cover - macOS only
    try:
        from ApplicationServices import AXIsProcessTrusted
    except ImportError:
        try:
            from HIServices import AXIsProcessTrusted
        except ImportError:
            return True  # cannot tell: let pynput try, errors are reported when typing
    return bool(AXIsProcessTrusted())


class PynputKeyboard:
    """A ``Keyboard`` through pynput's Controller: on X11 through XTEST (as a real keyboard; apps such as xterm
    ignore the synthetic events pynput sends otherwise), on macOS through Quartz, on Windows through SendInput.
    Made on the UI thread; the X connection is opened on the typing thread, at the first key."""

    def __init__(self, key_delay: float = 0.0, unicode_delay: float = UNICODE_DELAY_S) -> None:
        self._key_delay = key_delay
        self._unicode_delay = unicode_delay
        self._controller: Any = None
        self.name, self.confirmed = _pynput_route()

    def erase_and_type(self, backspaces: int, text: str) -> None:
        self.backspace(backspaces)
        self.type_text(text)

    def type_text(self, text: str) -> None:
        controller = self._keyboard_controller()
        for run in typing_runs(text):
            controller.type(run)
            if not run.isascii():
                # X11: pynput maps a non-keymap character onto a spare keycode; the next one would
                # remap it before the focused app read the event, so give the app a moment.
                time.sleep(self._unicode_delay)

    def backspace(self, count: int) -> None:
        from pynput.keyboard import Key

        controller = self._keyboard_controller()
        for _ in range(count):
            controller.tap(Key.backspace)
            if self._key_delay:
                time.sleep(self._key_delay)

    def paste_shortcut(self) -> None:
        from pynput.keyboard import Key

        controller = self._keyboard_controller()
        with controller.pressed(Key.cmd if sys.platform == "darwin" else Key.ctrl):
            controller.tap("v")

    def _keyboard_controller(self) -> Any:
        if self._controller is None:
            self._controller = _make_controller()
        return self._controller


def _pynput_route() -> tuple[str, bool]:
    """(what pynput types through, whether apps are known to take those keys)."""
    if sys.platform == "darwin":
        return "macOS", True
    if not sys.platform.startswith("linux"):
        return "pynput", True
    if _has_xtest():
        if os.environ.get("WAYLAND_DISPLAY"):
            return "XTEST (XWayland: X11 apps only)", False
        return "XTEST", True
    return "XSendEvent", False


def _has_xtest() -> bool:
    """Whether the X server offers XTEST (python-xlib comes with pynput on Linux)."""
    try:
        from Xlib.display import Display

        display = Display()
    except Exception:  # no display, or no python-xlib: pynput will say so when typing
        return False
    try:
        return bool(display.has_extension("XTEST"))
    finally:
        display.close()


def open_keyboard(setting: TypingBackend = TypingBackend.AUTO) -> Keyboard:
    """The keyboard to type with in this session; raises TypingUnavailableError with one line saying what to
    install or allow. With ``auto``, a wtype that the compositor refuses gives way to what else works here."""
    try:
        return _open_keyboard(choose_backend(setting))
    except TypingUnavailableError:
        if setting is not TypingBackend.AUTO or choose_backend(setting).backend is not TypingBackend.WTYPE:
            raise
        fallback = choose_backend(setting, which=lambda name: None if name == "wtype" else shutil.which(name))
        if fallback.backend is None or fallback.problem:
            raise
        return _open_keyboard(fallback)


def _open_keyboard(choice: BackendChoice) -> Keyboard:
    if choice.backend is None or choice.problem:
        raise TypingUnavailableError(choice.problem)
    if choice.backend is TypingBackend.PYNPUT:
        reason = typing_unavailable_reason()
        if reason is not None:
            raise TypingUnavailableError(reason)
        return PynputKeyboard()
    keyboard = CommandKeyboard(choice.backend, {**os.environ, **dict(choice.env)} if choice.env else None)
    keyboard.check()
    return keyboard


def _make_controller() -> Any:
    """pynput's keyboard Controller; on X11 one that sends every key through XTEST where the server has it (pynput
    sends characters as synthetic XSendEvent events, which a default xterm drops: tests/tui/test_xterm_typing.py)
    and borrows only group-1 key slots for non-keymap text.

    pynput 1.8 borrows keycode slots 2-3 (group 2) for characters missing from the keymap; under XKB those
    read back as copies of group 1, so a later character (é after ü, ß, ö) is typed as another one (ö).
    Reproduced under Xvfb by tests/tui/test_x11_typing.py. Slots 0-1 are reliable.
    """
    from pynput.keyboard import Controller

    if not sys.platform.startswith("linux"):
        return Controller()
    try:
        from pynput._util.xorg import display_manager
        from Xlib.display import event as x_events
    except ImportError:  # pragma: no cover - another backend
        return Controller()

    class GroupOneController(Controller):  # type: ignore[misc]
        def _resolve_borrowing(self, key: Any) -> Any:
            keysym = self._key_to_keysym(key)
            if keysym is None:
                return None
            mapping = self._display.get_keyboard_mapping(8, 255 - 8)
            with display_manager(self._display) as dm, self._borrow_lock:
                slot = _free_slot(mapping, self._borrows)
                if slot is None:
                    return None
                keycode, index, fresh = slot
                row = [0] * len(mapping[keycode - 8]) if fresh else list(mapping[keycode - 8])
                lower, upper = _case_pair(self, key)
                if lower and upper and fresh:
                    # a lone letter keysym would read as its lower case: map both cases, like pynput does
                    row[0], row[1] = lower, upper
                    self._borrows[lower] = (keycode, 0, 0)
                    self._borrows[upper] = (keycode, 1, 0)
                else:
                    row[index] = keysym
                    self._borrows[keysym] = (keycode, index, 0)
                dm.change_keyboard_mapping(keycode, [row])
            return keysym

        def _send_key(self, event: Any, keycode: int, shift_state: int) -> None:
            """Through XTEST, as a real keyboard, where the server has it: the modifiers the keysym needs pressed
            around its press. pynput's XSendEvent, which xterm and others ignore, only where it has not."""
            if not self._xtest:
                super()._send_key(event, keycode, shift_state)
                return
            import Xlib.X
            from Xlib.ext.xtest import fake_input

            press = event is x_events.KeyPress
            with display_manager(self._display) as dm:
                modifiers = _modifier_keycodes(dm, shift_state) if press else []
                for modifier in modifiers:
                    fake_input(dm, Xlib.X.KeyPress, modifier)
                fake_input(dm, Xlib.X.KeyPress if press else Xlib.X.KeyRelease, keycode)
                for modifier in reversed(modifiers):
                    fake_input(dm, Xlib.X.KeyRelease, modifier)

    controller = GroupOneController()
    if not all(hasattr(controller, name) for name in ("_display", "_borrows", "_borrow_lock", "_key_to_keysym")):
        return Controller()  # pragma: no cover - pynput changed its internals: use it as it is
    controller._xtest = bool(controller._display.has_extension("XTEST"))
    return controller


def _modifier_keycodes(display: Any, state: int) -> list[int]:
    """A keycode of each modifier in the X modifier mask ``state`` (Shift, Mod5...), from the server's mapping."""
    keycodes = []
    for bit, codes in enumerate(display.get_modifier_mapping()):
        if state & (1 << bit):
            keycodes += [code for code in codes if code][:1]
    return keycodes


def _case_pair(controller: Any, key: Any) -> tuple[int | None, int | None]:
    """Keysyms of the lower and upper case of a cased single character (else None, None)."""
    from pynput.keyboard import KeyCode

    char = getattr(key, "char", None) or ""
    lower, upper = char.lower(), char.upper()
    if len(char) != 1 or lower == upper or len(lower) != 1 or len(upper) != 1:
        return None, None
    return controller._key_to_keysym(KeyCode.from_char(lower)), controller._key_to_keysym(KeyCode.from_char(upper))


def _free_slot(mapping: Any, borrows: dict[int, tuple[int, int, int]]) -> tuple[int, int, bool] | None:
    """(keycode, level 0 or 1, whether the keycode's row starts empty) to borrow: a free level of a keycode
    we borrowed, an empty keycode, or else the oldest borrowed keycode with no key down (all of it evicted)."""
    for keycode in sorted({keycode for keycode, _, _ in borrows.values()}):
        for index in (0, 1):
            if not mapping[keycode - 8][index]:
                return keycode, index, False
    for position, keysyms in enumerate(mapping):
        if not any(keysyms):
            return position + 8, 0, True
    pressed = {keycode for keycode, _, presses in borrows.values() if presses > 0}
    for keycode, _, _ in list(borrows.values()):
        if keycode not in pressed:
            for keysym in [k for k, (code, _, _) in borrows.items() if code == keycode]:
                del borrows[keysym]
            return keycode, 0, True
    return None


class KeyCombo:
    """Which keys of a combination are down; says when the whole combination goes down, and when every key
    of it is up again after that (so a held modifier never mixes with the keys dictate types). Pure."""

    def __init__(self, keys: Iterable[Hashable]) -> None:
        self.keys = frozenset(keys)
        self._down: set[Hashable] = set()
        self._activated = False

    @property
    def active(self) -> bool:
        """Whether every key of the combination is down."""
        return self._down == self.keys

    def press(self, key: Hashable) -> bool:
        """A key went down; True when this press completes the combination (auto-repeats do not)."""
        if key not in self.keys or key in self._down:
            return False
        self._down.add(key)
        self._activated = self._activated or self.active
        return self.active

    def release(self, key: Hashable) -> bool:
        """A key went up; True when it was the last key of an activated combination still down."""
        if key not in self._down:
            return False
        self._down.discard(key)
        if self._activated and not self._down:
            self._activated = False
            return True
        return False


class GlobalHotkey:
    """A system-wide hotkey whose pynput listener thread this object starts and stops.

    ``on_press`` runs when the whole combination goes down, ``on_release`` (optional: push-to-talk) when all
    of its keys are up again, both on pynput's thread. Keys that dictate itself types (injected) are ignored.
    """

    def __init__(
        self, hotkey: str, on_press: Callable[[], object], on_release: Callable[[], object] | None = None
    ) -> None:
        self.hotkey = hotkey
        self._on_press = on_press
        self._on_release = on_release
        self._listener: Any = None

    def start(self) -> None:
        """Start listening; raises ValueError for a hotkey pynput cannot parse."""
        from pynput.keyboard import HotKey, Listener

        combo = KeyCombo(HotKey.parse(self.hotkey))

        def pressed(key: Any, injected: bool) -> None:
            if not injected and key is not None and combo.press(listener.canonical(key)):
                self._on_press()

        def released(key: Any, injected: bool) -> None:
            if not injected and key is not None and combo.release(listener.canonical(key)) and self._on_release:
                self._on_release()

        listener = Listener(on_press=pressed, on_release=released)
        listener.start()
        listener.wait()
        self._listener = listener
        logger.info("global hotkey %s active", self.hotkey)

    def stop(self) -> None:
        """Stop the listener thread and wait for it. Idempotent."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            listener.join(timeout=2.0)


__all__ = [
    "MACOS_ACCESSIBILITY_STEPS",
    "GlobalHotkey",
    "KeyCombo",
    "PynputKeyboard",
    "open_keyboard",
    "typing_runs",
    "typing_unavailable_reason",
]
