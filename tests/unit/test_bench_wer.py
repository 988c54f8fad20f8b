"""WER after Whisper's English normaliser."""

from __future__ import annotations

import pytest

from dictate.bench.wer import (
    LostWords,
    clip_formatted_wer,
    clip_lost_words,
    clip_wer,
    corpus_formatted_wer,
    corpus_wer,
    deleted_runs,
    extra_words,
    formatted_tokens,
    lost_words,
    normalise,
    word_errors,
)


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("ten of clubs", "10 of clubs."),
        ("and mister john dashwood", "And Mr. John Dashwood"),
        (
            'the Gutenberg, or "forty-two line Bible" of about fourteen fifty-five,',
            "the Gutenberg or 42-line Bible of about 1455.",
        ),
        ("he was not an ill disposed young man", "He was not an ill-disposed young man."),
        ("the colour of", "The color of"),
        ("And so, my fellow Americans", "and so my fellow americans"),
    ],
)
def test_normaliser_makes_equivalent_spellings_match(reference: str, hypothesis: str) -> None:
    assert normalise(reference) == normalise(hypothesis)
    assert clip_wer(reference, hypothesis) == 0.0


def test_counts_substitutions_deletions_insertions() -> None:
    errors = word_errors(["ten of clubs", "go forward ten meters"], ["10 of gloves", "go forward 10 meters please"])
    assert (errors.substitutions, errors.deletions, errors.insertions, errors.reference_words) == (1, 0, 1, 7)
    assert errors.wer == pytest.approx(2 / 7)


def test_corpus_wer_weighs_by_reference_words() -> None:
    # one error in a 1-word clip and none in a 9-word clip: 1/10, not the mean of 1.0 and 0.0
    refs = ["hello", "the cat sat on the mat by the door"]
    hyps = ["goodbye", "the cat sat on the mat by the door"]
    assert corpus_wer(refs, hyps) == pytest.approx(0.1)


def test_empty_hypothesis_deletes_everything_and_empty_reference_is_skipped() -> None:
    assert clip_wer("ten of clubs", "") == 1.0
    assert clip_wer("", "anything") is None
    assert corpus_wer(["", "ten of clubs"], ["noise", "ten of clubs"]) == 0.0
    assert corpus_wer([], []) is None


def test_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        word_errors(["a"], [])


def test_formatted_tokens_split_punctuation_and_keep_case() -> None:
    assert formatted_tokens('And so, my "forty-two" U.S. Americans don\'t.') == [
        "And", "so", ",", "my", '"', "forty-two", '"', "U.S", ".", "Americans", "don't", ".",
    ]  # fmt: skip


def test_formatted_wer_counts_capitals_and_punctuation() -> None:
    reference = "And so my fellow Americans, ask not what your country can do for you."
    broken = "And so my fellow Americans. Ask not. what your country can do for you."
    # ", ask" -> ". Ask" is 2 substitutions, the stray "." after "not" 1 insertion; 16 reference tokens
    assert clip_formatted_wer(reference, broken) == pytest.approx(3 / 16)
    assert clip_wer(reference, broken) == 0.0  # the plain WER does not see it
    assert clip_formatted_wer(reference, reference) == 0.0
    assert corpus_formatted_wer([reference, "Ten of clubs."], [broken, ""]) == pytest.approx((3 + 4) / (16 + 4))


def test_deleted_runs_join_adjacent_deletions_only() -> None:
    chunks = [("equal", 0, 2), ("delete", 2, 4), ("delete", 4, 5), ("substitute", 5, 6), ("delete", 6, 7)]
    assert deleted_runs(chunks) == [(2, 5), (6, 7)]
    assert deleted_runs([("delete", 0, 2), ("insert", 2, 2), ("delete", 2, 3)]) == [(0, 2), (2, 3)]


def test_words_lost_are_runs_of_three_or_more_missing_words() -> None:
    reference = "had he married a more amiable woman he might have been made still more respectable"
    hypothesis = "had he married a more amiable woman he might have been"  # the end never came
    assert lost_words(reference, hypothesis) == LostWords(4, ("made still more respectable",))
    assert lost_words(reference, "had he married amiable woman he might have been made still more respectable") == (
        LostWords(0, ())  # two missing words: a recognition error, not lost speech
    )
    assert lost_words("ten of clubs", "") == LostWords(3, ("10 of clubs",))
    assert lost_words("ten of clubs", "ten of gloves").count == 0  # a wrong word has a counterpart
    assert clip_lost_words("", "anything") == (0, ())


def test_words_extra_are_runs_of_three_or_more_typed_words_said_once() -> None:
    reference = "and so my fellow americans ask not what your country can do for you ten of clubs"
    typed_twice = "And so my fellow Americans, and so my fellow Americans, ask not what your country can do for you."
    assert extra_words(reference, typed_twice + " Ten of clubs.") == LostWords(5, ("and so my fellow americans",))
    assert extra_words(reference, reference + " an").count == 0  # one stray word: a recognition error
    assert extra_words("", "ten of clubs") == LostWords(3, ("10 of clubs",))
    assert extra_words("ten of clubs", "") == LostWords(0, ())
    assert deleted_runs([("insert", 3, 5), ("insert", 5, 6), ("equal", 6, 8)], wanted="insert") == [(3, 6)]
