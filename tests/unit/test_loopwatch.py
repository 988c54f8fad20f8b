"""The event-loop watch (issue 20 item 10): a loop blocked for seconds is reported, a healthy one is not."""

from __future__ import annotations

import asyncio
import time

from dictate.server.edge.loopwatch import watch_loop


async def _watch_while(block_seconds: float) -> list[float]:
    stalls: list[float] = []
    watch = asyncio.create_task(watch_loop(stalls.append, interval=0.05, threshold=0.5))
    await asyncio.sleep(0)  # the watch starts its first interval
    time.sleep(block_seconds)  # the stimulus: something blocks the loop (a parser, a decode on the loop...)
    deadline = time.monotonic() + 30
    while not stalls and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    watch.cancel()
    return stalls


def test_a_blocked_loop_is_reported_with_how_late_it_woke() -> None:
    stalls = asyncio.run(_watch_while(1.0))
    assert len(stalls) == 1 and stalls[0] >= 0.5, stalls
