"""The dictation dashboard: composes the widgets and routes events. Logic lives in transcript.py, onoff.py,
view.py, client/stream.py (streaming), sink.py (typing), history.py (SQLite) and history_pane.py."""

from __future__ import annotations

import logging
import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Footer, Static

from dictate.client.session import SessionOptions
from dictate.client.sources import AudioSource, FileSource
from dictate.client.stream import Stream, stream_events
from dictate.config import HotkeyMode, TypingMode
from dictate.errors import DictateError
from dictate.profiles import AppTyping, session_vocabulary
from dictate.replacements import Replacements
from dictate.transcript import Transcript, TypingPlan
from dictate.tui import view
from dictate.tui.clipboard import find_clipboard_tool
from dictate.tui.control import ControlSocketBusyError
from dictate.tui.control_server import ControlServer, dashboard_command
from dictate.tui.focus import choose_probe
from dictate.tui.history import History, default_history_path
from dictate.tui.history_pane import HistoryPane
from dictate.tui.hotkey import Hotkey
from dictate.tui.messages import HotkeyPressed, HotkeyReleased, TuiOptions, TypingFailed
from dictate.tui.onoff import OnOff, Step
from dictate.tui.profile_gate import ProfileGate
from dictate.tui.pushtotalk import PushToTalk
from dictate.tui.routes import DashboardHooks, StreamRoutes
from dictate.tui.server_link import ServerLink
from dictate.tui.sources import MicrophoneSource
from dictate.tui.typist import TextSink, open_sink
from dictate.tui.view import Connection, StatusInfo
from dictate.voice_commands import PHRASES

logger = logging.getLogger(__name__)


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
        self.sink = sink
        self._owns_sink = sink is None
        self.history = history
        self.server = ServerLink(settings.server)
        self.session: Stream | None = None
        self.onoff = OnOff()  # ON / OFF / stopping, and which run is current
        self._push_to_talk = PushToTalk()
        self.hotkey = Hotkey(settings, self.onoff, self._push_to_talk, self._do, self._submit, self.set_timer)
        self.history_pane = HistoryPane()
        hooks = DashboardHooks(
            alert=self.alert,
            set_status=self._set_status,
            status=lambda: self.status,
            render_interim=lambda: self._render_interim(),  # looked up at each call (tests wrap it)
            do=self._do,
            submit=self._submit,
            cancel_typing=self._cancel_typing,
        )
        self.routes = StreamRoutes(
            self.transcript,
            self.onoff,
            self._push_to_talk,
            self.history_pane,
            hooks,
            asks_vocabulary=bool(options.vocabulary),
        )
        self.chosen_mode = settings.type_mode  # the user's (`m`, --type); a profile may type otherwise
        probe = choose_probe() if settings.profiles else None
        self._profiles_blind = probe if isinstance(probe, str) else None  # why profiles cannot match here
        self.profiles = ProfileGate(
            settings, None if isinstance(probe, str) else probe, self.routes.handle, self._use_typing
        )
        self._control: ControlServer | None = None
        self.status = StatusInfo(
            server=self.server.url or "embedded", mode=settings.type_mode, profile="-" if settings.profiles else ""
        )

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        with Horizontal(id="controls"):
            yield Button("Start", id="toggle", variant="success")
            yield Button("Typing: final", id="mode")
        interim = Static("", id="interim")
        interim.border_title = "Now"
        yield interim
        yield self.history_pane
        yield Static(id="alert")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        if self.history is None:
            path = self.options.settings.history_path or default_history_path()
            try:
                self.history = History(path)
            except DictateError as exc:
                self.alert(str(exc), "warning")
        self._start_control()  # first: a warning about typing, below, matters more than one about the socket
        if self.transcript.mode is not TypingMode.OFF and not self._ensure_sink(self.transcript.mode):
            self._set_mode(TypingMode.OFF)
        if self.options.global_hotkey and (problem := self.hotkey.start(self.post_message)):
            self.alert(problem, "warning")
        if self._profiles_blind is not None:
            self.alert(self._profiles_blind, "warning")
        if self.server.url is None:
            self.run_worker(self._start_embedded(), name="embedded-server", group="server")
        else:
            self.server.ready.set()
        self.history_pane.history = self.history
        self.history_pane.refresh_rows()
        self._render()
        if self.options.start_on:
            self.action_toggle_listening()

    async def on_unmount(self) -> None:
        if self._control is not None:
            self._control.close()
        self.profiles.close()
        if self.session is not None:
            self.session.stop()
        self.hotkey.stop()
        if self.sink is not None and self._owns_sink:
            self.sink.close()
        if self.history is not None:
            self.history.close()
        await self.server.close()

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
        mode = view.next_mode(self.chosen_mode)
        if mode is not TypingMode.OFF and not self._ensure_sink(mode):
            mode = TypingMode.OFF
        self._set_mode(mode)

    def action_search(self) -> None:
        self.history_pane.focus_search()

    def action_clear_search(self) -> None:
        self.history_pane.clear_search()

    def action_copy_entry(self) -> None:
        """Copy the selected history entry to the clipboard."""
        self.history_pane.copy_selected()

    @on(Button.Pressed, "#toggle")
    def _toggle_pressed(self) -> None:
        self.action_toggle_listening()

    @on(Button.Pressed, "#mode")
    def _mode_pressed(self) -> None:
        self.action_cycle_mode()

    def on_hotkey_pressed(self, _message: HotkeyPressed) -> None:
        self.hotkey.key_pressed(time.monotonic())

    def on_hotkey_released(self, _message: HotkeyReleased) -> None:
        self.hotkey.key_released(time.monotonic())

    def on_typing_failed(self, message: TypingFailed) -> None:
        self.alert(message.reason, "error")

    # ------------------------------------------------------------------ workers

    async def _start_embedded(self) -> None:
        settings = self.options.settings
        self._set_status(connection=Connection.STARTING_SERVER)
        try:
            url = await self.server.start_embedded(settings.model, settings.embedded_start_timeout)
        except Exception as exc:  # DictateError, or anything from a dying child: say it, stay usable
            logger.warning("embedded server failed: %s", exc)
            self.alert(f"cannot start the embedded server: {exc}", "error")
            self._set_status(connection=Connection.FAILED)
            return
        self._set_status(server=f"embedded {url}", connection=Connection.IDLE)

    def _make_source(self) -> AudioSource:
        if self.options.source is not None:
            return FileSource(self.options.source)
        return MicrophoneSource(self.options.settings.input_device)

    async def _dictate(self, run: int) -> None:
        """One run: wait for the server, then stream until OFF or a failure."""
        settings = self.options.settings
        try:
            await self.server.ready.wait()
            if self.server.url is None or not self.onoff.is_on:
                return
            try:
                source = self._make_source()
            except DictateError as exc:
                self.alert(str(exc), "error")
                return
            typing = await self.profiles.look()  # the app focused at ON: its profile's vocabulary, if any
            if not self.onoff.stream_started(run):
                return
            self._set_status(input_name=source.description)
            session = Stream(
                self.server.url,
                source,
                self.profiles.feed,  # each final waits for a look at the focused app (per-app profiles)
                # the transcript applies revising finals; the vocabulary biases this session's passes; the server
                # never joins a command said alone to other speech
                options=SessionOptions(
                    revisions=True,
                    vocabulary=self._vocabulary(typing),
                    commands=tuple(PHRASES) if settings.commands or typing.commands else (),
                ),
                token=settings.token.get_secret_value() if settings.token else None,
                reconnect=True,
                connect_timeout=settings.connect_timeout,
                final_grace=settings.final_grace,
                record_pcm=self.options.record_pcm,
                rewrite=Replacements(settings.replace) or None,  # the model's spelling -> the user's
            )
            self.session = session
            await stream_events(session, self.profiles.feed)  # a failure is shown as Failed
            await self.profiles.idle()  # the last final may still wait for its look
            self._set_status(input_name=source.description)
        finally:
            if run == self.onoff.run:  # not replaced by a newer run (ON while stopping)
                self.onoff.run_ended(run)
                self.transcript.stop_typing()  # type nothing more in this run
                self.session = None
                connection = Connection.FAILED if self.status.connection == Connection.FAILED else Connection.IDLE
                self._set_status(connection=connection, level_dbfs=-120.0)
                self._render()

    # ------------------------------------------------------------------ rendering

    def alert(self, text: str, severity: str = "warning") -> None:
        """Show a plain-words message above the status bar ('' hides it, or shows the typing warning again)."""
        if not self.is_running:  # being torn down: no widgets to write on (see _render)
            return
        if not text and not self.status.typing_confirmed:  # keys may not arrive: said until the dashboard closes
            text, severity = view.unconfirmed_typing(self.status.typing_via), "warning"
        widget = self.query_one("#alert", Static)
        widget.update(Text(text))
        widget.set_class(bool(text) and severity == "warning", "warning")
        widget.set_class(bool(text) and severity == "error", "error")

    def _ensure_sink(self, mode: TypingMode) -> bool:
        """Make the typing thread with this session's keyboard (once); False, with the reason shown, when
        nothing can type here or paste typing has no clipboard tool."""
        if self.sink is None:
            try:
                sink = open_sink(self.options.settings, lambda reason: self.post_message(TypingFailed(reason)))
            except DictateError as exc:
                self.alert(str(exc), "warning")
                return False
            self.sink, self._owns_sink = sink, True
            self._set_status(typing_via=sink.keyboard.name, typing_confirmed=sink.keyboard.confirmed)
            if not sink.keyboard.confirmed:
                self.alert(view.unconfirmed_typing(sink.keyboard.name), "warning")
        if mode is TypingMode.PASTE and self._owns_sink:
            try:
                find_clipboard_tool()
            except DictateError as exc:
                self.alert(str(exc), "warning")
                return False
        return True

    def _submit(self, plan: TypingPlan) -> None:
        if self.sink is not None:
            self.sink.submit(plan)

    def _cancel_typing(self) -> None:
        if self.sink is not None:
            self.sink.cancel_pending()

    def _vocabulary(self, typing: AppTyping) -> tuple[str, ...]:
        """The words sent at the start of a dictation: the user's, and those of the profile of the app focused then."""
        words, problem = session_vocabulary(self.options.vocabulary, self.options.profile_vocabulary, typing.profile)
        if problem:
            self.alert(problem)
        return words

    def _use_typing(self, typing: AppTyping, moved: bool) -> None:
        """The focused app's profile (looked up before each final): its typing mode, commands, the status bar.
        ``moved``: the focus went to another app since the last final, which starts afresh there."""
        if moved:
            self.transcript.new_target()
        self.transcript.commands = typing.commands
        self.transcript.mode = typing.typing_mode(self.chosen_mode)
        if self.status.profile:
            self._set_status(mode=self.transcript.mode, profile=typing.profile or "-")

    def _start_control(self) -> None:
        """Listen for `dictate ctl` on the control socket; another dashboard's stays its own."""
        path = self.options.control_socket
        if path is None:
            return
        control = ControlServer(path, lambda command: dashboard_command(self, command))
        try:
            control.claim()
        except ControlSocketBusyError as exc:
            logger.warning("%s", exc)
            self.alert(str(exc), "warning")
            return
        self._control = control
        self.run_worker(control.serve(), name="control-socket", group="control", exit_on_error=False)

    def _set_mode(self, mode: TypingMode) -> None:
        self.chosen_mode = mode
        self.transcript.set_mode(self.profiles.typing.typing_mode(mode))
        self._set_status(mode=self.transcript.mode)
        if not self.is_running:
            return
        self.query_one("#mode", Button).label = f"Typing: {mode.value}"
        self.query_one("#mode", Button).tooltip = view.MODE_HELP[mode]

    def _set_status(self, **changes: object) -> None:
        self.status = self.status.with_(**changes)
        if self.is_running:
            self.query_one("#status", Static).update(view.status_markup(self.status))

    def _render_interim(self) -> None:
        if not self.is_running:
            return
        pane = self.query_one("#interim", Static)
        if self.transcript.interim_text:
            pane.update(Text(self.transcript.interim_text))
        elif self.routes.last_final:
            pane.update(Text(self.routes.last_final, style="dim"))
        else:
            pane.update(Text("…" if self.onoff.is_on else "", style="dim"))

    def _render(self) -> None:
        """Draw the state. Not once the app is shutting down (``is_running`` turns False before Textual removes
        the widgets): the dictation worker's clean-up and the stream's last events still run then, and their
        state changes are kept, but there is nothing left to draw them on (quitting with `q` while listening
        printed NoMatches('#banner') after exit)."""
        if not self.is_running:
            return
        on, stopping = self.onoff.is_on, self.onoff.is_stopping
        hotkey = self.hotkey.listening
        banner = self.query_one("#banner", Static)
        hold = self.options.settings.hotkey_mode is HotkeyMode.HOLD
        banner.update(view.banner_markup(on, stopping, hotkey, hold))
        banner.set_class(on, "listening")
        banner.set_class(stopping, "stopping")
        toggle = self.query_one("#toggle", Button)
        toggle.label = "Stop (space)" if on else "Start (space)"
        toggle.variant = "error" if on else "success"
        self._set_mode(self.chosen_mode)
        self._render_interim()


__all__ = ["DictateApp", "HotkeyPressed", "TuiOptions", "TypingFailed"]
