"""The service's own thread pools, so that live sessions never wait behind file work.

asyncio's default pool has ``cpu + 4`` threads (6 on 2 cores). When session start/finish/close and uploaded
file windows shared it, six uploads whose windows waited for a live utterance to end held every thread, and
the ``finish`` that would have ended that utterance queued behind them: a permanent wedge (issue 20 item 8).

* ``live``: a session's start, finish and close (each blocks on RealtimeSTT and on its final passes). One
  thread per allowed session and two spare: every session can run its lifecycle call at once.
* ``files``: one thread per allowed concurrent file job, for decoding and for file windows. A file window
  never waits on live state in a thread (``ModelScheduler.try_file_window`` returns at once when live speech
  or another pass holds the model; the job waits on the event loop), so these threads only ever compute.

Calls in flight are timed: ``oldest_live_call`` is when the oldest unfinished lifecycle call was submitted
(the readiness watchdog says "not ready" when it is older than ``stall_timeout``). ``ServiceState`` owns an
instance: it is created with the app and closed by the app's lifespan.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

SPARE_LIVE_THREADS = 2


class ServiceThreads:
    """``live`` and ``files`` thread pools, with the submission time of each live call still in flight."""

    def __init__(self, max_sessions: int, max_file_jobs: int) -> None:
        self._live = ThreadPoolExecutor(max_sessions + SPARE_LIVE_THREADS, thread_name_prefix="dictate-live")
        self._files = ThreadPoolExecutor(max(1, max_file_jobs), thread_name_prefix="dictate-file")
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._live_in_flight: dict[int, float] = {}

    async def live(self, call: Callable[[], T]) -> T:
        """Run a session lifecycle call (start/finish/close) on the live pool; awaits its result."""
        number = next(self._numbers)
        with self._lock:
            self._live_in_flight[number] = time.monotonic()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._live, call)
        finally:
            with self._lock:
                self._live_in_flight.pop(number, None)

    async def files(self, call: Callable[..., T], *args: object) -> T:
        """Run file work (decoding, one window) on the file pool; awaits its result."""
        return await asyncio.get_running_loop().run_in_executor(self._files, functools.partial(call, *args))

    def oldest_live_call(self) -> float | None:
        """The monotonic time the oldest unfinished live call was submitted, or None."""
        with self._lock:
            return min(self._live_in_flight.values(), default=None)

    def close(self) -> None:
        """Stop taking work; queued calls are cancelled, running ones are not waited for (the process's exit
        deadline in run.py ends any that hang)."""
        self._live.shutdown(wait=False, cancel_futures=True)
        self._files.shutdown(wait=False, cancel_futures=True)
