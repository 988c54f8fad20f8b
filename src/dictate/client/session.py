"""The client session core, sans I/O: what one dictation run has sent, holds and waits for. Pure: no sockets,
no clock, no tasks (as python-websockets' ``protocol.py`` is for WebSockets).

One ``SessionCore`` lives for one run (the dashboard's ON..OFF, one file of ``dictate transcribe``, one bench
stream) and across every connection of that run. The I/O shell (``client/stream.py``) tells it what happened,
and it answers with what to send and what the event means:

* ``opened()``: a socket is open; returns the ``start`` message (the one builder of it, ``SessionOptions``);
* ``received(message)``: a server message; returns the control messages to send in answer (``end`` when the
  server's time limit is reached) and remembers a fatal error's reason;
* ``audio(frame)``: a frame from the source; returns the frames to send now: held audio first (the pre-roll
  said before the first ``ready``, or the audio held while an expired session is replaced), nothing while held,
  nothing (dropped) while disconnected after the first ``ready``;
* ``end()``: our end of stream (OFF, or the source is done); returns the ``end`` message if one is due;
* ``closed(code, reason)``: the socket closed; returns what the close means (``Verdict``): the run is over,
  reconnect at once (the time limit), reconnect when the user speaks (the server closed a session without
  speech: meanwhile the audio is kept as a pre-roll, and ``heard(dbfs)`` says when a frame is speech),
  reconnect after a pause, or fail (the token was refused).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from dictate.audio import DEFAULT_FRAME_MS
from dictate.errors import (
    AuthenticationError,
    ConnectionFailedError,
    NoSpeechError,
    ServerBusyError,
    SessionExpiredError,
)
from dictate.protocol import (
    CloseCode,
    EndMessage,
    ErrorCode,
    ErrorMessage,
    ReadyMessage,
    ServerMessage,
    StartMessage,
    encode,
)

PREROLL_S = 1.0  # live audio kept while the first connection opens, sent once the server is ready
ROLLOVER_HOLD_S = 15.0  # audio kept while an expired session (the server's time limit) is replaced by a new one
WAKE_LEVEL_DBFS = -40.0  # after a no-speech close, a 20 ms frame this loud means the user speaks: reconnect


@dataclass(frozen=True)
class SessionOptions:
    """What a client asks of every session of its run: the one place a ``start`` message is built.

    ``revisions``: the client applies finals that revise earlier ones (feature ``revisions``); a client that
    does not ask never gets one. ``vocabulary``: words the session's passes favour (feature ``vocabulary``).
    ``commands``: phrases the client acts on when said alone, never joined to other speech (``commands``).
    """

    revisions: bool = True
    vocabulary: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    def start_message(self) -> StartMessage:
        return StartMessage(revisions=self.revisions, vocabulary=self.vocabulary, commands=self.commands)

    def unsupported(self, ready: ReadyMessage) -> list[str]:
        """The features these options use that the server's ``ready`` does not list (it ignores them)."""
        used = {"revisions": self.revisions, "vocabulary": bool(self.vocabulary), "commands": bool(self.commands)}
        return [name for name, on in used.items() if on and name not in ready.features]


class Phase(Enum):
    """Where the current connection is."""

    DISCONNECTED = "disconnected"  # before the first connection, or between two
    OPENING = "opening"  # socket open, ``start`` sent, waiting for ``ready``
    STREAMING = "streaming"  # ready: audio flows
    ROLLING_OVER = "rolling over"  # the server's time limit: ``end`` sent, new audio held for the next session
    ENDING = "ending"  # our ``end`` sent: waiting for the last final and the close


class Next(Enum):
    """What a close means for the run."""

    DONE = "done"  # our end was answered (or we stopped): the run is over
    RECONNECT_NOW = "reconnect now"  # the session expired: a new one at once, held audio first
    RECONNECT_ON_SPEECH = "reconnect on speech"  # closed without speech: a new one when the user speaks
    RECONNECT = "reconnect"  # dropped: a new session after a pause (if the client reconnects at all)
    FAIL = "fail"  # no new session can help (the token was refused)


@dataclass(frozen=True)
class Verdict:
    """What a close means: ``next``, and the error a user should see (None: nothing went wrong)."""

    next: Next
    error: ConnectionFailedError | None = None
    was_ready: bool = False  # this connection got ``ready`` (a drop after it reconnects without a pause)


def error_for_close(code: int | None, reason: str, fatal: ErrorMessage | None = None) -> ConnectionFailedError | None:
    """The error a close means (None for a normal close), naming the server's reason: the close reason, or the
    fatal error message that came before it (e.g. ``unauthorized``: the token was refused)."""
    if code in (None, CloseCode.NORMAL) and fatal is None:
        return None
    text = (fatal.message if fatal is not None else "") or reason or "no reason given"
    if fatal is not None and fatal.code == ErrorCode.UNAUTHORIZED:
        return AuthenticationError(f"the server refused the token ({fatal.message}): check the token")
    if code == CloseCode.POLICY_VIOLATION and "token" in text.lower():
        return AuthenticationError(f"the server refused the token ({text}): check the token")
    if code == CloseCode.SESSION_EXPIRED:
        return SessionExpiredError(f"the session reached the server's time limit: {text}")
    if code == CloseCode.NO_SPEECH or (fatal is not None and fatal.code == ErrorCode.NO_SPEECH):
        return NoSpeechError(f"the server closed a session without speech: {text}")
    if code == CloseCode.TRY_AGAIN_LATER:
        return ServerBusyError(f"the server is busy: {text}")
    if code == CloseCode.GOING_AWAY:
        return ConnectionFailedError(f"the server is shutting down: {text}")
    if fatal is not None and code in (None, CloseCode.NORMAL):
        return ConnectionFailedError(f"server error ({fatal.code}): {fatal.message}")
    return ConnectionFailedError(f"the server closed the connection ({code}): {text}")


class SessionCore:
    """The state of one run across its connections (see the module docstring). ``str(core)`` says where it is."""

    def __init__(
        self,
        options: SessionOptions,
        frame_ms: int = DEFAULT_FRAME_MS,
        preroll_s: float = PREROLL_S,
        hold_s: float = ROLLOVER_HOLD_S,
    ) -> None:
        self.options = options
        self.phase = Phase.DISCONNECTED
        self.ever_ready = False  # some connection of this run got ``ready``
        self.was_ready = False  # the current connection got ``ready``
        self.stopping = False  # our end of stream was asked for: no new session after this one
        self.rolling_over = False  # a session expired: audio is held until the next session is ready
        self.dozing = False  # told no_speech: a pre-roll is kept until the user speaks and a session is ready
        self.woke = False  # while dozing, a frame was speech: from then on every frame is held for the next session
        self.fatal: ErrorMessage | None = None  # the current connection's fatal error message
        self.frames_sent = 0
        self.frames_dropped = 0  # read from the source while disconnected after a ready: lost
        self._preroll_frames = max(1, int(preroll_s * 1000 / frame_ms))
        self._held: deque[bytes] = deque(maxlen=max(1, int(hold_s * 1000 / frame_ms)))

    def __repr__(self) -> str:
        return (
            f"SessionCore({self.phase.value}, ever_ready={self.ever_ready}, rolling_over={self.rolling_over}, "
            f"dozing={self.dozing}, woke={self.woke}, stopping={self.stopping}, "
            f"held={len(self._held)}, sent={self.frames_sent}, dropped={self.frames_dropped})"
        )

    @property
    def held_frames(self) -> int:
        return len(self._held)

    def opened(self) -> str:
        """A socket is open: the ``start`` message to send first."""
        self.phase = Phase.OPENING
        self.was_ready = False
        self.fatal = None
        return encode(self.options.start_message())

    def received(self, message: ServerMessage) -> list[str]:
        """A server message arrived; returns the control messages to send in answer."""
        if isinstance(message, ReadyMessage) and self.phase is Phase.OPENING:
            self.phase = Phase.STREAMING
            self.ever_ready = self.was_ready = True
            self.rolling_over = self.dozing = self.woke = False
            return []
        if isinstance(message, ErrorMessage) and message.code == ErrorCode.SESSION_EXPIRED:
            # the server reads on until our end, so everything sent so far is transcribed; audio from now on is
            # held and goes to the next session, which is opened at once
            if self.phase is Phase.STREAMING:
                self.phase = Phase.ROLLING_OVER
                self.rolling_over = True
                return [encode(EndMessage())]
            return []
        if isinstance(message, ErrorMessage) and message.code == ErrorCode.NO_SPEECH:
            self.dozing, self.woke = True, False  # the server frees our slot: nothing more is sent to it
        if isinstance(message, ErrorMessage) and message.fatal:
            self.fatal = message
        return []

    def flush_held(self) -> list[bytes]:
        """Held audio to send now, once ready, when no frame will follow (a finite source ended)."""
        if self.phase is not Phase.STREAMING or not self._held:
            return []
        frames = list(self._held)
        self._held.clear()
        return frames

    def audio(self, frame: bytes) -> list[bytes]:
        """A frame from the source; returns the frames to send now (held ones first)."""
        if self.phase is Phase.STREAMING and not self.dozing:
            frames = [*self._held, frame]
            self._held.clear()
            return frames
        if self.stopping:
            self.frames_dropped += 1
            return []
        if self.rolling_over or self.dozing or not self.ever_ready:
            self._held.append(frame)
            if not self.rolling_over and not self.woke:
                while len(self._held) > self._preroll_frames:
                    self._held.popleft()
            return []
        self.frames_dropped += 1
        return []

    def heard(self, dbfs: float) -> bool:
        """Whether a frame this loud, read while the run dozes (closed without speech), is the user speaking."""
        if self.dozing and not self.woke and dbfs >= WAKE_LEVEL_DBFS:
            self.woke = True  # the speech that wakes it is held whole (up to the hold), not cut to a pre-roll
        return self.woke

    def sent(self, frames: int = 1) -> None:
        """The shell sent ``frames`` of the frames returned."""
        self.frames_sent += frames

    def send_failed(self, frames: int) -> None:
        """The socket closed while ``frames`` returned frames were still to go: they are lost."""
        self.frames_dropped += frames

    def end(self) -> list[str]:
        """Our end of stream: the ``end`` message, if the connection is open and has not ended."""
        self.stopping = True
        self.rolling_over = self.dozing = self.woke = False
        self._held.clear()
        if self.phase in (Phase.OPENING, Phase.STREAMING):
            self.phase = Phase.ENDING
            return [encode(EndMessage())]
        return []

    def closed(self, code: int | None, reason: str) -> Verdict:
        """The socket closed (``code`` None: it never said why); returns what that means for the run."""
        self.phase = Phase.DISCONNECTED
        was_ready, fatal = self.was_ready, self.fatal
        error = error_for_close(code, reason, fatal)
        if isinstance(error, AuthenticationError):
            return Verdict(Next.FAIL, error, was_ready)
        if self.rolling_over and not self.stopping:
            return Verdict(Next.RECONNECT_NOW, None, was_ready)
        if (self.dozing or isinstance(error, NoSpeechError)) and not self.stopping:  # however the close came
            self.dozing = True  # the server freed our slot: come back when the user speaks
            return Verdict(Next.RECONNECT_ON_SPEECH, error, was_ready)
        if self.stopping:
            return Verdict(Next.DONE, error, was_ready)
        if error is None:  # a normal close that we did not ask for
            error = ConnectionFailedError("the server ended the session")
        return Verdict(Next.RECONNECT, error, was_ready)


__all__ = [
    "PREROLL_S",
    "ROLLOVER_HOLD_S",
    "WAKE_LEVEL_DBFS",
    "Next",
    "Phase",
    "SessionCore",
    "SessionOptions",
    "Verdict",
    "error_for_close",
]
