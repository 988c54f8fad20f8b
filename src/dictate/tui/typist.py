"""The typing thread: typing plans go, in order, to one ``Keyboard`` (see backends.py and sink.py).

Keystrokes are sent on one owned worker thread (never on the event loop, never in the audio callback). Logs
record counts and timings, never the typed text. A plan marked ``paste`` is pasted: clipboard saved, text put
on it, the paste shortcut sent, the saved text put back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from dictate.client_config import ClientSettings
from dictate.errors import DictateError
from dictate.transcript import TypingPlan
from dictate.tui.backends import Keyboard
from dictate.tui.clipboard import Clipboard, find_clipboard_tool
from dictate.tui.sink import open_keyboard

logger = logging.getLogger(__name__)

PASTE_RESTORE_DELAY_S = 0.5  # the focused app reads the clipboard after the shortcut: restore only later


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


class KeyboardSink:
    """Types plans with one ``Keyboard`` on one owned thread, in order."""

    def __init__(
        self,
        keyboard: Keyboard,
        on_error: Callable[[str], object],
        paste_restore_delay: float = PASTE_RESTORE_DELAY_S,
    ) -> None:
        self.keyboard = keyboard
        self._on_error = on_error
        self._paste_restore_delay = paste_restore_delay
        self._clipboard: Clipboard | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dictate-typing")
        self._generation = 0
        self._lock = threading.Lock()
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
            if plan.paste and plan.text.strip():
                self.keyboard.erase_and_type(plan.backspaces, "")
                self._paste(plan.text)
            else:
                self.keyboard.erase_and_type(plan.backspaces, plan.text)
        except DictateError as exc:  # no clipboard tool, or the backend's tool failed
            logger.warning("typing failed: %s", type(exc).__name__)
            self._on_error(str(exc))
            return
        except Exception as exc:  # pynput raises various X/Quartz errors
            logger.warning("typing failed: %s", type(exc).__name__)
            self._on_error(f"could not type into the focused app ({type(exc).__name__}: {exc})")
            return
        self.plans_typed += 1
        logger.debug(
            "typed %d backspaces and %d chars with %s in %.1f ms",
            plan.backspaces,
            len(plan.text),
            self.keyboard.name,
            (time.monotonic() - started) * 1000,
        )

    def _paste(self, text: str) -> None:
        """Put ``text`` on the clipboard, send the paste shortcut, then put back what was there (text only)."""
        if self._clipboard is None:
            self._clipboard = Clipboard(find_clipboard_tool())
        clipboard = self._clipboard
        saved = clipboard.read()
        clipboard.write(text)
        self.keyboard.paste_shortcut()
        time.sleep(self._paste_restore_delay)
        if clipboard.read() == text:  # unless something else was copied meanwhile
            clipboard.write(saved or "")


def open_sink(settings: ClientSettings, on_error: Callable[[str], object]) -> KeyboardSink:
    """The typing thread with this session's keyboard (``typing_backend``); raises TypingUnavailableError with one
    line saying what to install or allow when nothing can type here."""
    keyboard = open_keyboard(settings.typing_backend)
    return KeyboardSink(keyboard, on_error=on_error, paste_restore_delay=settings.paste_restore_delay)


__all__ = ["PASTE_RESTORE_DELAY_S", "KeyboardSink", "TextSink", "open_sink"]
