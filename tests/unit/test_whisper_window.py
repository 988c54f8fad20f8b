"""The trimmed encoder window's pure parts: where content ends, the window size, and the text clean-up."""

from __future__ import annotations

import numpy as np
from faster_whisper.audio import pad_or_trim
from faster_whisper.feature_extractor import FeatureExtractor

from dictate.server.model.decoded_text import clean_segments, join_at_seek, second_decode_from
from dictate.server.model.whisper import (
    CPU_FULL_WINDOW_UNDER,
    FULL_WINDOW_FRAMES,
    MAX_PREVIEW_TOKENS,
    content_frames,
    final_window_margin,
    full_window_under,
    preview_token_budget,
    window_frames,
)


def test_content_ends_where_faster_whisper_padding_starts() -> None:
    extractor = FeatureExtractor()
    for seconds in (0.5, 2.0, 7.3):
        audio = (np.random.default_rng(0).standard_normal(int(16000 * seconds)) * 0.1).astype(np.float32)
        features = extractor(audio)
        assert content_frames(pad_or_trim(features)) == features.shape[-1]
        assert content_frames(pad_or_trim(features)[None, ...]) == features.shape[-1]  # batched


def test_digital_silence_is_content_not_padding() -> None:
    features = FeatureExtractor()(np.zeros(16000, dtype=np.float32))
    assert content_frames(pad_or_trim(features)) == features.shape[-1]


def test_window_is_content_plus_margin_in_whole_seconds_capped_at_30s() -> None:
    assert window_frames(250, 3.0) == 600
    assert window_frames(300, 3.0) == 600
    assert window_frames(301, 1.0) == 500
    assert window_frames(0, 0.0) == 100
    assert window_frames(2900, 3.0) == FULL_WINDOW_FRAMES
    assert window_frames(250, None) == FULL_WINDOW_FRAMES


def test_clean_segments_drops_repeats_and_text_after_the_audio() -> None:
    segments = [
        (0.0, " He was not an ill-disposed young man."),
        (3.0, " He was not an ill disposed young man"),  # the same words again: a trimmed window's echo
        (3.5, " But he was rather cold."),
        (6.0, " I'll see you in the next video."),  # starts after the audio ended
    ]
    text = "He was not an ill-disposed young man. But he was rather cold."
    assert clean_segments(segments, duration=5.0) == (text, 2)


def test_clean_segments_keeps_genuine_text() -> None:
    assert clean_segments([(0.0, " Yes."), (1.0, " No."), (2.0, " Yes.")], duration=3.0) == ("Yes. No. Yes.", 0)
    assert clean_segments([(0.0, " "), (0.5, "Hi")], duration=1.0) == ("Hi", 0)
    assert clean_segments([], duration=1.0) == ("", 0)


def test_second_decode_from_is_the_first_window_start_after_the_first_decode() -> None:
    assert second_decode_from([0, 0, 0]) is None
    assert second_decode_from([]) is None
    assert second_decode_from([0, 0, 812, 812]) == 812  # frames: faster-whisper's seek, 100 a second


def test_join_at_seek_leaves_out_the_words_both_decodes_hold() -> None:
    assert (
        join_at_seek("in his power to do for them.", "them. Unless to be")
        == "in his power to do for them. Unless to be"
    )
    assert join_at_seek("what your country can do for you,", "you ask what you") == (
        "what your country can do for you, ask what you"
    )
    assert join_at_seek("the art of printing.", "And it is") == "the art of printing. And it is"
    assert join_at_seek("", "It is") == "It is"
    assert join_at_seek("of fine typography,", "") == "of fine typography,"


def test_preview_token_budget_is_twice_a_fast_speaker_and_capped() -> None:
    assert preview_token_budget(0.0) == 10
    assert preview_token_budget(3.0) == 34  # "he was not an ill disposed young man": ~10 tokens
    assert preview_token_budget(29.0) == MAX_PREVIEW_TOKENS


def test_a_looping_decode_is_detected_and_collapsed_to_one_of_each_phrase() -> None:
    from dictate.server.model.decoded_text import COMPRESSION_RATIO_LIMIT, collapse_repeats, compression_ratio

    looped = "And so my fellow Americans " * 12 + "and so"
    assert compression_ratio(looped) > COMPRESSION_RATIO_LIMIT
    assert collapse_repeats(looped) == "And so my fellow Americans"
    assert collapse_repeats("Cold hearted. Fish is to be all-disposed. Fish is to be all-disposed.") == (
        "Cold hearted. Fish is to be all-disposed."
    )
    for speech in ["five five", "He was not an ill-disposed young man.", "no, no, it is fine", "very very very"]:
        assert compression_ratio(speech) < COMPRESSION_RATIO_LIMIT
        assert collapse_repeats(speech, looped=False) == speech
    assert collapse_repeats("Fish is to be all-disposed. Fish is to be all-disposed.", looped=False) == (
        "Fish is to be all-disposed."
    )


def test_short_finals_use_the_full_window_longer_ones_keep_the_margin() -> None:
    assert final_window_margin(1.5, 3.0, 3.0) is None
    assert final_window_margin(2.99, 3.0, 3.0) is None
    assert final_window_margin(3.0, 3.0, 3.0) == 3.0
    assert final_window_margin(12.0, 3.0, 3.0) == 3.0


def test_no_full_window_under_0_and_no_trim_with_margin_0() -> None:
    assert final_window_margin(0.5, 3.0, 0.0) == 3.0
    assert final_window_margin(12.0, 0.0, 3.0) is None
    assert final_window_margin(12.0, 0.0, 0.0) is None


def test_full_window_threshold_by_device_unless_set() -> None:
    assert full_window_under(None, "cpu") == CPU_FULL_WINDOW_UNDER
    assert full_window_under(None, "cuda") == FULL_WINDOW_FRAMES / 100  # every final: no trim on a GPU
    assert full_window_under(0.0, "cuda") == 0.0
    assert full_window_under(5.0, "cpu") == 5.0
