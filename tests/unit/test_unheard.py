"""Speech that no utterance covers (``live/unheard.py``, ``live/stalls.py``), through the live core.

A stall (issue 20 item 10): the loop stalls, the session tells the core (``Stalled``), then the burst of audio is
read. Loud audio in it that no utterance covers is reported as dropped and booked; a silent session, or speech the
VAD heard, is told nothing.

Speech the VAD did not take for speech (issue 18): loud audio outside any utterance is checked by one idle pass;
words in it are reported as dropped, with their text, and booked; no words, nothing said. Quiet rooms, clicks and
speech the VAD heard ask for no check, and the checks' cost is bounded.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tests.live import RULES, SECOND

from dictate.server.live.core import LiveCore
from dictate.server.live.inputs import (
    AudioRead,
    AudioReceived,
    EndOfStream,
    GiveUp,
    Input,
    PassDone,
    PassFailed,
    Stalled,
    VoicePaused,
    VoiceResumed,
    VoiceStarted,
    VoiceStopped,
)
from dictate.server.live.outputs import CancelPass, Final, Output, PassRequest, Priority, Purpose, SpeechDropped
from dictate.server.live.unheard import CHECK_ALLOWANCE, CHECK_SHARE, MAX_CHECK
from dictate.server.model.pass_types import PassResult

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
        self.checks: list[PassRequest] = []  # check passes asked for, oldest first

    def send(self, item: Input) -> list[Output]:
        out = self.core.handle(item)
        self.dropped += [o for o in out if isinstance(o, SpeechDropped)]
        self.checks += [o for o in out if isinstance(o, PassRequest) and o.purpose is Purpose.UNHEARD]
        return out

    def unheard_bursts(self, count: int) -> None:
        """``count`` seconds of speech-level audio the VAD ignores, each followed by 1.5 s of digital silence."""
        for _ in range(count):
            self.vad_reads(1.0, -25.0)
            self.vad_reads(1.5, None)

    def answer(self, check: PassRequest, text: str | None) -> list[Output]:
        """The check pass comes back with ``text`` (None: it could not run)."""
        result = None if text is None else PassResult(text, "en", 1.0, check.audio.size / SECOND, 0.1)
        return self.send(PassDone(check.pass_id, result))

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


def test_loud_audio_the_vad_did_not_hear_is_checked_and_its_words_reported_dropped() -> None:
    session = Session(preroll=SECOND)
    session.receive(6.0)
    session.vad_reads(1.0, None)
    session.vad_reads(1.5, -25.0)  # speech level; no utterance opened
    session.vad_reads(0.9, None)
    assert session.checks == []  # an utterance opened within the pre-roll would still cover it
    session.vad_reads(0.2, None)
    (check,) = session.checks
    assert check.priority is Priority.IDLE
    ((start, end),) = check.ranges  # the loud stretch and a fifth of a second around it
    assert abs(start - 0.8 * SECOND) <= CHUNK and abs(end - 2.7 * SECOND) <= CHUNK, check.ranges
    assert check.audio.size == end - start
    session.send(EndOfStream(3.2))
    assert not session.core.settled  # the check is not back yet
    session.answer(check, " is to be  ill-disposed. ")
    (dropped,) = session.dropped
    assert dropped.utterance_ids == () and abs(dropped.seconds - 1.5) < 0.05, dropped
    assert '"is to be ill-disposed."' in dropped.reason and "voice detector" in dropped.reason
    assert abs(session.core.coverage.unheard_samples - 1.5 * SECOND) < CHUNK
    assert "1.5 s of speech not heard" in session.core.coverage.summary()
    assert session.core.settled


@pytest.mark.parametrize("text", ["", "  ", " ... ", None])
def test_a_check_that_finds_no_words_or_cannot_run_reports_nothing(text: str | None) -> None:
    session = Session(preroll=SECOND)
    session.receive(4.0)
    session.vad_reads(1.0, -30.0)  # a door, a cough, music without words
    session.vad_reads(1.5, None)
    (check,) = session.checks
    session.answer(check, text)
    session.send(EndOfStream(2.5))
    assert session.dropped == [] and session.core.coverage.unheard_samples == 0 and session.core.settled


def test_a_failed_check_is_a_check_skipped() -> None:
    session = Session(preroll=SECOND)
    session.vad_reads(1.0, -30.0)
    session.vad_reads(1.5, None)
    (check,) = session.checks
    assert session.send(PassFailed(check.pass_id, "out of memory")) == []
    assert not session.core.failed and session.dropped == []


@pytest.mark.parametrize("level", [None, -60.0, -50.0])
def test_quiet_rooms_and_clicks_ask_for_no_check(level: float | None) -> None:
    session = Session(preroll=SECOND)
    session.vad_reads(3.0, level)
    session.vad_reads(0.2, -20.0)  # a click: under a third of a second of loud audio
    session.vad_reads(3.0, level)
    session.send(EndOfStream(6.2))
    assert session.checks == [] and session.core.settled


def test_speech_the_vad_heard_asks_for_no_check() -> None:
    session = Session(preroll=SECOND)
    session.vad_reads(1.0, None)
    session.vad_reads(0.3, -25.0)  # heard late: the utterance's pre-roll reaches back over it
    session.send(VoiceStarted(1.3))
    session.vad_reads(2.0, -25.0)
    session.send(VoiceStopped(3.3))
    session.vad_reads(0.2, -25.0)  # the word's tail, read after the utterance closed: under the minimum
    session.vad_reads(2.0, None)
    assert session.checks == []


def test_the_end_of_the_stream_checks_the_stretch_so_far() -> None:
    session = Session(preroll=SECOND)
    session.vad_reads(1.0, None)
    session.vad_reads(0.6, -25.0)
    assert session.checks == []
    session.send(EndOfStream(1.6))
    (check,) = session.checks
    assert check.ranges[0][1] == round(1.6 * SECOND / CHUNK) * CHUNK  # not past what was read


def test_a_long_loud_stretch_is_checked_piece_by_piece_within_a_budget() -> None:
    session = Session(preroll=SECOND)
    minutes = 3
    session.receive(minutes * 60.0)
    answered = 0
    for _ in range(minutes * 40):  # speech-level bursts the VAD ignores, over a quiet room
        session.vad_reads(1.0, -25.0)
        session.vad_reads(0.5, -60.0)
        for check in session.checks[answered:]:  # each comes back empty at once
            answered += 1
            session.answer(check, "")
    assert all(end - start <= MAX_CHECK for check in session.checks for start, end in check.ranges)
    checked = sum(end - start for check in session.checks for start, end in check.ranges)
    assert 2 * MAX_CHECK < checked <= CHECK_ALLOWANCE + CHECK_SHARE * minutes * 60 * SECOND
    assert session.dropped == []


@pytest.mark.parametrize("dbfs", [-40.0, -30.0])
def test_a_steady_noise_is_the_floor_not_speech(dbfs: float) -> None:
    """A fan or a street at speech level: loud only until the floor is known (a second), then never again."""
    session = Session(preroll=SECOND)
    session.receive(62.0)
    session.vad_reads(60.0, dbfs)
    assert len(session.checks) <= 1
    for check in session.checks:
        session.answer(check, "")
    session.vad_reads(0.6, dbfs + 20)  # a voice over it
    session.vad_reads(1.5, dbfs)
    assert len(session.checks) == 2 and session.checks[-1].ranges[0][0] >= 59 * SECOND


def test_one_check_at_a_time() -> None:
    session = Session(preroll=SECOND)
    session.receive(10.0)
    session.unheard_bursts(3)
    (first,) = session.checks  # the others wait for it
    session.answer(first, "")
    assert len(session.checks) == 2
    session.answer(session.checks[1], "words")
    assert len(session.checks) == 3 and len(session.dropped) == 1


def test_stall_audio_is_judged_once() -> None:
    session = Session(preroll=SECOND)
    stall_then_burst(session, burst_dbfs=-25.0)
    session.send(EndOfStream(9.0))
    assert len(session.dropped) == 1 and session.checks == []  # the stall's verdict; no check of the same audio


def test_words_in_the_closing_pause_of_an_utterance_are_in_its_final() -> None:
    """The final is the pass up to where the pause began: a word the VAD took for that pause's silence would be in
    none, so the final reads the pause too."""
    session = Session(preroll=SECOND)
    session.vad_reads(0.5, None)
    session.send(VoiceStarted(0.5))
    session.vad_reads(2.0, -25.0)
    out = session.send(VoicePaused(2.5))
    (speculative,) = [o for o in out if isinstance(o, PassRequest)]
    assert speculative.purpose is Purpose.SPECULATIVE and abs(speculative.ranges[0][1] - 2.5 * SECOND) < CHUNK
    session.vad_reads(1.0, -25.0)  # "is to be ill-disposed", scored as silence
    session.vad_reads(1.5, None)
    session.send(VoiceStopped(5.0))
    out = session.send(PassDone(speculative.pass_id, PassResult("unless to be", "en", 1.0, 2.5, 0.1)))
    (final,) = [o for o in out if isinstance(o, PassRequest)]
    assert final.purpose is Purpose.FINAL and final.ranges == ((0, session.read),)
    session.vad_reads(2.0, None)
    assert session.checks == []  # nothing left outside


def test_a_quiet_closing_pause_keeps_the_speculative_final() -> None:
    session = Session(preroll=SECOND)
    session.vad_reads(0.5, None)
    session.send(VoiceStarted(0.5))
    session.vad_reads(2.0, -25.0)
    (speculative,) = [o for o in session.send(VoicePaused(2.5)) if isinstance(o, PassRequest)]
    session.vad_reads(0.2, -25.0)  # the word's tail: under a third of a second
    session.vad_reads(2.3, -60.0)
    session.send(VoiceStopped(5.0))
    out = session.send(PassDone(speculative.pass_id, PassResult("unless to be", "en", 1.0, 2.5, 0.1)))
    assert [o.text for o in out if isinstance(o, Final)] == ["unless to be"]


def test_a_pause_that_speech_resumes_after_is_heard() -> None:
    session = Session(preroll=SECOND)
    session.send(VoiceStarted(0.0))
    session.vad_reads(2.0, -25.0)
    session.send(VoicePaused(2.0))
    session.vad_reads(0.6, -25.0)  # loud, and part of the utterance: a joined pass reads it
    session.send(VoiceResumed(2.6))
    session.vad_reads(1.0, -25.0)
    session.send(VoiceStopped(3.6))
    session.vad_reads(2.0, None)
    assert session.checks == []


def test_a_recordings_hiss_far_under_its_speech_is_not_speech() -> None:
    """The JFK clip: hiss at -41 dBFS between sentences peaking at -11, after a client's digital silence (no
    floor to learn from): its pauses are neither read by the final nor checked."""
    session = Session(preroll=SECOND)
    session.vad_reads(1.0, None)
    session.send(VoiceStarted(1.0))
    session.vad_reads(3.0, -11.0)
    (speculative,) = [o for o in session.send(VoicePaused(4.0)) if isinstance(o, PassRequest)]
    session.vad_reads(0.5, -41.0)
    session.send(VoiceStopped(4.5))
    out = session.send(PassDone(speculative.pass_id, PassResult("and so my fellow americans", "en", 1.0, 3.0, 0.1)))
    assert [o.text for o in out if isinstance(o, Final)] == ["and so my fellow americans"]
    session.vad_reads(2.0, -41.0)
    session.send(EndOfStream(6.5))
    assert session.checks == []


def test_giving_up_at_the_end_does_not_wait_for_checks() -> None:
    session = Session(preroll=SECOND)
    session.receive(8.0)
    session.unheard_bursts(2)
    (check,) = session.checks  # the second waits for it
    session.send(EndOfStream(5.0))
    assert not session.core.settled
    out = session.send(GiveUp("not transcribed within 10 s of the end of the stream"))
    assert [o for o in out if isinstance(o, CancelPass)] == [CancelPass(check.pass_id)]
    assert session.core.settled and session.dropped == []
    assert session.answer(check, "words") == []  # a result after that is not used
