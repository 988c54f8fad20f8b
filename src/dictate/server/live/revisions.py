"""The text rules of revising finals. Pure.

* ``keeps_context``: whether a pass over earlier finals' audio plus new speech may revise those finals (it
  still says what they said). The core calls it on every revising pass's result.
* ``mend_seam``: where two finals meet that were transcribed apart, the text at the seam.
* ``command_set``: the client's voice commands as finals are matched against them (a command is never joined).

Where two finals meet:

A long passage is cut at its pauses (``timeline.Timeline``), and an utterance that follows a final within a
thinking pause is transcribed apart from it when both together are longer than one pass may read
(``DICTATE_CONTEXT_SECONDS``). Whisper then writes each piece as if it were all there is: it closes the first
with a full stop because its audio ends there, and it starts the next with a capital. Measured on the 52 s
passage (README, Performance item 10), these were the errors at the cuts: "in the exhibition. in being
comparatively modern", "the fifteenth century. may justly", "of fine typography The earliest book".

Whisper's start of the next piece tells which: a lower-case start is a sentence that goes on, so the earlier
full stop goes; a capitalised common word after a piece that did not end a sentence is a sentence that goes on,
so the capital goes. Names, "I" and words after a full stop keep their capitals, and a voice command is never
joined to its neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from dictate.commands import normalise_phrase, parse_command
from dictate.server.live.timeline import Piece

SENTENCE_ENDS = (".", "!", "?")
# Words that are capitalised at a piece's start only because Whisper took it for a sentence's start.
COMMON_WORDS = frozenset(
    "a an and as at be but by for from had has have he her his if in is it its my not of on or our she so "  # noqa: SIM905
    "than that the their then there these they this those to was we were which while who with you your".split()
)


def mend_seam(previous: str, text: str) -> tuple[str, str]:
    """The texts of two consecutive pieces of speech, mended where they meet (unchanged when nothing to mend)."""
    previous, text = previous.rstrip(), text.lstrip()
    if not previous or not text or parse_command(previous) or parse_command(text):
        return previous, text
    if text[0].islower() and previous.endswith(".") and not previous.endswith(".."):
        return previous[:-1], text
    first, _, rest = text.partition(" ")
    capitalised = first[:1].isupper() and first[1:].islower()
    if capitalised and not previous.endswith(SENTENCE_ENDS) and first.lower().rstrip(",;:") in COMMON_WORDS:
        return previous, first.lower() + (" " + rest if rest else "")
    return previous, text


_WORD = re.compile(r"[\w']+")


def keeps_context(context: Sequence[Piece], text: str) -> bool:
    """Whether a pass over context + new speech still covers what the context's finals said: about as many
    words, some of them the same (a revision may correct words, "It's not!" -> "Ask not what", but a pass
    that lost the earlier speech would delete good text when it revises it)."""
    old = _WORD.findall(" ".join(piece.text for piece in context).lower())
    new = _WORD.findall(text.lower())
    if len(new) < 0.7 * len(old):
        return False
    return len(old) <= 3 or SequenceMatcher(None, old, new[: len(old) + 2], autojunk=False).ratio() >= 0.3


def command_set(phrases: Iterable[str]) -> frozenset[str]:
    """Command phrases as ``dictate.commands.normalise_phrase`` writes them: how finals are matched (the client's
    own matcher ignores case and punctuation the same way)."""
    return frozenset(filter(None, (normalise_phrase(phrase) for phrase in phrases)))
