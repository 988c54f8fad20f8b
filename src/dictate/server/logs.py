"""Logging set-up for the server: plain text or one JSON object per line, with the session id when known."""

from __future__ import annotations

import json
import logging
import sys
import time

from dictate.config import LogFormat


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "message", "session"?, "exc"?} per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        session = getattr(record, "session", None)
        if session:
            entry["session"] = session
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _SessionText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        session = getattr(record, "session", None)
        record.session_part = f" [{session}]" if session else ""
        return super().format(record)


def configure_logging(level: str, fmt: LogFormat) -> None:
    """Configure the root logger once (stderr). Quiet the chatty libraries unless debugging."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_SessionText("%(asctime)s %(levelname)s %(name)s%(session_part)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    if level != "debug":
        for noisy in ("faster_whisper", "realtimestt", "RealtimeSTT", "uvicorn.access", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
