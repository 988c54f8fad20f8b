"""Per-session limits a client cannot talk its way around. Pure: callers pass the monotonic clock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

EXPIRY_GRACE_S = 30.0  # past the session limit, wait this long at most for the speaker to pause
EXPIRY_END_WAIT_S = 2.0  # after session_expired, read audio until the client's end message, at most this long
LOGGED_ERRORS_PER_WINDOW = 5  # a client's errors logged per window; the rest are counted, then summarised


@dataclass(frozen=True)
class ErrorVerdict:
    """What to do about one client error."""

    log: bool  # write it to the log (the first few of each window)
    suppressed: int  # errors not logged since the last logged one (to mention in this line)
    close: bool  # the client passed max_errors within the window: close the session


@dataclass
class ErrorBudget:
    """Counts a session's non-fatal client errors (bad frames, bad controls) over a sliding window."""

    max_errors: int
    window: float
    logged_per_window: int = LOGGED_ERRORS_PER_WINDOW
    _times: deque[float] = field(default_factory=deque)
    _logged: deque[float] = field(default_factory=deque)
    _suppressed: int = 0

    def record(self, now: float) -> ErrorVerdict:
        for times in (self._times, self._logged):
            while times and times[0] <= now - self.window:
                times.popleft()
        self._times.append(now)
        close = len(self._times) >= self.max_errors
        if len(self._logged) < self.logged_per_window or close:
            self._logged.append(now)
            suppressed, self._suppressed = self._suppressed, 0
            return ErrorVerdict(True, suppressed, close)
        self._suppressed += 1
        return ErrorVerdict(False, 0, close)


def should_expire(now: float, expires_at: float, in_utterance: bool, grace: float = EXPIRY_GRACE_S) -> bool:
    """The session is past its limit and the speaker pauses (or the grace for a pause is spent)."""
    return now >= expires_at and (not in_utterance or now >= expires_at + grace)
