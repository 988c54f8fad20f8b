"""Per-app profiles in the dashboard: before each final is typed, look up the focused application and type the
final as its profile says (``profiles.py``: which profile; ``shaping.py``: the text; ``tui/focus.py``: the look).

The look runs a small command (xprop, swaymsg, lsappinfo) on a thread, never on the event loop. Meanwhile the
final, and every stream event after it, waits here, so events still reach the dashboard in order; once the
look is done they go on, the final shaped for the profile found. Switching windows mid-dictation therefore
works: each final is matched to the window focused when it is about to be typed. Without profiles (or with no
way to look) nothing waits: events are shaped by the dashboard's own settings and go on at once.

The gate owns its look task: ``close`` (the app's unmount) cancels it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from dictate.client.events import StreamEvent
from dictate.client_config import ClientSettings
from dictate.profiles import AppTyping, FocusedApp, app_typing, match_profile
from dictate.protocol import FinalMessage, InterimMessage
from dictate.tui.focus import FocusProbe

logger = logging.getLogger(__name__)


class ProfileGate:
    """Passes stream events to ``deliver`` in order, each final typed as the focused application's profile says;
    ``on_typing`` hears of the ``AppTyping`` in force before the final it applies to is delivered, and whether
    the focus moved to another application since the last look."""

    def __init__(
        self,
        settings: ClientSettings,
        probe: FocusProbe | None,
        deliver: Callable[[StreamEvent], None],
        on_typing: Callable[[AppTyping, bool], None],
    ) -> None:
        self._settings = settings
        self._probe = probe if settings.profiles else None
        self._deliver = deliver
        self._on_typing = on_typing
        self.typing = app_typing(settings, None)
        self.focused: FocusedApp | None = None  # at the last look
        self._waiting: deque[StreamEvent] = deque()
        self._task: asyncio.Task[None] | None = None

    @property
    def looks(self) -> bool:
        """Whether finals wait for a look at the focused application (profiles, and a probe for this desktop)."""
        return self._probe is not None

    def feed(self, event: StreamEvent) -> None:
        """One stream event (on the event loop)."""
        if self._waiting or (self.looks and isinstance(event, FinalMessage)):
            self._waiting.append(event)
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._look_then_release())
            return
        self._deliver(self._shaped(event))

    async def look(self) -> AppTyping:
        """Look at the focused application now; the typing its profile asks for (also given to ``on_typing``)."""
        app = await asyncio.to_thread(self._probe.focused) if self._probe is not None else None
        profile = match_profile(self._settings.profiles, app)
        if profile != self.typing.profile:
            logger.info("profile: %s (focused: %s)", profile or "-", app or "?")
        moved = None not in (app, self.focused) and app != self.focused
        self.focused = app
        self.typing = app_typing(self._settings, profile)
        self._on_typing(self.typing, moved)
        return self.typing

    async def idle(self) -> None:
        """Wait until no event is waiting (a run's end waits for its last final to go through)."""
        while self._task is not None:
            await asyncio.shield(self._task)

    def close(self) -> None:
        """Cancel a look in progress; events still waiting are dropped (the app is going away)."""
        task, self._task = self._task, None
        self._waiting.clear()
        if task is not None:
            task.cancel()

    async def _look_then_release(self) -> None:
        try:
            await self.look()
        except asyncio.CancelledError:
            return
        except Exception:  # a probe never raises; a bug here must not hold the finals back
            logger.exception("profile look failed")
        try:
            while self._waiting:
                self._deliver(self._shaped(self._waiting.popleft()))
        finally:
            self._task = None

    def _shaped(self, event: StreamEvent) -> StreamEvent:
        shaping = self.typing.shaping
        if isinstance(event, InterimMessage | FinalMessage) and shaping.changes_text:
            return replace(event, text=shaping(event.text))
        return event


__all__ = ["ProfileGate"]
