"""Speech segmentation from Silero probabilities (pure), and the ONNX model on real clips."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.bench.vad import SileroVad, find_model_path, find_speech, span_from_segments, speech_segments

W = 512  # samples per window


def test_one_segment_with_a_tolerated_dip() -> None:
    probs = [0.1] * 5 + [0.9] * 10 + [0.4] * 2 + [0.9] * 10 + [0.1] * 10
    # 0.4 is below 0.5 but above the 0.35 exit threshold: the segment goes on
    assert speech_segments(probs, len(probs) * W) == [(5 * W, 27 * W)]


def test_short_silence_does_not_split_long_silence_does() -> None:
    # 2 windows (64 ms) of silence < 100 ms: one segment; 5 windows (160 ms): two
    short = [0.9] * 20 + [0.1] * 2 + [0.9] * 20 + [0.0] * 10
    assert speech_segments(short, len(short) * W) == [(0, 42 * W)]
    long = [0.9] * 20 + [0.1] * 5 + [0.9] * 20 + [0.0] * 10
    assert speech_segments(long, len(long) * W) == [(0, 20 * W), (25 * W, 45 * W)]


def test_short_blips_are_dropped_and_speech_at_the_end_is_closed() -> None:
    blip = [0.0] * 5 + [0.9] * 3 + [0.0] * 10  # 96 ms < 250 ms
    assert speech_segments(blip, len(blip) * W) == []
    running = [0.0] * 5 + [0.9] * 20
    assert speech_segments(running, 25 * W - 100) == [(5 * W, 25 * W - 100)]


def test_span_from_segments() -> None:
    span = span_from_segments([(16000, 32000), (48000, 64000)])
    assert span is not None
    assert (span.onset, span.end) == (1.0, 4.0)
    assert span.segments == ((1.0, 2.0), (3.0, 4.0))
    assert span_from_segments([]) is None


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def test_real_clip_onset_and_end(vad: SileroVad, clips: dict[str, object]) -> None:
    clip = clips["ps_librivox_sns01_0880.wav"]
    pcm = silence(1.0) + read_wav_as_pcm16(clip.path) + silence(2.0)  # type: ignore[attr-defined]
    span = find_speech(pcm, vad)
    assert span is not None
    assert 1.0 < span.onset < 1.6  # speech starts a little after the clip does
    assert 3.4 < span.end <= 4.0  # and ends before the 2.99 s clip does
    assert find_speech(pcm, vad) == span  # deterministic


def test_digital_silence_has_no_speech(vad: SileroVad) -> None:
    assert find_speech(silence(2.0), vad) is None


def test_model_is_found_and_torch_is_never_imported() -> None:
    assert find_model_path().name == "silero_vad.onnx"
    code = (
        "import sys\n"
        "from dictate.bench.vad import SileroVad\n"
        "from dictate.bench import command, run, runner, report, metrics, wer\n"
        "SileroVad().probabilities(__import__('numpy').zeros(1600, dtype='float32'))\n"
        "print('torch' in sys.modules, 'RealtimeSTT' in sys.modules)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]
