"""Speech a stall of the server hid from the VAD (issue 20 item 10, ``live/stalls.py``), through the live core.

The loop stalls, the session tells the core (``Stalled``), then the burst of audio is read. Loud audio in it that
no utterance covers is reported as dropped and booked; a silent session, or speech the VAD heard, is told nothing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from tests.live import RULES, SECOND

from dictate.server.live.core import LiveCore
from dictate.server.live.inputs import AudioRead, AudioReceived, EndOfStream, Input, Stalled, VoiceStarted
from dictate.server.live.outputs import Output, SpeechDropped

CHUNK = 512  # RealtimeSTT's


def chunk(dbfs: float | None) -> bytes:
    """32 ms of a 200 Hz tone at ``dbfs`` (RMS), or of digital silence (None)."""
    if dbfs is None:
        return bytes(CHUNK * 2)
    tone = np.sin(2 * np.pi * 200 * np.arange(CHUNK) / SECOND) * np.sqrt(2) * 10 ** (dbfs / 20) * 32768
    return tone.astype(np.int16).tobytes()


class Session:
    def __init__(self, preroll: int = 0) -> None:
        self.core = LiveCore(replace(RULES, preroll=preroll), name="test")
        self.read = 0
        self.dropped: list[SpeechDropped] = []

    def send(self, item: Input) -> list[Output]:
        out = self.core.handle(item)
        self.dropped += [o for o in out if isinstance(o, SpeechDropped)]
        return out

    def receive(self, seconds: float) -> None:
        self.send(AudioReceived(round(seconds * SECOND)))

    def vad_reads(self, seconds: float, dbfs: float | None) -> None:
        for _ in range(round(seconds * SECOND / CHUNK)):
            self.send(AudioRead(chunk(dbfs), self.read / SECOND))
            self.read += CHUNK


def stall_then_burst(session: Session, burst_dbfs: float | None) -> None:
    """2 s read as they came, a 3 s stall, then its 3 s of audio in one burst and 2 s more."""
    session.receive(2.0)
    session.vad_reads(2.0, None)
    session.send(Stalled(3 * SECOND, 3.0))
    session.receive(5.0)
    session.vad_reads(3.0, burst_dbfs)
    session.vad_reads(2.0, None)


def test_speech_in_the_burst_that_no_utterance_covers_is_reported_dropped_and_booked() -> None:
    session = Session()
    stall_then_burst(session, burst_dbfs=-25.0)  # speech level; the VAD opened nothing
    (dropped,) = session.dropped
    assert dropped.utterance_ids == () and abs(dropped.seconds - 3.0) < 0.05, dropped
    assert "stalled for 3.0 s" in dropped.reason and "3.0 s of speech" in dropped.reason
    assert abs(session.core.coverage.unheard_samples - 3 * SECOND) < CHUNK
    assert "not heard" in session.core.coverage.summary()


def test_a_session_silent_through_the_stall_is_told_nothing() -> None:
    for level in (None, -60.0):  # digital silence, a quiet room
        session = Session()
        stall_then_burst(session, burst_dbfs=level)
        session.send(EndOfStream(9.0))
        assert session.dropped == [] and session.core.coverage.unheard_samples == 0


def test_speech_the_vad_heard_in_the_burst_is_not_reported() -> None:
    session = Session(preroll=SECOND)
    session.receive(2.0)
    session.vad_reads(2.0, None)
    session.send(Stalled(2 * SECOND, 2.0))
    session.receive(4.0)
    session.vad_reads(0.5, -25.0)  # the VAD hears speech half a second in: its span reaches back over it
    session.send(VoiceStarted(2.5))
    session.vad_reads(1.5, -25.0)
    session.vad_reads(2.0, None)
    assert session.dropped == [] and session.core.coverage.unheard_samples == 0


def test_a_stream_that_ends_inside_the_window_is_judged_with_what_was_read() -> None:
    session = Session()
    session.receive(1.0)
    session.vad_reads(1.0, None)
    session.send(Stalled(2 * SECOND, 2.0))
    session.receive(1.0)
    session.vad_reads(1.0, -25.0)
    assert session.dropped == []  # the window (to 3 s) is not over yet
    session.send(EndOfStream(2.0))
    (dropped,) = session.dropped
    assert abs(dropped.seconds - 1.0) < 0.05
