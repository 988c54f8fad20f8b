"""What a Whisper pass decoded, checked as text: a decode stuck in a loop (``compression_ratio``, collapsed by
``collapse_repeats``), a trimmed window's hallucinations (``clean_segments``), and a second decode of a pass's
tail (``decoded_again``). Pure functions, no model: ``whisper.py`` runs the passes."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

COMPRESSION_RATIO_LIMIT = 2.4  # faster-whisper's compression_ratio_threshold: above it a decode looped


def compression_ratio(text: str) -> float:
    """faster-whisper's test for a decode stuck in a loop: how well the text compresses (over 2.4: a loop)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def collapse_repeats(text: str, looped: bool = True) -> str:
    """The text with a phrase that repeats back to back kept once (a decode that looped: "and so my fellow
    Americans and so my fellow Americans and so..."): a phrase of 3+ words repeated at all, a shorter one
    repeated 3+ times when the decode ``looped`` (else 5+: "five five", "very very very" stay). A trailing
    start of the phrase (where the loop ran out of tokens) is dropped too."""
    words = text.split()
    keys = [" ".join(word_keys(word)) or word for word in words]
    kept: list[str] = []
    index = 0
    while index < len(words):
        repeat = _repeat_at(keys, index, 3 if looped else 5)
        if repeat is None:
            kept.append(words[index])
            index += 1
            continue
        size, count = repeat
        kept += words[index : index + size]
        index += size * count
        rest = keys[index:]
        if rest and rest == keys[index - size : index - size + len(rest)]:
            break
    return " ".join(kept)


def _repeat_at(keys: list[str], index: int, short_times: int, longest: int = 12) -> tuple[int, int] | None:
    """(phrase length, times) of a phrase that repeats back to back from ``index`` (a phrase of one or two words
    at least ``short_times``), or None."""
    for size in range(1, longest + 1):
        phrase = keys[index : index + size]
        if len(phrase) < size:
            return None
        count = 1
        while keys[index + count * size : index + (count + 1) * size] == phrase:
            count += 1
        if count >= (2 if size >= 3 else short_times):
            return size, count
    return None


def clean_segments(segments: Iterable[tuple[float, str]], duration: float) -> tuple[str, int]:
    """The text of a windowed pass from ``(start seconds, text)`` segments, and how many were dropped: segments
    that start at or after the end of the audio, and a segment that repeats the one before it word for word,
    are a trimmed window's hallucinations."""
    kept: list[str] = []
    dropped = 0
    for start, raw in segments:
        text = raw.strip()
        if not text:
            continue
        if start >= duration or (kept and word_keys(text) == word_keys(kept[-1])):
            dropped += 1
            continue
        kept.append(text)
    return " ".join(kept), dropped


def decoded_again(seeks: Iterable[int]) -> bool:
    """Whether a windowed pass decoded part of its audio a second time (``seeks``: the window start, in frames, of
    each segment with text). A trimmed window holds all of a pass's audio, yet when the first decode ends on a
    timestamp before the end, faster-whisper decodes the rest again, as for long audio: a few hundred ms, mostly
    the silence after the speech, in a window of its own. Offline, over the 20 shared clips with 0.15-0.6 s of
    silence after the speech, with and without a joined pause, clean, in room noise and in the telephone band
    (297 passes), that happened 12 times. Each time the second decode invented words: "printed book, fuck",
    "amiable himself. I don't know.", "fine typography You", "Click. Click. ..."; 3 starting after the audio were
    dropped already, 9 were in the text. The full window heard none of them."""
    return any(seek > 0 for seek in seeks)


def word_keys(text: str) -> list[str]:
    """The words of ``text`` as compared for repeats: lower case, without punctuation, hyphens split."""
    return [word.strip(".,!?;:\"'").lower() for word in text.replace("-", " ").split()]
