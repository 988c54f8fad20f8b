"""How the dashboard reacts to each event of its dictation stream: one handler per event type.

``StreamRoutes`` is a part of ``DictateApp`` (a mixin): the app passes ``handle_session_event`` to its
``ReconnectingStream``, and each event goes to the handler registered for its type.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from dictate.client.stream import Connected, Connecting, Disconnected, Failed, Level, ServerWarning, StreamEvent
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import Transcript, TypingPlan, final_latency_ms
from dictate.tui.history_pane import HistoryPane
from dictate.tui.messages import TuiOptions
from dictate.tui.onoff import OnOff, Step
from dictate.tui.pushtotalk import PushToTalk
from dictate.tui.sink import TextSink
from dictate.tui.view import Connection, StatusInfo
from dictate.voice_commands import VoiceCommand

logger = logging.getLogger(__name__)


class StreamRoutes:
    """The stream-event handlers of ``DictateApp``."""

    transcript: Transcript
    sink: TextSink | None
    onoff: OnOff
    _push_to_talk: PushToTalk
    status: StatusInfo
    last_final: str
    history_pane: HistoryPane
    options: TuiOptions

    if TYPE_CHECKING:  # provided by DictateApp

        def alert(self, text: str, severity: str = "warning") -> None: ...
        def _do(self, step: Step) -> None: ...
        def _set_status(self, **changes: object) -> None: ...
        def _render_interim(self) -> None: ...

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
        self.history_pane.new_session()
        if self.onoff.is_on:
            self.transcript.resume_typing()
        if self.status.connection == Connection.RECONNECTING:
            self.alert("reconnected: dictation goes on (text typed before the drop is kept)", "warning")
        elif self.options.vocabulary and ready.protocol_minor < 2:
            self.alert("this server is older than protocol 1.2: it ignores the vocabulary", "warning")
        else:
            self.alert("")
        self._set_status(
            model=ready.model, device=f"{ready.device} {ready.compute_type}", connection=Connection.CONNECTED
        )

    @_route_event.register
    def _handle_disconnected(self, event: Disconnected) -> None:
        self.transcript.connection_lost()
        self._push_to_talk.drop_plans()
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
        plan = self.transcript.on_message(message)
        if not plan.is_empty and not self._push_to_talk.defer(plan):  # held push-to-talk: typed at release
            self._submit(plan)
        if isinstance(message, FinalMessage) and self.transcript.last_command is not None:
            self._on_command(self.transcript.last_command)
        elif isinstance(message, FinalMessage):
            text = " ".join(message.text.split())
            latency = final_latency_ms(message)
            if latency is not None:
                self._set_status(latency_ms=latency)
            if text:
                self.last_final = text
            self.history_pane.record_final(message.utterance_id, text, latency, message.revises)

    def _submit(self, plan: TypingPlan) -> None:
        if self.sink is not None:
            self.sink.submit(plan)

    def _on_command(self, command: VoiceCommand) -> None:
        """A voice command was said (the transcript typed what it types): note it, stop on 'stop listening'."""
        self.last_final = f"[command: {command.value}]"
        if command is VoiceCommand.STOP_LISTENING:
            self._do(self.onoff.turn_off())
