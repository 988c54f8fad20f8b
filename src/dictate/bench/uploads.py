"""Upload loops for `dictate bench --soak --upload-loops K`: K clients posting the clips to the server's
OpenAI-compatible ``/v1/audio/transcriptions`` one after another, beside the live streams (issue 20's soak: the
server must neither wedge nor fail a live stream while file jobs fill it).

Each loop posts one file at a time (plain ``urllib`` on its own thread: the bench client needs no HTTP library);
a 429/503 answer is honoured by waiting its ``Retry-After`` (at most ``MAX_RETRY_WAIT_S``). Every answer is
recorded: 200 counts as done, 429/503 as refused (the server's file-job limits at work), anything else,
including no answer within the timeout, as failed.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

UPLOAD_TIMEOUT_S = 300.0
MAX_RETRY_WAIT_S = 30.0
REFUSED = frozenset({429, 503})


@dataclass(frozen=True)
class UploadRecord:
    """One upload: when it was answered (s since the soak started), how long it took, and the answer."""

    at: float
    seconds: float
    status: int | None  # None: no HTTP answer (connection failed or timed out)
    detail: str  # the error's first line ('' for a 200)
    retry_after: float | None = None

    @property
    def outcome(self) -> str:
        if self.status == 200:
            return "done"
        return "refused" if self.status in REFUSED else "failed"


def multipart(filename: str, content: bytes, boundary: str) -> bytes:
    """The form OpenAI's API takes: ``file`` and ``model`` (json response)."""
    parts = []
    for name, value in (("model", b"whisper-1"), ("response_format", b"json")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    parts.append(head.encode() + content)
    return b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()


def post_file(
    url: str, token: str | None, path: Path, timeout: float = UPLOAD_TIMEOUT_S
) -> tuple[int | None, str, float | None]:
    """POST one file; (status or None, error detail, Retry-After seconds or None). Blocking."""
    boundary = uuid.uuid4().hex
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=multipart(path.name, path.read_bytes(), boundary), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return int(response.status), "", None
    except urllib.error.HTTPError as exc:
        retry = exc.headers.get("Retry-After") if exc.headers else None
        detail = exc.read()[:300].decode(errors="replace").splitlines()[0] if exc.fp else str(exc)
        return exc.code, detail, float(retry) if retry else None
    except (OSError, TimeoutError) as exc:
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__, None


async def upload_loops(
    url: str, token: str | None, files: Sequence[Path], loops: int, started: float, until: float
) -> list[UploadRecord]:
    """``loops`` clients, each posting ``files`` in turn until ``until`` (monotonic); an upload under way finishes."""
    records: list[UploadRecord] = []
    if not loops or not files:
        return records
    pool = ThreadPoolExecutor(loops, thread_name_prefix="bench-upload")
    loop = asyncio.get_running_loop()

    async def client(index: int) -> None:
        turn = index
        while time.monotonic() < until:
            path = files[turn % len(files)]
            sent = time.monotonic()
            status, detail, retry = await loop.run_in_executor(pool, post_file, url, token, path)
            now = time.monotonic()
            records.append(UploadRecord(now - started, now - sent, status, detail, retry))
            turn += 1
            if status in REFUSED:
                await asyncio.sleep(min(MAX_RETRY_WAIT_S, max(0.0, until - now), retry or 1.0))

    try:
        await asyncio.gather(*(client(index) for index in range(loops)))
    finally:
        pool.shutdown(wait=False)
    return records


def upload_summary(records: Sequence[UploadRecord]) -> dict[str, object]:
    """Counts by outcome, the done uploads' time p50/max, and the failures' details."""
    done = sorted(r.seconds for r in records if r.outcome == "done")
    return {
        "done": len(done),
        "refused": sum(r.outcome == "refused" for r in records),
        "failed": sum(r.outcome == "failed" for r in records),
        "done_p50_s": done[len(done) // 2] if done else None,
        "done_max_s": done[-1] if done else None,
        "failures": sorted({f"{r.status}: {r.detail}" for r in records if r.outcome == "failed"}),
    }
