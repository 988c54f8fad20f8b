"""The scoring of a replayed dictation session (``bench/replay.py``): pure, no model."""

from __future__ import annotations

from dictate.audio import silence
from dictate.bench.replay import Replay, ReplayPart, keys_typed, part_coverage, score_typed


def part(name: str, text: str) -> ReplayPart:
    return ReplayPart(name, text.lower(), text, "", 1.0)


SESSION = Replay(
    silence(1.0),
    (
        part("jfk", "And so my fellow Americans, ask not what your country can do for you."),
        part("cards", "10 of clubs"),
        part("jfk", "And so my fellow Americans, ask not what your country can do for you."),
        part("cards", "10 of clubs"),
    ),
    0.5,
)


def test_a_session_typed_once_each_scores_clean() -> None:
    typed = " ".join(p.offline_text for p in SESSION.parts)
    score = score_typed(SESSION, typed)
    assert (score["wer"], score["formatted_wer"], score["words_lost"], score["words_extra"]) == (0.0, 0.0, 0, 0)
    assert score["parts_missing"] == []
    assert [p["typed_share"] for p in score["parts"]] == [1.0, 1.0, 1.0, 1.0]


def test_the_issues_two_faults_show_as_a_missing_part_and_extra_words() -> None:
    # issue 10: the second "ten of clubs" never typed, "And so my fellow Americans" typed three times
    typed = (
        "And so my fellow Americans And so my fellow Americans, ask not what your country can do for you. "
        "Ten of clubs. And so my fellow Americans, ask not what your country can do for you."
    )
    score = score_typed(SESSION, typed)
    assert score["parts_missing"] == ["cards"]
    assert score["parts"][3]["typed_share"] == 0.0
    assert score["lost_runs"] == ["10 of clubs"]
    assert score["extra_runs"] == ["and so my fellow americans"]


def test_part_coverage_counts_wrong_words_as_typed() -> None:
    assert part_coverage(["ten of clubs", "five five"], "ten of gloves") == [1.0, 0.0]
    assert part_coverage(["ten of clubs"], "") == [0.0]
    assert part_coverage(["", "ten"], "10") == [1.0, 1.0]


def test_the_keys_a_dashboard_pressed_are_read_from_its_debug_log() -> None:
    log = "\n".join(
        [
            "2026-12-08 00:01:02,003 DEBUG dictate.tui.typist: typed 0 backspaces and 12 chars with XTEST in 3.1 ms",
            "2026-12-08 00:01:03,003 INFO dictate.tui.app: final utterance 2",
            "2026-12-08 00:01:04,003 DEBUG dictate.tui.typist: typed 3 backspaces and 8 chars with XTEST in 2.0 ms",
        ]
    )
    assert keys_typed(log) == {
        "typing_batches": 2,
        "typed_chars": 20,
        "backspaced_chars": 3,
        "backspaced_per_100_typed": 15.0,
    }
    assert keys_typed("")["backspaced_per_100_typed"] is None
