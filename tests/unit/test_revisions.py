"""The text rules of revising finals: where two finals transcribed apart meet (the 52 s passage's cuts), and the
check a revising pass must pass to replace earlier finals (issue 18 item 1): the failures measured on real paused
speech are refused, normal Whisper variation is not."""

from __future__ import annotations

import pytest

from dictate.server.live.revisions import check_revision, keep_typed_form, mend_seam, words_of


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


# --- the failures measured on real paused speech (issue 18) ---


def test_a_repetition_loop_that_replaced_three_sentences_is_refused() -> None:
    earlier = [
        "A gold ring will please most any girl.",
        "The long journey home took a year.",
        "She danced like a swan, tall and graceful.",
    ]
    own = "A pink shell was found on the sandy beach."
    check = check_revision(earlier, own, "A gold ring will be a gold ring and a gold ring will be")
    assert not check.accepted
    assert check.longest_missing_run >= 3


def test_a_loop_that_keeps_every_word_is_still_refused() -> None:
    earlier = ["A gold ring will"]
    own = "please most any girl."
    check = check_revision(earlier, own, "A gold ring will, a gold ring will, a gold ring will please most any girl.")
    assert not check.accepted
    assert "gold ring will" in check.repeated or "a gold ring" in check.repeated


def test_words_invented_at_the_pause_are_refused() -> None:
    check = check_revision(
        ["A gold ring will be"], "Please, most any girl.", "A gold ring will be a gold medal, please, most any girl."
    )
    assert not check.accepted
    assert "gold medal" in " ".join(check.inserted)
    check = check_revision(
        ["The long journey"], "home took a year.", "The long journey in the family home took a year."
    )
    assert not check.accepted
    assert check.inserted == ("in", "the", "family")


def test_a_word_said_twice_at_the_seam_is_refused() -> None:
    check = check_revision(
        ["The ship was torn apart by a severe storm."],
        "the storm tore the sail.",
        "The ship was torn apart by a severe storm storm tore the sail.",
    )
    assert not check.accepted
    assert check.repeated == "storm storm"
    check = check_revision(
        ["It was a severe storm"], "that broke the mast.", "It was a severe storm storm that broke the mast."
    )
    assert not check.accepted


def test_a_revision_that_drops_the_new_speech_is_refused() -> None:
    check = check_revision(
        ["And so my fellow Americans"], "ask not what your country can do for you.", "And so my fellow Americans."
    )
    assert not check.accepted
    assert check.longest_missing_run == 9


def test_a_revision_that_is_another_text_is_refused() -> None:
    check = check_revision(["Ten of clubs."], "Four of hearts.", "Thank you for watching this video.")
    assert not check.accepted


# --- normal variation: a better transcription of the same speech ---


@pytest.mark.parametrize(
    ("earlier", "own", "revised"),
    [
        # the fragments, as the bench's paused clips gave them, and the revising finals that fixed them
        (
            ["And so my fellow Americans"],
            "Ask not.",
            "And so my fellow Americans ask not",
        ),
        (
            ["And so my fellow Americans ask not"],
            "What your Three can do for you, ask what you can do for your country.",
            "And so my fellow Americans ask not what your country can do for you, "
            "ask what you can do for your country.",
        ),
        (
            ["He was not an-"],
            "ill-disposed young man.",
            "He was not an ill-sposed young man.",
        ),
        (
            ["Unless to be rather cold hard."],
            "And rather selfish is to be ill-disposed.",
            "Unless to be rather cold-hearted, and rather selfish is to be ill-disposed.",
        ),
        (
            ["The invention of movable metal letters in the middle of the film."],
            "Fifteenth century may justly be considered as the invention of the art of printing.",
            "The invention of movable metal letters in the middle of the 15th century may justly be considered as "
            "the invention of the art of printing.",
        ),
        (
            ["And it is worth mentioning."],
            "In passing that as an example of fine typography.",
            "and it is worth mentioning, passing that as an example of fine typography",
        ),
        (
            ["8 of spades"],
            "Four of clothes, seven of hearts.",
            "8 of spades, 4 of close, 7 of hearts.",
        ),
        (
            ["Had he married a more amiable woman?"],
            "He might have been made still more respectable than he was.",
            "Had he married a more amiable woman, he might have been made still more respectable than he was.",
        ),
        # two earlier finals revised at once
        (
            ["And so my fellow Americans", "ask not"],
            "what your country can do for you.",
            "And so my fellow Americans, ask not what your country can do for you.",
        ),
        # one word lost by both pieces at the cut, recovered by the whole sentence
        (
            ["The earliest book printed with"],
            "types, the Gutenberg or 42-line Bible of about 1455.",
            "The earliest book printed with movable types, the Gutenberg or 42-line Bible of about 1455.",
        ),
        # a word the fragment made up at its end, gone in the sentence
        (
            ["For although the Chinese took impressions from wood blocks engraved in the"],
            "relief for centuries before the wood cutters of the Netherlands.",
            "For although the Chinese took impressions from wood blocks engraved in relief for centuries before the "
            "wood cutters of the Netherlands.",
        ),
        # a repetition the speaker made is not a loop
        (
            ["It was very, very"],
            "cold that night.",
            "It was very, very cold that night.",
        ),
        # the own text empty of a word the sentence has: one inserted word
        (
            ["Go forward"],
            "meters.",
            "Go forward 10 meters.",
        ),
    ],
)
def test_a_better_transcription_of_the_same_speech_is_accepted(earlier: list[str], own: str, revised: str) -> None:
    check = check_revision(earlier, own, revised)
    assert check.accepted, check.reason


def test_a_silence_hallucination_of_the_utterance_alone_may_be_left_out() -> None:
    """whisper_jfk.wav with thinking pauses: the crowd after the speech, heard alone, was "Thank you very much.";
    the pass over the sentence and that noise rightly had no such words."""
    sentence = (
        "And so my fellow Americans ask not what your country can do for you ask what you can do for your country"
    )
    assert check_revision([sentence], "Thank you very much.", sentence.lower()).accepted
    # ... but real speech left out is still refused
    assert not check_revision([sentence], "Thank you all for coming.", sentence).accepted


def test_the_text_of_a_short_utterance_alone_may_be_left_out_as_noise() -> None:
    """The same crowd, cut off as an utterance of its own after a sentence held through a pause had grown past
    ``cut_after``, came back alone as "All right, all right." (0.96 s): a revision without it passes."""
    sentence = "ask not what your country can do for you ask what you can do for your country"
    assert check_revision([sentence], "All right, all right.", sentence, own_short=True).accepted
    assert not check_revision([sentence], "All right, all right.", sentence).accepted  # a longer utterance: kept
    # words that neither had are still refused
    assert not check_revision([sentence], "All right.", sentence + " and the gold medal", own_short=True).accepted


def test_an_interim_vouches_for_a_revision_that_goes_on_past_it_but_not_for_words_inside() -> None:
    """The latest interim of an utterance lacks the words said after the last interim pass: those may follow."""
    earlier = ["And so my fellow Americans"]
    revised = "And so my fellow Americans, ask not what your country can do for you."
    assert not check_revision(earlier, "ask not what your", revised).accepted  # as a full text: 4 words new
    assert check_revision(earlier, "ask not what your", revised, open_end=True).accepted
    # words invented at the pause are inside, not at the end: still refused
    invented = "And so my fellow Americans, a gold medal, ask not what your country can do for you."
    assert not check_revision(earlier, "ask not what your country can do for you", invented, open_end=True).accepted
    # a loop at the end is still a loop
    loop = "And so my fellow Americans ask not what your country ask not what your country"
    assert not check_revision(earlier, "ask not what your", loop, open_end=True).accepted


def test_case_and_punctuation_are_not_differences() -> None:
    check = check_revision(["Ask not."], "What your country can do.", "ask not what your country can do")
    assert check.accepted
    assert check.inserted == () and check.substituted == 0 and check.longest_missing_run == 0


def test_two_missing_words_are_tolerated_three_are_not() -> None:
    own = "one two three four five six seven eight nine ten"
    assert check_revision(["Zero"], own, "zero one two five six seven eight nine ten").accepted
    check = check_revision(["Zero"], own, "zero one five six seven eight nine ten")
    assert not check.accepted
    assert check.longest_missing_run == 3


def test_words_of_ignores_case_punctuation_and_apostrophes() -> None:
    assert words_of("It's a cold-hearted, SELFISH man.") == ["its", "a", "cold", "hearted", "selfish", "man"]
    assert words_of("") == []


PRINTING = (
    "Printing, in the only sense with which we are at present concerned, differs from most if not from all the arts "
    "and crafts represented in the exhibition."
)


def test_a_revision_keeps_the_words_it_did_not_change_as_they_were_typed() -> None:
    """Revised with different commas (heard with the pause shortened), the typed sentence would be backspaced to
    its first comma and typed again: only the seam's full stop goes."""
    revised = (
        "Printing in the only sense with which we are at present concerned differs from most, if not from all, "
        "the arts and crafts represented in the exhibition in being comparatively modern."
    )
    kept = keep_typed_form([PRINTING], revised)
    assert kept == PRINTING[:-1] + " in being comparatively modern."
    assert words_of(kept) == words_of(revised)  # the revision's words, every one


def test_the_words_a_revision_changed_are_its_own() -> None:
    earlier = ["And Mr. John Dashwood had them leisure to consider how."]
    revised = "And Mister John Dashwood had then leisure to consider how much there might be in his power."
    assert keep_typed_form(earlier, revised) == revised


def test_where_finals_meet_and_where_a_change_begins_the_revision_says_how_the_words_join() -> None:
    earlier = ["And so, my fellow Americans.", "Ask not."]
    revised = "And so my fellow Americans, ask not what your country can do for you."
    assert keep_typed_form(earlier, revised) == "And so, my fellow Americans, ask not what your country can do for you."
    changed = "Had he married a more amiable lady? He might."
    assert keep_typed_form(["Had he married a more amiable woman?"], changed) == changed
    cards = "4 Queen of clubs, 7 of hearts"
    assert keep_typed_form(["Four, Queen of clubs."], cards) == cards


def test_nothing_earlier_or_nothing_revised_is_the_revision_as_it_is() -> None:
    assert keep_typed_form([], " Ask not. ") == "Ask not."
    assert keep_typed_form(["Ask not."], "") == ""
