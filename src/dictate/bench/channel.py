"""`dictate bench --noise DBFS` and `--telephone`: speech that is not studio speech. Pure: numpy only.

The shared clips are read, studio-quality audio, and the bench's thinking pauses are digital silence. Real
dictation has a room under it and sometimes a telephone line in front of it (issue 18: the same mechanism that
was as good paused as unpaused on the shared clips failed on such speech). Both are applied to the PCM exactly as
it is streamed (clip, pauses and the leading and trailing silence), so the room is there before the speech, in
its pauses and under it:

* ``room_noise``: pink noise (power falling 3 dB an octave, as the hum and rumble of a room do more than a hiss)
  at a fixed RMS level in dBFS, seeded per clip so every run and both arms of an A/B hear the same noise;
* ``telephone_band``: the speech as a narrow-band telephone line carries it: 8 kHz sampling, the 300-3400 Hz
  band (an FFT brick-wall filter), G.711 mu-law companding (8 bits a sample), back to 16 kHz for the protocol.
"""

from __future__ import annotations

import zlib

import numpy as np

from dictate.protocol import SAMPLE_RATE

TELEPHONE_BAND = (300.0, 3400.0)  # Hz
TELEPHONE_RATE = 8000
MU = 255.0


def _samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0


def _pcm(samples: np.ndarray) -> bytes:
    return bytes((np.clip(samples, -1.0, 32767 / 32768) * 32768.0).round().astype(np.int16).tobytes())


def pink_noise(count: int, dbfs: float, seed: int) -> np.ndarray:
    """``count`` samples of pink noise whose RMS is ``dbfs`` (float, full scale 1.0)."""
    if count == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(count))
    frequencies = np.fft.rfftfreq(count, 1 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(frequencies[1:] / frequencies[1])  # 1/f power
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, count)
    rms = float(np.sqrt(np.mean(noise**2)))
    return noise * (10 ** (dbfs / 20) / rms) if rms > 0 else noise


def clip_seed(name: str) -> int:
    """A seed from the clip's name: the same noise for the same clip in every run."""
    return zlib.crc32(name.encode())


def room_noise(pcm: bytes, dbfs: float, seed: int) -> bytes:
    """16 kHz mono int16 PCM with pink noise at ``dbfs`` (RMS) added under all of it."""
    samples = _samples(pcm)
    return _pcm(samples + pink_noise(len(samples), dbfs, seed))


def _resample(samples: np.ndarray, rate_in: int, rate_out: int, band: tuple[float, float]) -> np.ndarray:
    """``samples`` at ``rate_out``, only the frequencies in ``band`` kept (FFT: zero the bins outside it)."""
    count_out = round(len(samples) * rate_out / rate_in)
    spectrum = np.fft.rfft(samples)
    frequencies = np.fft.rfftfreq(len(samples), 1 / rate_in)
    spectrum[(frequencies < band[0]) | (frequencies > band[1])] = 0.0
    bins_out = count_out // 2 + 1
    resized = np.zeros(bins_out, dtype=complex)
    keep = min(bins_out, len(spectrum))
    resized[:keep] = spectrum[:keep]
    return np.fft.irfft(resized, count_out) * (count_out / max(1, len(samples)))


def mu_law(samples: np.ndarray) -> np.ndarray:
    """G.711 mu-law: compressed, quantised to 8 bits, expanded again."""
    compressed = np.sign(samples) * np.log1p(MU * np.abs(np.clip(samples, -1, 1))) / np.log1p(MU)
    quantised = np.round(compressed * 127) / 127
    expanded: np.ndarray = np.sign(quantised) * ((1 + MU) ** np.abs(quantised) - 1) / MU
    return expanded


def telephone_band(pcm: bytes) -> bytes:
    """16 kHz mono int16 PCM as a narrow-band telephone line carries it (8 kHz, 300-3400 Hz, mu-law)."""
    samples = _samples(pcm)
    if samples.size == 0:
        return pcm
    line = mu_law(_resample(samples, SAMPLE_RATE, TELEPHONE_RATE, TELEPHONE_BAND))
    return _pcm(_resample(line, TELEPHONE_RATE, SAMPLE_RATE, (0.0, TELEPHONE_BAND[1])))


def channel_label(noise_dbfs: float | None, telephone: bool) -> str:
    """What the variant name says about the channel ("" for the clip as it is)."""
    parts = [f"noise {noise_dbfs:g} dBFS"] if noise_dbfs is not None else []
    return ", ".join([*parts, "telephone"] if telephone else parts)


def through_channel(pcm: bytes, noise_dbfs: float | None, telephone: bool, seed: int) -> bytes:
    """The PCM as streamed: room noise under it, then the telephone line (noise is picked up before the line)."""
    if noise_dbfs is not None:
        pcm = room_noise(pcm, noise_dbfs, seed)
    return telephone_band(pcm) if telephone else pcm
