"""FinalPasses: which speculative final pass gives an utterance its text."""

from __future__ import annotations

from dictate.server.passes import FinalPasses


def test_the_newest_pass_of_an_unbroken_pause_is_the_text() -> None:
    passes = FinalPasses()
    first, second = passes.begin(), passes.begin()
    passes.done(second, "hello world")
    passes.done(first, "hello")  # an older pass that ends last does not win
    assert passes.take() == "hello world"
    assert passes.take() is None  # taken: the next utterance starts clean


def test_a_pass_begun_before_speech_resumed_is_stale_and_never_the_text() -> None:
    passes = FinalPasses()
    at_first_pause = passes.begin()
    passes.speech_resumed()
    assert not passes.is_current(at_first_pause)  # may be dropped before it reaches the model
    passes.done(at_first_pause, "and mister john")
    assert passes.take() is None  # no pass covers the speech after the pause: the caller must transcribe it


def test_a_pass_begun_after_the_last_resume_covers_the_utterance() -> None:
    passes = FinalPasses()
    stale = passes.begin()
    passes.speech_resumed()
    at_last_pause = passes.begin()
    assert passes.is_current(at_last_pause)
    passes.done(at_last_pause, "and mister john dashwood had then leisure")
    passes.done(stale, "and mister john")
    assert passes.take() == "and mister john dashwood had then leisure"
