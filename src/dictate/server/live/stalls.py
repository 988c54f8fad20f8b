"""Speech that a stall of the server may have hidden from the VAD (issue 20 item 10). Pure: numpy only.

When the server's event loop stalls, the audio a client sent meanwhile arrives in one burst, and RealtimeSTT
times speech and silence by the wall clock: speech in a burst may never open an utterance (a 5 s stall left 7 s
of speech without a final, and the books said "0.0 s dropped"). The live core (``core.LiveCore``) is told of a
stall (``inputs.Stalled``) by the session when its loop wakes up, and hands ``StallWatch`` every chunk the VAD
reads. Chunks around the stall (its length before and after the audio received when it was reported: the burst
may be read a little before or after the report) that are loud as speech is (``SPEECH_DBFS``) and that no
utterance covers are counted; once the window and a pre-roll after it have been read (a span opened then
reaches back over them), what is left is speech the VAD did not hear: the core reports it as dropped and books
it. A session that was silent through the stall, or whose speech the VAD heard, is told nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dictate.audio import level_dbfs, pcm16_to_float
from dictate.protocol import SAMPLE_RATE

SPEECH_DBFS = -45.0  # a 32 ms chunk this loud is speech or a noise as loud as speech (rooms: -60 to -50 dBFS)
MIN_UNHEARD = SAMPLE_RATE // 4  # less loud audio is a click or a breath: not reported

Range = tuple[int, int]


@dataclass(frozen=True)
class Unheard:
    """A stall's verdict: ``samples`` of loud audio around it that no utterance covers."""

    stall_seconds: float
    samples: int

    @property
    def reason(self) -> str:
        return (
            f"the server stalled for {self.stall_seconds:.1f} s: {self.samples / SAMPLE_RATE:.1f} s of speech "
            "in that time was not heard"
        )


@dataclass
class _Window:
    start: int
    end: int
    stall_seconds: float
    loud: list[Range] = field(default_factory=list)  # loud chunks read outside any utterance


class StallWatch:
    """The stalls of one session still to be judged, and the loud audio read around them."""

    def __init__(self, preroll: int) -> None:
        self._preroll = preroll
        self._windows: list[_Window] = []

    def __repr__(self) -> str:
        return f"StallWatch({[(w.start, w.end, len(w.loud)) for w in self._windows]})"

    def stalled(self, received: int, samples: int, seconds: float) -> None:
        """The loop stalled for ``seconds`` (``samples`` of audio); ``received`` samples had arrived when the
        session was told."""
        self._windows.append(_Window(max(0, received - samples), received + samples, seconds))

    def read(self, start: int, pcm: bytes, in_utterance: bool) -> list[Unheard]:
        """The VAD read ``pcm`` from sample ``start``, inside an open utterance or not; returns the verdicts of
        the windows that are over (read past their end and a pre-roll)."""
        end = start + len(pcm) // 2
        if not in_utterance:
            for window in self._windows:
                lo, hi = max(start, window.start), min(end, window.end)
                if lo < hi and level_dbfs(pcm16_to_float(pcm[(lo - start) * 2 : (hi - start) * 2])) >= SPEECH_DBFS:
                    window.loud.append((lo, hi))
        return self._judge(lambda window: end >= window.end + self._preroll)

    def in_window(self, start: int, end: int) -> bool:
        """Whether samples [start, end) overlap a window still to be judged (its loud audio is judged here)."""
        return any(start < window.end and window.start < end for window in self._windows)

    def heard_from(self, span_start: int) -> None:
        """An utterance opened, its audio starting at ``span_start``: loud audio from there on was heard."""
        for window in self._windows:
            window.loud = [(lo, min(hi, span_start)) for lo, hi in window.loud if lo < span_start]

    def finish(self) -> list[Unheard]:
        """End of stream: judge every window with what was read of it."""
        return self._judge(lambda _window: True)

    def _judge(self, over: Callable[[_Window], bool]) -> list[Unheard]:
        done: list[_Window] = []
        pending: list[_Window] = []
        for window in self._windows:
            (done if over(window) else pending).append(window)
        self._windows = pending
        verdicts = [Unheard(window.stall_seconds, sum(hi - lo for lo, hi in window.loud)) for window in done]
        return [verdict for verdict in verdicts if verdict.samples >= MIN_UNHEARD]
