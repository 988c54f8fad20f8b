"""The dictation dashboard: composes the widgets and routes events. Logic lives in transcript.py, view.py,
client/stream.py (streaming), sink.py (typing) and history.py (SQLite)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, DataTable, Footer, Input, Static

from dictate.client.connection import normalise_stream_url
from dictate.client.sources import AudioSource, FileSource
from dictate.client.stream import (
    Connected,
    Connecting,
    Disconnected,
    Failed,
    Level,
    ReconnectingStream,
    ServerWarning,
    StreamEvent,
)
from dictate.commands import VoiceCommand
from dictate.config import HotkeyMode, TypingMode
from dictate.errors import DictateError
from dictate.protocol import FinalMessage, InterimMessage
from dictate.replacements import Replacements
from dictate.transcript import Transcript, final_latency_ms
from dictate.tui import view
from dictate.tui.clipboard import find_clipboard_tool
from dictate.tui.history import History, default_history_path
from dictate.tui.messages import HotkeyPressed, HotkeyReleased, TuiOptions, TypingFailed
from dictate.tui.onoff import OnOff, Step
from dictate.tui.pushtotalk import RELEASE_SETTLE_S, HoldEnd, PushToTalk
from dictate.tui.sink import GlobalHotkey, KeyboardSink, TextSink, typing_unavailable_reason
from dictate.tui.sources import MicrophoneSource
from dictate.tui.view import Connection, StatusInfo

logger = logging.getLogger(__name__)

HISTORY_ROWS = 200


class DictateApp(App[None]):
    """ON/OFF dictation into the focused application, with live text, history and status."""

    CSS_PATH = "app.tcss"
    TITLE = "dictate"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_listening", "ON/OFF"),
        Binding("m", "cycle_mode", "Typing mode"),
        Binding("slash", "search", "Search"),
        Binding("c", "copy_entry", "Copy entry"),
        Binding("escape", "clear_search", "Clear search", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, options: TuiOptions, sink: TextSink | None = None, history: History | None = None) -> None:
        super().__init__()
        self.options = options
        settings = options.settings
        self.transcript = Transcript(mode=settings.type_mode, commands=settings.commands)
        self.replace = Replacements(settings.replace)  # the model's spelling -> the user's, before typing
        self.sink = sink
        self._owns_sink = sink is None
        self.history = history
        self._server_url = None if settings.server is None else normalise_stream_url(settings.server)
        self._server_ready = asyncio.Event()
        self._embedded: object | None = None
        self.session: ReconnectingStream | None = None
        self.onoff = OnOff()  # ON / OFF / stopping, and which run is current
        self._hotkey: GlobalHotkey | None = None
        self._push_to_talk = PushToTalk()
        self._hotkey_release: Timer | None = None
        self.status = StatusInfo(server=self._server_url or "embedded", mode=settings.type_mode)
        self.last_final = ""
        self._history_ids: dict[int, int] = {}  # this session's utterance ids -> their history entries

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        with Horizontal(id="controls"):
            yield Button("Start", id="toggle", variant="success")
            yield Button("Typing: final", id="mode")
        interim = Static("", id="interim")
        interim.border_title = "Now"
        yield interim
        with Vertical(id="history-box") as box:
            box.border_title = "History"
            yield Input(placeholder="search the history (/)", id="search")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Static(id="alert")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        table.add_column("time", width=10, key="time")
        table.add_column("text", key="text")
        if self.history is None:
            path = self.options.settings.history_path or default_history_path()
            try:
                self.history = History(path)
            except DictateError as exc:
                self.alert(str(exc), "warning")
        if self.transcript.mode is not TypingMode.OFF and not self._ensure_sink(self.transcript.mode):
            self._set_mode(TypingMode.OFF)
        self._start_hotkey()
        if self._server_url is None:
            self.run_worker(self._start_embedded(), name="embedded-server", group="server")
        else:
            self._server_ready.set()
        self.refresh_history()
        self._render()
        if self.options.start_on:
            self.action_toggle_listening()

    async def on_unmount(self) -> None:
        if self.session is not None:
            self.session.stop()
        if self._hotkey is not None:
            self._hotkey.stop()
        if self.sink is not None and self._owns_sink:
            self.sink.close()
        if self.history is not None:
            self.history.close()
        embedded = self._embedded
        if embedded is not None:
            from dictate.client.embedded import EmbeddedServer

            assert isinstance(embedded, EmbeddedServer)
            await asyncio.to_thread(embedded.stop)

    # ------------------------------------------------------------------ actions

    def action_toggle_listening(self) -> None:
        """ON: connect and listen. OFF: finish the last utterance, then stop."""
        self._do(self.onoff.toggle())

    def _do(self, step: Step) -> None:
        """Carry out what an ON/OFF transition asks for."""
        if step is Step.START:
            self.transcript.reset()
            self.alert("")
            self.run_worker(self._dictate(self.onoff.run), name="dictation", group="session", exclusive=True)
        elif step is Step.FINISH:
            self._set_status(connection=Connection.STOPPING)
            if self.session is not None:
                self.session.stop()
        elif step is Step.CANCEL:
            self.transcript.stop_typing()  # type nothing more in this run
            self.workers.cancel_group(self, "session")
            self._set_status(connection=Connection.IDLE)
        if step is not Step.NOTHING:
            self._render()

    def action_cycle_mode(self) -> None:
        """final -> live -> paste -> off."""
        mode = view.next_mode(self.transcript.mode)
        if mode is not TypingMode.OFF and not self._ensure_sink(mode):
            mode = TypingMode.OFF
        self._set_mode(mode)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#history", DataTable).focus()

    def action_copy_entry(self) -> None:
        """Copy the selected history entry to the clipboard."""
        table = self.query_one("#history", DataTable)
        if table.row_count == 0 or self.history is None:
            return
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        entry = self.history.get(int(str(row_key.value)))
        if entry is not None:
            self.copy_to_clipboard(entry.text)
            self.notify(f"Copied {len(entry.text)} characters to the clipboard")

    @on(Button.Pressed, "#toggle")
    def _toggle_pressed(self) -> None:
        self.action_toggle_listening()

    @on(Button.Pressed, "#mode")
    def _mode_pressed(self) -> None:
        self.action_cycle_mode()

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self.refresh_history()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one("#history", DataTable).focus()

    def on_hotkey_pressed(self, _message: HotkeyPressed) -> None:
        if self.options.settings.hotkey_mode is HotkeyMode.TOGGLE:
            self.action_toggle_listening()
        elif self._hotkey_release is not None:  # the key's auto-repeat: still held
            self._hotkey_release.stop()
            self._hotkey_release = None
        elif self._push_to_talk.press(time.monotonic()):
            self._do(self.onoff.turn_on())

    def on_hotkey_released(self, _message: HotkeyReleased) -> None:
        if self._hotkey_release is None:
            released_at = time.monotonic()
            self._hotkey_release = self.set_timer(RELEASE_SETTLE_S, lambda: self._end_hold(released_at))

    def _end_hold(self, released_at: float) -> None:
        """Push-to-talk released: finish as OFF does, or drop a press too short to be speech."""
        self._hotkey_release = None
        end = self._push_to_talk.release(released_at)
        if end is HoldEnd.FINISH:
            self._do(self.onoff.turn_off())
        elif end is not HoldEnd.NOTHING:
            self._do(self.onoff.discard())  # a slip of the key: type nothing, close the connection now

    def on_typing_failed(self, message: TypingFailed) -> None:
        self.alert(message.reason, "error")

    # ------------------------------------------------------------------ workers

    async def _start_embedded(self) -> None:
        from dictate.client.embedded import EmbeddedServer

        settings = self.options.settings
        self._set_status(connection=Connection.STARTING_SERVER)
        embedded = EmbeddedServer(model=settings.model, start_timeout=settings.embedded_start_timeout)
        self._embedded = embedded
        try:
            await asyncio.to_thread(embedded.start)
        except Exception as exc:  # DictateError, or anything from a dying child: say it, stay usable
            logger.warning("embedded server failed: %s", exc)
            self.alert(f"cannot start the embedded server: {exc}", "error")
            self._set_status(connection=Connection.FAILED)
            self._server_ready.set()
            return
        self._server_url = embedded.url
        self._set_status(server=f"embedded {embedded.url}", connection=Connection.IDLE)
        self._server_ready.set()

    def _make_source(self) -> AudioSource:
        if self.options.source is not None:
            return FileSource(self.options.source)
        return MicrophoneSource(self.options.settings.input_device)

    async def _dictate(self, run: int) -> None:
        """One run: wait for the server, then stream until OFF or a failure."""
        settings = self.options.settings
        try:
            await self._server_ready.wait()
            if self._server_url is None or not self.onoff.is_on:
                return
            try:
                source = self._make_source()
            except DictateError as exc:
                self.alert(str(exc), "error")
                return
            if not self.onoff.stream_started(run):
                return
            self._set_status(input_name=source.description)
            session = ReconnectingStream(
                self._server_url,
                source,
                self.handle_session_event,
                token=settings.token.get_secret_value() if settings.token else None,
                connect_timeout=settings.connect_timeout,
                final_grace=settings.final_grace,
                record_pcm=self.options.record_pcm,
            )
            self.session = session
            await session.run()
            self._set_status(input_name=source.description)
        finally:
            if run == self.onoff.run:  # not replaced by a newer run (ON while stopping)
                self.onoff.run_ended(run)
                self.transcript.stop_typing()  # type nothing more in this run
                self.session = None
                connection = Connection.FAILED if self.status.connection == Connection.FAILED else Connection.IDLE
                self._set_status(connection=connection, level_dbfs=-120.0)
                self._render()

    # ------------------------------------------------------------------ routing

    def handle_session_event(self, event: StreamEvent) -> None:
        """Route one event of the dictation stream (called on the event loop) to its handler by type."""
        if not isinstance(event, Level):
            logger.debug("session event: %s", type(event).__name__)
        self._route_event(event)
        self._render_interim()

    @functools.singledispatchmethod
    def _route_event(self, event: StreamEvent) -> None:
        raise TypeError(f"no handler for {type(event).__name__}")

    @_route_event.register
    def _handle_level(self, event: Level) -> None:
        self._set_status(level_dbfs=event.dbfs)

    @_route_event.register
    def _handle_connecting(self, event: Connecting) -> None:
        state = Connection.CONNECTING if event.attempt == 0 else Connection.RECONNECTING
        self._set_status(connection=Connection.STOPPING if self.onoff.is_stopping else state)

    @_route_event.register
    def _handle_connected(self, event: Connected) -> None:
        ready = event.ready
        self.transcript.new_session()
        self._history_ids.clear()  # utterance ids start again
        if self.onoff.is_on:
            self.transcript.resume_typing()
        if self.status.connection == Connection.RECONNECTING:
            self.alert("reconnected: dictation goes on (text typed before the drop is kept)", "warning")
        else:
            self.alert("")
        self._set_status(
            model=ready.model, device=f"{ready.device} {ready.compute_type}", connection=Connection.CONNECTED
        )

    @_route_event.register
    def _handle_disconnected(self, event: Disconnected) -> None:
        self.transcript.connection_lost()
        if self.sink is not None:
            self.sink.cancel_pending()
        retry = "" if event.retry_in is None else f"; retrying in {event.retry_in:.1f} s"
        self.alert(f"connection lost: {event.reason}{retry}. Typing is paused.", "warning")
        self._set_status(connection=Connection.RECONNECTING)

    @_route_event.register
    def _handle_warning(self, event: ServerWarning) -> None:
        self.alert(event.reason, "warning")

    @_route_event.register
    def _handle_failed(self, event: Failed) -> None:
        self.alert(event.reason, "error")
        self._set_status(connection=Connection.FAILED)

    @_route_event.register
    def _on_transcript(self, message: InterimMessage | FinalMessage) -> None:
        if self.replace:
            message = dataclasses.replace(message, text=self.replace(message.text))
        plan = self.transcript.on_message(message)
        if self.sink is not None and not plan.is_empty:
            self.sink.submit(plan)
        if isinstance(message, FinalMessage) and self.transcript.last_command is not None:
            self._on_command(self.transcript.last_command)
        elif isinstance(message, FinalMessage):
            text = " ".join(message.text.split())
            latency = final_latency_ms(message)
            if latency is not None:
                self._set_status(latency_ms=latency)
            if self.history is not None:  # a revising final replaces the entries of the finals it revises
                self.history.remove([self._history_ids.pop(i) for i in message.revises if i in self._history_ids])
            if text:
                self.last_final = text
                if self.history is not None:
                    self._history_ids[message.utterance_id] = self.history.add(text, latency).id
            if self.history is not None and (text or message.revises):
                self.refresh_history()

    def _on_command(self, command: VoiceCommand) -> None:
        """A voice command was said (the transcript typed what it types): note it, stop on 'stop listening'."""
        self.last_final = f"[command: {command.value}]"
        if command is VoiceCommand.STOP_LISTENING:
            self._do(self.onoff.turn_off())

    # ------------------------------------------------------------------ rendering

    def alert(self, text: str, severity: str = "warning") -> None:
        """Show a plain-words message above the status bar ('' hides it)."""
        widget = self.query_one("#alert", Static)
        widget.update(Text(text))
        widget.set_class(bool(text) and severity == "warning", "warning")
        widget.set_class(bool(text) and severity == "error", "error")

    def refresh_history(self) -> None:
        """Reload the history table (newest first, filtered by the search box)."""
        if self.history is None:
            return
        search = self.query_one("#search", Input).value.strip()
        table = self.query_one("#history", DataTable)
        table.clear()
        now = time.time()
        for entry in self.history.recent(HISTORY_ROWS, search):
            table.add_row(view.history_time(entry.created_at, now), entry.text, key=str(entry.id))

    def _ensure_sink(self, mode: TypingMode) -> bool:
        reason = typing_unavailable_reason() if self.sink is None else None
        if reason is None and mode is TypingMode.PASTE and self._owns_sink:
            try:
                find_clipboard_tool()
            except DictateError as exc:
                reason = str(exc)
        if reason is not None:
            self.alert(reason, "warning")
            return False
        if self.sink is None:
            self.sink = KeyboardSink(
                on_error=lambda reason: self.post_message(TypingFailed(reason)),
                paste_restore_delay=self.options.settings.paste_restore_delay,
            )
            self._owns_sink = True
        return True

    def _start_hotkey(self) -> None:
        hotkey = self.options.settings.hotkey
        if not self.options.global_hotkey or not hotkey or typing_unavailable_reason() is not None:
            return
        hold = self.options.settings.hotkey_mode is HotkeyMode.HOLD
        listener = GlobalHotkey(
            hotkey,
            lambda: self.post_message(HotkeyPressed()),
            (lambda: self.post_message(HotkeyReleased())) if hold else None,
        )
        try:
            listener.start()
        except Exception as exc:  # a bad hotkey string, or no keyboard access
            self.alert(f"global hotkey {hotkey} is not available: {exc}", "warning")
            return
        self._hotkey = listener

    def _set_mode(self, mode: TypingMode) -> None:
        self.transcript.set_mode(mode)
        self._set_status(mode=mode)
        self.query_one("#mode", Button).label = f"Typing: {mode.value}"
        self.query_one("#mode", Button).tooltip = view.MODE_HELP[mode]

    def _set_status(self, **changes: object) -> None:
        self.status = self.status.with_(**changes)
        self.query_one("#status", Static).update(view.status_markup(self.status))

    def _render_interim(self) -> None:
        pane = self.query_one("#interim", Static)
        if self.transcript.interim_text:
            pane.update(Text(self.transcript.interim_text))
        elif self.last_final:
            pane.update(Text(self.last_final, style="dim"))
        else:
            pane.update(Text("…" if self.onoff.is_on else "", style="dim"))

    def _render(self) -> None:
        on, stopping = self.onoff.is_on, self.onoff.is_stopping
        hotkey = self.options.settings.hotkey if self._hotkey is not None else None
        banner = self.query_one("#banner", Static)
        hold = self.options.settings.hotkey_mode is HotkeyMode.HOLD
        banner.update(view.banner_markup(on, stopping, hotkey, hold))
        banner.set_class(on, "listening")
        banner.set_class(stopping, "stopping")
        toggle = self.query_one("#toggle", Button)
        toggle.label = "Stop (space)" if on else "Start (space)"
        toggle.variant = "error" if on else "success"
        self._set_mode(self.transcript.mode)
        self._render_interim()


__all__ = ["DictateApp", "HotkeyPressed", "TuiOptions", "TypingFailed"]
