"""Stray output of the server process (``print`` in libraries, C code writing to fd 1 or 2) becomes log records.

RealtimeSTT prints ``RealtimeSTT shutting down`` to stdout at every recorder shutdown; with
``--log-format json`` every line the process writes must be one JSON object, so file descriptors 1 and 2 are
pipes read by one thread each, line by line, into the ``dictate.output`` logger. The log handler itself writes
to a copy of the original stderr (``log_stream``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
from types import TracebackType
from typing import TextIO

logger = logging.getLogger("dictate.output")


class CapturedOutput:
    """Context manager; ``log_stream`` is where the log handler must write while it is active."""

    def __init__(self) -> None:
        self.log_stream: TextIO = sys.stderr
        self._saved: dict[int, int] = {}
        self._readers: list[threading.Thread] = []

    def __enter__(self) -> CapturedOutput:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        self.log_stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
        for fd, level, name in ((1, logging.INFO, "stdout"), (2, logging.WARNING, "stderr")):
            read_end, write_end = os.pipe()
            self._saved[fd] = os.dup(fd)
            os.dup2(write_end, fd)
            os.close(write_end)
            reader = threading.Thread(
                target=_pump, args=(read_end, level, name), name=f"dictate-{name}-capture", daemon=True
            )
            reader.start()
            self._readers.append(reader)
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(line_buffering=True)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Restore fds 1 and 2 (their pipes see EOF), join the readers, and point the log back at stderr."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self._saved.clear()
        for reader in self._readers:
            reader.join(timeout=2)  # a child process that inherited a pipe keeps it open: do not wait for it
        self._readers.clear()
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is self.log_stream:
                handler.setStream(sys.stderr)
        with contextlib.suppress(OSError):
            self.log_stream.close()
        self.log_stream = sys.stderr


def _pump(read_end: int, level: int, name: str) -> None:
    with os.fdopen(read_end, "rb") as pipe:
        for raw in pipe:
            line = raw.decode("utf-8", errors="replace").rstrip()
            if line:
                logger.log(level, "%s", line, extra={"stream": name})
