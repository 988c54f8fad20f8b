"""Typing into the focused application, and the global hotkey. The ONLY module that imports pynput.

pynput needs an X display to import on Linux, so it is imported lazily, after ``typing_unavailable_reason``
said yes. Keystrokes are sent on one owned worker thread (never on the event loop, never in the audio
callback). Logs record counts and timings, never the typed text.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from dictate.transcript import TypingPlan

logger = logging.getLogger(__name__)

MACOS_ACCESSIBILITY_STEPS = (
    "macOS needs your permission before dictate can type: open System Settings > Privacy & Security > "
    "Accessibility, click +, add the terminal app you run dictate in (Terminal, iTerm2...), switch it on, "
    "then restart dictate."
)


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


def typing_unavailable_reason(
    environ: dict[str, str] | None = None, platform: str | None = None
) -> str | None:
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

    def __init__(self, on_error: Callable[[str], object], key_delay: float = 0.0) -> None:
        self._on_error = on_error
        self._key_delay = key_delay
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
                logger.debug(
                    "dropped a pending plan: %d backspaces, %d chars", plan.backspaces, len(plan.text)
                )
                return
        started = time.monotonic()
        try:
            controller = self._keyboard_controller()
            from pynput.keyboard import Key

            for _ in range(plan.backspaces):
                controller.tap(Key.backspace)
                if self._key_delay:
                    time.sleep(self._key_delay)
            if plan.text:
                controller.type(plan.text)
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

    def _keyboard_controller(self) -> Any:
        if self._controller is None:
            from pynput.keyboard import Controller

            self._controller = Controller()
        return self._controller


class GlobalHotkey:
    """A system-wide hotkey (pynput GlobalHotKeys) whose listener thread this object starts and stops."""

    def __init__(self, hotkey: str, on_press: Callable[[], object]) -> None:
        self.hotkey = hotkey
        self._on_press = on_press
        self._listener: Any = None

    def start(self) -> None:
        """Start listening; raises ValueError for a hotkey pynput cannot parse."""
        from pynput.keyboard import GlobalHotKeys

        listener = GlobalHotKeys({self.hotkey: self._on_press})
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
    "KeyboardSink",
    "TextSink",
    "typing_unavailable_reason",
]
