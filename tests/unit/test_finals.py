"""The finals' rules, through the live core: one final per closed span, in order, with its own id; speculative
passes; revisions; seams; commands; drops. No thread, no model: ``tests/live.py`` drives the core and its fake
model reads the audio back ("w3" is the session's third second), so a test sees exactly which audio a pass read.

A span "from a to b" is speech that starts at a and is closed by the VAD at b with no pause edge (no
speculative pass); ``Drive.utterance`` adds the pause and its speculative pass.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.live import ACOUSTIC, RULES, SECOND, Drive, FakeModel

from dictate.server.live.inputs import GiveUp


def spoken(drive: Drive, *spans: tuple[float, float]) -> None:
    for start, end in spans:
        drive.speech(start)
        drive.stop(end)


def test_each_closed_span_gets_one_final_with_its_own_id_in_order_even_while_an_earlier_pass_runs() -> None:
    """Spans closed while an earlier pass still runs keep their ids (the old loop read the newest id)."""
    drive = Drive()
    drive.hold = True  # the model is slow: all three close before the first pass is done
    spoken(drive, (0, 2), (3, 5), (6, 8))
    assert drive.core.in_utterance and drive.core.pending_seconds == 6.0
    drive.run_passes()
    assert drive.finals() == ["final 1: w1 w2", "final 2: w4 w5", "final 3: w7 w8"]
    assert drive.core.coverage.holds and drive.core.coverage.final_samples == 6 * SECOND
    assert not drive.core.in_utterance


def test_a_speculative_pass_is_the_final_when_no_speech_followed_the_pause() -> None:
    drive = Drive()
    assert drive.utterance(0, 2) == ["speech 1 at 0", "pass 1 speculative 0-2", "final 1: w1 w2"]
    assert drive.model.passes == ["w1 w2"]  # one pass: the speculative one


def test_a_speculative_pass_made_stale_by_resumed_speech_is_cancelled_and_not_used() -> None:
    drive = Drive()
    drive.hold = True  # the pass waits for the model while speech resumes
    assert drive.speech(0) + drive.pause(2) == ["speech 1 at 0", "pass 1 speculative 0-2"]
    assert drive.resume(2.25) == ["cancel 1"]
    drive.stop(4)
    assert drive.run_passes() == ["pass 2 final 0-4", "final 1: w1 w2 w3 w4"]
    assert drive.model.passes == ["w1 w2 w3 w4"]  # the stale pass was dropped before it reached the model


def test_a_stale_speculative_pass_that_reached_the_model_anyway_is_not_the_final() -> None:
    drive = Drive()
    drive.hold = True
    drive.speech(0)
    drive.pause(2)
    drive.resume(2.25)
    drive.stop(4)
    drive.run_passes(1, reached_model=True)  # the model was already on it when the cancel came
    drive.run_passes()
    assert drive.model.passes == ["w1 w2", "w1 w2 w3 w4"]
    assert drive.finals() == ["final 1: w1 w2 w3 w4"]


def test_with_revisions_speech_after_a_short_pause_is_transcribed_with_the_previous_final_and_revises_it() -> None:
    drive = Drive()
    drive.start(revisions=True)
    spoken(drive, (0, 2), (3, 5), (10, 12))  # 1 s after the first final: a thinking pause; 5 s: a new thought
    assert drive.finals() == [
        "final 1: w1 w2",
        "final 2: w1 w2 w3 w4 w5 (revises 1)",  # the pause's audio too: Whisper hears one sentence
        "final 3: w11 w12",
    ]


def test_without_revisions_no_final_revises_another() -> None:
    drive = Drive()
    spoken(drive, (0, 2), (3, 5))
    assert drive.finals() == ["final 1: w1 w2", "final 2: w4 w5"]


def test_joining_needs_the_servers_join_pause_too() -> None:
    drive = Drive(replace(RULES, joins_allowed=False))
    drive.start(revisions=True)
    spoken(drive, (0, 2), (3, 5))
    assert drive.finals() == ["final 1: w1 w2", "final 2: w4 w5"]


def test_a_pass_with_context_that_lost_the_earlier_words_is_not_used_to_revise() -> None:
    drive = Drive()
    drive.start(revisions=True)
    spoken(drive, (0, 2))
    drive.model.drop_context = True  # the pass over both says only the last word
    assert drive.speech(3) + drive.stop(5) == [
        "speech 2 at 3",
        "pass 2 final 0-5",
        "pass 3 final 3-5",  # the utterance alone
        "final 2: w5",
    ]


def test_a_cut_too_long_to_transcribe_together_mends_the_seam_by_revising_the_text_only() -> None:
    """A 20 s passage cut at 10 s: both halves do not fit one pass (15 s), so the second is transcribed alone,
    and it starts in lower case: the first half's full stop was only its audio ending, and goes."""
    drive = Drive(replace(RULES, cut_after=10 * SECOND), FakeModel(full_stop=True))
    drive.start(revisions=True)
    drive.speech(0)
    drive.pause(10)
    drive.resume(10.25)  # the cut: utterance 1 ends at the pause, its speculative pass is its final
    drive.stop(20)
    first = " ".join(f"w{n}" for n in range(1, 11))
    second = " ".join(f"w{n}" for n in range(11, 21))
    assert drive.finals() == [f"final 1: {first}.", f"final 2: {first} {second}. (revises 1)"]
    assert drive.model.passes == [f"{first}.", f"{second}."]  # no pass more
    spoken(drive, (30, 32))  # 10 s later: a new thought, nothing to mend
    assert drive.finals()[-1] == "final 3: w31 w32."


def test_a_seam_is_left_alone_without_revisions_or_when_nothing_needs_mending() -> None:
    for revisions, full_stop in ((False, True), (True, False)):
        drive = Drive(replace(RULES, cut_after=10 * SECOND), FakeModel(full_stop=full_stop))
        drive.start(revisions=revisions)
        drive.speech(0)
        drive.pause(10)
        drive.resume(10.25)
        drive.stop(20)
        assert ["revises" in final for final in drive.finals()] == [False, False]


def test_spans_still_pending_when_the_stream_gives_up_are_dropped_reported_once_and_booked() -> None:
    drive = Drive()
    drive.hold = True
    spoken(drive, (0, 2), (3, 6))
    assert drive.core.pending_seconds == 5.0
    assert drive.send(GiveUp("too slow")) == ["cancel 1", "dropped 1, 2: too slow"]
    assert drive.run_passes() == []  # the pass under way comes back to no one
    coverage = drive.core.coverage
    assert coverage.holds and coverage.dropped_ids == [1, 2] and coverage.dropped_samples == 5 * SECOND
    assert not drive.core.in_utterance


# Voice commands (protocol 1.3 start.commands). The fake model says "w4" for the 4th second; a check pass (the
# commands in the prompt) says what ``FakeModel.prompted`` maps that to.
COMMANDS = ("new line", "new paragraph")


def test_a_command_said_between_short_pauses_is_never_joined_to_its_neighbours() -> None:
    """ "Dear John, [pause] new paragraph [pause] I wanted": the command was decoded into one revising final
    with its neighbours ("Thank you. You pair a breath") and typed as text."""
    drive = Drive(model=FakeModel(prompted={"w4": "New paragraph."}))
    drive.start(revisions=True, commands=COMMANDS)
    spoken(drive, (0, 2), (3, 4), (5, 6), (7, 8))  # 1 s apart: each would revise the one before
    assert drive.finals() == [
        "final 1: w1 w2",
        "final 2: New paragraph.",  # the command alone
        "final 3: w6",  # nothing joins a command
        "final 4: w6 w7 w8 (revises 3)",
    ]
    # every short span is checked first, and only a command's check is its final
    assert drive.model.passes == ["?w1 w2", "w1 w2", "?New paragraph.", "?w6", "w6", "?w8", "w6 w7 w8"]
    checks = [request for request in drive.outputs if "check" in str(request)]
    assert checks and all(request.options.vocabulary == COMMANDS for request in checks)  # as the client sent them


def test_without_commands_the_same_speech_is_joined_and_nothing_is_checked() -> None:
    """The test above fails without the commands: the short span is transcribed with its neighbours."""
    drive = Drive(model=FakeModel(prompted={"w4": "New paragraph."}))
    drive.start(revisions=True)
    spoken(drive, (0, 2), (3, 4), (5, 6))
    assert drive.finals() == [
        "final 1: w1 w2",
        "final 2: w1 w2 w3 w4 (revises 1)",
        "final 3: w1 w2 w3 w4 w5 w6 (revises 2)",  # final 2 stands for both
    ]
    # no interim vouched for the revising passes: each span was heard alone too (revisions.check_revision)
    assert drive.model.passes == ["w1 w2", "w1 w2 w3 w4", "w4", "w1 w2 w3 w4 w5 w6", "w6"]


def test_a_short_span_whose_check_is_no_command_gets_the_usual_pass() -> None:
    drive = Drive(model=FakeModel(prompted={"w4": "New line of code."}))  # the prompt's bias is never typed
    drive.start(revisions=True, commands=COMMANDS)
    spoken(drive, (0, 2), (3, 4))
    assert drive.finals() == ["final 1: w1 w2", "final 2: w1 w2 w3 w4 (revises 1)"]
    # the check's text is too far from the revision to vouch for it: the span is heard alone too
    assert drive.model.passes == ["?w1 w2", "w1 w2", "?New line of code.", "w1 w2 w3 w4", "w4"]


def test_long_speech_is_never_checked() -> None:
    drive = Drive()
    drive.start(revisions=True, commands=COMMANDS)
    spoken(drive, (0, 3))  # 3 s of speech: longer than any command
    assert drive.model.passes == ["w1 w2 w3"]


def test_a_command_without_context_is_not_joined_by_the_next_span() -> None:
    drive = Drive(model=FakeModel(prompted={"w4": "new line"}))
    drive.start(revisions=True, commands=COMMANDS)
    spoken(drive, (3, 4), (5, 6))
    assert drive.finals() == ["final 1: new line", "final 2: w6"]


def test_the_speculative_passes_are_the_final_passes_for_a_command_and_for_text() -> None:
    for heard, passes in (
        ("New paragraph.", ["?w1 w2", "w1 w2", "?New paragraph."]),
        ("w4", ["?w1 w2", "w1 w2", "?w4", "w1 w2 w3 w4"]),
    ):
        drive = Drive(model=FakeModel(prompted={"w4": heard}))
        drive.start(revisions=True, commands=COMMANDS)
        drive.utterance(0, 2)
        drive.utterance(3, 4)
        assert drive.model.passes == passes  # no pass made twice
        assert drive.finals()[-1].split(": ", 1)[1].split(" (")[0] == passes[-1].lstrip("?")


@pytest.mark.parametrize("full_stop", [False, True])
def test_past_cut_after_only_a_pause_that_ends_a_sentence_cuts_until_cut_any_after(full_stop: bool) -> None:
    """A cut inside a sentence saves no pass (the next final reads the cut part too) and makes a revision of text
    already typed: past ``cut_after`` (5 s) the utterance is cut where its text ends a sentence, and inside a
    sentence only past ``cut_any_after`` (8 s)."""
    drive = Drive(replace(RULES, cut_after=5 * SECOND, cut_any_after=8 * SECOND), FakeModel(full_stop=full_stop))
    drive.speech(0)
    drive.pause(6)
    drive.resume(6.25)  # "w1 ... w6." ends a sentence: cut; "w1 ... w6" does not
    drive.pause(9)
    drive.resume(9.25)  # 9 s: past cut_any_after, any pause cuts
    drive.pause(10)
    drive.stop(10.5)
    if full_stop:
        assert drive.finals() == ["final 1: w1 w2 w3 w4 w5 w6.", "final 2: w7 w8 w9 w10."]
    else:
        assert drive.finals() == ["final 1: w1 w2 w3 w4 w5 w6 w7 w8 w9", "final 2: w10"]


@pytest.mark.parametrize(("turn", "cut"), [(0.2, False), (0.9, True)])
def test_a_sentence_end_the_turn_model_hears_unfinished_does_not_cut(turn: float, cut: bool) -> None:
    rules = replace(ACOUSTIC, cut_after=5 * SECOND, cut_any_after=20 * SECOND)
    drive = Drive(rules, FakeModel(full_stop=True))
    drive.turn = turn
    drive.speech(0)
    drive.pause(6)
    drive.resume(6.1)  # before the 0.15 s a complete sentence waits for: the pause did not end the utterance
    drive.pause(8)
    drive.stop(8.5)
    expected = ["final 1: w1 w2 w3 w4 w5 w6.", "final 2: w7 w8."] if cut else ["final 1: w1 w2 w3 w4 w5 w6 w7 w8."]
    assert drive.finals() == expected
