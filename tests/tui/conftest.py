"""Fixtures of the dashboard tests: a scripted server, a recording text sink, an app factory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dictate.config import ClientSettings, TypingMode
from dictate.transcript import TypingPlan, apply_plan
from dictate.tui.app import DictateApp, TuiOptions

from .fakeserver import FakeServer

REPO_ROOT = Path(__file__).resolve().parents[2]


class RecordingSink:
    """A fake focused text field: applies each plan, counts keys (the real one is tested under Xvfb)."""

    def __init__(self) -> None:
        self.text = ""
        self.plans: list[TypingPlan] = []
        self.cancelled = 0

    def submit(self, plan: TypingPlan) -> None:
        self.plans.append(plan)
        self.text = apply_plan(self.text, plan)

    def cancel_pending(self) -> None:
        self.cancelled += 1

    def close(self) -> None:
        pass


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


def make_app(
    tmp_path: Path,
    server: str | None,
    source: Path | None = None,
    mode: TypingMode = TypingMode.FINAL,
    sink: RecordingSink | None = None,
    **settings: object,
) -> DictateApp:
    """A dashboard with a private history file, no global hotkey, and (by default) a recording sink."""
    client = ClientSettings(
        server=server,
        type_mode=mode,
        history_path=tmp_path / "history.sqlite3",
        final_grace=3.0,
        **settings,  # type: ignore[arg-type]
    )
    options = TuiOptions(settings=client, source=source, global_hotkey=False)
    return DictateApp(options, sink=sink if sink is not None else RecordingSink())


async def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``condition`` on the app's loop until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
