"""A final's first capital and last full stop, and a profile's replacements (dictate.shaping). Pure."""

from __future__ import annotations

import pytest

from dictate.replacements import Replacements
from dictate.shaping import Shaping, drop_final_full_stop, lower_first_capital


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it now.", "send it now."),
        ("  Okay, go", "  okay, go"),
        ('"Quoted" words', '"quoted" words'),
        ("I think so.", "I think so."),  # the pronoun keeps its capital
        ("I'm here", "I'm here"),
        ("GPT is here", "GPT is here"),  # an acronym
        ("iPhone sales", "iPhone sales"),
        ("McDonald's", "McDonald's"),  # inner capitals: a name
        ("already lower", "already lower"),
        ("", ""),
        ("42 apples", "42 apples"),
        ("Élan vital", "élan vital"),
    ],
)
def test_lower_first_capital(text: str, expected: str) -> None:
    assert lower_first_capital(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it now.", "Send it now"),
        ("Send it now. ", "Send it now"),
        ("Really?", "Really?"),
        ("Wow!", "Wow!"),
        ("And then...", "And then..."),
        ("Version 2.0", "Version 2.0"),
        ("Two sentences. Here.", "Two sentences. Here"),
        ("", ""),
    ],
)
def test_drop_final_full_stop(text: str, expected: str) -> None:
    assert drop_final_full_stop(text) == expected


def test_the_default_shaping_changes_nothing() -> None:
    shaping = Shaping()
    assert not shaping.changes_text
    assert shaping("Hello there.") == "Hello there."


def test_replacements_come_first_then_the_capital_and_the_full_stop() -> None:
    shaping = Shaping(first_capital=False, final_full_stop=False, replace=Replacements({"list files": "ls -la"}))
    assert shaping.changes_text
    assert shaping("List files.") == "ls -la"  # replaced, then the full stop dropped
    assert shaping("Git status.") == "git status"
