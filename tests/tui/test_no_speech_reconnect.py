"""A dashboard left listening in a quiet room: the server closes its session for want of speech (close 4001,
issue 20 item 11), the dashboard waits without a connection, and when the user speaks again it reconnects
and nothing of that speech is lost. Real server (a short no-speech limit), real speech; the room stays quiet
until the server's log says it closed the session, so nothing depends on the clock."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dictate.audio import DEFAULT_FRAME_MS, frame_bytes, split_frames
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import paced
from tests.streaming import word_error_rate

from .conftest import RecordingSink, make_app, turn_off, wait_until, words

pytestmark = pytest.mark.model

CLIP = "ljspeech_LJ001-0002.wav"
NO_SPEECH_S = 3


class QuietThenSpeech:
    """Silence until the server has closed the session for want of speech, 1 s more, then the clip."""

    wait_for_server = True
    description = "a quiet room, then speech"

    def __init__(self, path: Path, server_log: Path) -> None:
        self._clip = read_wav_as_pcm16(path)
        self._server_log = server_log

    def _closed(self) -> bool:
        return "error no_speech" in self._server_log.read_text(errors="replace")

    def _frames(self) -> Iterator[bytes]:
        silence = bytes(frame_bytes())
        while not self._closed():
            yield from itertools.repeat(silence, 10)  # look again 0.2 s later
        yield from itertools.repeat(silence, int(1000 / DEFAULT_FRAME_MS))
        yield from split_frames(self._clip)
        yield from itertools.repeat(silence)

    async def frames(self) -> AsyncIterator[bytes]:
        async for frame in paced(self._frames()):
            yield frame


def test_dashboard_reconnects_when_the_user_speaks_after_a_no_speech_close(tmp_path: Path, clips: dict) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    server = EmbeddedServer(env={**env, "DICTATE_NO_SPEECH_TIMEOUT": str(NO_SPEECH_S)}).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=tmp_path / "unused.wav", sink=sink)
    source = QuietThenSpeech(clips[CLIP].path, server.log_path)
    app._make_source = lambda: source  # type: ignore[method-assign]
    last_word = words(clips[CLIP].transcript).split()[-1]

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: last_word in words(sink.text), timeout=90, what="the sentence after the close")
            await turn_off(app, pilot, timeout=15)

    try:
        try:
            asyncio.run(scenario())
        except AssertionError as exc:
            raise AssertionError(f"{exc}; typed: {sink.text!r}; log: {server.log_path.read_text()[-3000:]}") from exc
        log = server.log_path.read_text()
    finally:
        server.stop()
    assert "error no_speech" in log and log.count("session started") >= 2, log[-3000:]
    assert word_error_rate(clips[CLIP].transcript, sink.text) <= 0.2, sink.text  # its start was not lost
