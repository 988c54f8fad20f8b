"""The server's session time limit under a running dashboard: it reconnects through each expiry, and the text
typed is what was said, nothing lost and nothing typed twice. Real server (short limit), real speech."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from dictate.client.embedded import EmbeddedServer
from tests.streaming import word_error_rate

from .conftest import RecordingSink, make_app, turn_off, wait_until, words

pytestmark = pytest.mark.model

CLIPS = ["ps_librivox_sns01_0880.wav", "ljspeech_LJ001-0002.wav", "ps_librivox_sns01_0930.wav", "ps_goforward.wav"]
GAP_S = 1.5  # a pause between sentences
MAX_SESSION_S = 3  # shorter than the speech: every session expires, at the next pause


def sentences(tmp_path: Path, clips: dict) -> tuple[Path, str]:
    parts = []
    for name in CLIPS:
        audio, rate = soundfile.read(str(clips[name].path), dtype="float32")
        assert rate == 16000 and audio.ndim == 1
        parts += [audio, np.zeros(int(GAP_S * rate), np.float32)]
    path = tmp_path / "sentences.wav"
    soundfile.write(str(path), np.concatenate(parts), 16000)
    return path, " ".join(clips[name].transcript for name in CLIPS)


def test_dashboard_goes_on_through_session_expiry(tmp_path: Path, clips: dict) -> None:
    source, reference = sentences(tmp_path, clips)
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    server = EmbeddedServer(env={**env, "DICTATE_MAX_SESSION_SECONDS": str(MAX_SESSION_S)}).start()
    sink = RecordingSink()
    app = make_app(tmp_path, server.url, source=source, sink=sink)

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
    assert log.count("session started") >= 3, "the sessions did not expire"
    assert "error session_expired" in log
    # nothing lost, nothing repeated ("10" for "ten" is one of the few substitutions)
    assert word_error_rate(reference, sink.text) <= 0.2, sink.text
    assert sum(len(plan.text) for plan in sink.plans) == len(sink.text), "nothing was deleted and retyped"
