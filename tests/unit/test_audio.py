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
from dictate.audiofile import decode_audio_bytes, read_wav_as_pcm16
from dictate.errors import AudioError, AudioTooLongError


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


def lying_wav(rate: int, data_bytes: int) -> bytes:
    """A PCM16 mono WAV whose header claims ``rate`` Hz, with ``data_bytes`` of (silent) samples."""
    header = b"RIFF" + (36 + data_bytes).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
    header += (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    return header + b"data" + data_bytes.to_bytes(4, "little") + bytes(data_bytes)


@pytest.mark.parametrize("rate", [1, 100, 4000, 384_000])
def test_an_upload_declaring_an_unusable_sample_rate_is_refused_before_decoding(rate: int) -> None:
    """Issue 20 item 9: a 20 KB WAV claiming 1 Hz became 10,000 s of audio (RSS +650 MiB)."""
    with pytest.raises(AudioError, match=f"declares a sample rate of {rate} Hz: only 8-192 kHz"):
        decode_audio_bytes(lying_wav(rate, 20_000), "the uploaded file 'x.wav'")


def test_an_upload_longer_than_the_limit_is_refused_from_its_header() -> None:
    two_minutes = lying_wav(16_000, 16_000 * 2 * 120)
    with pytest.raises(AudioTooLongError, match="is 120 s long: the limit is 60 s"):
        decode_audio_bytes(two_minutes, "the upload", max_seconds=60)
    assert decode_audio_bytes(two_minutes, "the upload", max_seconds=121).size == 16_000 * 120
