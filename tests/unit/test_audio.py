"""PCM conversion, resampling and framing, without devices."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from dictate.audio import (
    FrameAccumulator,
    float_to_pcm16,
    frame_bytes,
    int_to_float,
    level_dbfs,
    pcm16_to_float,
    resample,
    silence,
    split_frames,
    to_mono,
    to_pcm16_mono_16k,
)
from dictate.audiofile import read_wav_as_pcm16
from dictate.errors import AudioError


def tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


def test_pcm16_round_trip_and_clipping() -> None:
    samples = np.array([0.0, 0.5, -0.5, 1.5, -1.5], dtype=np.float32)
    pcm = float_to_pcm16(samples)
    assert len(pcm) == 10
    back = pcm16_to_float(pcm)
    assert back[1] == pytest.approx(0.5, abs=1e-4) and back[3] < 1.0 and back[4] == -1.0
    assert np.frombuffer(pcm, "<i2")[4] == -32768
    with pytest.raises(ValueError):
        pcm16_to_float(b"\x00")


def test_int_to_float_scales_signed_and_unsigned() -> None:
    assert int_to_float(np.array([-32768, 16384], dtype=np.int16)).tolist() == [-1.0, 0.5]
    assert int_to_float(np.array([0, 128, 255], dtype=np.uint8))[1] == 0.0


def test_to_mono_averages_channels() -> None:
    stereo = np.stack([np.full(4, 0.5), np.full(4, -0.5)], axis=1).astype(np.float32)
    assert np.allclose(to_mono(stereo), 0.0)
    with pytest.raises(ValueError):
        to_mono(np.zeros((2, 2, 2), dtype=np.float32))


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampling_keeps_pitch_and_length(rate: int) -> None:
    out = resample(tone(440, rate), rate, 16000)
    assert abs(out.size - 16000) <= 2
    assert dominant_frequency(out, 16000) == pytest.approx(440, abs=2)


def test_resampling_removes_content_above_new_nyquist() -> None:
    out = resample(tone(12000, 48000), 48000, 16000)  # 12 kHz cannot exist at 16 kHz: must be filtered, not aliased
    assert level_dbfs(out) < -40


def test_to_pcm16_mono_16k_from_stereo_44k() -> None:
    stereo = np.stack([tone(300, 44100), tone(300, 44100)], axis=1)
    pcm = to_pcm16_mono_16k(stereo, 44100)
    assert abs(len(pcm) // 2 - 16000) <= 2
    assert dominant_frequency(pcm16_to_float(pcm), 16000) == pytest.approx(300, abs=2)


def test_framing() -> None:
    assert frame_bytes(20) == 640 and frame_bytes(10) == 320
    frames = list(split_frames(bytes(1000), 20))
    assert [len(f) for f in frames] == [640, 360]
    acc = FrameAccumulator(20)
    assert acc.push(bytes(600)) == []
    assert [len(f) for f in acc.push(bytes(700))] == [640, 640]
    assert len(acc.flush()) == 20 and acc.flush() == b""
    assert len(silence(0.5)) == 16000


def test_level_meter() -> None:
    assert level_dbfs(np.zeros(100, dtype=np.float32)) == -120.0
    assert level_dbfs(np.ones(100, dtype=np.float32)) == pytest.approx(0.0)
    assert level_dbfs(np.array([], dtype=np.float32)) == -120.0


def test_read_wav_converts_rate_and_channels(tmp_path: object) -> None:
    path = f"{tmp_path}/stereo48k.wav"
    soundfile.write(path, np.stack([tone(500, 48000), tone(500, 48000)], axis=1), 48000, subtype="PCM_24")
    pcm = read_wav_as_pcm16(path)
    assert abs(len(pcm) // 2 - 16000) <= 2
    assert dominant_frequency(pcm16_to_float(pcm), 16000) == pytest.approx(500, abs=2)
    with pytest.raises(AudioError):
        read_wav_as_pcm16(f"{tmp_path}/missing.wav")
