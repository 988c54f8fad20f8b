"""Logging set-up for the server: plain text or one JSON object per line, with the session id when known.

Every record the process logs (uvicorn's included) passes ``RedactingFilter`` on the one root handler: query
strings, ``token=`` values, bearer credentials and the configured token itself never reach the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable

from dictate.config import LogFormat

REDACTED = "[redacted]"
_QUERY = re.compile(r"(/[^\s\"'?]*)\?[^\s\"']*")  # a path's query string: /stream?token=... -> /stream?[redacted]
_TOKEN_PARAM = re.compile(r"(?i)\b(token|access_token|api_key|apikey|password|secret)=[^\s&\"']*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_ONE_LINE_EXCEPTIONS = (UnicodeDecodeError,)  # a client's bad bytes: one line, not a traceback


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without query strings, credential parameters, bearer credentials or any of ``secrets``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _QUERY.sub(rf"\1?{REDACTED}", text)
    text = _TOKEN_PARAM.sub(rf"\1={REDACTED}", text)
    return _BEARER.sub(rf"\1 {REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) through ``redact``; never drops a record.

    Expected client faults that libraries log with a traceback (invalid UTF-8 in a text frame) become one line.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secret for secret in secrets if secret)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and isinstance(record.exc_info[1], _ONE_LINE_EXCEPTIONS):
            error = record.exc_info[1]
            message = f"{message.rstrip()} ({type(error).__name__}: {error})"
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"  # the client's fault, not ours
        record.msg, record.args = redact(message, self._secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True


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
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class _SessionText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        session = getattr(record, "session", None)
        record.session_part = f" [{session}]" if session else ""
        return super().format(record)


def configure_logging(
    level: str, fmt: LogFormat, secrets: Iterable[str] = (), stream: object = None
) -> logging.Handler:
    """Configure the root logger once (``stream``, default stderr), with redaction. Quiet the chatty libraries
    unless debugging. Returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    if fmt is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_SessionText("%(asctime)s %(levelname)s %(name)s%(session_part)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # warnings.warn() goes through the handler, not straight to stderr
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []  # no handler of their own: everything goes through the root's, redacted
        logger.propagate = True
    if level != "debug":
        for noisy in ("faster_whisper", "realtimestt", "RealtimeSTT", "uvicorn.access", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
