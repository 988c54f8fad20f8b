"""The thinking-pause variant of a clip: sentences, where the pause goes, where the audio is cut, the silence."""

from __future__ import annotations

import numpy as np
import pytest

from dictate.bench.pauses import (
    TimedWord,
    cut_samples,
    ends_sentence,
    insert_silence,
    pause_boundaries,
    quietest_point,
    sentence_spans,
    with_pauses,
)
from dictate.protocol import SAMPLE_RATE


def words(text: str, start: float = 0.0, length: float = 0.3, gap: float = 0.1) -> list[TimedWord]:
    """Words of ``length`` s separated by ``gap`` s of silence."""
    timed = []
    at = start
    for word in text.split():
        timed.append(TimedWord(word, round(at, 3), round(at + length, 3)))
        at += length + gap
    return timed


def speech_pcm(timed: list[TimedWord], seconds: float) -> bytes:
    """A 300 Hz tone where each word is, digital silence elsewhere."""
    samples = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
    for word in timed:
        first, last = int(word.start * SAMPLE_RATE), int(word.end * SAMPLE_RATE)
        t = np.arange(last - first) / SAMPLE_RATE
        samples[first:last] = (8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    return samples.tobytes()


@pytest.mark.parametrize(
    ("word", "ends"), [("country.", True), ('"Bible?"', True), ("you,", False), ("Mr", False), ("Mr.", False)]
)
def test_sentence_ends(word: str, ends: bool) -> None:
    assert ends_sentence(word) is ends


def test_sentences_split_at_full_stops_and_keep_a_trailing_fragment() -> None:
    timed = words("And so my fellow Americans. Ask not what your country can do for you! then more")
    assert sentence_spans(timed) == [(0, 5), (5, 14), (14, 16)]


def test_one_pause_per_sentence_of_six_or_more_words_near_45_percent() -> None:
    timed = words("Ten of clubs. He was not an ill disposed young man. One two three four five six")
    # 3 words: none; 8 words (indices 3-10): 0.45 * 8 = 3.6 -> 4 words before the pause; 6 words: 2.7 -> 3
    assert pause_boundaries(timed) == [3 + 4, 11 + 3]


def test_a_five_word_sentence_gets_no_pause() -> None:
    assert pause_boundaries(words("one two three four five.")) == []


def test_the_widest_neighbouring_gap_wins() -> None:
    timed = words("one two three four five six seven eight nine ten")  # target: 4.5 -> 4 (round half to even)
    widened = [*timed[:5], *(TimedWord(w.text, w.start + 0.4, w.end + 0.4) for w in timed[5:])]
    assert pause_boundaries(widened) == [5]  # the 0.5 s gap after "five" beats the 0.1 s gaps beside it
    assert pause_boundaries(timed) == [4]  # equal gaps: the boundary nearest 45 %


def test_quietest_point_is_in_the_silence_between_words() -> None:
    timed = words("alpha beta", start=0.2, length=0.4, gap=0.2)  # silence 0.6-0.8 s
    samples = np.frombuffer(speech_pcm(timed, 1.5), dtype=np.int16)
    cut = quietest_point(samples, 0.4, 1.0)
    assert 0.6 * SAMPLE_RATE < cut < 0.8 * SAMPLE_RATE
    assert cut == pytest.approx(0.7 * SAMPLE_RATE, abs=0.02 * SAMPLE_RATE)  # the middle of the silence


def test_cuts_fall_in_the_real_gap_even_when_the_timestamps_are_off() -> None:
    spoken = words("one two three four five six seven", start=0.3)
    samples = np.frombuffer(speech_pcm(spoken, 3.5), dtype=np.int16)
    # Whisper's timestamps run on: each word "ends" where the next begins
    stamped = [TimedWord(w.text, w.start, w.end + 0.1) for w in spoken]
    (boundary,) = pause_boundaries(stamped)
    (cut,) = cut_samples(samples, stamped, [boundary])
    assert spoken[boundary - 1].end * SAMPLE_RATE < cut < spoken[boundary].start * SAMPLE_RATE
    assert samples[cut - 50 : cut + 50].any() == False  # noqa: E712  (digital silence around the cut)


def test_insert_silence_keeps_every_sample_and_adds_the_pauses() -> None:
    pcm = np.arange(1, 101, dtype=np.int16).tobytes()
    out = np.frombuffer(insert_silence(pcm, [60, 20], 0.001), dtype=np.int16)  # 16 samples per pause
    assert len(out) == 100 + 2 * 16
    assert out[out != 0].tolist() == list(range(1, 101))
    assert out[20:36].tolist() == [0] * 16 and out[36] == 21
    assert out[76:92].tolist() == [0] * 16 and out[92] == 61


def test_with_pauses_makes_the_variant_and_says_where() -> None:
    spoken = words("he was not an ill disposed young man.", start=0.5)
    pcm = speech_pcm(spoken, 4.0)
    paused, plan = with_pauses(pcm, spoken, 1.0)
    assert len(paused) == len(pcm) + SAMPLE_RATE * 2
    assert plan.after_words == ("an",)  # 8 words: 4 before the pause
    (second,) = plan.seconds()
    assert spoken[3].end < second < spoken[4].start
    assert with_pauses(pcm, spoken[:5], 1.0)[0] == pcm  # a 5-word sentence is left as it is


def test_no_pause_inside_a_hyphenated_word() -> None:
    timed = words("unless to be rather cold -hearted and rather selfish")  # 9 pieces: target 4, "rather|cold"
    assert pause_boundaries(timed) == [4]
    hyphen_at_target = words("unless to be rather cold -hearted and so")  # 8: target 4 -> 3, 4 or 5
    assert pause_boundaries(hyphen_at_target) == [4]  # not 5, between "cold" and "-hearted"
    assert pause_boundaries(words("a b c- d e f")) in ([2], [4])
    assert pause_boundaries(words("one -two -three -four -five -six")) == []
