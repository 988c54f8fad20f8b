"""Push-to-talk timing and hotkey combination tracking (pure)."""

from __future__ import annotations

from dictate.tui.pushtotalk import HoldEnd, PushToTalk
from dictate.tui.sink import KeyCombo


def test_a_hold_of_at_least_the_minimum_finishes_and_a_slip_is_discarded() -> None:
    ptt = PushToTalk(minimum_hold=0.3)
    assert ptt.press(10.0)
    assert not ptt.press(10.1)  # auto-repeat while held
    assert ptt.release(10.3) is HoldEnd.FINISH
    assert ptt.press(20.0)
    assert ptt.release(20.29) is HoldEnd.DISCARD
    assert ptt.release(21.0) is HoldEnd.NOTHING  # no hold in progress


def test_key_combo_fires_once_when_complete_and_once_when_broken() -> None:
    combo = KeyCombo(["ctrl", "alt", "space"])
    assert not combo.press("ctrl")
    assert not combo.press("x")  # other keys do not matter
    assert not combo.press("alt")
    assert combo.press("space")
    assert not combo.press("space")  # auto-repeat
    assert combo.active
    assert combo.release("ctrl")
    assert not combo.release("alt")  # already broken
    assert not combo.release("x")
    assert not combo.press("ctrl")  # space was never released... but alt was
    assert combo.press("alt")
    assert combo.release("space")
