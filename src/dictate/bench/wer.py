"""Word error rate after Whisper's English text normaliser (jiwer + whisper-normalizer).

Both the reference and the hypothesis go through ``EnglishTextNormalizer`` (the normaliser OpenAI used to
score Whisper): lower case, punctuation removed, spelled-out numbers turned into digits ("ten" -> "10",
"fourteen fifty-five" -> "1455"), titles expanded ("Mr." -> "mister"), British spellings made American,
fillers ("uh", "um") dropped. Then jiwer counts substitutions, deletions and insertions over words.

Beside it: the formatted WER (case- and punctuation-sensitive tokens, no normaliser: what a user sees typed)
and the words lost (runs of >= 3 reference words that the alignment finds in no final).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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


def edit_counts(pairs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> WordErrors:
    """Substitutions, deletions, insertions over (reference tokens, hypothesis tokens) pairs, by jiwer's
    alignment; pairs with no reference tokens are skipped."""
    import jiwer

    substitutions = deletions = insertions = words = 0
    for reference, hypothesis in pairs:
        if not reference:
            continue
        if not hypothesis:  # jiwer refuses an empty hypothesis: every reference word is deleted
            deletions += len(reference)
            words += len(reference)
            continue
        output = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
        substitutions += output.substitutions
        deletions += output.deletions
        insertions += output.insertions
        words += output.hits + output.substitutions + output.deletions
    return WordErrors(substitutions, deletions, insertions, words)


def _pairs(references: Sequence[str], hypotheses: Sequence[str]) -> Iterable[tuple[str, str]]:
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    return zip(references, hypotheses, strict=True)


def word_errors(references: Sequence[str], hypotheses: Sequence[str]) -> WordErrors:
    """Corpus-level counts after normalisation; pairs whose normalised reference is empty are skipped."""
    return edit_counts((normalise(r).split(), normalise(h).split()) for r, h in _pairs(references, hypotheses))


def corpus_wer(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    """Corpus WER: all word errors over all reference words (long clips weigh more than short ones)."""
    return word_errors(references, hypotheses).wer


def clip_wer(reference: str, hypothesis: str) -> float | None:
    """WER of one clip."""
    return word_errors([reference], [hypothesis]).wer


# --- formatted WER: what a user sees typed, capitals and punctuation included ---

_TOKEN = re.compile(r"\w+(?:['’\-.]\w+)*|[^\w\s]")


def formatted_tokens(text: str) -> list[str]:
    """Case-sensitive tokens: words (with inner apostrophes, hyphens, dots: "don't", "forty-two", "U.S")
    and every punctuation mark on its own ("Americans," -> "Americans", ","). Pure."""
    return _TOKEN.findall(text)


def formatted_errors(references: Sequence[str], hypotheses: Sequence[str]) -> WordErrors:
    """Corpus-level edit counts over ``formatted_tokens``: a wrong capital is a substitution, a missing comma a
    deletion, a stray full stop an insertion. Pairs with no reference tokens are skipped."""
    return edit_counts((formatted_tokens(r), formatted_tokens(h)) for r, h in _pairs(references, hypotheses))


def corpus_formatted_wer(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    """Formatted WER over many clips (all token errors over all reference tokens)."""
    return formatted_errors(references, hypotheses).wer


def clip_formatted_wer(reference: str, hypothesis: str) -> float | None:
    """Formatted WER of one clip."""
    return formatted_errors([reference], [hypothesis]).wer


# --- words lost: speech that never reached any final ---

MIN_LOST_RUN = 3  # fewer consecutive missing words are ordinary recognition errors, not lost speech


def deleted_runs(chunks: Sequence[tuple[str, int, int]], wanted: str = "delete") -> list[tuple[int, int]]:
    """(start, end) reference word ranges of consecutive deletions in an alignment given as
    (type, ref_start, ref_end) chunks in order; any other chunk (equal, substitute, insert) ends a run. Pure.
    With ``wanted="insert"`` and hypothesis ranges: the runs of inserted words instead."""
    runs: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for kind, start, end in chunks:
        if kind == wanted:
            current = (current[0], end) if current is not None and current[1] == start else (start, end)
            continue
        if current is not None:
            runs.append(current)
        current = None
    if current is not None:
        runs.append(current)
    return runs


@dataclass(frozen=True)
class LostWords:
    """Reference words with no counterpart in the finals (or, from ``extra_words``, words of the finals with none
    in the reference), in runs of at least ``MIN_LOST_RUN``."""

    count: int
    runs: tuple[str, ...]  # the words of each run, as text


def _unmatched_runs(reference: str, hypothesis: str, kind: str, min_run: int) -> LostWords:
    """Runs of ``min_run`` or more consecutive words that jiwer's alignment (after Whisper's normaliser, as for
    the WER) marks ``kind``: "delete" (reference words) or "insert" (hypothesis words)."""
    ref_words = normalise(reference).split()
    hyp_words = normalise(hypothesis).split()
    words = ref_words if kind == "delete" else hyp_words
    if not words:
        return LostWords(0, ())
    if not (hyp_words if kind == "delete" else ref_words):
        spans = [(0, len(words))]
    else:
        import jiwer

        output = jiwer.process_words(" ".join(ref_words), " ".join(hyp_words))
        chunks = [
            (c.type, *((c.ref_start_idx, c.ref_end_idx) if kind == "delete" else (c.hyp_start_idx, c.hyp_end_idx)))
            for c in output.alignments[0]
        ]
        spans = deleted_runs(chunks, wanted=kind)
    kept = [(start, end) for start, end in spans if end - start >= min_run]
    return LostWords(sum(end - start for start, end in kept), tuple(" ".join(words[s:e]) for s, e in kept))


def lost_words(reference: str, hypothesis: str, min_run: int = MIN_LOST_RUN) -> LostWords:
    """Runs of ``min_run`` or more consecutive reference words that the alignment marks deleted: speech that
    reached no final. A substituted word has a counterpart (a wrong one) and is not lost."""
    return _unmatched_runs(reference, hypothesis, "delete", min_run)


def extra_words(reference: str, hypothesis: str, min_run: int = MIN_LOST_RUN) -> LostWords:
    """The other side of ``lost_words``: runs of ``min_run`` or more consecutive hypothesis words that the
    alignment finds in no reference word (inserted): text typed twice, or made up."""
    return _unmatched_runs(reference, hypothesis, "insert", min_run)


def clip_lost_words(reference: str, hypothesis: str) -> tuple[int, tuple[str, ...]]:
    """(count, runs) of ``lost_words``, in the shape ``metrics.Scorers`` takes."""
    lost = lost_words(reference, hypothesis)
    return lost.count, lost.runs
