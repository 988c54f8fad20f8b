"""The pauses inside a joined pass, found in the audio and left out (issue 18 item 2). Pure numpy, with signals
that have what real recordings have: a changing tone for speech, room noise under the pause."""

from __future__ import annotations

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.live.joins import KEEP_PAUSE, joined_ranges, pauses_between, quiet_run

RNG = np.random.default_rng(18)


def speech(seconds: float, level: float = 0.2) -> np.ndarray:
    """A stand-in for speech: a loud tone whose pitch moves."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (level * np.sin(2 * np.pi * (180 + 60 * np.sin(3 * t)) * t)).astype(np.float32)


def noise(seconds: float, dbfs: float) -> np.ndarray:
    return (RNG.standard_normal(int(seconds * SAMPLE_RATE)) * 10 ** (dbfs / 20)).astype(np.float32)


def read(audio: np.ndarray, ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    return np.concatenate([audio[start:end] for start, end in ranges])


def test_a_silent_pause_is_cut_to_keep_and_the_speech_is_untouched() -> None:
    before, pause, after = speech(1.0), np.zeros(int(1.5 * SAMPLE_RATE), np.float32), speech(0.8)
    audio = np.concatenate([before, pause, after])
    # the VAD: the pause began 0.1 s after the speech ended, speech heard 0.2 s after it resumed (late)
    vad_pause = len(before) + int(0.1 * SAMPLE_RATE)
    vad_onset = len(before) + len(pause) + int(0.2 * SAMPLE_RATE)
    ranges = joined_ranges(0, len(audio), [(vad_pause, vad_onset)], lambda a, b: audio[a:b])
    out = read(audio, ranges)
    # what stays of the pause: the silence before the VAD's decision, and KEEP_PAUSE of the rest
    assert abs(len(out) - (len(before) + int(0.1 * SAMPLE_RATE) + KEEP_PAUSE + len(after))) <= 320
    np.testing.assert_array_equal(out[: len(before)], before)
    np.testing.assert_array_equal(out[-len(after) :], after)


def test_room_noise_in_the_pause_is_found_and_cut_and_the_speech_after_it_stays() -> None:
    audio = noise(4.0, -50)
    before, after = speech(1.0), speech(1.0)
    gap = int(2.0 * SAMPLE_RATE)
    audio[: len(before)] += before
    audio[len(before) + gap : len(before) + gap + len(after)] += after
    ranges = joined_ranges(0, len(audio), [(len(before), len(before) + gap + 4000)], lambda a, b: audio[a:b])
    out = read(audio, ranges)
    assert len(out) < len(audio) - int(1.5 * SAMPLE_RATE)
    assert np.sum(np.abs(out) > 0.1) >= 0.95 * np.sum(np.abs(audio) > 0.1)  # the speech is all there


def test_a_short_pause_no_pause_or_keep_zero_leave_one_range() -> None:
    audio = np.concatenate([speech(1.0), np.zeros(int(0.25 * SAMPLE_RATE), np.float32), speech(1.0)])
    whole = ((0, len(audio)),)
    assert joined_ranges(0, len(audio), [(SAMPLE_RATE, SAMPLE_RATE + 4000)], lambda a, b: audio[a:b]) == whole
    assert joined_ranges(0, len(audio), [], lambda a, b: audio[a:b]) == whole
    assert joined_ranges(0, len(audio), [(0, len(audio))], lambda a, b: audio[a:b], keep=0) == whole


def test_a_pause_range_that_holds_speech_loses_only_its_quiet_part() -> None:
    """A VAD range that is wrong (speech inside) keeps its speech."""
    audio = np.concatenate([speech(1.0), np.zeros(SAMPLE_RATE, np.float32), speech(1.0)])
    ranges = joined_ranges(0, len(audio), [(0, len(audio))], lambda a, b: audio[a:b])
    out = read(audio, ranges)
    assert np.sum(np.abs(out) > 0.1) == np.sum(np.abs(audio) > 0.1)
    assert len(out) < len(audio)


def test_the_quiet_run_is_the_longest_one() -> None:
    audio = np.concatenate([np.zeros(3200, np.float32), speech(0.1), np.zeros(16000, np.float32), speech(0.1)])
    run = quiet_run(audio)
    assert run is not None
    assert abs(run[0] - (3200 + 1600)) <= 320 and abs(run[1] - (3200 + 1600 + 16000)) <= 320
    assert quiet_run(audio[:100]) is None


def test_pauses_between_parts() -> None:
    parts = [(1500, 20000), (40000, 60000), (70000, 90000)]  # (onset, speech end) on the timeline
    assert pauses_between(parts) == [(20000, 40000), (60000, 70000)]
    assert pauses_between(parts[:1]) == []
