"""Give memory back to the system once the service is idle (issue 20 item 13).

After load, glibc's allocator keeps freed memory in its arenas: a 15-minute soak at N=2 left RSS ~200 MiB above
its start an hour after the last stream. ``malloc_trim(0)`` returns the free pages; it takes tens of
milliseconds, so it runs only once the service has been idle (no session, no file job) for ``idle_s``
seconds, once per idle spell, on a thread of its own (never on the event loop, never while anyone waits).
Where glibc is not the C library (musl, macOS), there is nothing to call and the task does nothing.

``ServiceState`` decides what idle means (``busy()``); the app's lifespan owns the task.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0


def malloc_trim() -> Callable[[], int] | None:
    """glibc's ``malloc_trim(0)`` as a callable, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: int(trim(0))


async def trim_when_idle(
    busy: Callable[[], bool], idle_s: float, rss: Callable[[], int | None], check_every: float = CHECK_EVERY_S
) -> None:
    """Forever (until cancelled): once ``busy()`` has been false for ``idle_s`` seconds, trim the heap once;
    again only after the next busy spell. ``rss()`` (bytes) is logged before and after."""
    trim = malloc_trim()
    if trim is None or idle_s <= 0:
        return
    idle_since: float | None = None
    trimmed = True  # nothing to give back before the first load
    while True:
        await asyncio.sleep(check_every)
        if busy():
            idle_since, trimmed = None, False
            continue
        now = time.monotonic()
        idle_since = idle_since if idle_since is not None else now
        if trimmed or now - idle_since < idle_s:
            continue
        before = rss()
        started = time.monotonic()
        await asyncio.to_thread(trim)
        trimmed = True
        after = rss()
        if before is not None and after is not None:
            logger.info(
                "idle for %.0f s: returned %.0f MiB to the system (RSS %.0f -> %.0f MiB, malloc_trim %.0f ms)",
                now - idle_since,
                (before - after) / 2**20,
                before / 2**20,
                after / 2**20,
                (time.monotonic() - started) * 1000,
            )


def current_rss() -> int | None:
    """This process's resident set size in bytes (Linux /proc), or None."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
