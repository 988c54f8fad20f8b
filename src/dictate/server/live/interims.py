"""When the live core (``core.LiveCore``) asks for an interim pass: its beat. Pure.

While an utterance is open and no pause has begun, one pass every ``interval`` seconds (counted from the start
of the previous one, as RealtimeSTT's realtime worker did), the first ``first_after`` seconds after speech began.
The VAD reads 32 ms chunks, so a pass is due at the read nearest its time, and the next one an interval after
this one was due, not after the read that started it (that added 20-24 ms to every interval and to the first).
"""

from __future__ import annotations

from dataclasses import dataclass

from dictate.protocol import SAMPLE_RATE
from dictate.server.live.outputs import PassRequest

MIN_INTERIM_SAMPLES = SAMPLE_RATE // 4  # an interim pass over less says nothing useful


@dataclass
class InterimPass:
    request: PassRequest
    utterance: tuple[int, int, float]  # Timeline.open_span() when it was asked for


@dataclass
class InterimBeat:
    first_after: float
    interval: float
    last: float | None = None  # when the latest interim was due (None: none this utterance)

    def due(self, at: float, chunk_seconds: float, speech_start: float) -> bool:
        """Whether a pass is due at the read of a ``chunk_seconds`` chunk at ``at`` (and if so, the beat moves)."""
        last = self.last if self.last is not None else speech_start
        due = max(last + self.interval, speech_start + self.first_after)
        if at + chunk_seconds / 2 < due:  # due at the read nearest its time
            return False
        # keep the beat; after a long pass or a pause, a new beat starts here
        self.last = due if at - due < self.interval else at
        return True
