"""Word error rate after Whisper's English text normaliser (jiwer + whisper-normalizer).

Both the reference and the hypothesis go through ``EnglishTextNormalizer`` (the normaliser OpenAI used to
score Whisper): lower case, punctuation removed, spelled-out numbers turned into digits ("ten" -> "10",
"fourteen fifty-five" -> "1455"), titles expanded ("Mr." -> "mister"), British spellings made American,
fillers ("uh", "um") dropped. Then jiwer counts substitutions, deletions and insertions over words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=1)
def _normaliser() -> Callable[[str], str]:
    from whisper_normalizer.english import EnglishTextNormalizer

    normaliser: Callable[[str], str] = EnglishTextNormalizer()
    return normaliser


def normalise(text: str) -> str:
    """Whisper's English normalisation, with runs of whitespace collapsed."""
    return " ".join(_normaliser()(text).split())


@dataclass(frozen=True)
class WordErrors:
    """Word-level edit counts of a set of (reference, hypothesis) pairs."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def wer(self) -> float | None:
        """(S + D + I) / N, or None with no reference words."""
        if self.reference_words == 0:
            return None
        return (self.substitutions + self.deletions + self.insertions) / self.reference_words


def word_errors(references: Sequence[str], hypotheses: Sequence[str]) -> WordErrors:
    """Corpus-level counts after normalisation; pairs whose normalised reference is empty are skipped."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    import jiwer

    pairs = [(normalise(r), normalise(h)) for r, h in zip(references, hypotheses, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return WordErrors(0, 0, 0, 0)
    substitutions = deletions = insertions = words = 0
    for reference, hypothesis in pairs:
        if not hypothesis:  # jiwer refuses an empty hypothesis: every reference word is deleted
            count = len(reference.split())
            deletions += count
            words += count
            continue
        output = jiwer.process_words(reference, hypothesis)
        substitutions += output.substitutions
        deletions += output.deletions
        insertions += output.insertions
        words += output.hits + output.substitutions + output.deletions
    return WordErrors(substitutions, deletions, insertions, words)


def corpus_wer(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    """Corpus WER: all word errors over all reference words (long clips weigh more than short ones)."""
    return word_errors(references, hypotheses).wer


def clip_wer(reference: str, hypothesis: str) -> float | None:
    """WER of one clip."""
    return word_errors([reference], [hypothesis]).wer
