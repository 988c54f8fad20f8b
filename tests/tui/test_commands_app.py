"""Voice commands in the dashboard, driven by Pilot against a scripted server (real client and protocol)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dictate.tui.history import History
from dictate.voice_commands import PHRASES

from .conftest import RecordingSink, make_app, wait_until
from .fakeserver import FakeServer, Script
from .test_app_flow import history_texts, text_of


def test_commands_type_breaks_stop_listening_goes_off_and_stay_out_of_the_history(tmp_path: Path, clips: dict) -> None:
    finals = ["New line.", "Second.", "Scratch that.", "Third.", "Stop listening."]
    server = FakeServer([Script(interims=[], final="First.", more_finals=finals)]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips["ps_cards_001.wav"].path, sink=sink)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: app.session is None and bool(server.connections), what="OFF by voice")
            assert "OFF" in text_of(app, "#banner")
            assert "command: stop listening" in text_of(app, "#interim")
            assert history_texts(app) == ["Third.", "Second.", "First."]

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert sink.text == "First.\nThird."
    assert server.connections[0].ended, "'stop listening' ends the stream like OFF"
    assert server.connections[0].start["commands"] == list(PHRASES), "the server must not join commands (1.3)"
    history = History(tmp_path / "history.sqlite3")
    assert [entry.text for entry in history.recent()] == ["Third.", "Second.", "First."]
    history.close()


def test_no_commands_types_the_phrases(tmp_path: Path, clips: dict) -> None:
    server = FakeServer([Script(interims=[], final="New line.", more_finals=["Stop listening."])]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips["ps_cards_001.wav"].path, sink=sink, commands=False)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: len(history_texts(app)) == 2, what="both phrases as text")
            assert "LISTENING" in text_of(app, "#banner")

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert sink.text == "New line. Stop listening."
    assert server.connections[0].start["commands"] == [], "phrases typed as text may be joined like any speech"
