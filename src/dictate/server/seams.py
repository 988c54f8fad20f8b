"""Where two finals meet that were transcribed apart: the text at the seam. Pure.

A long passage is cut at its pauses (``utterances.Timeline``), and an utterance that follows a final within a
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

from dictate.commands import parse_command

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
