"""The dashboard's pure and small parts: view helpers, history, typing helpers, backoff, file source."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dictate.audio import StreamConverter, to_pcm16_mono_16k
from dictate.client.sources import FileSource
from dictate.client.stream import reconnect_delay
from dictate.config import TypingMode
from dictate.errors import AudioError
from dictate.protocol import SAMPLE_RATE
from dictate.tui import view
from dictate.tui.history import History
from dictate.tui.sink import MACOS_ACCESSIBILITY_STEPS, _free_slot, typing_runs, typing_unavailable_reason


def test_level_meter_spans_floor_to_full_scale() -> None:
    assert view.level_meter(-120.0, 10) == "·" * 10
    assert view.level_meter(0.0, 10) == "█" * 10
    assert len(view.level_meter(-30.0, 10)) == 10
    assert view.level_meter(-30.0, 10).startswith("█████")


def test_status_shows_every_field_and_escapes_markup() -> None:
    info = view.StatusInfo(server="ws://h/[x]", model="turbo", device="cuda float16", latency_ms=412.4)
    text = view.status_markup(info)
    for part in ("ws://h/\\[x]", "turbo", "cuda float16", "412 ms", "[b]typing[/] final", "idle"):
        assert part in text


def test_status_says_what_typing_goes_through_and_when_it_is_unconfirmed() -> None:
    confirmed = view.status_markup(view.StatusInfo(typing_via="wtype"))
    assert "[b]typing[/] final via wtype" in confirmed and "unconfirmed" not in confirmed
    unconfirmed = view.status_markup(view.StatusInfo(typing_via="XSendEvent", typing_confirmed=False))
    assert "via XSendEvent [bold yellow](unconfirmed)[/]" in unconfirmed
    assert "via" not in view.status_markup(view.StatusInfo(typing_via="wtype", mode=TypingMode.OFF))
    assert "no XTEST" in view.unconfirmed_typing("XSendEvent")
    assert "X11 apps only" in view.unconfirmed_typing("XTEST (XWayland: X11 apps only)")


def test_banner_and_mode_cycle() -> None:
    assert "LISTENING" in view.banner_markup(True, False, None)
    assert "ctrl" in view.banner_markup(False, False, "<ctrl>+<alt>+<space>")
    assert view.next_mode(TypingMode.OFF) is TypingMode.FINAL
    assert [view.next_mode(m) for m in TypingMode] == [
        TypingMode.LIVE,
        TypingMode.PASTE,
        TypingMode.OFF,
        TypingMode.FINAL,
    ]


def test_history_search_is_literal_and_newest_first(tmp_path: Path) -> None:
    history = History(tmp_path / "sub" / "h.sqlite3")
    history.add("100% sure", created_at=1.0)
    history.add("one_two", created_at=2.0)
    history.add("onextwo", created_at=3.0)
    assert [e.text for e in history.recent()] == ["onextwo", "one_two", "100% sure"]
    assert [e.text for e in history.recent(search="_")] == ["one_two"]
    assert [e.text for e in history.recent(search="%")] == ["100% sure"]
    assert [e.text for e in history.recent(search="ONE")] == ["onextwo", "one_two"]
    history.close()


def test_history_remove_deletes_the_entries_a_revising_final_replaced(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    first = history.add("And so my fellow Americans.", created_at=1.0)
    second = history.add("Ask not.", created_at=2.0)
    history.remove([first.id, second.id])
    history.add("And so my fellow Americans, ask not what your country can do for you.", created_at=3.0)
    assert [e.text for e in history.recent()] == [
        "And so my fellow Americans, ask not what your country can do for you."
    ]
    history.close()


@given(st.text())
def test_typing_runs_keep_text_and_isolate_non_ascii(text: str) -> None:
    runs = typing_runs(text)
    assert "".join(runs) == text
    assert all(run.isascii() or len(run) == 1 for run in runs)


def test_free_slot_prefers_group_one_levels_then_empty_keycodes_then_evicts() -> None:
    mapping = [[0, 0, 0, 0] for _ in range(4)]
    mapping[0] = [100, 0, 100, 0]  # keycode 8: level 0 borrowed, level 1 free, group 2 echoes group 1
    assert _free_slot(mapping, {100: (8, 0, 0)}) == (8, 1, False)
    mapping[0] = [100, 101, 100, 101]
    assert _free_slot(mapping, {100: (8, 0, 0), 101: (8, 1, 0)}) == (9, 0, True)
    full = [[1, 1, 1, 1] for _ in range(4)]
    borrows = {100: (8, 0, 1), 101: (9, 0, 0), 102: (9, 1, 0)}
    assert _free_slot(full, borrows) == (9, 0, True)
    assert borrows == {100: (8, 0, 1)}  # the whole keycode was taken back; the pressed key was not


def test_typing_unavailable_reasons_are_plain_words() -> None:
    assert typing_unavailable_reason({"DISPLAY": ":0"}, "linux") is None
    assert "Wayland" in str(typing_unavailable_reason({"WAYLAND_DISPLAY": "wayland-0"}, "linux"))
    assert "no X display" in str(typing_unavailable_reason({}, "linux"))
    assert "Accessibility" in MACOS_ACCESSIBILITY_STEPS


def test_reconnect_backoff_grows_and_caps() -> None:
    delays = [reconnect_delay(n) for n in range(8)]
    assert delays[:3] == [0.5, 1.0, 2.0]
    assert max(delays) == 10.0
    assert delays == sorted(delays)


def test_stream_converter_matches_one_shot_resampling() -> None:
    rate = 44_100
    t = np.arange(rate) / rate
    stereo = np.stack([np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 300 * t)], axis=1).astype(np.float32) * 0.5
    converter = StreamConverter(rate)
    blocks = [converter.push(stereo[i : i + 441]) for i in range(0, rate, 441)]
    streamed = b"".join(blocks) + converter.push(np.zeros((0, 2), np.float32), last=True)
    assert abs(len(streamed) - len(to_pcm16_mono_16k(stereo, rate))) <= 4
    assert converter.last_level_dbfs < -100  # the last block was empty
    middle = np.frombuffer(streamed, "<i2")[4000:12000].astype(np.float32) / 32768
    assert 0.45 < float(np.max(np.abs(middle))) < 0.55


def test_file_source_paces_frames_at_real_time_then_silence(clips: dict) -> None:
    source = FileSource(clips["ps_cards_001.wav"].path, speed=4.0)
    assert source.wait_for_server

    async def take(seconds: float) -> tuple[int, float]:
        started = time.monotonic()
        count = 0
        frames = source.frames()
        async for _frame in frames:
            count += 1
            if count * 0.02 >= seconds:
                break
        await frames.aclose()
        return count, time.monotonic() - started

    count, elapsed = asyncio.run(take(2.0))  # 1.1 s of clip, then silence
    assert count == 100
    assert elapsed >= 2.0 / 4.0 * 0.9
    assert SAMPLE_RATE == 16_000


def test_missing_file_source_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError):
        FileSource(tmp_path / "nope.wav")


def test_the_app_has_a_handler_for_every_stream_event() -> None:
    import typing

    from dictate.client.events import StreamEvent
    from dictate.tui.routes import StreamRoutes

    registry = StreamRoutes.__dict__["_route_event"].dispatcher.registry
    assert set(typing.get_args(StreamEvent)) <= set(registry) - {object}


def test_the_history_pane_replaces_the_entries_a_revising_final_revises(tmp_path: Path) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from dictate.tui.history_pane import HistoryPane

    class PaneApp(App[None]):
        def compose(self) -> ComposeResult:
            yield HistoryPane()

    async def scenario() -> list[str]:
        history = History(tmp_path / "h.sqlite3")
        async with PaneApp().run_test() as pilot:
            pane = pilot.app.query_one(HistoryPane)
            pane.history = history
            pane.record_final(1, "ask not", 900.0, [])
            pane.record_final(2, "what your country", 800.0, [])
            pane.record_final(3, "Ask not what your country can do.", 700.0, [1, 2])  # one sentence again
            pane.new_session()
            pane.record_final(1, "next session", None, [])
            table = pane.query_one("#history", DataTable)
            texts = [str(table.get_row_at(row)[1]) for row in range(table.row_count)]
        history.close()
        return texts

    assert asyncio.run(scenario()) == ["next session", "Ask not what your country can do."]


def test_the_stream_routes_are_an_object_that_runs_without_the_app() -> None:
    """A connection, a final, a drop, a reconnection and 'stop listening', through StreamRoutes alone: what it
    types, what it asks of the screen, and its ON/OFF step."""
    from dictate.client.stream import Connected, Connecting, Disconnected
    from dictate.protocol import FinalMessage, ReadyMessage
    from dictate.transcript import Transcript
    from dictate.tui.history_pane import HistoryPane
    from dictate.tui.onoff import OnOff, Step
    from dictate.tui.pushtotalk import PushToTalk
    from dictate.tui.routes import DashboardHooks, StreamRoutes
    from dictate.tui.view import Connection, StatusInfo

    seen: list[tuple[object, ...]] = []
    status = [StatusInfo()]

    def set_status(**changes: object) -> None:
        status[0] = status[0].with_(**changes)

    hooks = DashboardHooks(
        alert=lambda text, severity: seen.append(("alert", text, severity)),
        set_status=set_status,
        status=lambda: status[0],
        render_interim=lambda: None,
        do=lambda step: seen.append(("do", step)),
        submit=lambda plan: seen.append(("type", plan.backspaces, plan.text)),
        cancel_typing=lambda: seen.append(("cancel",)),
    )
    onoff = OnOff()
    onoff.toggle()
    assert onoff.stream_started(onoff.run)
    transcript = Transcript(mode=TypingMode.FINAL, commands=True)
    routes = StreamRoutes(transcript, onoff, PushToTalk(), HistoryPane(), hooks, asks_vocabulary=False)
    ready = ReadyMessage("s1", "packaged:base", "cpu", "int8")

    routes.handle(Connecting("ws://127.0.0.1:9/stream", 0))
    assert status[0].connection == Connection.CONNECTING
    routes.handle(Connected(ready))
    routes.handle(FinalMessage(0, "Hello there.", 0.0, 1.0, 1.2, 1.0, 0.2))
    assert routes.last_final == "Hello there." and status[0].connection == Connection.CONNECTED
    routes.handle(Disconnected("the server went away", 0.5))
    routes.handle(Connecting("ws://127.0.0.1:9/stream", 1))
    routes.handle(Connected(ready))
    routes.handle(FinalMessage(0, "Stop listening.", 2.0, 3.0, 3.2, 1.0, 0.2))
    assert seen == [
        ("alert", "", "warning"),
        ("type", 0, "Hello there."),
        ("cancel",),
        ("alert", "connection lost: the server went away; retrying in 0.5 s. Typing is paused.", "warning"),
        ("alert", "reconnected: dictation goes on (text typed before the drop is kept)", "warning"),
        ("do", Step.FINISH),
    ]
    assert routes.last_final == "[command: stop listening]"
