"""The client session core without sockets: event sequences in, what to send and what a close means out."""

from __future__ import annotations

import json

from dictate.client.session import Next, Phase, SessionCore, SessionOptions, error_for_close
from dictate.errors import AuthenticationError, ConnectionFailedError, ServerBusyError, SessionExpiredError
from dictate.protocol import FEATURES, CloseCode, ErrorCode, ErrorMessage, FinalMessage, ReadyMessage

READY = ReadyMessage("s1", "base", "cpu", "int8")
END = json.dumps({"type": "end"}, separators=(",", ":"))


def frame(n: int) -> bytes:
    return bytes([n % 256]) * 640  # 20 ms, told apart by their first byte


def core(**options: object) -> SessionCore:
    return SessionCore(SessionOptions(**options), frame_ms=20, preroll_s=0.1, hold_s=1.0)  # type: ignore[arg-type]


def test_the_start_message_is_built_once_from_the_options() -> None:
    session = core(vocabulary=("gRPC",), commands=("new line",))
    start = json.loads(session.opened())
    assert start == {
        "sample_rate": 16000,
        "revisions": True,
        "vocabulary": ["gRPC"],
        "commands": ["new line"],
        "type": "start",
    }
    assert json.loads(core(revisions=False).opened())["revisions"] is False
    assert session.phase is Phase.OPENING


def test_speech_before_the_first_ready_is_kept_as_a_pre_roll_then_sent_first() -> None:
    session = core()
    assert [session.audio(frame(n)) for n in range(8)] == [[]] * 8  # the first connection is opening
    session.opened()
    assert session.audio(frame(8)) == []
    assert session.received(READY) == []
    assert session.phase is Phase.STREAMING and session.ever_ready
    # the last 0.1 s (5 frames) of what was said before ready, then the new frame, in order
    assert session.audio(frame(9)) == [frame(n) for n in range(4, 10)]
    assert session.audio(frame(10)) == [frame(10)]


def test_a_drop_after_ready_reconnects_and_drops_the_audio_meanwhile() -> None:
    session = core()
    session.opened()
    session.received(READY)
    verdict = session.closed(1006, "")
    assert verdict.next is Next.RECONNECT and verdict.was_ready
    assert isinstance(verdict.error, ConnectionFailedError) and "1006" in str(verdict.error)
    assert session.audio(frame(1)) == [] and session.frames_dropped == 1  # not kept: it is not a pre-roll
    session.opened()
    session.received(READY)
    assert session.audio(frame(2)) == [frame(2)]


def test_a_session_refused_before_ready_says_the_servers_reason() -> None:
    session = core()
    session.opened()
    session.received(ErrorMessage(ErrorCode.SERVER_BUSY, "the model is still loading", fatal=True))
    verdict = session.closed(CloseCode.TRY_AGAIN_LATER, "model loading")
    assert verdict.next is Next.RECONNECT and not verdict.was_ready
    assert isinstance(verdict.error, ServerBusyError) and "the model is still loading" in str(verdict.error)


def test_session_expiry_ends_the_session_holds_the_audio_and_reconnects_at_once() -> None:
    session = core()
    session.opened()
    session.received(READY)
    assert session.audio(frame(1)) == [frame(1)]
    expired = ErrorMessage(ErrorCode.SESSION_EXPIRED, "the session reached its 3 s limit", fatal=True)
    assert session.received(expired) == [END]  # everything sent so far is transcribed by this session
    assert session.phase is Phase.ROLLING_OVER
    held = [frame(n) for n in range(2, 12)]  # 0.2 s: more than a pre-roll, all of it kept
    assert all(session.audio(f) == [] for f in held)
    session.received(FinalMessage(1, "the last words", None, None, 1.0, 1.0, 0.1))
    verdict = session.closed(CloseCode.SESSION_EXPIRED, "session expired")
    assert verdict.next is Next.RECONNECT_NOW and verdict.error is None
    session.opened()
    assert session.audio(frame(12)) == []  # still held until the new session is ready
    session.received(READY)
    assert session.audio(frame(13)) == [*held, frame(12), frame(13)]
    assert session.frames_dropped == 0


def test_our_end_is_sent_once_and_its_close_ends_the_run() -> None:
    session = core()
    session.opened()
    session.received(READY)
    assert session.end() == [END]
    assert session.end() == []
    assert session.phase is Phase.ENDING
    assert session.closed(CloseCode.NORMAL, "end of stream").next is Next.DONE
    assert session.audio(frame(1)) == []  # after the end nothing is held for a next session


def test_stopping_while_rolling_over_sends_no_second_end_and_is_done() -> None:
    session = core()
    session.opened()
    session.received(READY)
    session.received(ErrorMessage(ErrorCode.SESSION_EXPIRED, "limit", fatal=True))
    assert session.end() == []
    verdict = session.closed(CloseCode.SESSION_EXPIRED, "session expired")
    assert verdict.next is Next.DONE


def test_a_refused_token_fails_the_run_naming_the_servers_reason() -> None:
    session = core()
    session.opened()
    session.received(ErrorMessage(ErrorCode.UNAUTHORIZED, "invalid token", fatal=True))
    verdict = session.closed(CloseCode.POLICY_VIOLATION, "invalid token")
    assert verdict.next is Next.FAIL
    assert isinstance(verdict.error, AuthenticationError) and "invalid token" in str(verdict.error)
    # the close never came (the socket died after the error message): the message still says why
    session.opened()
    session.received(ErrorMessage(ErrorCode.UNAUTHORIZED, "missing token", fatal=True))
    assert "missing token" in str(session.closed(None, "").error)


def test_a_normal_close_we_did_not_ask_for_is_a_drop() -> None:
    session = core()
    session.opened()
    session.received(READY)
    verdict = session.closed(CloseCode.NORMAL, "")
    assert verdict.next is Next.RECONNECT and "ended the session" in str(verdict.error)


def test_close_codes_map_to_errors_that_name_the_reason() -> None:
    assert error_for_close(CloseCode.NORMAL, "") is None
    assert isinstance(error_for_close(CloseCode.SESSION_EXPIRED, "session expired"), SessionExpiredError)
    engine = ErrorMessage(ErrorCode.ENGINE_FAILED, "the recognizer failed", fatal=True)
    assert "the recognizer failed" in str(
        error_for_close(CloseCode.INTERNAL_ERROR, "speech recognition failed", engine)
    )
    assert "no reason given" in str(error_for_close(1011, ""))


def test_features_are_checked_by_name() -> None:
    options = SessionOptions(vocabulary=("gRPC",), commands=("new line",))
    assert options.unsupported(READY) == []
    assert set(FEATURES) == {"revisions", "vocabulary", "commands"}
    older = ReadyMessage("s1", "base", "cpu", "int8", features=("revisions",))
    assert options.unsupported(older) == ["vocabulary", "commands"]
    assert SessionOptions(revisions=False).unsupported(ReadyMessage("s", "m", "cpu", "int8", features=())) == []


def test_the_core_prints_its_state() -> None:
    session = core()
    session.audio(frame(1))
    assert repr(session) == (
        "SessionCore(disconnected, ever_ready=False, rolling_over=False, dozing=False, woke=False, stopping=False, "
        "held=1, sent=0, dropped=0)"
    )


def test_a_session_closed_without_speech_waits_for_speech_and_sends_it_whole() -> None:
    session = core()
    session.opened()
    session.received(READY)
    assert session.audio(frame(1)) == [frame(1)]
    session.received(ErrorMessage(ErrorCode.NO_SPEECH, "no speech for 300 s", fatal=True))
    assert session.audio(frame(2)) == []  # told no_speech: nothing more goes to that session
    # the close came without a code (the socket died after the error): the error message still says why
    verdict = session.closed(None, "")
    assert verdict.next is Next.RECONNECT_ON_SPEECH and "without speech" in str(verdict.error)
    assert all(session.audio(frame(n)) == [] for n in range(3, 13))
    assert not session.heard(-60.0)  # quiet frames do not wake it
    assert session.held_frames == 5  # a pre-roll (0.1 s) of the quiet
    assert session.heard(-30.0)  # speech: from now on every frame is held for the next session
    assert all(session.audio(frame(n)) == [] for n in range(13, 23))
    session.opened()
    session.received(READY)
    assert session.audio(frame(23)) == [frame(n) for n in range(8, 24)]  # pre-roll, the speech, the new frame
    assert not session.dozing and not session.woke and session.frames_dropped == 0


def test_stopping_while_dozing_ends_the_run() -> None:
    session = core()
    session.opened()
    session.received(READY)
    session.closed(CloseCode.NO_SPEECH, "no speech")
    assert session.end() == [] and not session.dozing
    assert session.audio(frame(1)) == [] and session.frames_dropped == 1
