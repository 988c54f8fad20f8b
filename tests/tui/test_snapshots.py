"""Snapshots of the main screens (pytest-textual-snapshot): idle, listening with interim text, error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from dictate.client.events import Connected, Failed, Level
from dictate.protocol import InterimMessage, ReadyMessage
from dictate.tui.app import DictateApp

from .conftest import make_app

SERVER = "ws://127.0.0.1:9/stream"  # never contacted: the state is driven directly
SIZE = (100, 30)


def app_for(tmp_path: Path) -> DictateApp:
    return make_app(tmp_path, SERVER)


def test_idle(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(app_for(tmp_path), terminal_size=SIZE)


def test_listening_with_interim_text(snap_compare: Any, tmp_path: Path) -> None:
    async def listen(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, DictateApp)
        app.onoff.turn_on()  # as after ON, without a socket
        app._render()
        app.routes.handle(Connected(ReadyMessage("s1", "packaged:base", "cpu", "int8")))
        app.routes.handle(Level(-18.0))
        app.routes.handle(InterimMessage(0, "he was not an ill disposed", None, 0.0))
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, run_before=listen)


def test_error_state(snap_compare: Any, tmp_path: Path) -> None:
    async def fail(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, DictateApp)
        app.routes.handle(Failed("ws://127.0.0.1:9/stream refused the connection (HTTP 401): check the token"))
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=SIZE, run_before=fail)
