"""The `replace` table: whole words, smart case, longest key first, no replacing twice."""

from __future__ import annotations

import pytest

from dictate.replacements import Replacements, apply_replacements

TABLE = {"gpt": "GPT", "chat gpt": "ChatGPT", "Will": "WILL", "c++": "C++", "kubernetes": "k8s"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I asked gpt.", "I asked GPT."),
        ("Gpt and GPT", "GPT and GPT"),  # an all-lowercase key matches any case
        ("gpts and chatgpt stay", "gpts and chatgpt stay"),  # whole words only
        ("I use chat  GPT daily", "I use ChatGPT daily"),  # the longer key wins; any run of spaces
        ("will Will go", "will WILL go"),  # a key with a capital matches exactly
        ("learn c++ now", "learn C++ now"),  # keys with symbols
        ("Kubernetes, kubernetes!", "k8s, k8s!"),  # the replacement is typed as written
        ("", ""),
    ],
)
def test_replacements(text: str, expected: str) -> None:
    assert apply_replacements(text, TABLE) == expected


def test_replaced_text_is_not_replaced_again() -> None:
    assert apply_replacements("a b", {"a": "b", "b": "c"}) == "b c"


def test_an_exact_key_beats_an_any_case_key() -> None:
    table = {"gpt": "GPT", "Gpt": "Gpt-4"}
    assert apply_replacements("gpt Gpt GPT", table) == "GPT Gpt-4 GPT"


def test_empty_table_is_falsy_and_changes_nothing() -> None:
    empty = Replacements({})
    assert not empty and empty("gpt") == "gpt"
    assert Replacements({" ": "x"})("a b") == "a b"  # blank keys are ignored
