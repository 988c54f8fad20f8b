"""Joined passes (issue 18 items 1-2), through the live core: a revising pass is used only when its words align
with the finals it replaces and the new utterance's own text, and the pauses inside it are cut short.

The fake model says what ``FakeModel.said`` maps the seconds it heard to ("w1 w2" is the session's first two
seconds): the texts are the failures measured on real paused speech (issue 18)."""

from __future__ import annotations

from dataclasses import replace

from tests.live import ACOUSTIC, RULES, Drive, FakeModel

from dictate.server.live.joins import KEEP_PAUSE

GOLD_RING = {
    "w1 w2": "A gold ring will",
    "w4 w5": "please most any girl.",
    "w1 w2 w3 w4 w5": "A gold ring will please most any girl.",
    "w7 w8": "A pink shell was found on the sandy beach.",
}


def spoken(drive: Drive, *spans: tuple[float, float]) -> None:
    for start, end in spans:
        drive.speech(start)
        drive.stop(end)


def revisions(drive: Drive) -> tuple[int, int]:
    return drive.core.coverage.revisions_accepted, drive.core.coverage.revisions_rejected


def test_a_repetition_loop_never_replaces_the_finals_before_it() -> None:
    """The "gold ring" loop: a revising pass that replaced a correct sentence with a loop and lost its words."""
    loop = "A gold ring will be a gold ring and a gold ring will be A pink shell was found on the sandy beach."
    drive = Drive(model=FakeModel(said={**GOLD_RING, "w1 w2 w3 w4 w5 w6 w7 w8": loop}))
    drive.start(revisions=True)
    spoken(drive, (0, 2), (3, 5), (6, 8))
    assert drive.finals() == [
        "final 1: A gold ring will",
        "final 2: A gold ring will please most any girl. (revises 1)",  # aligned: accepted
        "final 3: A pink shell was found on the sandy beach.",  # the loop refused: the utterance alone
    ]
    assert revisions(drive) == (1, 1)
    assert drive.core.coverage.holds
    assert "revisions 1 accepted, 1 rejected" in drive.core.coverage.summary()


def test_words_invented_at_the_pause_are_refused() -> None:
    said = {
        "w1 w2": "A gold ring will be",
        "w4 w5": "Please, most any girl.",
        "w1 w2 w3 w4 w5": "A gold ring will be a gold medal, please, most any girl.",
    }
    drive = Drive(model=FakeModel(said=said))
    drive.start(revisions=True)
    spoken(drive, (0, 2), (3, 5))
    assert drive.finals() == ["final 1: A gold ring will be", "final 2: Please, most any girl."]
    assert revisions(drive) == (0, 1)


def test_a_word_said_twice_at_the_seam_is_refused() -> None:
    said = {
        "w1 w2": "It was a severe storm",
        "w4 w5": "that broke the mast.",
        "w1 w2 w3 w4 w5": "It was a severe storm storm that broke the mast.",
    }
    drive = Drive(model=FakeModel(said=said))
    drive.start(revisions=True)
    spoken(drive, (0, 2), (3, 5))
    assert drive.finals()[-1] == "final 2: that broke the mast."
    assert revisions(drive) == (0, 1)


def test_a_revision_the_latest_interim_vouches_for_costs_no_extra_pass() -> None:
    """The utterance's latest interim is its own text: when the revising pass aligns with it, no pass alone."""
    rules = replace(RULES, interim_interval=0.5, first_interim_after=0.5, interim_quiet_ratio=0.0)
    said = {**GOLD_RING, "w4": "please most any girl", "w1 w2 w3 w4 w5": "A gold ring will please most any girl."}
    drive = Drive(rules, FakeModel(said=said))
    drive.start(revisions=True)
    drive.utterance(0, 2)
    drive.speech(3)
    drive.pause(4.9)  # the interims heard second 4 ("w4")
    drive.stop(5.4)
    assert drive.finals()[-1] == "final 2: A gold ring will please most any girl. (revises 1)"
    assert drive.model.passes[-1] == "A gold ring will please most any girl."  # the speculative pass
    assert "please most any girl" in drive.model.passes  # the interim
    assert "w4 w5 w6" not in drive.model.passes  # no pass over the utterance alone
    assert revisions(drive) == (1, 0)


def test_the_pause_inside_a_joined_pass_is_cut_short() -> None:
    """Speech 0-2 s and 3-5 s: the joined pass reads 0.3 s of the 1 s pause between them (0.15 s each side)."""
    drive = Drive(replace(RULES, keep_pause=KEEP_PAUSE))
    drive.start(revisions=True)
    shown = drive.speech(0) + drive.stop(2) + drive.speech(3) + drive.stop(5)
    assert "pass 2 final 0-2.15 + 2.85-5" in shown
    assert drive.finals()[-1] == "final 2: w1 w2 w3 w4 w5 (revises 1)"


def test_every_pause_of_a_final_that_revised_others_is_cut_short_again() -> None:
    drive = Drive(replace(RULES, keep_pause=KEEP_PAUSE))
    drive.start(revisions=True)
    shown = drive.speech(0) + drive.stop(2) + drive.speech(3) + drive.stop(5) + drive.speech(6) + drive.stop(8)
    assert "pass 4 final 0-2.15 + 2.85-5.15 + 5.85-8" in shown
    assert drive.finals()[-1] == "final 3: w1 w2 w3 w4 w5 w6 w7 w8 (revises 2)"


def test_a_pause_an_utterance_was_held_through_is_cut_short_too() -> None:
    """Held open through a thinking pause (2-3 s) by the end-of-turn rule: the one utterance's passes read 0.3 s
    of that pause, not the whole second (Whisper fills it with words nobody said), and so does a later joined pass."""
    rules = replace(ACOUSTIC, keep_pause=KEEP_PAUSE)
    drive = Drive(rules)
    drive.start(revisions=True)
    drive.turn = 0.1  # sounds unfinished: held
    shown = drive.speech(0) + drive.pause(2) + drive.audio(2.5) + drive.resume(3)
    assert shown == ["speech 1 at 0", "judge 1 over 2 s", "pass 1 speculative 0-2"]  # no final
    drive.turn = 0.9
    shown = drive.pause(5) + drive.stop(5.5)
    assert shown == [
        "judge 2 over 5 s",
        "pass 2 speculative 0-2.15 + 2.85-5",
        "final 1: w1 w2 w3 w4 w5",
        "stop recording",
    ]
    shown = drive.speech(6) + drive.stop(8)
    assert "pass 3 final 0-2.15 + 2.85-5.15 + 5.85-8" in shown
