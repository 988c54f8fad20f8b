"""How the dashboard reacts to each event of its dictation stream: one handler per event type.

``StreamRoutes`` is an object the app builds with what the handlers change (the transcript, ON/OFF, push-to-talk,
the history pane) and the few things they ask of the app's screen (``DashboardHooks``); the app passes
``routes.handle`` to its stream, and each event goes to the handler registered for its type.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from dictate.client.events import Connected, Connecting, Disconnected, Failed, Level, ServerWarning, StreamEvent
from dictate.protocol import FinalMessage, InterimMessage
from dictate.transcript import Transcript, TypingPlan, final_latency_ms
from dictate.tui.history_pane import HistoryPane
from dictate.tui.onoff import OnOff, Step
from dictate.tui.pushtotalk import PushToTalk
from dictate.tui.view import Connection, StatusInfo
from dictate.voice_commands import VoiceCommand

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DashboardHooks:
    """What the handlers ask of the app: its screen, its ON/OFF steps and its typing."""

    alert: Callable[[str, str], None]  # (text, "warning" | "error"); "" hides the alert line
    set_status: Callable[..., None]  # StatusInfo fields to change
    status: Callable[[], StatusInfo]
    render_interim: Callable[[], None]
    do: Callable[[Step], None]  # carry out an ON/OFF step
    submit: Callable[[TypingPlan], None]  # type a plan now
    cancel_typing: Callable[[], None]  # drop plans not typed yet


class StreamRoutes:
    """The stream-event handlers of the dashboard, and the last final text they showed."""

    def __init__(
        self,
        transcript: Transcript,
        onoff: OnOff,
        push_to_talk: PushToTalk,
        history_pane: HistoryPane,
        hooks: DashboardHooks,
        *,
        asks_vocabulary: bool,
    ) -> None:
        self.transcript = transcript
        self.onoff = onoff
        self.push_to_talk = push_to_talk
        self.history_pane = history_pane
        self.hooks = hooks
        self.asks_vocabulary = asks_vocabulary  # the user gave words to favour: say when a server ignores them
        self.last_final = ""  # shown dimmed in the "Now" pane until the next interim

    def handle(self, event: StreamEvent) -> None:
        """Route one event of the dictation stream (called on the event loop) to its handler by type."""
        if not isinstance(event, Level):
            logger.debug("session event: %s", type(event).__name__)
        self._route_event(event)
        self.hooks.render_interim()

    @functools.singledispatchmethod
    def _route_event(self, event: StreamEvent) -> None:
        raise TypeError(f"no handler for {type(event).__name__}")

    @_route_event.register
    def _handle_level(self, event: Level) -> None:
        self.hooks.set_status(level_dbfs=event.dbfs)

    @_route_event.register
    def _handle_connecting(self, event: Connecting) -> None:
        state = Connection.CONNECTING if event.attempt == 0 else Connection.RECONNECTING
        self.hooks.set_status(connection=Connection.STOPPING if self.onoff.is_stopping else state)

    @_route_event.register
    def _handle_connected(self, event: Connected) -> None:
        ready = event.ready
        self.transcript.new_session()
        self.history_pane.new_session()
        if self.onoff.is_on:
            self.transcript.resume_typing()
        if self.hooks.status().connection == Connection.RECONNECTING:
            self.hooks.alert("reconnected: dictation goes on (text typed before the drop is kept)", "warning")
        elif self.asks_vocabulary and "vocabulary" not in ready.features:
            self.hooks.alert(
                "this server does not offer the feature 'vocabulary': it ignores the vocabulary", "warning"
            )
        else:
            self.hooks.alert("", "warning")
        self.hooks.set_status(
            model=ready.model, device=f"{ready.device} {ready.compute_type}", connection=Connection.CONNECTED
        )

    @_route_event.register
    def _handle_disconnected(self, event: Disconnected) -> None:
        self.transcript.connection_lost()
        self.push_to_talk.drop_plans()
        self.hooks.cancel_typing()
        retry = "" if event.retry_in is None else "; reconnecting"
        if event.retry_in:
            retry = f"; retrying in {event.retry_in:.1f} s"
        what = "connection lost" if event.was_connected else "could not connect to the server"
        self.hooks.alert(f"{what}: {event.reason}{retry}. Typing is paused.", "warning")
        self.hooks.set_status(connection=Connection.RECONNECTING)

    @_route_event.register
    def _handle_warning(self, event: ServerWarning) -> None:
        self.hooks.alert(event.reason, "warning")

    @_route_event.register
    def _handle_failed(self, event: Failed) -> None:
        self.hooks.alert(event.reason, "error")
        self.hooks.set_status(connection=Connection.FAILED)

    @_route_event.register
    def _on_transcript(self, message: InterimMessage | FinalMessage) -> None:
        plan = self.transcript.on_message(message)
        if not plan.is_empty and not self.push_to_talk.defer(plan):  # held push-to-talk: typed at release
            self.hooks.submit(plan)
        if isinstance(message, FinalMessage) and self.transcript.last_command is not None:
            self._on_command(self.transcript.last_command)
        elif isinstance(message, FinalMessage):
            text = " ".join(message.text.split())
            latency = final_latency_ms(message)
            if latency is not None:
                self.hooks.set_status(latency_ms=latency)
            if text:
                self.last_final = text
            self.history_pane.record_final(message.utterance_id, text, latency, message.revises)

    def _on_command(self, command: VoiceCommand) -> None:
        """A voice command was said (the transcript typed what it types): note it, stop on 'stop listening'."""
        self.last_final = f"[command: {command.value}]"
        if command is VoiceCommand.STOP_LISTENING:
            self.hooks.do(self.onoff.turn_off())
