"""The dashboard's ON/OFF transitions (tui/onoff.py), without a UI."""

from __future__ import annotations

from dictate.tui.onoff import OnOff, Phase, Step


def started() -> OnOff:
    """ON, with the run's stream open."""
    state = OnOff()
    assert state.toggle() is Step.START
    assert state.stream_started(state.run)
    return state


def test_on_then_off_finishes_the_stream_then_ends() -> None:
    state = started()
    assert state.is_on and state.is_listening
    assert state.toggle() is Step.FINISH
    assert state.phase is Phase.STOPPING and state.is_listening and not state.is_on
    state.run_ended(state.run)
    assert state.phase is Phase.OFF and not state.is_listening


def test_off_before_the_stream_exists_cancels_the_run() -> None:
    state = OnOff()
    state.toggle()
    assert state.toggle() is Step.CANCEL
    assert state.phase is Phase.OFF
    assert not state.stream_started(state.run)  # the cancelled run must not stream after all


def test_on_while_stopping_starts_a_new_run_that_the_old_ones_end_does_not_stop() -> None:
    state = started()
    first = state.run
    state.toggle()  # OFF: stopping
    assert state.toggle() is Step.START
    assert state.run == first + 1 and state.is_on
    state.run_ended(first)  # the replaced run finishes late
    assert state.is_on
    assert state.stream_started(state.run)
    assert state.toggle() is Step.FINISH


def test_a_failed_run_turns_off() -> None:
    state = started()
    state.run_ended(state.run)
    assert state.phase is Phase.OFF
    assert state.toggle() is Step.START  # and ON works again


def test_turn_on_and_turn_off_are_idempotent() -> None:
    state = OnOff()
    assert state.turn_off() is Step.NOTHING
    assert state.turn_on() is Step.START
    assert state.turn_on() is Step.NOTHING
    state.stream_started(state.run)
    assert state.turn_off() is Step.FINISH
    assert state.turn_off() is Step.NOTHING  # already stopping


def test_discard_cancels_only_when_on() -> None:
    state = started()
    assert state.discard() is Step.CANCEL
    assert state.phase is Phase.OFF
    assert state.discard() is Step.NOTHING
