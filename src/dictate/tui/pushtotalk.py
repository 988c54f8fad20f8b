"""Push-to-talk (``--mode hold``): what a press and a release of the global hotkey mean. Pure: times in.

Listening starts when the hotkey goes down. When it comes up after at least ``minimum_hold`` seconds the
dictation ends as OFF does (the microphone stops, the end of stream is sent, the final text is typed); a
shorter press was a slip: it is discarded, nothing typed, its connection closed at once. While the hotkey is
held its modifiers are down, and keys typed then would become shortcuts: plans wait for the release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from dictate.transcript import TypingPlan

MINIMUM_HOLD_S = 0.3
RELEASE_SETTLE_S = 0.05  # a release followed this soon by a press is a key's auto-repeat, not the end


class HoldEnd(Enum):
    """What a release of the hotkey does."""

    NOTHING = "nothing"  # no hold was in progress
    FINISH = "finish"  # stop listening, type the final text
    DISCARD = "discard"  # too short: type nothing, close the session


@dataclass
class PushToTalk:
    """When the current hold began (None: the hotkey is up), and the typing plans kept until its release."""

    minimum_hold: float = MINIMUM_HOLD_S
    held_since: float | None = None
    _held_plans: list[TypingPlan] = field(default_factory=list)

    def defer(self, plan: TypingPlan) -> bool:
        """Keep ``plan`` until the release when the hotkey is held (True); False: type it now."""
        if self.held_since is None:
            return False
        self._held_plans.append(plan)
        return True

    def take_plans(self) -> list[TypingPlan]:
        """The plans kept during the hold, in order (type them now); none are kept after."""
        plans, self._held_plans = self._held_plans, []
        return plans

    def drop_plans(self) -> None:
        """Forget the kept plans (a slip, or the connection dropped: they are never typed)."""
        self._held_plans.clear()

    def press(self, now: float) -> bool:
        """The hotkey went down at ``now``: True when this begins a hold (start listening)."""
        if self.held_since is not None:
            return False
        self.held_since = now
        return True

    def release(self, now: float) -> HoldEnd:
        """The hotkey came up at ``now``: what to do with the dictation of this hold."""
        held_since, self.held_since = self.held_since, None
        if held_since is None:
            return HoldEnd.NOTHING
        return HoldEnd.FINISH if now - held_since >= self.minimum_hold else HoldEnd.DISCARD


__all__ = ["MINIMUM_HOLD_S", "RELEASE_SETTLE_S", "HoldEnd", "PushToTalk"]
