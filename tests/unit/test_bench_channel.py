"""`dictate bench --noise DBFS` / `--telephone`: the channel a stream goes through (issue 18 item 4). Pure numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dictate.bench.channel import channel_label, clip_seed, pink_noise, room_noise, telephone_band, through_channel
from dictate.protocol import SAMPLE_RATE


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0


def tone(hz: float, seconds: float = 1.0, level: float = 0.3) -> bytes:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return bytes((level * np.sin(2 * np.pi * hz * t) * 32767).astype(np.int16).tobytes())


def rms_dbfs(values: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(values**2)) + 1e-12))


def test_room_noise_has_the_level_asked_for_fills_silence_and_is_the_same_for_the_same_clip() -> None:
    silence = bytes(2 * 3 * SAMPLE_RATE)
    noisy = room_noise(silence, -50.0, clip_seed("a.wav"))
    assert abs(rms_dbfs(samples(noisy)) - -50.0) < 0.5
    assert noisy == room_noise(silence, -50.0, clip_seed("a.wav"))
    assert noisy != room_noise(silence, -50.0, clip_seed("b.wav"))


def test_room_noise_is_pink_more_power_low_than_high() -> None:
    noise = pink_noise(4 * SAMPLE_RATE, -40.0, 1)
    power = np.abs(np.fft.rfft(noise)) ** 2
    frequencies = np.fft.rfftfreq(noise.size, 1 / SAMPLE_RATE)
    low = power[(frequencies > 100) & (frequencies < 200)].mean()
    high = power[(frequencies > 4000) & (frequencies < 8000)].mean()
    assert 10 * np.log10(low / high) > 10  # ~15 dB over those 4.3 octaves


def test_the_telephone_line_keeps_300_to_3400_hz_and_removes_the_rest() -> None:
    for hz, kept in ((100, False), (1000, True), (3000, True), (5000, False)):
        out = samples(telephone_band(tone(hz)))
        assert len(out) == SAMPLE_RATE
        level = rms_dbfs(out[1000:-1000])
        assert (level > rms_dbfs(samples(tone(hz))) - 1.5) == kept, (hz, level)


def test_the_channel_label_and_no_channel_leaves_the_audio_alone() -> None:
    pcm = tone(440)
    assert through_channel(pcm, None, False, 0) == pcm
    assert channel_label(None, False) == ""
    assert channel_label(-50, True) == "noise -50 dBFS, telephone"


def test_the_floor_hears_each_clip_through_the_same_channel_as_its_stream(tmp_path: Path) -> None:
    """`--floor --noise/--telephone`: the offline pass gets the clip as the channel carries it, with the noise of
    that clip's seed (the stream run's), and a floor without a channel gets the file as it is."""
    from dictate.bench.inputs import BenchClip
    from dictate.bench.run import through_the_channel

    clips = [BenchClip(name, tmp_path / name, "", pcm=tone(hz)) for name, hz in (("a.wav", 440), ("b.wav", 1000))]
    assert through_the_channel(clips, None, False) == clips
    heard = through_the_channel(clips, -50.0, True)
    for clip, channel in zip(clips, heard, strict=True):
        assert channel.name == clip.name and channel.audio() != clip.audio()
        assert channel.audio() == through_channel(clip.audio(), -50.0, True, clip_seed(clip.name))
