"""The wire format, without sockets."""

from __future__ import annotations

import json

import pytest

from dictate.protocol import (
    MAX_FRAME_BYTES,
    EndMessage,
    ErrorCode,
    ErrorMessage,
    FinalMessage,
    InterimMessage,
    ProtocolError,
    ReadyMessage,
    StartMessage,
    check_audio_frame,
    decode_client_control,
    decode_server_message,
    encode,
    frame_seconds,
)


@pytest.mark.parametrize(
    "message",
    [
        ReadyMessage("abc", "packaged:base", "cpu", "int8"),
        InterimMessage(3, "héllo wörld", 1.5, 2.0),
        FinalMessage(3, "Hello world.", 1.5, 2.5, 3.0, 1.2, 0.4),
        FinalMessage(5, "And so, ask not.", 1.5, 2.5, 3.0, 4.2, 0.4, [3, 4]),
        ErrorMessage(ErrorCode.BAD_FRAME, "odd", fatal=False),
    ],
)
def test_server_messages_round_trip(message: object) -> None:
    assert decode_server_message(encode(message)) == message  # type: ignore[arg-type]


def test_encoded_messages_carry_type_and_final_flag() -> None:
    assert json.loads(encode(InterimMessage(1, "a", None, 0.0))) | {} == {
        "type": "interim",
        "utterance_id": 1,
        "text": "a",
        "speech_start": None,
        "sent_at": 0.0,
        "final": False,
    }
    assert json.loads(encode(FinalMessage(1, "a", 0, 1, 2, 1, 0.1)))["final"] is True
    assert "é" in encode(InterimMessage(1, "é", None, 0.0))  # UTF-8, not \\u escapes


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    raw = json.dumps(
        {
            "type": "interim",
            "utterance_id": 1,
            "text": "x",
            "speech_start": None,
            "sent_at": 1,
            "final": False,
            "confidence": 0.9,
        }
    )
    assert decode_server_message(raw) == InterimMessage(1, "x", None, 1)


@pytest.mark.parametrize("raw", ["nope", "[]", json.dumps({"type": "weird"}), json.dumps({"type": "final"})])
def test_bad_server_messages_raise(raw: str) -> None:
    with pytest.raises(ProtocolError):
        decode_server_message(raw)


def test_client_controls() -> None:
    assert decode_client_control('{"type": "end"}') == EndMessage()
    assert decode_client_control('{"type": "start", "sample_rate": 16000}') == StartMessage()
    assert decode_client_control('{"type": "start"}') == StartMessage()
    assert decode_client_control('{"type": "start", "revisions": true}') == StartMessage(revisions=True)


def test_a_final_without_revises_revises_nothing_and_ready_lists_its_features_by_name() -> None:
    plain = json.loads(encode(FinalMessage(1, "a", 0, 1, 2, 1, 0.1)))
    del plain["revises"]
    assert decode_server_message(json.dumps(plain)) == FinalMessage(1, "a", 0, 1, 2, 1, 0.1, [])
    ready = json.loads(encode(ReadyMessage("abc", "packaged:base", "cpu", "int8")))
    assert ready["protocol"] == 1 and "protocol_minor" not in ready
    assert ready["features"] == ["revisions", "vocabulary", "commands"]
    decoded = decode_server_message(json.dumps({**ready, "features": ["revisions", "something new"]}))
    assert isinstance(decoded, ReadyMessage) and decoded.features == ("revisions", "something new")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("hello", ErrorCode.BAD_CONTROL),
        ('{"type": "pause"}', ErrorCode.BAD_CONTROL),
        ('{"type": "start", "sample_rate": "16k"}', ErrorCode.BAD_CONTROL),
        ('{"type": "start", "sample_rate": true}', ErrorCode.BAD_CONTROL),
        ('{"type": "start", "revisions": "yes"}', ErrorCode.BAD_CONTROL),
        ('{"type": "start", "sample_rate": 48000}', ErrorCode.UNSUPPORTED_FORMAT),
        ("x" * 5000, ErrorCode.BAD_CONTROL),
    ],
)
def test_bad_client_controls(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client_control(raw)
    assert info.value.code == code


def test_audio_frame_checks() -> None:
    check_audio_frame(b"\x00\x00" * 320)
    check_audio_frame(b"")
    check_audio_frame(bytes(MAX_FRAME_BYTES))
    with pytest.raises(ProtocolError) as odd:
        check_audio_frame(b"\x00" * 3)
    assert odd.value.code == ErrorCode.BAD_FRAME
    with pytest.raises(ProtocolError) as big:
        check_audio_frame(bytes(MAX_FRAME_BYTES + 2))
    assert big.value.code == ErrorCode.FRAME_TOO_BIG
    assert frame_seconds(640) == pytest.approx(0.02)
