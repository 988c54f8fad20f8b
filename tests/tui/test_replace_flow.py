"""The config file's `replace` table reaches what the dashboard types and saves (scripted server, real client)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dictate.tui.history import History

from .conftest import RecordingSink, make_app, turn_off, wait_until
from .fakeserver import FakeServer, Script


def test_replacements_from_the_config_file_are_typed_and_saved(
    tmp_path: Path, clips: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[replace]\ngpt = "GPT"\n"chat gpt" = "ChatGPT"\n')
    monkeypatch.setenv("DICTATE_CONFIG", str(config))
    server = FakeServer([Script(interims=["ask gpt"], final="Ask chat gpt, not gpts.")]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips["ps_cards_001.wav"].path, sink=sink)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: bool(sink.text), what="typed text")
            await turn_off(app, pilot)

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert sink.text == "Ask ChatGPT, not gpts."
    history = History(tmp_path / "history.sqlite3")
    assert [entry.text for entry in history.recent()] == ["Ask ChatGPT, not gpts."]
    history.close()
