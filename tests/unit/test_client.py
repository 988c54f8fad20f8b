"""Client-side URL handling and close-code mapping."""

from __future__ import annotations

import pytest

from dictate.client.connection import http_base_url, normalise_stream_url
from dictate.client.session import error_for_close
from dictate.errors import AuthenticationError, ConnectionFailedError, NoSpeechError, ServerBusyError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8000", "ws://localhost:8000/stream"),
        ("ws://h:1/stream", "ws://h:1/stream"),
        ("https://dictate.example.com", "wss://dictate.example.com/stream"),
        ("http://h:8000/", "ws://h:8000/stream"),
        ("wss://h/custom/path?x=1", "wss://h/custom/path?x=1"),
    ],
)
def test_normalise_stream_url(given: str, expected: str) -> None:
    assert normalise_stream_url(given) == expected


def test_bad_urls() -> None:
    with pytest.raises(ConnectionFailedError):
        normalise_stream_url("ftp://h")
    assert http_base_url("wss://h:443/stream") == "https://h:443"


def test_close_codes_map_to_errors() -> None:
    assert error_for_close(1000, "") is None
    assert isinstance(error_for_close(1008, "invalid token"), AuthenticationError)
    assert isinstance(error_for_close(1013, "server busy"), ServerBusyError)
    assert isinstance(error_for_close(4001, "no speech"), NoSpeechError)
    assert "shutting down" in str(error_for_close(1001, "bye"))
    assert isinstance(error_for_close(1011, "boom"), ConnectionFailedError)
