"""The dashboard against the real service (real Whisper model), fed a shared speech clip at real-time pace."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH

from .conftest import RecordingSink, make_app, wait_until, words
from .test_app_flow import history_texts, text_of

pytestmark = pytest.mark.model

CLIP = "ps_librivox_sns01_0880.wav"  # 3 s: "he was not an ill disposed young man"


def test_dictate_a_clip_into_the_dashboard(tmp_path: Path, real_server: str, clips: dict) -> None:
    sink = RecordingSink()
    record = tmp_path / "sent.pcm"
    app = make_app(tmp_path, real_server, source=clips[CLIP].path, sink=sink)
    app.options = type(app.options)(**{**app.options.__dict__, "record_pcm": record})
    interims: list[str] = []
    finals: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=(100, 34)) as pilot:
            await pilot.press("space")
            assert "LISTENING" in text_of(app, "#banner")

            def saw_interim() -> bool:
                if app.transcript.interim_text:
                    interims.append(app.transcript.interim_text)
                return bool(interims)

            await wait_until(saw_interim, timeout=30, what="interim text")
            assert interims[0] in text_of(app, "#interim") or history_texts(app)
            await wait_until(lambda: bool(history_texts(app)), timeout=30, what="the final text in the history")
            finals.extend(history_texts(app))
            assert "packaged:base" in text_of(app, "#status")
            await pilot.press("space")
            await wait_until(lambda: app.session is None, timeout=15, what="the session to end")
            assert "OFF" in text_of(app, "#banner")
            assert "connected" not in text_of(app, "#status")

    asyncio.run(scenario())
    assert len(finals) == 1
    final = finals[0]
    assert "young man" in words(final), final
    assert sink.text == " ".join(final.split()), "the final is typed exactly once"
    # --record-pcm holds exactly what was sent: the whole clip, then silence, 16 kHz int16
    recorded = record.read_bytes()
    assert len(recorded) % SAMPLE_WIDTH == 0
    assert len(recorded) / (SAMPLE_RATE * SAMPLE_WIDTH) >= clips[CLIP].duration
