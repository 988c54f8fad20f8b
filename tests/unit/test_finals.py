"""FinalWorker: one final per closed span, in order, with its own id; speculative passes; revisions; drops.

The model is a fake that reads the audio back: each second of the session's audio holds one sample value, and
the fake says the word for each second it hears ("w3 w4"), so a test sees exactly which audio a pass read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from dictate.server.events import EngineEvent, Final, SpeechDropped
from dictate.server.finals import ContextPolicy, FinalWorker, SessionAudio, keeps_context
from dictate.server.passes import PassResult
from dictate.server.utterances import Piece, Span, Timeline

SECOND = 16_000


class FakeModel:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.passes: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.drop_context = False
        self.prompted: dict[str, str] = {}  # what a pass favouring words hears instead of the key
        self.favoured: list[tuple[str, ...]] = []
        self.full_stop = False  # end every text with "." (as Whisper ends any audio that stops)

    def __call__(
        self, audio: np.ndarray, cancelled: Callable[[], bool], words: tuple[str, ...] = ()
    ) -> PassResult | None:
        self.gate.wait(10)
        if cancelled():
            return None
        time.sleep(self.delay)
        seconds = sorted({round(float(value) * 32768) for value in audio[:: SECOND // 4]} - {0})
        text = " ".join(f"w{second}" for second in seconds)
        if self.drop_context:
            text = text.split()[-1]
        if self.full_stop:
            text += "."
        if words:  # a command check: marked "?" in passes
            self.favoured.append(words)
            text = self.prompted.get(text, text)
        self.passes.append(f"?{text}" if words else text)
        return PassResult(text, "en", 1.0, audio.size / SECOND, self.delay)


_started: list[FinalWorker] = []


@pytest.fixture(autouse=True)
def _stop_workers() -> Iterator[None]:
    """A failed assertion must not leave a worker thread running (the test process would never exit)."""
    yield
    while _started:
        _started.pop().stop()


def session_audio(seconds: int) -> SessionAudio:
    audio = SessionAudio(keep=600 * SECOND)
    for second in range(seconds):
        audio.append(np.full(SECOND, second + 1, dtype=np.int16).tobytes())  # second n says "w{n+1}"
    return audio


def make_worker(
    model: FakeModel, timeline: Timeline | None = None, revisions: bool = False, commands: tuple[str, ...] = ()
) -> tuple[FinalWorker, list[EngineEvent]]:
    events: list[EngineEvent] = []
    worker = FinalWorker(
        model, session_audio(60), timeline or Timeline(preroll=0), events.append, ContextPolicy(2 * SECOND, 15 * SECOND)
    )
    worker.revisions = revisions
    worker.set_commands(commands)
    worker.start()
    _started.append(worker)
    return worker, events


def span(utterance_id: int, start: int, end: int, pause: int | None = None) -> Span:
    return Span(utterance_id, start * SECOND, end * SECOND, start * SECOND, pause, float(start), float(end))


def finals(events: list[EngineEvent]) -> list[Final]:
    return [event for event in events if isinstance(event, Final)]


def test_each_closed_span_gets_one_final_with_its_own_id_in_order_and_finish_waits_for_all() -> None:
    """Spans closed while an earlier pass still runs keep their ids (the old loop read the newest id)."""
    model = FakeModel(delay=0.2)
    worker, events = make_worker(model)
    for number, (start, end) in enumerate([(0, 2), (3, 5), (6, 8)], 1):
        worker.close(span(number, start, end))
    assert worker.wait_idle(10)  # all three, not only the last
    assert [(f.utterance_id, f.text) for f in finals(events)] == [(1, "w1 w2"), (2, "w4 w5"), (3, "w7 w8")]
    assert worker.coverage.holds and worker.coverage.final_samples == 6 * SECOND
    assert worker.stop() == []


def test_a_speculative_pass_is_the_final_when_no_speech_followed_the_pause() -> None:
    timeline = Timeline(preroll=0)
    model = FakeModel()
    worker, events = make_worker(model, timeline)
    timeline.speech_started(now=0.0)
    timeline.read(2 * SECOND)
    speculative = timeline.pause_started(now=2.0)
    assert speculative is not None
    worker.speculate(speculative)
    timeline.read(SECOND // 2)
    closed = timeline.speech_stopped(now=2.5)
    assert closed is not None
    worker.close(closed)
    assert worker.wait_idle(10)
    assert model.passes == ["w1 w2"]  # one pass: the speculative one
    assert [f.text for f in finals(events)] == ["w1 w2"]
    worker.stop()


def test_a_speculative_pass_made_stale_by_resumed_speech_is_not_used() -> None:
    timeline = Timeline(preroll=0)
    model = FakeModel()
    model.gate.clear()  # the pass waits for the model while speech resumes
    worker, events = make_worker(model, timeline)
    timeline.speech_started(now=0.0)
    timeline.read(2 * SECOND)
    stale = timeline.pause_started(now=2.0)
    assert stale is not None
    worker.speculate(stale)
    timeline.speech_resumed(now=2.1)
    timeline.read(2 * SECOND)
    closed = timeline.speech_stopped(now=4.0)
    assert closed is not None
    worker.close(closed)
    model.gate.set()
    assert worker.wait_idle(10)
    assert model.passes == ["w1 w2 w3 w4"]  # the stale pass was dropped before it reached the model
    assert [f.text for f in finals(events)] == ["w1 w2 w3 w4"]
    worker.stop()


def test_with_revisions_speech_after_a_short_pause_is_transcribed_with_the_previous_final_and_revises_it() -> None:
    model = FakeModel()
    worker, events = make_worker(model, revisions=True)
    worker.close(span(1, 0, 2))
    worker.close(span(2, 3, 5))  # speech 1 s after the first final's end: a thinking pause
    worker.close(span(3, 10, 12))  # 5 s later: a new thought
    assert worker.wait_idle(10)
    assert [(f.utterance_id, f.text, f.revises) for f in finals(events)] == [
        (1, "w1 w2", ()),
        (2, "w1 w2 w3 w4 w5", (1,)),  # the pause's audio too: Whisper hears one sentence
        (3, "w11 w12", ()),
    ]
    worker.stop()


def test_without_revisions_no_final_revises_another() -> None:
    worker, events = make_worker(FakeModel(), revisions=False)
    worker.close(span(1, 0, 2))
    worker.close(span(2, 3, 5))
    assert worker.wait_idle(10)
    assert [(f.text, f.revises) for f in finals(events)] == [("w1 w2", ()), ("w4 w5", ())]
    worker.stop()


def test_a_pass_with_context_that_lost_the_earlier_words_is_not_used_to_revise() -> None:
    model = FakeModel()
    worker, events = make_worker(model, revisions=True)
    worker.close(span(1, 0, 2))
    assert worker.wait_idle(10)
    model.drop_context = True  # the pass over both says only the last word
    worker.close(span(2, 3, 5))
    assert worker.wait_idle(10)
    assert [(f.text, f.revises) for f in finals(events)] == [("w1 w2", ()), ("w5", ())]
    worker.stop()


def test_a_cut_too_long_to_transcribe_together_mends_the_seam_by_revising_the_text_only() -> None:
    """A 20 s passage cut at 10 s: both halves do not fit one pass (15 s), so the second is transcribed alone,
    and it starts in lower case: the first half's full stop was only its audio ending, and goes."""
    model = FakeModel()
    model.full_stop = True
    worker, events = make_worker(model, revisions=True)
    worker.close(span(1, 0, 10, pause=10))
    worker.close(span(2, 10, 20))
    assert worker.wait_idle(10)
    first = " ".join(f"w{n}" for n in range(1, 11))
    second = " ".join(f"w{n}" for n in range(11, 21))
    assert [(f.utterance_id, f.text, f.revises) for f in finals(events)] == [
        (1, f"{first}.", ()),
        (2, f"{first} {second}.", (1,)),
    ]
    assert model.passes == [f"{first}.", f"{second}."]  # no pass more
    worker.close(span(3, 30, 32))  # 10 s later: a new thought, nothing to mend
    assert worker.wait_idle(10)
    assert (finals(events)[-1].text, finals(events)[-1].revises) == ("w31 w32.", ())
    worker.stop()


def test_a_seam_is_left_alone_without_revisions_or_when_nothing_needs_mending() -> None:
    model = FakeModel()
    worker, events = make_worker(model, revisions=False)
    model.full_stop = True
    worker.close(span(1, 0, 10, pause=10))
    worker.close(span(2, 10, 20))
    assert worker.wait_idle(10)
    assert [f.revises for f in finals(events)] == [(), ()]
    worker.stop()
    model = FakeModel()  # no full stop: nothing at the seam to mend
    worker, events = make_worker(model, revisions=True)
    worker.close(span(1, 0, 10, pause=10))
    worker.close(span(2, 10, 20))
    assert worker.wait_idle(10)
    assert [f.revises for f in finals(events)] == [(), ()]
    worker.stop()


def test_spans_still_pending_when_the_worker_stops_are_dropped_and_reported() -> None:
    model = FakeModel()
    model.gate.clear()
    worker, events = make_worker(model)
    worker.close(span(1, 0, 2))
    worker.close(span(2, 3, 6))
    assert not worker.wait_idle(0.2)
    assert worker.pending_seconds() == pytest.approx(5.0)
    model.gate.set()  # the pass under way may finish; the queued one is skipped
    dropped = worker.stop()
    worker.report_dropped(dropped, "too slow")
    assert worker.coverage.holds
    assert [e for e in events if isinstance(e, SpeechDropped)] == [
        SpeechDropped(tuple(s.utterance_id for s in dropped), sum(s.seconds for s in dropped), "too slow")
    ]
    assert len(finals(events)) + len(dropped) == 2


def test_keeps_context_compares_the_start_of_the_new_text_with_the_revised_finals() -> None:
    context = [Piece(1, 0, 1, 0, "And so my fellow Americans.")]
    assert keeps_context(context, "And so, my fellow Americans, ask not what your country")
    assert not keeps_context(context, "Ask not what your country can do for you.")
    assert not keeps_context(context, "Ask not.")  # lost the earlier speech
    assert keeps_context([Piece(1, 0, 1, 0, "It's not!")], "Ask not what your country can do for you.")


# Voice commands (protocol 1.3 start.commands). The fake model says "w4" for the 4th second; a check pass (the
# commands in the prompt) says what ``FakeModel.prompted`` maps that to.
COMMANDS = ("new line", "new paragraph")


def test_a_command_said_between_short_pauses_is_never_joined_to_its_neighbours() -> None:
    """ "Dear John, [pause] new paragraph [pause] I wanted": the command was decoded into one revising final
    with its neighbours ("Thank you. You pair a breath") and typed as text."""
    model = FakeModel()
    model.prompted = {"w4": "New paragraph."}  # alone and favoured, the 4th second is heard as the command
    worker, events = make_worker(model, revisions=True, commands=COMMANDS)
    worker.close(span(1, 0, 2))
    worker.close(span(2, 3, 4))  # 1 s after the first final: would revise it
    worker.close(span(3, 5, 6))  # 1 s after the command: would revise both
    worker.close(span(4, 7, 8))  # 1 s after utterance 3: joins it as usual
    assert worker.wait_idle(10)
    assert [(f.utterance_id, f.text, f.revises) for f in finals(events)] == [
        (1, "w1 w2", ()),
        (2, "New paragraph.", ()),  # the command alone
        (3, "w6", ()),  # nothing joins a command
        (4, "w6 w7 w8", (3,)),
    ]
    # every short span is checked first, and only a command's check is its final
    assert model.passes == ["?w1 w2", "w1 w2", "?New paragraph.", "?w6", "w6", "?w8", "w6 w7 w8"]
    assert set(model.favoured) == {COMMANDS}  # the phrases as the client sent them


def test_without_commands_the_same_speech_is_joined_and_nothing_is_checked() -> None:
    """The test above fails without the commands: the short span is transcribed with its neighbours."""
    model = FakeModel()
    model.prompted = {"w4": "New paragraph."}
    worker, events = make_worker(model, revisions=True)
    worker.close(span(1, 0, 2))
    worker.close(span(2, 3, 4))
    worker.close(span(3, 5, 6))
    assert worker.wait_idle(10)
    assert [(f.text, f.revises) for f in finals(events)] == [
        ("w1 w2", ()),
        ("w1 w2 w3 w4", (1,)),
        ("w1 w2 w3 w4 w5 w6", (2,)),  # final 2 stands for both
    ]
    assert model.passes == ["w1 w2", "w1 w2 w3 w4", "w1 w2 w3 w4 w5 w6"]


def test_a_short_span_whose_check_is_no_command_gets_the_usual_pass() -> None:
    model = FakeModel()
    model.prompted = {"w4": "New line of code."}  # the prompt's bias is never typed
    worker, events = make_worker(model, revisions=True, commands=COMMANDS)
    worker.close(span(1, 0, 2))
    worker.close(span(2, 3, 4))
    assert worker.wait_idle(10)
    assert [(f.text, f.revises) for f in finals(events)] == [("w1 w2", ()), ("w1 w2 w3 w4", (1,))]
    assert model.passes == ["?w1 w2", "w1 w2", "?New line of code.", "w1 w2 w3 w4"]


def test_long_speech_is_never_checked() -> None:
    model = FakeModel()
    worker, _events = make_worker(model, revisions=True, commands=COMMANDS)
    worker.close(span(1, 0, 3))  # 3 s of speech: longer than any command
    assert worker.wait_idle(10)
    assert model.passes == ["w1 w2 w3"]


def test_a_command_without_context_is_not_joined_by_the_next_span() -> None:
    model = FakeModel()
    model.prompted = {"w4": "new line"}
    worker, events = make_worker(model, revisions=True, commands=COMMANDS)
    worker.close(span(1, 3, 4))
    worker.close(span(2, 5, 6))
    assert worker.wait_idle(10)
    assert [(f.text, f.revises) for f in finals(events)] == [("new line", ()), ("w6", ())]


def paused_span(timeline: Timeline, worker: FinalWorker, start: int, end: int) -> None:
    """Silence up to ``start``, speech to ``end``, a pause (speculative pass), then the close."""
    timeline.read(start * SECOND - timeline.position)
    timeline.speech_started(now=float(start))
    timeline.read((end - start) * SECOND)
    speculative = timeline.pause_started(now=float(end))
    assert speculative is not None
    worker.speculate(speculative)
    timeline.read(SECOND // 2)
    closed = timeline.speech_stopped(now=end + 0.5)
    assert closed is not None
    worker.close(closed)


@pytest.mark.parametrize(
    ("heard", "passes"),
    [("New paragraph.", ["?w1 w2", "w1 w2", "?New paragraph."]), ("w4", ["?w1 w2", "w1 w2", "?w4", "w1 w2 w3 w4"])],
)
def test_the_speculative_passes_are_the_final_passes_for_a_command_and_for_text(heard: str, passes: list[str]) -> None:
    timeline = Timeline(preroll=0)
    model = FakeModel()
    model.prompted = {"w4": heard}
    worker, events = make_worker(model, timeline, revisions=True, commands=COMMANDS)
    paused_span(timeline, worker, 0, 2)
    paused_span(timeline, worker, 3, 4)
    assert worker.wait_idle(10)
    assert model.passes == passes  # no pass made twice
    assert finals(events)[-1].text == passes[-1].lstrip("?")
