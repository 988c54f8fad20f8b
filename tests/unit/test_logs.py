"""Server log formats: JSON lines carry the session id."""

from __future__ import annotations

import json
import logging

from dictate.server.logs import JsonFormatter


def test_json_log_line_has_session_and_message() -> None:
    record = logging.LogRecord("dictate.server.session", logging.INFO, __file__, 1, "final utterance %d", (3,), None)
    record.session = "abc123"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["session"] == "abc123"
    assert entry["message"] == "final utterance 3"
    assert entry["level"] == "info" and entry["logger"] == "dictate.server.session"
    assert entry["ts"].endswith("Z")


def test_json_log_line_without_session() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "plain", None, None)
    assert "session" not in json.loads(JsonFormatter().format(record))
