"""How a final utterance is shaped before it is typed: word replacements, its first capital, its last full stop.
Pure: text in, text out (the settings, or the focused app's profile, say which rules apply).

Whisper writes every utterance as a sentence ("Send it now."). In a chat or a terminal that is often not
wanted: ``first_capital=False`` lower-cases the first letter when the first word is an ordinary capitalised
word (not "I", "I'm"..., not an acronym such as "GPT" or a word with inner capitals such as "iPhone"), and
``final_full_stop=False`` drops one full stop at the very end (never "?", "!" or an ellipsis).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_FIRST_WORD = re.compile(r"^(\W*)(\w[\w'’]*)")
_KEEP_CAPITAL = frozenset({"i", "i'm", "i've", "i'll", "i'd", "i’m", "i’ve", "i’ll", "i’d"})


def lower_first_capital(text: str) -> str:
    """``text`` with its first word's capital lowered when it is an ordinary capitalised word."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return text
    word = match.group(2)
    if word.lower() in _KEEP_CAPITAL or not word[0].isupper() or word[1:] != word[1:].lower():
        return text
    start = match.start(2)
    return text[:start] + word[0].lower() + text[start + 1 :]


def drop_final_full_stop(text: str) -> str:
    """``text`` without one full stop at its very end (an ellipsis stays)."""
    stripped = text.rstrip()
    if stripped.endswith(".") and not stripped.endswith(".."):
        return stripped[:-1]
    return text


@dataclass(frozen=True)
class Shaping:
    """The rules for one final: replacements (applied first), then the first capital and the last full stop."""

    first_capital: bool = True
    final_full_stop: bool = True
    replace: Callable[[str], str] | None = None

    def __call__(self, text: str) -> str:
        if self.replace is not None:
            text = self.replace(text)
        if not self.first_capital:
            text = lower_first_capital(text)
        if not self.final_full_stop:
            text = drop_final_full_stop(text)
        return text

    @property
    def changes_text(self) -> bool:
        return self.replace is not None or not (self.first_capital and self.final_full_stop)


__all__ = ["Shaping", "drop_final_full_stop", "lower_first_capital"]
