"""The text where two finals transcribed apart meet (the 52 s passage's cuts)."""

from __future__ import annotations

from dictate.server.live.revisions import mend_seam


def test_a_full_stop_before_a_sentence_that_goes_on_is_dropped() -> None:
    assert mend_seam("represented in the exhibition.", "in being comparatively modern.") == (
        "represented in the exhibition",
        "in being comparatively modern.",
    )
    assert mend_seam("the fifteenth century. ", "may justly be")[0] == "the fifteenth century"


def test_a_capital_after_an_unfinished_sentence_is_lowered_for_common_words() -> None:
    assert mend_seam("an example of fine typography", "The earliest book") == (
        "an example of fine typography",
        "the earliest book",
    )
    assert mend_seam("and so, my fellow Americans,", "And") == ("and so, my fellow Americans,", "and")


def test_sentences_names_and_i_keep_their_form() -> None:
    assert mend_seam("He was not an ill-disposed young man.", "The earliest book") == (
        "He was not an ill-disposed young man.",
        "The earliest book",
    )
    assert mend_seam("Stop listening!", "new line") == ("Stop listening!", "new line")
    assert mend_seam("the wood cutters of the", "Netherlands, by a") == ("the wood cutters of the", "Netherlands, by a")
    assert mend_seam("and then", "I said") == ("and then", "I said")
    assert mend_seam("and then", "THE END") == ("and then", "THE END")
    assert mend_seam("wait for it...", "and then") == ("wait for it...", "and then")


def test_a_voice_command_is_never_joined() -> None:
    assert mend_seam("and that was all.", "new paragraph") == ("and that was all.", "new paragraph")
    assert mend_seam("New line.", "and then") == ("New line.", "and then")


def test_empty_sides_are_left_alone() -> None:
    assert mend_seam("", "in being") == ("", "in being")
    assert mend_seam("modern.", "") == ("modern.", "")
