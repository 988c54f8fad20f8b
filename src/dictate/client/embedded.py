"""Start `dictate serve` as a child process on a free loopback port, for clients run without --server.

The server runs in its own process so that the client process never imports torch or RealtimeSTT,
and RealtimeSTT's stdout chatter never reaches a terminal UI.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from dictate.errors import ConnectionFailedError, ServerDependencyError
from dictate.protocol import STREAM_PATH

logger = logging.getLogger(__name__)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_extra_installed() -> bool:
    """Whether this environment can run `dictate serve` (without importing it)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("fastapi", "uvicorn", "faster_whisper", "RealtimeSTT"))


class EmbeddedServer:
    """Context manager: a private `dictate serve` on 127.0.0.1; ``url`` is its ws:// stream URL once entered."""

    def __init__(
        self,
        model: str | None = None,
        extra_args: list[str] | None = None,
        start_timeout: float = 180.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_loopback_port()
        self.url = f"ws://127.0.0.1:{self.port}{STREAM_PATH}"
        self.http_url = f"http://127.0.0.1:{self.port}"
        self.ready_info: dict[str, object] = {}
        self._model = model
        self._extra_args = extra_args or []
        self._start_timeout = start_timeout
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="dictate-embedded-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log_file.name)

    def start(self) -> EmbeddedServer:
        """Spawn the server and wait until /readyz says the model is loaded."""
        if not server_extra_installed():
            raise ServerDependencyError(
                "no --server given, and the embedded server needs the server extra: "
                "pip install 'dictate-stt[server]' && pip install --no-deps RealtimeSTT==1.1.2"
            )
        command = [sys.executable, "-m", "dictate", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self._model:
            command += ["--model", self._model]
        command += self._extra_args
        env = dict(os.environ if self._env is None else self._env)
        logger.info("starting embedded server on port %d (log: %s)", self.port, self.log_path)
        self._process = subprocess.Popen(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ConnectionFailedError(f"the embedded server exited: {self._last_log_line()}")
            try:
                with urllib.request.urlopen(f"{self.http_url}/readyz", timeout=2) as response:
                    self.ready_info = json.loads(response.read() or b"{}")
                    return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.2)
        self.stop()
        raise ConnectionFailedError(
            f"the embedded server was not ready within {self._start_timeout:.0f} s (log: {self.log_path})"
        )

    def _last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return "no log"
        for line in reversed(lines):
            if line.startswith("dictate: ") or "Error" in line:
                return line.removeprefix("dictate: ")
        return lines[-1] if lines else "no output"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, wait, then SIGKILL if needed. Idempotent. The log is kept only if the server failed."""
        process, self._process = self._process, None
        clean = process is not None and process.poll() is None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                clean = False
        clean = clean and process is not None and process.returncode == 0
        self._log_file.close()
        if clean:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
