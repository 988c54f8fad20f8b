"""Issue 10's end-to-end check, short: the JFK clip with a 1 s thinking pause, then "ten of clubs", twice over
(~28 s), streamed by the real `dictate tui --source FILE --on --type final` into a Tk window under Xvfb, against
a real server (packaged base). Every utterance is typed exactly once: the issue saw the second "ten of clubs"
never typed and "And so my fellow Americans" typed three times. `scripts/dashboard-replay.py` is the long
version (~115 s). In both typing modes every key the dashboard's log counts arrives in the window, and in live
mode (words typed as the interims agree, backspaced when the model changes its mind) the window still ends with
each utterance once."""

from __future__ import annotations

from pathlib import Path

import pytest

from dictate.bench.inputs import BenchClip
from dictate.bench.replay import build_replay, keys_typed, score_typed
from dictate.bench.wer import normalise

from .conftest import dictate_into_window

pytestmark = [pytest.mark.x11, pytest.mark.model]


def bench_clip(clips: dict, name: str) -> BenchClip:
    return BenchClip(name, clips[name].path, clips[name].transcript)


@pytest.mark.parametrize("mode", ["final", "live"])
def test_paused_speech_and_commands_are_typed_once_each(
    tmp_path: Path, xvfb: str, real_server: str, clips: dict, mode: str
) -> None:
    replay = build_replay(
        [bench_clip(clips, "whisper_jfk.wav")],
        [bench_clip(clips, "ps_cards_001.wav")],
        pauses=1.0,
        gap=0.5,
        repeats=2,
        cache_dir=tmp_path / "offline",
    )
    assert replay.parts[0].variant, "the JFK clip has a thinking pause"
    source = replay.write_wav(tmp_path / "session.wav")
    typed, screen = dictate_into_window(real_server, source, xvfb, tmp_path, replay.seconds, mode=mode)
    score = score_typed(replay, typed)
    said = normalise(typed)
    assert score["parts_missing"] == [], f"clips never typed: {score['parts_missing']}; typed {typed!r}"
    assert score["lost_runs"] == [], f"speech lost: typed {typed!r}"
    assert score["extra_runs"] == [], f"text typed twice (or made up): typed {typed!r}"
    assert said.count("my fellow americans") == 2, typed
    assert score["wer"] is not None and score["wer"] < 0.25, (score["wer"], typed)
    assert "americans" in screen.lower(), "the history shows what was typed"
    keys = keys_typed((tmp_path / "tui.log").read_text(errors="replace"))
    assert keys["typed_chars"] - keys["backspaced_chars"] == len(typed), (keys, typed)
    pressed = (tmp_path / "typed.txt.keys").read_text(encoding="utf-8").split()  # the window's own record
    assert pressed.count("BackSpace") == keys["backspaced_chars"], keys
    if mode == "live":  # words typed as they came, not one batch per final
        assert keys["typing_batches"] > len(replay.parts), keys
