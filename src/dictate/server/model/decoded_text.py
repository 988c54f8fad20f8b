"""What a Whisper pass decoded, checked as text: a decode stuck in a loop (``compression_ratio``, collapsed by
``collapse_repeats``), a trimmed window's hallucinations (``clean_segments``), where a second decode of a pass's
tail starts (``second_decode_from``) and how it joins the first (``join_at_seek``). Pure functions, no model:
``whisper.py`` runs the passes."""

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


def second_decode_from(seeks: Iterable[int]) -> int | None:
    """Where a windowed pass's second decode starts, in log-Mel frames, or None (``seeks``: the window start of
    each segment with text, in decode order). A trimmed window holds all of a pass's audio, yet when the first
    decode ends on a timestamp before the end, faster-whisper drops the text after that timestamp and decodes the
    rest again in a window of its own, as for long audio. On a short pass that rest is mostly the silence after
    the speech, and the second decode invents words there: offline, over the 20 shared clips with 0.15-0.6 s of
    silence after the speech, with and without a joined pause, clean, in room noise and in the telephone band
    (297 passes), it happened 12 times and each time invented words ("printed book, fuck", "amiable himself.
    I don't know.", "Click. Click. ..."). On a pass of 15 s or more the rest is often real speech, seconds of it
    (benchmark.md items 21, 28 and 29)."""
    return next((seek for seek in seeks if seek > 0), None)


def join_at_seek(first: str, second: str, longest: int = 4) -> str:
    """A first decode's text and then a second decode's, less the words the second starts with that the first ends
    with: the second window starts at the first decode's last timestamp, which can fall inside its last words
    ("...to do for them." + "them. Unless to be...", "...can do for you," + "you ask what you")."""
    before, after = first.split(), second.split()
    keys_before, keys_after = [word_keys(word) for word in before], [word_keys(word) for word in after]
    for size in range(min(longest, len(before), len(after)), 0, -1):
        if keys_before[-size:] == keys_after[:size]:
            after = after[size:]
            break
    return " ".join(before + after)


def word_keys(text: str) -> list[str]:
    """The words of ``text`` as compared for repeats: lower case, without punctuation, hyphens split."""
    return [word.strip(".,!?;:\"'").lower() for word in text.replace("-", " ").split()]
