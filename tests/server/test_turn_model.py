"""The acoustic end-of-turn model (Smart Turn v3.2, ``model/turn.py``) as the server loads it: the file the setup
script installed, real speech. It must hear the end of a sentence as finished and a cut mid-phrase as not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dictate.audiofile import read_wav_as_pcm16
from dictate.errors import ModelLoadError, ModelNotFoundError
from dictate.protocol import SAMPLE_RATE
from dictate.server.model.turn import TurnModel, find_turn_model, installed_turn_model, load_turn_model
from tests.conftest import Clip

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model() -> TurnModel:
    path = find_turn_model("auto")
    assert path == installed_turn_model(), "run scripts/fetch-turn-model.sh (scripts/setup.sh does)"
    return TurnModel(path)


def _speech_then_pause(clip: Clip, until: float | None = None) -> np.ndarray:
    pcm = np.frombuffer(read_wav_as_pcm16(clip.path), dtype=np.int16).astype(np.float32) / 32768.0
    if until is not None:
        pcm = pcm[: int(until * SAMPLE_RATE)]
    return np.concatenate([pcm, np.zeros(SAMPLE_RATE // 5, np.float32)])  # 0.2 s into the pause


def test_the_end_of_a_sentence_sounds_finished_and_a_cut_mid_phrase_does_not(
    model: TurnModel, clips: dict[str, Clip]
) -> None:
    jfk = clips["whisper_jfk.wav"]  # "And so my fellow Americans, ask not what your country can do for you, ..."
    finished = model.complete(_speech_then_pause(jfk))
    cut = model.complete(_speech_then_pause(jfk, until=4.5))  # "... ask not what your | country"
    assert finished > 0.5 > cut, (finished, cut)


def test_silence_and_a_clip_longer_than_the_window_are_judged_without_error(
    model: TurnModel, clips: dict[str, Clip]
) -> None:
    assert 0.0 <= model.complete(np.zeros(SAMPLE_RATE, np.float32)) <= 1.0
    long_clip = max(clips.values(), key=lambda clip: clip.duration)
    assert long_clip.duration > 8
    assert 0.0 <= model.complete(_speech_then_pause(long_clip)) <= 1.0  # the last 8 s


def test_a_turn_model_named_but_missing_is_an_error_and_off_is_none(tmp_path: Path) -> None:
    assert find_turn_model("off") is None
    with pytest.raises(ModelNotFoundError, match="fetch-turn-model"):
        find_turn_model(str(tmp_path / "missing.onnx"))


def test_a_file_that_is_not_the_model_is_a_load_error_that_says_what_to_do(tmp_path: Path) -> None:
    lying = tmp_path / "smart-turn-v3.2-cpu.onnx"
    lying.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(ModelLoadError, match="fetch-turn-model"):
        load_turn_model(lying)
