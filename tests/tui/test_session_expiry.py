"""The server's session time limit under a running dashboard: it reconnects through each expiry, and the text
typed is what was said, nothing lost and nothing typed twice. Real server (short limit), real speech."""

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

CLIPS = ["ps_librivox_sns01_0880.wav", "ljspeech_LJ001-0002.wav", "ps_librivox_sns01_0930.wav", "ps_goforward.wav"]
GAP_S = 1.5  # a pause between sentences
MAX_SESSION_S = 3  # every session expires, at the next pause: one for each clip


class SentencesAcrossExpiries:
    """The clips as if spoken, with a pause after each. After every clip but the last the room stays quiet until
    the server has told the session that heard it to expire (its log's ``error session_expired``), and the next
    clip starts then, while the dashboard reconnects. It waits on the server's events, not on the clock: on a
    loaded machine the server's VAD may hear 1.5 s pauses late or not at all, and a fixed recording then ran to
    its end inside one session."""

    wait_for_server = True
    description = "sentences across session expiries"

    def __init__(self, paths: list[Path], server_log: Path) -> None:
        self._clips = [read_wav_as_pcm16(path) for path in paths]
        self._server_log = server_log

    def expiries(self) -> int:
        return self._server_log.read_text(errors="replace").count("error session_expired")

    def _frames(self) -> Iterator[bytes]:
        silence = bytes(frame_bytes())
        gap_frames = int(GAP_S * 1000 / DEFAULT_FRAME_MS)
        for index, pcm in enumerate(self._clips):
            yield from split_frames(pcm)
            yield from itertools.repeat(silence, gap_frames)
            while index < len(self._clips) - 1 and self.expiries() <= index:
                yield from itertools.repeat(silence, 10)  # look again 0.2 s later
        yield from itertools.repeat(silence)

    async def frames(self) -> AsyncIterator[bytes]:
        async for frame in paced(self._frames()):
            yield frame


def test_dashboard_goes_on_through_session_expiry(tmp_path: Path, clips: dict) -> None:
    reference = " ".join(clips[name].transcript for name in CLIPS)
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    server = EmbeddedServer(env={**env, "DICTATE_MAX_SESSION_SECONDS": str(MAX_SESSION_S)}).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=tmp_path / "unused.wav", sink=sink)
    source = SentencesAcrossExpiries([clips[name].path for name in CLIPS], server.log_path)
    app._make_source = lambda: source  # type: ignore[method-assign]

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            await wait_until(lambda: "forward" in words(sink.text), timeout=90, what="the last sentence")
            await turn_off(app, pilot, timeout=15)

    try:
        try:
            asyncio.run(scenario())
        except AssertionError as exc:
            raise AssertionError(f"{exc}; typed: {sink.text!r}; log: {server.log_path.read_text()[-3000:]}") from exc
        log = server.log_path.read_text()
    finally:
        server.stop()
    assert log.count("session started") >= len(CLIPS), "the sessions did not expire"
    assert "error session_expired" in log
    # nothing lost, nothing repeated ("10" for "ten" is one of the few substitutions)
    assert word_error_rate(reference, sink.text) <= 0.2, sink.text
    assert sum(len(plan.text) for plan in sink.plans) == len(sink.text), "nothing was deleted and retyped"
