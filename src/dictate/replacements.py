"""Word replacements: the model's spelling -> the user's (the config file's ``replace`` table). Pure.

Rules: a key matches whole words only (not inside a longer word); spaces in a key match any run of spaces; a
key written all in lowercase matches any case ("gpt" matches "gpt", "Gpt", "GPT"), a key with a capital letter
matches exactly that case; the replacement is typed exactly as written; longer keys win over shorter ones that
overlap them, and replaced text is not replaced again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


class Replacements:
    """A compiled ``replace`` table; call it on a text."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._exact = {_squeeze(k): v for k, v in table.items() if k.strip() and k != k.lower()}
        self._any_case = {_squeeze(k): v for k, v in table.items() if k.strip() and k == k.lower()}
        keys = [(k, True) for k in self._exact] + [(k, False) for k in self._any_case]
        keys.sort(key=lambda item: (-len(item[0]), not item[1]))  # longest first; exact before any-case
        alternatives = [_pattern(key) if exact else f"(?i:{_pattern(key)})" for key, exact in keys]
        self._regex = re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)") if alternatives else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def __call__(self, text: str) -> str:
        if self._regex is None:
            return text
        return self._regex.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        found = _squeeze(match.group(0))
        exact = self._exact.get(found)
        return exact if exact is not None else self._any_case.get(found.lower(), match.group(0))


def apply_replacements(text: str, table: Mapping[str, str]) -> str:
    """``text`` with the table's replacements applied (see the module's rules)."""
    return Replacements(table)(text)


def _squeeze(key: str) -> str:
    return " ".join(key.split())


def _pattern(key: str) -> str:
    return r"\s+".join(re.escape(word) for word in key.split())


__all__ = ["Replacements", "apply_replacements"]
