"""Push-to-talk timing and hotkey combination tracking (pure)."""

from __future__ import annotations

from dictate.transcript import TypingPlan
from dictate.tui.pushtotalk import HoldEnd, PushToTalk
from dictate.tui.sink import KeyCombo


def test_plans_wait_for_the_release_and_a_slip_drops_them() -> None:
    ptt = PushToTalk()
    assert not ptt.defer(TypingPlan(0, "typed now"))  # not held: type at once
    ptt.press(1.0)
    assert ptt.defer(TypingPlan(0, "one")) and ptt.defer(TypingPlan(2, "two"))
    assert ptt.release(2.0) is HoldEnd.FINISH
    assert ptt.take_plans() == [TypingPlan(0, "one"), TypingPlan(2, "two")]
    assert ptt.take_plans() == []
    ptt.press(3.0)
    ptt.defer(TypingPlan(0, "noise"))
    ptt.drop_plans()
    assert ptt.take_plans() == []


def test_a_hold_of_at_least_the_minimum_finishes_and_a_slip_is_discarded() -> None:
    ptt = PushToTalk(minimum_hold=0.3)
    assert ptt.press(10.0)
    assert not ptt.press(10.1)  # auto-repeat while held
    assert ptt.release(10.3) is HoldEnd.FINISH
    assert ptt.press(20.0)
    assert ptt.release(20.29) is HoldEnd.DISCARD
    assert ptt.release(21.0) is HoldEnd.NOTHING  # no hold in progress


def test_key_combo_fires_when_complete_and_again_when_every_key_is_up() -> None:
    combo = KeyCombo(["ctrl", "alt", "space"])
    assert not combo.press("ctrl")
    assert not combo.press("x")  # other keys do not matter
    assert not combo.press("alt")
    assert combo.press("space")
    assert not combo.press("space")  # auto-repeat
    assert combo.active
    assert not combo.release("space")  # ctrl and alt still down: a modifier would mix with typed keys
    assert combo.press("space")  # completed again (toggle mode: a second press)
    assert not combo.release("ctrl")
    assert not combo.release("x")
    assert not combo.release("space")
    assert combo.release("alt")  # the last key up
    assert not combo.press("alt")
    assert not combo.release("alt")  # never complete since: no release
