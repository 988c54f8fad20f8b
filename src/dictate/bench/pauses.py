"""`dictate bench --pauses SECONDS`: the thinking-pause variant of a clip. Pure: no model, no I/O.

People who dictate stop mid-sentence to think. The bench makes that speech from any clip: the words of the
clip with their times (Whisper word timestamps of the same model, see ``paused.py``) are split into sentences
at words ending in ``.``, ``?`` or ``!``; in each sentence of at least ``MIN_WORDS`` words one pause goes at
the word boundary nearest 45 % of its words. Of that boundary and its two neighbours the one with the widest
gap between the words wins (ties: the nearest to 45 %), and the cut is the quietest 20 ms of audio between
the middle of the word before and the middle of the word after (never past the next word's start by more than
``SEARCH_MARGIN``): word timestamps are approximate, the audio says where the words really end. At each cut
``SECONDS`` of digital silence are inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dictate.audio import silence
from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH

MIN_WORDS = 6  # sentences shorter than this get no pause
PAUSE_POSITION = 0.45  # fraction of the sentence's words before the pause
SEARCH_MARGIN = 0.1  # s: the quiet point is looked for this far around the gap between the two words
FRAME_SECONDS = 0.02  # energy window of the quiet-point search
HOP_SECONDS = 0.005
SENTENCE_END = (".", "?", "!")
_TRAILING = "\"')]}»”’"
_TITLES = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "prof."})
_JOINED = ("-", "'", "’")  # a word piece that starts or ends with these belongs to its neighbour


@dataclass(frozen=True)
class TimedWord:
    """One word of a transcription and where it is, in seconds from the clip's first sample."""

    text: str
    start: float
    end: float


def ends_sentence(word: str) -> bool:
    """Whether the word closes a sentence (``.``, ``?``, ``!``, before any closing quote or bracket; not "Mr.")."""
    text = word.strip().rstrip(_TRAILING)
    return text.endswith(SENTENCE_END) and text.lower() not in _TITLES


def sentence_spans(words: Sequence[TimedWord]) -> list[tuple[int, int]]:
    """(first, last + 1) word indices of each sentence; trailing words without a full stop are one more."""
    spans: list[tuple[int, int]] = []
    first = 0
    for index, word in enumerate(words):
        if ends_sentence(word.text):
            spans.append((first, index + 1))
            first = index + 1
    if first < len(words):
        spans.append((first, len(words)))
    return spans


def gap(words: Sequence[TimedWord], boundary: int) -> float:
    """Seconds between word ``boundary - 1``'s end and word ``boundary``'s start (negative if they overlap)."""
    return words[boundary].start - words[boundary - 1].end


def splits_a_word(words: Sequence[TimedWord], boundary: int) -> bool:
    """Whether the boundary is inside a written word: Whisper gives "cold-hearted" as "cold", "-hearted"."""
    return words[boundary].text.startswith(_JOINED) or words[boundary - 1].text.endswith(_JOINED)


def pause_boundaries(
    words: Sequence[TimedWord], min_words: int = MIN_WORDS, position: float = PAUSE_POSITION
) -> list[int]:
    """Word indices ``k`` such that a pause goes between ``words[k - 1]`` and ``words[k]``, one per long sentence."""
    boundaries = []
    for first, last in sentence_spans(words):
        count = last - first
        if count < min_words:
            continue
        target = round(position * count)
        allowed = [k for k in range(1, count) if not splits_a_word(words, first + k)]
        candidates = [k for k in allowed if abs(k - target) <= 1] or sorted(allowed, key=lambda k: abs(k - target))[:1]
        if not candidates:
            continue
        best = max(candidates, key=lambda k: (round(gap(words, first + k), 3), -abs(k - target)))
        boundaries.append(first + best)
    return boundaries


def quietest_point(samples: np.ndarray, start: float, end: float, sample_rate: int = SAMPLE_RATE) -> int:
    """Sample index at the centre of the quietest ``FRAME_SECONDS`` window within [start, end] seconds."""
    first = max(0, int(start * sample_rate))
    last = min(len(samples), int(end * sample_rate))
    frame = max(1, int(FRAME_SECONDS * sample_rate))
    hop = max(1, int(HOP_SECONDS * sample_rate))
    if last - first <= frame:
        return min(max((first + last) // 2, 0), len(samples))
    energy = samples[first:last].astype(np.float64) ** 2
    cumulative = np.concatenate([[0.0], np.cumsum(energy)])
    starts = np.arange(0, len(energy) - frame + 1, hop)
    sums = cumulative[starts + frame] - cumulative[starts]
    # the middle one of equally quiet windows (digital silence between the words: cut in its centre)
    quiet = np.flatnonzero(sums <= sums.min() + 1e-9)
    return first + int(starts[quiet[len(quiet) // 2]]) + frame // 2


def cut_samples(samples: np.ndarray, words: Sequence[TimedWord], boundaries: Sequence[int]) -> list[int]:
    """Where to cut for each boundary: the quietest point between the two words' middles, near their gap."""
    cuts = []
    for k in boundaries:
        before, after = words[k - 1], words[k]
        low = max((before.start + before.end) / 2, min(before.end, after.start) - SEARCH_MARGIN)
        high = min((after.start + after.end) / 2, max(before.end, after.start) + SEARCH_MARGIN)
        if high <= low:
            low, high = min(before.end, after.start), max(before.end, after.start)
        cuts.append(quietest_point(samples, low, high))
    return cuts


def insert_silence(pcm: bytes, cuts: Sequence[int], seconds: float) -> bytes:
    """16 kHz mono int16 PCM with ``seconds`` of digital silence inserted before each sample index in ``cuts``."""
    pause = silence(seconds)
    pieces = []
    previous = 0
    for cut in sorted(cuts):
        position = min(max(cut, 0), len(pcm) // SAMPLE_WIDTH) * SAMPLE_WIDTH
        pieces.append(pcm[previous:position])
        pieces.append(pause)
        previous = position
    pieces.append(pcm[previous:])
    return b"".join(pieces)


@dataclass(frozen=True)
class PausePlan:
    """Where the pauses of one clip go: sample indices of the cuts, and the words just before each."""

    cuts: tuple[int, ...]
    after_words: tuple[str, ...]  # the word before each pause, for the report

    def seconds(self) -> list[float]:
        """The cuts in seconds from the clip's first sample."""
        return [cut / SAMPLE_RATE for cut in self.cuts]


def plan_pauses(pcm: bytes, words: Sequence[TimedWord], min_words: int = MIN_WORDS) -> PausePlan:
    """The cuts for the thinking-pause variant of ``pcm`` whose words are ``words``."""
    samples = np.frombuffer(pcm, dtype=np.int16)
    boundaries = pause_boundaries(words, min_words)
    cuts = cut_samples(samples, words, boundaries)
    return PausePlan(tuple(cuts), tuple(words[k - 1].text.strip() for k in boundaries))


def with_pauses(pcm: bytes, words: Sequence[TimedWord], seconds: float) -> tuple[bytes, PausePlan]:
    """The clip with ``seconds`` of silence inside every sentence of ``MIN_WORDS`` or more words, and its plan."""
    plan = plan_pauses(pcm, words)
    return insert_silence(pcm, plan.cuts, seconds), plan
