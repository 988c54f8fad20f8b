"""Server log formats: JSON lines carry the session id."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from dictate.server.edge.logs import JsonFormatter, redact


def test_json_log_line_has_session_and_message() -> None:
    record = logging.LogRecord(
        "dictate.server.edge.session", logging.INFO, __file__, 1, "final utterance %d", (3,), None
    )
    record.session = "abc123"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["session"] == "abc123"
    assert entry["message"] == "final utterance 3"
    assert entry["level"] == "info" and entry["logger"] == "dictate.server.edge.session"
    assert entry["ts"].endswith("Z")


def test_json_log_line_without_session() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "plain", None, None)
    assert "session" not in json.loads(JsonFormatter().format(record))


# ---------------------------------------------------------------- redaction (every handler line, uvicorn's too)

SECRET = "s3cret-Value_42"


def _through_handler(record: logging.LogRecord, json_format: bool = False) -> str:
    import io

    from dictate.config import LogFormat
    from dictate.server.edge.logs import configure_logging

    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info", LogFormat.JSON if json_format else LogFormat.TEXT, [SECRET], stream=stream)
        logging.getLogger(record.name).handle(record)
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    return stream.getvalue()


@pytest.mark.parametrize("json_format", [False, True])
def test_uvicorn_websocket_line_loses_its_query_string(json_format: bool) -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", f"/stream?token={SECRET}&x=1"),
        None,
    )
    line = _through_handler(record, json_format)
    assert SECRET not in line and "token=" not in line
    assert '"WebSocket /stream?[redacted]\\" [accepted]' in line if json_format else "/stream?[redacted]" in line


def test_access_log_and_bearer_and_bare_secret_are_redacted() -> None:
    access = logging.LogRecord(
        "uvicorn.access", logging.WARNING, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:1", "GET", f"/metrics?token={SECRET}", "1.1", 401), None,
    )  # fmt: skip
    assert SECRET not in _through_handler(access)
    header = logging.LogRecord("x", logging.WARNING, __file__, 1, "Authorization: Bearer %s", ("abc.def-ghi",), None)
    assert "abc.def-ghi" not in _through_handler(header)
    bare = logging.LogRecord("x", logging.WARNING, __file__, 1, "the secret is %s!", (SECRET,), None)
    assert _through_handler(bare).rstrip().endswith("the secret is [redacted]!")


def test_secret_in_a_traceback_is_redacted() -> None:
    try:
        raise RuntimeError(f"cannot open ws://h/stream?token={SECRET}")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    out = _through_handler(record, json_format=True)
    assert SECRET not in out and "Traceback" in json.loads(out)["exc"]


def test_invalid_utf8_from_a_client_is_one_warning_line() -> None:
    try:
        b"\xff".decode()
    except UnicodeDecodeError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Invalid UTF-8 sequence received from client.", None,
            sys.exc_info(),
        )  # fmt: skip
    out = _through_handler(record)
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    assert "WARNING" in out and "UnicodeDecodeError" in out


def test_redact_leaves_plain_text_alone() -> None:
    text = "final utterance 3: 41 chars, final pass 0.62 s for 4.38 s of audio"
    assert redact(text) == text
    assert redact("GET /readyz HTTP/1.1") == "GET /readyz HTTP/1.1"
