"""The dashboard's ON/OFF state, beside ``Transcript``: pure, no UI, no I/O. The app asks it what a key press,
a hotkey or a voice command means and does the returned ``Step``.

A *run* is one dictation from ON to its end (a worker that waits for the server, then streams). OFF during
a run that streams asks the stream to finish (the last final is still typed: STOPPING); OFF before the
stream exists cancels the run. ON while STOPPING starts a new run at once. Each run has a number, so that
the end of a replaced run does not turn the new one off.
"""

from __future__ import annotations

from enum import Enum


class Phase(str, Enum):
    """What the user sees."""

    OFF = "off"
    ON = "on"  # listening (connecting, connected or reconnecting)
    STOPPING = "stopping"  # OFF was asked: finishing the last utterance


class Step(str, Enum):
    """What the app must do after a transition."""

    NOTHING = "nothing"
    START = "start"  # start a new run
    FINISH = "finish"  # ask the run's stream to stop (it still delivers the last final)
    CANCEL = "cancel"  # cancel the run now: nothing more is typed


class OnOff:
    """ON/OFF transitions of the dashboard."""

    def __init__(self) -> None:
        self.phase = Phase.OFF
        self.run = 0  # number of the current (or last) run
        self._streaming = False  # the current run has its stream

    @property
    def is_on(self) -> bool:
        return self.phase is Phase.ON

    @property
    def is_stopping(self) -> bool:
        return self.phase is Phase.STOPPING

    @property
    def is_listening(self) -> bool:
        """ON, or still finishing after OFF."""
        return self.phase is not Phase.OFF

    def toggle(self) -> Step:
        """The ON/OFF key."""
        if self.phase is Phase.ON:
            if self._streaming:
                self.phase = Phase.STOPPING
                return Step.FINISH
            self.phase = Phase.OFF
            return Step.CANCEL
        self.phase = Phase.ON
        self.run += 1
        self._streaming = False
        return Step.START

    def turn_on(self) -> Step:
        """ON unless already on (push-to-talk press)."""
        return Step.NOTHING if self.phase is Phase.ON else self.toggle()

    def turn_off(self) -> Step:
        """OFF, finishing the last utterance, unless not on (push-to-talk release, 'stop listening')."""
        return self.toggle() if self.phase is Phase.ON else Step.NOTHING

    def discard(self) -> Step:
        """OFF now, typing nothing more (a push-to-talk press too short to be speech)."""
        if self.phase is not Phase.ON:
            return Step.NOTHING
        self.phase = Phase.OFF
        return Step.CANCEL

    def stream_started(self, run: int) -> bool:
        """Run ``run`` has its stream; False when that run is no longer wanted (it must not stream)."""
        if run != self.run or self.phase is not Phase.ON:
            return False
        self._streaming = True
        return True

    def run_ended(self, run: int) -> None:
        """Run ``run`` is over (stopped, cancelled or failed). The end of a replaced run changes nothing."""
        if run == self.run:
            self.phase = Phase.OFF
            self._streaming = False
