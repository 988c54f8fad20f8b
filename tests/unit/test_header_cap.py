"""Request headers are capped for every HTTP parser uvicorn may use (issue 20 item 10): httptools, its default
when installed, had no limit and appended each chunk on the event loop (a 256 MB header stalled every session
for 5 s). A real uvicorn on 127.0.0.1 with each parser and the service's protocol wrapper."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from dictate.client.embedded import free_loopback_port
from dictate.server.edge.header_timeout import H11_MAX_INCOMPLETE_BYTES, MAX_HEADER_BYTES, header_timeout_protocol


async def echo(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"{len(body)}")


APP = Starlette(routes=[Route("/", echo, methods=["GET", "POST"])])


@pytest.fixture(params=["h11", "httptools"])
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    pytest.importorskip(request.param)
    port = free_loopback_port()
    config = uvicorn.Config(
        APP, host="127.0.0.1", port=port, http=request.param, log_level="warning",
        h11_max_incomplete_event_size=H11_MAX_INCOMPLETE_BYTES, lifespan="off",
    )  # fmt: skip
    config.load()
    config.http_protocol_class = header_timeout_protocol(config.http_protocol_class, 30.0)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{request.param}")
    thread.start()
    try:
        assert _wait_started(server, thread)
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> bool:
    started = threading.Event()

    def poll() -> None:
        while thread.is_alive() and not server.started:
            started.wait(0.01)
        started.set()

    poller = threading.Thread(target=poll)
    poller.start()
    poller.join(30)
    return server.started


def _exchange(port: int, data: bytes, chunk: int = 65536) -> bytes:
    """Send ``data`` in ``chunk``-sized pieces until the server answers, then read until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            for offset in range(0, len(data), chunk):
                sock.sendall(data[offset : offset + chunk])
                if select.select([sock], [], [], 0)[0]:
                    break  # answered before everything was sent: read the answer
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # closed by the server: read what it answered
        answer = b""
        try:
            while piece := sock.recv(65536):
                answer += piece
        except ConnectionResetError:
            pass
    return answer


@pytest.mark.parametrize("size", [20_000, 8_000_000])
def test_headers_over_the_cap_are_answered_431(port: int, size: int) -> None:
    answer = _exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * size, chunk=4096)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert _exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200")


def test_headers_under_the_cap_and_a_big_body_in_one_piece_are_served(port: int) -> None:
    """What the cap must not catch: headers near the limit, and a body sent with its headers in one chunk."""
    near = (
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Filler: " + b"a" * (MAX_HEADER_BYTES - 200) + b"\r\n\r\n"
    )
    assert _exchange(port, near).startswith(b"HTTP/1.1 200")
    body = b"b" * 200_000
    post = b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    answer = _exchange(port, post, chunk=len(post))
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"200000"), answer[:200]
