"""The wire format between a dictate client and `dictate serve`. Pure: no I/O.

Client -> server
  * binary frames: raw PCM, 16 kHz, mono, signed 16-bit little-endian, even length,
    at most ``MAX_FRAME_BYTES`` (1 s of audio) each;
  * text frames with one JSON object: ``{"type": "start", "sample_rate": 16000, "revisions": true,
    "vocabulary": [...], "commands": [...]}`` (optional: declares the format, any other rate is refused, and
    asks for the features of the same names) and ``{"type": "end"}`` (finalize pending speech now, send it,
    then close with 1000).

Server -> client: text frames with one JSON object each, see the message classes below. The first, ``ready``,
lists the server's ``features`` by name; a client checks a name there, never a version number.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any, Literal

PROTOCOL_VERSION = 1  # a change that a peer cannot ignore bumps it; an addition it may ignore is a new feature
# What this server does beyond the base protocol, by name (``ready.features``); each is asked for by the start
# message's field of the same name. ``revisions``: finals may revise earlier finals (``revises``), only for
# clients that send ``revisions: true``; ``vocabulary``: words the session's passes favour; ``commands``: phrases
# the client acts on, never joined to other speech by a revising final.
FEATURES: tuple[str, ...] = ("revisions", "vocabulary", "commands")
SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # bytes per sample, int16 little-endian
CHANNELS = 1
MAX_FRAME_SECONDS = 1.0
MAX_FRAME_BYTES = int(SAMPLE_RATE * MAX_FRAME_SECONDS) * SAMPLE_WIDTH
MAX_CONTROL_BYTES = 4096
STREAM_PATH = "/stream"
MAX_VOCABULARY_ENTRIES = 100  # words or phrases in one start message's vocabulary
MAX_VOCABULARY_CHARS = 600  # their characters in all (Whisper's prompt holds ~220 tokens)
MAX_COMMAND_ENTRIES = 32  # phrases in one start message's commands
MAX_COMMAND_WORDS = 4  # words in one command phrase (a command is short: the server hears it alone)


class CloseCode(IntEnum):
    """WebSocket close codes used by the service."""

    NORMAL = 1000  # after {"type": "end"}: everything pending was sent
    GOING_AWAY = 1001  # the server is shutting down (drained)
    UNSUPPORTED_DATA = 1003  # declared a format the server does not take
    POLICY_VIOLATION = 1008  # missing or wrong token; idle client
    MESSAGE_TOO_BIG = 1009  # a frame over MAX_FRAME_BYTES
    INTERNAL_ERROR = 1011  # the recognizer failed
    TRY_AGAIN_LATER = 1013  # refused for now: the session limit, the model still loading, or the server draining
    SESSION_EXPIRED = 4000  # DICTATE_MAX_SESSION_SECONDS reached: pending speech was sent; reconnect at once
    NO_SPEECH = 4001  # no speech for DICTATE_NO_SPEECH_TIMEOUT: reconnect when the user speaks again


class ErrorCode:
    """Values of ``ErrorMessage.code``."""

    BAD_FRAME = "bad_frame"  # odd-length binary frame (dropped; the session goes on)
    BAD_CONTROL = "bad_control"  # text frame that is not a known control message (ignored)
    UNSUPPORTED_FORMAT = "unsupported_format"  # start message with another sample rate (fatal)
    BAD_VOCABULARY = "bad_vocabulary"  # start.vocabulary malformed or over the cap (not used; the session goes on)
    BAD_COMMANDS = "bad_commands"  # start.commands malformed or over the cap (not used; the session goes on)
    FRAME_TOO_BIG = "frame_too_big"  # fatal, close 1009
    UNAUTHORIZED = "unauthorized"  # fatal, close 1008
    IDLE_TIMEOUT = "idle_timeout"  # fatal, close 1008
    SERVER_BUSY = "server_busy"  # fatal, close 1013 (session limit, or the model still loading)
    ENGINE_FAILED = "engine_failed"  # fatal, close 1011
    SPEECH_DROPPED = "speech_dropped"  # not fatal: speech that will get no final (says which utterances)
    SHUTTING_DOWN = "shutting_down"  # fatal, close 1013 (a new session while the server drains)
    SESSION_EXPIRED = "session_expired"  # fatal, close 4000 after the pending final: reconnect at once
    TOO_MANY_ERRORS = "too_many_errors"  # fatal, close 1008: too many bad frames/controls in a short time
    NO_SPEECH = "no_speech"  # fatal, close 4001: no speech for DICTATE_NO_SPEECH_TIMEOUT (the slot is freed)


class ProtocolError(ValueError):
    """A client message that breaks the protocol; ``code`` is an ``ErrorCode`` value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StartFieldError(ProtocolError):
    """A start message with a field that cannot be used (``bad_vocabulary``, ``bad_commands``): not fatal,
    ``start`` is the rest of it, valid."""

    def __init__(self, code: str, message: str, start: StartMessage) -> None:
        super().__init__(code, message)
        self.start = start


class VocabularyError(StartFieldError):
    """A start message whose vocabulary cannot be used (``bad_vocabulary``); ``start`` is the rest of it, valid."""

    def __init__(self, message: str, start: StartMessage) -> None:
        super().__init__(ErrorCode.BAD_VOCABULARY, message, start)


# ---------------------------------------------------------------- server -> client


@dataclass(frozen=True)
class ReadyMessage:
    """First message of every session: what the server runs, and its ``features`` by name (see ``FEATURES``)."""

    session_id: str
    model: str
    device: str
    compute_type: str
    sample_rate: int = SAMPLE_RATE
    max_frame_bytes: int = MAX_FRAME_BYTES
    protocol: int = PROTOCOL_VERSION
    features: tuple[str, ...] = FEATURES
    type: Literal["ready"] = "ready"


@dataclass(frozen=True)
class InterimMessage:
    """Best guess at the utterance in progress; may be revised by later interims and the final."""

    utterance_id: int
    text: str
    speech_start: float | None  # server wall clock (epoch s) when the VAD saw speech start
    sent_at: float
    final: Literal[False] = False
    type: Literal["interim"] = "interim"


@dataclass(frozen=True)
class FinalMessage:
    """The authoritative text of one utterance, sent once per utterance.

    ``revises`` (feature ``revisions``, only to clients that sent ``start`` with ``revisions: true``) lists earlier
    utterances whose finals this one replaces: ``text`` is then the text of those utterances and this one
    together, to be put in place of their text. A final is never revised otherwise.
    """

    utterance_id: int
    text: str
    speech_start: float | None
    speech_end: float | None  # server wall clock when the speech ended (its closing pause began; or the end message)
    sent_at: float
    audio_seconds: float  # length of the utterance audio the final pass saw
    processing_seconds: float  # duration of the final pass; RTF = processing_seconds / audio_seconds
    revises: list[int] = field(default_factory=list)
    final: Literal[True] = True
    type: Literal["final"] = "final"


@dataclass(frozen=True)
class ErrorMessage:
    """Something went wrong; fatal errors are followed by a close frame."""

    code: str
    message: str
    fatal: bool = False
    type: Literal["error"] = "error"


ServerMessage = ReadyMessage | InterimMessage | FinalMessage | ErrorMessage

_SERVER_TYPES: dict[str, type[Any]] = {
    "ready": ReadyMessage,
    "interim": InterimMessage,
    "final": FinalMessage,
    "error": ErrorMessage,
}


def encode(message: ServerMessage | ClientMessage) -> str:
    """Serialise any protocol message to its JSON text frame."""
    return json.dumps(asdict(message), ensure_ascii=False, separators=(",", ":"))


def decode_server_message(text: str | bytes) -> ServerMessage:
    """Parse a server text frame. Unknown fields are ignored (forward compatible)."""
    data = _load_object(text)
    cls = _SERVER_TYPES.get(str(data.get("type")))
    if cls is None:
        raise ProtocolError(ErrorCode.BAD_CONTROL, f"unknown server message type {data.get('type')!r}")
    known = {name for name in cls.__dataclass_fields__}
    if cls is ReadyMessage and isinstance(data.get("features"), list):
        data["features"] = tuple(str(name) for name in data["features"])
    try:
        message: ServerMessage = cls(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise ProtocolError(ErrorCode.BAD_CONTROL, f"malformed {data['type']} message: {exc}") from exc
    return message


# ---------------------------------------------------------------- client -> server


@dataclass(frozen=True)
class StartMessage:
    """Optional first message: declares the audio format the client will send, and asks for features by their
    names: ``revisions`` (the client applies finals that revise earlier ones), ``vocabulary`` (the words the
    session's passes should favour: names, jargon) and ``commands`` (the phrases the client acts on when an
    utterance is only that phrase: such an utterance is never joined to other speech by a revising final)."""

    sample_rate: int = SAMPLE_RATE
    revisions: bool = False
    vocabulary: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    type: Literal["start"] = "start"


@dataclass(frozen=True)
class EndMessage:
    """End of stream: finalize pending speech at once, send it, then close with 1000."""

    type: Literal["end"] = "end"


ClientMessage = StartMessage | EndMessage


def decode_client_control(text: str) -> ClientMessage:
    """Parse a client text frame; raises ProtocolError for anything that is not a control message."""
    if len(text) > MAX_CONTROL_BYTES:
        raise ProtocolError(ErrorCode.BAD_CONTROL, f"control message over {MAX_CONTROL_BYTES} bytes")
    data = _load_object(text)
    kind = data.get("type")
    if kind == "end":
        return EndMessage()
    if kind == "start":
        rate = data.get("sample_rate", SAMPLE_RATE)
        if not isinstance(rate, int) or isinstance(rate, bool):
            raise ProtocolError(ErrorCode.BAD_CONTROL, "start.sample_rate must be an integer")
        if rate != SAMPLE_RATE:
            raise ProtocolError(
                ErrorCode.UNSUPPORTED_FORMAT,
                f"sample rate {rate} Hz is not supported: send {SAMPLE_RATE} Hz mono int16 PCM",
            )
        revisions = data.get("revisions", False)
        if not isinstance(revisions, bool):
            raise ProtocolError(ErrorCode.BAD_CONTROL, "start.revisions must be true or false")
        errors: list[ProtocolError] = []
        vocabulary = _start_field(check_vocabulary, data.get("vocabulary", []), errors)
        commands = _start_field(check_commands, data.get("commands", []), errors)
        start = StartMessage(sample_rate=rate, revisions=revisions, vocabulary=vocabulary, commands=commands)
        if errors:  # not fatal: the rest of the start message holds
            message = "; ".join(error.message for error in errors)
            if errors[0].code == ErrorCode.BAD_VOCABULARY:
                raise VocabularyError(message, start)
            raise StartFieldError(errors[0].code, message, start)
        return start
    raise ProtocolError(ErrorCode.BAD_CONTROL, f"unknown control message type {kind!r}: expected 'start' or 'end'")


def _start_field(
    check: Callable[[object], tuple[str, ...]], value: object, errors: list[ProtocolError]
) -> tuple[str, ...]:
    """``check(value)``, or () with its error appended to ``errors``."""
    try:
        return check(value)
    except ProtocolError as exc:
        errors.append(exc)
        return ()


def _phrases(entries: object, code: str, name: str) -> tuple[str, ...]:
    """A list of strings, each stripped with its whitespace runs made one space, blanks and repeats dropped."""
    if not isinstance(entries, list | tuple) or not all(isinstance(entry, str) for entry in entries):
        raise ProtocolError(code, f"{name} must be a list of strings")
    return tuple(dict.fromkeys(" ".join(entry.split()) for entry in entries if entry.strip()))


def check_vocabulary(entries: object) -> tuple[str, ...]:
    """A start message's vocabulary: a list of words or phrases, stripped, blanks and repeats dropped, at most
    ``MAX_VOCABULARY_ENTRIES`` of them with ``MAX_VOCABULARY_CHARS`` characters in all; else ProtocolError."""
    words = _phrases(entries, ErrorCode.BAD_VOCABULARY, "start.vocabulary")
    chars = sum(len(word) for word in words)
    if len(words) > MAX_VOCABULARY_ENTRIES or chars > MAX_VOCABULARY_CHARS:
        raise ProtocolError(
            ErrorCode.BAD_VOCABULARY,
            f"vocabulary of {len(words)} entries and {chars} characters is over the limit of "
            f"{MAX_VOCABULARY_ENTRIES} entries and {MAX_VOCABULARY_CHARS} characters",
        )
    return words


def check_commands(entries: object) -> tuple[str, ...]:
    """A start message's commands: a list of phrases, stripped, blanks and repeats dropped, at most
    ``MAX_COMMAND_ENTRIES`` of them, each of at most ``MAX_COMMAND_WORDS`` words; else ProtocolError."""
    phrases = _phrases(entries, ErrorCode.BAD_COMMANDS, "start.commands")
    if len(phrases) > MAX_COMMAND_ENTRIES:
        raise ProtocolError(
            ErrorCode.BAD_COMMANDS, f"{len(phrases)} commands are over the limit of {MAX_COMMAND_ENTRIES}"
        )
    long = [phrase for phrase in phrases if len(phrase.split()) > MAX_COMMAND_WORDS]
    if long:
        raise ProtocolError(
            ErrorCode.BAD_COMMANDS, f"command {long[0][:40]!r} is over the limit of {MAX_COMMAND_WORDS} words"
        )
    return phrases


def check_audio_frame(frame: bytes, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
    """Validate one binary audio frame; raises ProtocolError (FRAME_TOO_BIG is fatal, BAD_FRAME is not)."""
    if len(frame) > max_frame_bytes:
        raise ProtocolError(
            ErrorCode.FRAME_TOO_BIG,
            f"audio frame of {len(frame)} bytes is over the {max_frame_bytes}-byte limit "
            f"({max_frame_bytes // (SAMPLE_RATE * SAMPLE_WIDTH) or 1} s of 16 kHz int16)",
        )
    if len(frame) % SAMPLE_WIDTH:
        raise ProtocolError(
            ErrorCode.BAD_FRAME, f"audio frame of {len(frame)} bytes is not a whole number of int16 samples"
        )


def frame_seconds(frame_bytes: int) -> float:
    """Duration of a PCM frame of ``frame_bytes`` bytes."""
    return frame_bytes / (SAMPLE_RATE * SAMPLE_WIDTH)


def _load_object(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_CONTROL, f"text frame is not JSON: {exc}") from exc
    except RecursionError as exc:  # e.g. 999 nested arrays: json's parser runs out of stack
        raise ProtocolError(ErrorCode.BAD_CONTROL, "text frame is nested too deeply") from exc
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_CONTROL, "text frame must be a JSON object")
    return data


__all__ = [
    "CHANNELS",
    "FEATURES",
    "MAX_COMMAND_ENTRIES",
    "MAX_COMMAND_WORDS",
    "MAX_FRAME_BYTES",
    "MAX_VOCABULARY_CHARS",
    "MAX_VOCABULARY_ENTRIES",
    "PROTOCOL_VERSION",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "STREAM_PATH",
    "ClientMessage",
    "CloseCode",
    "EndMessage",
    "ErrorCode",
    "ErrorMessage",
    "FinalMessage",
    "InterimMessage",
    "ProtocolError",
    "ReadyMessage",
    "ServerMessage",
    "StartFieldError",
    "StartMessage",
    "VocabularyError",
    "check_audio_frame",
    "check_commands",
    "check_vocabulary",
    "decode_client_control",
    "decode_server_message",
    "encode",
    "frame_seconds",
]
