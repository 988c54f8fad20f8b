"""WER after Whisper's English normaliser."""

from __future__ import annotations

import pytest

from dictate.bench.wer import clip_wer, corpus_wer, normalise, word_errors


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
