"""Typing into the focused application, and the global hotkey. The ONLY module that imports pynput.

pynput needs an X display to import on Linux, so it is imported lazily, after ``typing_unavailable_reason``
said yes. Keystrokes are sent on one owned worker thread (never on the event loop, never in the audio
callback). Logs record counts and timings, never the typed text. A plan marked ``paste`` is pasted:
clipboard saved, text put on it, the paste shortcut sent, the saved text put back.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from dictate.errors import DictateError
from dictate.transcript import TypingPlan
from dictate.tui.clipboard import Clipboard, find_clipboard_tool

logger = logging.getLogger(__name__)

MACOS_ACCESSIBILITY_STEPS = (
    "macOS needs your permission before dictate can type: open System Settings > Privacy & Security > "
    "Accessibility, click +, add the terminal app you run dictate in (Terminal, iTerm2...), switch it on, "
    "then restart dictate."
)


UNICODE_DELAY_S = 0.03
PASTE_RESTORE_DELAY_S = 0.5  # the focused app reads the clipboard after the shortcut: restore only later


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


class TextSink(Protocol):
    """Where typing plans go."""

    def submit(self, plan: TypingPlan) -> None:
        """Queue a plan; returns at once."""
        ...

    def cancel_pending(self) -> None:
        """Drop plans not yet started (the connection dropped, or OFF)."""
        ...

    def close(self) -> None:
        """Finish the plan being typed, drop the rest, stop the thread."""
        ...


def typing_unavailable_reason(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """None when keystrokes can be sent here; else a plain-words reason (and what to do)."""
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system.startswith("linux"):
        if not env.get("DISPLAY"):
            if env.get("WAYLAND_DISPLAY"):
                return (
                    "this is a Wayland session without an X display: dictate cannot type here, "
                    "so typing is off (run the app under XWayland, or copy text from the history)"
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


class KeyboardSink:
    """Types plans with pynput's Controller on one owned thread, in order."""

    def __init__(
        self,
        on_error: Callable[[str], object],
        key_delay: float = 0.0,
        unicode_delay: float = UNICODE_DELAY_S,
        paste_restore_delay: float = PASTE_RESTORE_DELAY_S,
    ) -> None:
        self._on_error = on_error
        self._key_delay = key_delay
        self._unicode_delay = unicode_delay
        self._paste_restore_delay = paste_restore_delay
        self._clipboard: Clipboard | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dictate-typing")
        self._generation = 0
        self._lock = threading.Lock()
        self._controller: Any = None
        self._closed = False
        self.plans_typed = 0

    def submit(self, plan: TypingPlan) -> None:
        if plan.is_empty or self._closed:
            return
        with self._lock:
            generation = self._generation
        self._executor.submit(self._type, plan, generation)

    def cancel_pending(self) -> None:
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.cancel_pending()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every plan submitted so far was typed or dropped (for tests)."""
        marker: Future[None] = self._executor.submit(lambda: None)
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        return True

    def _type(self, plan: TypingPlan, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                logger.debug("dropped a pending plan: %d backspaces, %d chars", plan.backspaces, len(plan.text))
                return
        started = time.monotonic()
        try:
            controller = self._keyboard_controller()
            from pynput.keyboard import Key

            for _ in range(plan.backspaces):
                controller.tap(Key.backspace)
                if self._key_delay:
                    time.sleep(self._key_delay)
            if plan.paste and plan.text.strip():
                self._paste(controller, plan.text)
            else:
                self._type_keys(controller, plan.text)
        except DictateError as exc:  # no clipboard tool
            logger.warning("pasting failed: %s", type(exc).__name__)
            self._on_error(str(exc))
            return
        except Exception as exc:  # pynput raises various X/Quartz errors
            logger.warning("typing failed: %s", type(exc).__name__)
            self._on_error(f"could not type into the focused app ({type(exc).__name__}: {exc})")
            return
        self.plans_typed += 1
        logger.debug(
            "typed %d backspaces and %d chars in %.1f ms",
            plan.backspaces,
            len(plan.text),
            (time.monotonic() - started) * 1000,
        )

    def _type_keys(self, controller: Any, text: str) -> None:
        for run in typing_runs(text):
            controller.type(run)
            if not run.isascii():
                # X11: pynput maps a non-keymap character onto a spare keycode; the next one would
                # remap it before the focused app read the event, so give the app a moment.
                time.sleep(self._unicode_delay)

    def _paste(self, controller: Any, text: str) -> None:
        """Put ``text`` on the clipboard, send the paste shortcut, then put back what was there (text only)."""
        from pynput.keyboard import Key

        if self._clipboard is None:
            self._clipboard = Clipboard(find_clipboard_tool())
        clipboard = self._clipboard
        saved = clipboard.read()
        clipboard.write(text)
        with controller.pressed(Key.cmd if sys.platform == "darwin" else Key.ctrl):
            controller.tap("v")
        time.sleep(self._paste_restore_delay)
        if clipboard.read() == text:  # unless something else was copied meanwhile
            clipboard.write(saved or "")

    def _keyboard_controller(self) -> Any:
        if self._controller is None:
            self._controller = _make_controller()
        return self._controller


def _make_controller() -> Any:
    """pynput's keyboard Controller; on X11 one that borrows only group-1 key slots for non-keymap text.

    pynput 1.8 borrows keycode slots 2-3 (group 2) for characters missing from the keymap; under XKB those
    read back as copies of group 1, so a later character (é after ü, ß, ö) is typed as another one (ö).
    Reproduced under Xvfb by tests/tui/test_x11_typing.py. Slots 0-1 are reliable.
    """
    from pynput.keyboard import Controller

    if not sys.platform.startswith("linux"):
        return Controller()
    try:
        from pynput._util.xorg import display_manager
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

    controller = GroupOneController()
    if not all(hasattr(controller, name) for name in ("_display", "_borrows", "_borrow_lock", "_key_to_keysym")):
        return Controller()  # pragma: no cover - pynput changed its internals: use it as it is
    return controller


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
    "KeyboardSink",
    "TextSink",
    "typing_runs",
    "typing_unavailable_reason",
]
