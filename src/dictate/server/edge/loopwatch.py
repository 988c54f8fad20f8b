"""A watch on the event loop: when it wakes up late, something blocked it, and every live session's audio of
that time reached the voice detector in a burst (RealtimeSTT times silence by the wall clock, so speech in a
burst may never be detected). Such a stall is logged, counted, and told to each session as ``speech_dropped``
(issue 20 item 10: a 5 s stall left 7 s of speech without a final and the books said "0.0 s dropped").

``ServiceState`` owns the task: the app's lifespan starts it and cancels it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

WATCH_INTERVAL_S = 0.25
# a loop this late has fed seconds of 20 ms frames in one burst; shorter delays happen on a loaded CPU (the
# process waits for a core) without harm to the VAD, and reporting them would cry wolf
STALL_THRESHOLD_S = 2.0


async def watch_loop(
    on_stall: Callable[[float], None], interval: float = WATCH_INTERVAL_S, threshold: float = STALL_THRESHOLD_S
) -> None:
    """Forever (until cancelled): sleep ``interval``; when the loop woke ``threshold`` seconds or more late, call
    ``on_stall(seconds late)`` on the loop."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + interval
        await asyncio.sleep(interval)
        late = loop.time() - due
        if late >= threshold:
            on_stall(late)
