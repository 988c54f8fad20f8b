"""The windowed pass on the real packaged Whisper base model and real speech."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from faster_whisper import WhisperModel

from dictate.bench.wer import clip_wer
from dictate.server.models import resolve_model_source
from dictate.server.whisper import FULL_WINDOW_FRAMES, WindowedWhisperModel
from tests.conftest import Clip

CLIP = "ps_librivox_sns01_0880.wav"  # 3 s: "he was not an ill disposed young man"


@pytest.fixture(scope="module")
def model() -> WindowedWhisperModel:
    source, _label, _local = resolve_model_source("packaged:base")
    return WindowedWhisperModel(source, device="cpu", compute_type="int8", cpu_threads=2)


@pytest.fixture
def encoded_frames(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The width of every window the base encoder is given."""
    seen: list[int] = []
    original = WhisperModel.encode

    def spy(self: Any, features: np.ndarray) -> Any:
        seen.append(features.shape[-1])
        return original(self, features)

    monkeypatch.setattr(WhisperModel, "encode", spy)
    yield seen


def speech(clip: Clip, leading: float = 0.7, trailing: float = 0.5) -> np.ndarray:
    audio, rate = sf.read(clip.path, dtype="float32")
    assert rate == 16000
    return np.concatenate(
        [np.zeros(int(leading * rate), np.float32), audio, np.zeros(int(trailing * rate), np.float32)]
    )


def test_windowed_pass_encodes_a_short_window_and_transcribes(
    model: WindowedWhisperModel, encoded_frames: list[int], clips: dict[str, Clip]
) -> None:
    audio = speech(clips[CLIP])
    text = model.transcribe_text(audio, beam_size=1, language="en", window_margin=3.0).text
    assert encoded_frames == [800]  # 4.2 s of audio + 3 s = 7.2 s, rounded up to whole seconds
    assert clip_wer(clips[CLIP].transcript, text) == pytest.approx(0.0, abs=0.15), text
    assert text.lower().count("young man") == 1, text  # no echo of the utterance


def test_full_window_is_the_default_and_agrees(
    model: WindowedWhisperModel, encoded_frames: list[int], clips: dict[str, Clip]
) -> None:
    audio = speech(clips[CLIP])
    full = model.transcribe_text(audio, beam_size=1, language="en").text
    windowed = model.transcribe_text(audio, beam_size=1, language="en", window_margin=3.0).text
    assert encoded_frames == [FULL_WINDOW_FRAMES, 800]
    assert clip_wer(full, windowed) == pytest.approx(0.0, abs=0.15), (full, windowed)


def test_audio_longer_than_a_window_keeps_the_full_windows(
    model: WindowedWhisperModel, encoded_frames: list[int], clips: dict[str, Clip]
) -> None:
    first, second = (speech(clips[name], leading=0.0, trailing=14.0) for name in (CLIP, "ljspeech_LJ001-0002.wav"))
    audio = np.concatenate([first, first, second])  # ~35 s: two windows
    text = model.transcribe_text(audio, beam_size=1, language="en", window_margin=3.0).text
    assert encoded_frames == [FULL_WINDOW_FRAMES, FULL_WINDOW_FRAMES]
    assert "modern" in text.lower(), text
