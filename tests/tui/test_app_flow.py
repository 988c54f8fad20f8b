"""The dashboard driven by Pilot against a scripted WebSocket server (real client and protocol, no model)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from textual.widgets import DataTable, Static

from dictate.config import TypingMode
from dictate.tui.app import DictateApp
from dictate.tui.history import History

from .conftest import RecordingSink, make_app, record_interim_pane, turn_off, wait_until
from .fakeserver import FakeServer, Script

CLIP = "ps_cards_001.wav"


def text_of(app: DictateApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def history_texts(app: DictateApp) -> list[str]:
    table = app.query_one("#history", DataTable)
    return [str(table.get_row_at(index)[1]) for index in range(table.row_count)]


def test_on_interim_final_off(tmp_path: Path, fake_server: FakeServer, clips: dict) -> None:
    sink = RecordingSink()
    app = make_app(tmp_path, fake_server.url, source=clips[CLIP].path, sink=sink)
    shown = record_interim_pane(app)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            assert "OFF" in text_of(app, "#banner")
            await pilot.press("space")
            assert "LISTENING" in text_of(app, "#banner")
            await wait_until(lambda: "he was" in shown, what="interim text")
            await wait_until(lambda: bool(history_texts(app)), what="a history entry")
            assert history_texts(app) == ["He was not an ill-disposed young man."]
            assert "fake-model" in text_of(app, "#status")
            await turn_off(app, pilot)
            assert "OFF" in text_of(app, "#banner")

    asyncio.run(scenario())
    assert sink.text == "He was not an ill-disposed young man."
    assert [plan.backspaces for plan in sink.plans] == [0]
    assert fake_server.connections[0].ended, "OFF must send the end message"
    assert fake_server.connections[0].audio_bytes > 0
    # the history outlives the app
    with_history = History(tmp_path / "history.sqlite3")
    assert [entry.text for entry in with_history.recent()] == ["He was not an ill-disposed young man."]
    with_history.close()


def test_off_types_the_last_final_within_grace_then_nothing(tmp_path: Path, clips: dict) -> None:
    server = FakeServer([Script(final="Last words.", final_on_end_only=True)]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips[CLIP].path, sink=sink)
    shown = record_interim_pane(app)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: "he was not an" in shown, what="interim text")
            assert sink.text == ""
            await turn_off(app, pilot)  # OFF: the final comes only now, after the end message
            assert sink.text == "Last words."
            # a message arriving after OFF (it cannot, the socket is closed) would type nothing either
            assert app.transcript.typing_stopped

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert server.connections[0].ended


def test_a_final_later_than_the_grace_is_not_typed_and_the_dashboard_says_so(tmp_path: Path, clips: dict) -> None:
    server = FakeServer([Script(final="Typed.")], late_final="Too late to type.").start()  # 2 s after end
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips[CLIP].path, sink=sink, final_grace=1.0)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: sink.text == "Typed.", what="the first final typed")
            await turn_off(app, pilot)
            await wait_until(lambda: "did not finish the last words" in text_of(app, "#alert"), what="the warning")
            assert history_texts(app) == ["Typed."]

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert sink.text == "Typed.", "a final after the grace period is never typed"


def test_reconnect_keeps_history_and_types_nothing_twice(tmp_path: Path, clips: dict) -> None:
    server = FakeServer([Script(final="First utterance."), Script(final="Second utterance.", after_bytes=8000)]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=clips[CLIP].path, sink=sink)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: sink.text == "First utterance.", what="the first final")
            server.drop_connections()
            await wait_until(lambda: "connection lost" in text_of(app, "#alert"), what="a warning")
            assert sink.cancelled >= 1, "typing must stop at once when the connection drops"
            await wait_until(lambda: len(server.connections) == 2, what="a reconnect")
            await wait_until(lambda: len(history_texts(app)) == 2, timeout=30, what="the second final")
            await turn_off(app, pilot)

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert sink.text == "First utterance. Second utterance."
    assert sum(len(plan.text) for plan in sink.plans) == len(sink.text), "something was typed twice"


def test_token_refused_is_shown_in_plain_words(tmp_path: Path, clips: dict) -> None:
    server = FakeServer(token="right").start()
    app = make_app(tmp_path, server.url, source=clips[CLIP].path, token="wrong")

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: app.session is None and "token" in text_of(app, "#alert"), what="error")
            assert "check the token" in text_of(app, "#alert")
            assert "OFF" in text_of(app, "#banner")
            assert "Traceback" not in text_of(app, "#alert")

    try:
        asyncio.run(scenario())
    finally:
        server.stop()


def test_no_server_warns_and_keeps_trying_until_off(tmp_path: Path, clips: dict) -> None:
    from dictate.client.embedded import free_loopback_port

    app = make_app(tmp_path, f"ws://127.0.0.1:{free_loopback_port()}/stream", source=clips[CLIP].path)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: "cannot connect" in text_of(app, "#alert"), what="a warning")
            assert "retrying" in text_of(app, "#alert")
            assert text_of(app, "#alert").startswith("could not connect to the server: cannot connect to ws://")
            assert "connection lost" not in text_of(app, "#alert")  # it never was connected
            await turn_off(app, pilot)
            assert "OFF" in text_of(app, "#banner")

    asyncio.run(scenario())


def test_no_microphone_is_an_error_not_a_crash(tmp_path: Path, fake_server: FakeServer) -> None:
    app = make_app(tmp_path, fake_server.url, source=None, input_device="no such microphone")

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: app.session is None and "microphone" in text_of(app, "#alert"), what="error")
            assert "input" in text_of(app, "#alert").lower()
            assert app.is_running

    asyncio.run(scenario())


def test_typing_mode_cycles_and_search_filters(tmp_path: Path, fake_server: FakeServer) -> None:
    history = History(tmp_path / "history.sqlite3")
    history.add("ten of clubs", 500.0)
    history.add("go forward ten meters", 600.0)
    history.close()
    app = make_app(tmp_path, fake_server.url, mode=TypingMode.FINAL)

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            assert history_texts(app) == ["go forward ten meters", "ten of clubs"]
            await pilot.press("m")
            assert app.transcript.mode is TypingMode.LIVE
            await pilot.press("m")
            assert app.transcript.mode is TypingMode.PASTE
            await pilot.press("m")
            assert app.transcript.mode is TypingMode.OFF
            assert "typing off" in text_of(app, "#status")
            await pilot.press("slash", *"clubs")
            await pilot.pause()
            assert history_texts(app) == ["ten of clubs"]
            await pilot.press("enter", "c")  # enter: to the filtered list; c: copy the selected entry
            await pilot.pause()
            assert app.clipboard == "ten of clubs"
            await pilot.press("escape")
            await pilot.pause()
            assert len(history_texts(app)) == 2

    asyncio.run(scenario())


class DyingMicrophone:
    """A live source (a clip at real-time pace) whose device goes away after ``seconds``, as an unplugged mic."""

    description = "dying microphone"
    wait_for_server = False

    def __init__(self, clip: Path, seconds: float) -> None:
        from dictate.client.sources import FileSource

        self._file = FileSource(clip)
        self._seconds = seconds

    async def frames(self) -> AsyncIterator[bytes]:
        import time

        from dictate.errors import NoMicrophoneError
        from dictate.tui.sources import microphone_lost_message

        started = time.monotonic()
        async for frame in self._file.frames():
            if time.monotonic() - started > self._seconds:
                raise NoMicrophoneError(microphone_lost_message(self.description))
            yield frame


def test_a_lost_microphone_finalizes_what_was_said_then_goes_off(tmp_path: Path, clips: dict) -> None:
    server = FakeServer([Script(final="Last words.", final_on_end_only=True)]).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, sink=sink)
    app._make_source = lambda: DyingMicrophone(clips[CLIP].path, seconds=1.5)  # type: ignore[method-assign]

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: app.session is None, what="the session to end after the device is lost")
            assert "stopped sending audio" in text_of(app, "#alert")
            assert "OFF" in text_of(app, "#banner")
            assert sink.text == "Last words.", "the speech before the loss is finalized and typed once"
            assert history_texts(app) == ["Last words."]

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    assert server.connections[0].ended, "the end message was sent: the server finalized the open utterance"
