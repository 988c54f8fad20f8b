"""Per-app profiles in the dashboard (Pilot, scripted server, real client): the profile of the focused app
(a fake probe: the real ones run in tests/tui/test_ctl_x11.py) shapes each final, sets its typing mode, and
shows in the status bar."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Static

from dictate.config import Profile, TypingMode
from dictate.profiles import FocusedApp
from dictate.tui.profile_gate import ProfileGate

from .conftest import RecordingSink, make_app, turn_off, wait_until
from .fakeserver import FakeServer, Script


class FixedProbe:
    name = "fixed"

    def __init__(self, app: FocusedApp | None) -> None:
        self.app = app

    def focused(self) -> FocusedApp | None:
        return self.app


def test_the_focused_apps_profile_shapes_the_final_and_shows_in_the_status_bar(tmp_path: Path, clips: dict) -> None:
    profiles = {
        "chat": Profile(
            match=["slack"], first_capital=False, final_full_stop=False, type_mode=TypingMode.PASTE,
            replace={"ill-disposed": "ill disposed"},
        )
    }  # fmt: skip
    server = FakeServer([Script(interims=[])]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips["ps_cards_001.wav"].path, sink=sink, profiles=profiles)
    app.profiles = ProfileGate(
        app.options.settings, FixedProbe(FocusedApp(("slack", "Slack"))), app.routes.handle, app._use_typing
    )
    status_text: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=(160, 34)) as pilot:
            assert "profile -" in str(app.query_one("#status", Static).render())
            await pilot.press("space")
            await wait_until(lambda: bool(sink.text), what="typed text")
            status_text.append(str(app.query_one("#status", Static).render()))
            await turn_off(app, pilot)

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert sink.text == "he was not an ill disposed young man"
    assert all(plan.paste for plan in sink.plans), "the profile's typing mode"
    assert "profile chat" in status_text[0] and "typing paste" in status_text[0]
    assert app.chosen_mode is TypingMode.FINAL, "the user's choice is kept for the other apps"
