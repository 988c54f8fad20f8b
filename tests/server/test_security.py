"""What an operator and an attacker see of the real service: no secret in the log, a JSON-only log, no API docs,
no `server` header, /metrics only on its own port, half-open connections closed. One `dictate serve` child."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer, free_loopback_port
from dictate.config import ServerSettings
from dictate.server.edge.app import create_app
from dictate.server.model.source import ModelChoice
from tests.conftest import Clip
from tests.streaming import SessionLog, collect, stream_session, word_error_rate

TOKEN = "s3cret-Token-value"
CHOICE = ModelChoice("/nonexistent", "test", "cpu", "int8", True, "test")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    token_file = tmp_path_factory.mktemp("secret") / "token"
    token_file.write_text(TOKEN + "\n")
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    env |= {"DICTATE_HEADER_TIMEOUT": "1", "DICTATE_LOG_FORMAT": "json"}
    args = ["--token-file", str(token_file), "--metrics-port", str(free_loopback_port())]
    with EmbeddedServer(extra_args=args, env=env) as embedded:
        embedded.metrics_url = f"http://127.0.0.1:{args[-1]}/metrics"  # type: ignore[attr-defined]
        yield embedded


def http(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


async def _session_with_query_token_then_bad_utf8(url: str) -> SessionLog:
    log = SessionLog()
    async with connect(f"{url}?token={TOKEN}") as ws:
        collector = asyncio.create_task(collect(ws, log))
        while not log.messages:
            await asyncio.sleep(0.02)
        await ws.send(silence(0.1))
        ws.protocol.send_frame(Frame(Opcode.TEXT, b"\xff\xfe{"))  # not UTF-8: the server closes 1007
        ws.send_data()
        await asyncio.wait_for(collector, 30)
    return log


def wait_for_log(server: EmbeddedServer, text: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log_path.read_text()
        if text in log:
            return log
        time.sleep(0.1)
    return server.log_path.read_text()


def test_query_token_and_bad_utf8_leave_no_secret_and_no_traceback(server: EmbeddedServer) -> None:
    log = asyncio.run(_session_with_query_token_then_bad_utf8(server.url))
    assert log.messages[0]["type"] == "ready"  # the ?token= form is accepted
    assert log.close_code == 1007
    text = wait_for_log(server, '"session closed"')
    assert "/stream?[redacted]" in text
    assert TOKEN not in text and "token=" not in text
    assert "Traceback" not in text
    utf8 = [line for line in text.splitlines() if "Invalid UTF-8" in line]
    assert len(utf8) == 1 and json.loads(utf8[0])["level"] == "warning"


def test_no_api_docs_no_server_header_and_no_metrics_on_the_main_port(server: EmbeddedServer) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
        assert http(server.http_url + path)[0] == 404, path
    status, headers, _ = http(server.http_url + "/healthz")
    assert status == 200 and "server" not in headers
    assert http(server.http_url + "/readyz")[0] == 200  # probes stay open, without the token


def test_metrics_port_serves_process_metrics_and_nothing_else(server: EmbeddedServer) -> None:
    metrics_url: str = server.metrics_url  # type: ignore[attr-defined]
    status, _, body = http(metrics_url)
    assert status == 200
    text = body.decode()
    for name in ("dictate_active_sessions", "process_resident_memory_bytes", "process_open_fds",
                 "dictate_process_threads"):  # fmt: skip
        assert f"\n{name} " in text, name
    assert http(metrics_url.replace("/metrics", "/healthz"))[0] == 404


def test_half_open_http_connection_is_closed(server: EmbeddedServer) -> None:
    port = int(server.http_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert sock.recv(1024) == b""  # the server closed it (DICTATE_HEADER_TIMEOUT=1); a hang fails at 20 s


@pytest.mark.parametrize("odd_samples", [355, 511, 1])
def test_end_of_stream_at_an_odd_length_gives_a_final_and_no_traceback(
    server: EmbeddedServer, clips: dict[str, Clip], odd_samples: int
) -> None:
    """An OFF mid-speech sends audio that is not a multiple of RealtimeSTT's 512-sample VAD chunk: it used to
    kill the recorder's worker ("Silero ONNX backend expects 512 samples, got 355") and delay the final."""
    clip = clips["ps_librivox_sns01_0880.wav"]
    pcm = silence(0.5) + read_wav_as_pcm16(clip.path)
    samples = (len(pcm) // 2 * 3 // 4) // 512 * 512 + odd_samples  # cut three quarters in, mid-speech
    log = asyncio.run(stream_session(server.url, pcm[: samples * 2], token=TOKEN))
    finals = log.of_type("final")
    assert len(finals) == 1 and word_error_rate(clip.transcript, finals[0]["text"]) < 0.6, finals
    assert log.close_code == 1000
    text = wait_for_log(server, '"session closed"')
    assert "Traceback" not in text and "expects 512 samples" not in text


def test_huge_request_headers_are_refused(server: EmbeddedServer) -> None:
    """Without a token, 20 KiB of headers that never end: 431 and a closed connection. httptools (uvicorn's
    default parser when installed, as in the container image) had no limit and appended every chunk on the
    event loop (a 256 MB header stalled every session for 5 s); h11 answered a bare 400."""
    port = int(server.http_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 20_480)  # no blank line
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert http(server.http_url + "/healthz")[0] == 200  # and it goes on serving


async def _fatal_then_normal_close(url: str, fatal: str | bytes) -> SessionLog:
    log = SessionLog()
    async with connect(f"{url}?token={TOKEN}", max_size=2**20) as ws:
        collector = asyncio.create_task(collect(ws, log))
        while not log.messages:
            await asyncio.sleep(0.02)
        await ws.send(fatal)
        while not log.of_type("error"):
            await asyncio.sleep(0.02)
        await ws.close()  # a normal close (1000) right after the fatal error
        await asyncio.wait_for(collector, 30)
    return log


@pytest.mark.parametrize(
    "fatal", [json.dumps({"type": "start", "sample_rate": -1}), bytes(32_002)], ids=["bad-rate", "big-frame"]
)
def test_a_fatal_message_then_a_normal_close_is_one_warning_and_no_traceback(
    server: EmbeddedServer, fatal: str | bytes
) -> None:
    log = asyncio.run(_fatal_then_normal_close(server.url, fatal))
    session = log.messages[0]["session_id"]
    assert log.of_type("error")[0]["fatal"], log.messages
    deadline = time.monotonic() + 30
    while True:
        records = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.strip()]
        mine = [r for r in records if r.get("session") == session]
        if any(r["message"] == "session closed" for r in mine) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not [r for r in records if r.get("exc_info") or "ASGI" in r["message"] or r["level"] == "error"], records
    assert any(r["message"] == "session closed" for r in mine), mine
    warnings = [r for r in mine if r["level"] == "warning"]
    assert len(warnings) == 1, warnings  # the error sent to the client


def test_every_line_of_the_log_is_json_through_shutdown(server: EmbeddedServer) -> None:
    process = server._process
    assert process is not None
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    lines = [line for line in Path(server.log_path).read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # raises on any non-JSON line
    assert any(r["message"] == "RealtimeSTT shutting down" and r["logger"] == "dictate.output" for r in records)
    assert process.returncode == 0


# ---------------------------------------------------------------- route logic, without a model


def test_metrics_on_the_main_port_need_the_token() -> None:
    client = TestClient(create_app(ServerSettings(token=TOKEN), CHOICE))  # no lifespan: nothing loads
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 503
    assert client.get("/openapi.json").status_code == 404
