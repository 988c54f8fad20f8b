"""The server gives freed heap back once idle (issue 20 item 13): one glibc malloc_trim per idle spell, never
while busy. Real malloc_trim; the service's busy state is a plain flag here."""

from __future__ import annotations

import asyncio

import pytest

from dictate.server.edge.memory import current_rss, malloc_trim, trim_when_idle

pytestmark = pytest.mark.skipif(malloc_trim() is None, reason="the C library has no malloc_trim (not glibc)")


def test_one_trim_per_idle_spell_and_none_while_busy() -> None:
    async def scenario() -> list[str]:
        busy = True
        calls: list[str] = []
        trimmed = asyncio.Event()

        def rss() -> int | None:
            calls.append("busy" if busy else "idle")
            if len(calls) % 2 == 0:  # before and after each trim
                trimmed.set()
            return current_rss()

        task = asyncio.create_task(trim_when_idle(lambda: busy, idle_s=0.05, rss=rss, check_every=0.01))
        await asyncio.sleep(0.1)  # busy all along: nothing trimmed
        assert calls == []
        busy = False
        await asyncio.wait_for(trimmed.wait(), 10)
        trimmed.clear()
        idle_checks = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, idle_checks.set)
        await idle_checks.wait()  # still idle: no second trim
        assert calls == ["idle", "idle"]
        busy = True
        await asyncio.sleep(0.05)
        busy = False  # a new idle spell: one more trim
        await asyncio.wait_for(trimmed.wait(), 10)
        task.cancel()
        return calls

    assert asyncio.run(scenario()) == ["idle"] * 4


def test_current_rss_is_the_process_size() -> None:
    rss = current_rss()
    assert rss is not None and 10 * 2**20 < rss < 64 * 2**30
