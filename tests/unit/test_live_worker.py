"""The live worker, the core's thread shell: real threads and queues, a fake model (no RealtimeSTT, no Whisper).
Waits are on events with generous deadlines, never on fixed sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest
from tests.live import RULES, SECOND, FakeModel, second_of_audio

from dictate.server.live.core import LiveCore
from dictate.server.live.inputs import (
    AudioRead,
    EndOfStream,
    Input,
    TurnJudged,
    VoicePaused,
    VoiceResumed,
    VoiceStarted,
)
from dictate.server.live.outputs import (
    EngineEvent,
    EngineFailed,
    Final,
    JudgeTurn,
    Output,
    PassRequest,
    Purpose,
    StopRecording,
)
from dictate.server.live.worker import LiveWorker
from dictate.server.model.pass_types import PassResult

DEADLINE = 30.0


class GatedTranscriber:
    """The fake model behind a gate: a speculative pass waits (like a final waiting for the shared model's slot)
    until the gate opens or the pass is cancelled."""

    def __init__(self) -> None:
        self.model = FakeModel()
        self.gate = threading.Event()
        self.waiting = threading.Event()
        self.cancelled: list[int] = []
        self.fail = False

    def transcribe(self, request: PassRequest, cancelled: Callable[[], bool]) -> PassResult | None:
        if self.fail:
            raise RuntimeError("the model fell over")
        if request.purpose is Purpose.SPECULATIVE:
            self.waiting.set()
            while not self.gate.wait(0.01):
                if cancelled():
                    self.cancelled.append(request.pass_id)
                    return None
        return self.model(request)


def seconds_read(start: int, end: int) -> list[Input]:
    return [AudioRead(second_of_audio(index), float(index + 1)) for index in range(start, end)]


def run(worker: LiveWorker, inputs: list[Input]) -> None:
    for item in inputs:
        worker.put(item)


def test_the_worker_runs_the_passes_the_core_asks_for_and_cancels_a_stale_one() -> None:
    events: list[EngineEvent] = []
    transcriber = GatedTranscriber()
    worker = LiveWorker(LiveCore(RULES), transcriber, events.append, name="test")
    worker.start()
    try:
        run(worker, [VoiceStarted(0.0), *seconds_read(0, 2), VoicePaused(2.0)])
        assert transcriber.waiting.wait(DEADLINE)  # the speculative pass waits for the model
        assert worker.in_utterance
        run(worker, [VoiceResumed(2.1), *seconds_read(2, 3), EndOfStream(3.0)])
        assert worker.wait_settled(DEADLINE)
    finally:
        coverage = worker.close()
    assert transcriber.cancelled == [1]
    assert [(e.utterance_id, e.text) for e in events if isinstance(e, Final)] == [(1, "w1 w2 w3")]
    assert transcriber.model.passes == ["w1 w2 w3"]
    assert coverage.holds and coverage.final_samples == 3 * SECOND and not worker.in_utterance


def test_a_failing_final_pass_fails_the_session_once_and_close_still_joins_everything() -> None:
    events: list[EngineEvent] = []
    transcriber = GatedTranscriber()
    transcriber.fail = True
    worker = LiveWorker(LiveCore(RULES), transcriber, events.append, name="test")
    worker.start()
    run(worker, [VoiceStarted(0.0), *seconds_read(0, 1), EndOfStream(1.0)])
    assert worker.wait_settled(DEADLINE)
    worker.close()
    worker.close()  # idempotent
    assert events[-1] == EngineFailed("speech recognition failed: the model fell over")
    assert not [
        thread for thread in threading.enumerate() if thread.name.startswith("dictate-") and "test" in thread.name
    ]


class AsksTheTurnModel(LiveCore):
    """A core that asks the end-of-turn model at the first input and records the answers it is given."""

    def __init__(self) -> None:
        super().__init__(RULES)
        self.answers: list[TurnJudged] = []
        self.answered = threading.Event()

    def handle(self, event: Input) -> list[Output]:
        if isinstance(event, TurnJudged):
            self.answers.append(event)
            self.answered.set()
            return []
        return [JudgeTurn(7, np.ones(SECOND, np.float32))]


@pytest.mark.parametrize("fails", [False, True])
def test_the_turn_lane_asks_the_model_and_hands_its_answer_back_none_when_it_failed(fails: bool) -> None:
    heard: list[int] = []

    def judge(audio: np.ndarray) -> float:
        heard.append(audio.size)
        if fails:
            raise RuntimeError("onnxruntime fell over")
        return 0.25

    core = AsksTheTurnModel()
    worker = LiveWorker(core, GatedTranscriber(), lambda _event: None, name="test", judge=judge)
    worker.start()
    try:
        worker.put(VoiceStarted(0.0))
        assert core.answered.wait(DEADLINE)
    finally:
        worker.close()
    assert heard == [SECOND]
    assert core.answers == [TurnJudged(7, None if fails else 0.25)]


def test_the_cores_early_end_stops_the_vads_recording() -> None:
    class EndsEarly(LiveCore):
        def handle(self, event: Input) -> list[Output]:
            return [StopRecording()]

    stopped = threading.Event()
    worker = LiveWorker(EndsEarly(RULES), GatedTranscriber(), lambda _event: None, stop_recording=stopped.set)
    worker.start()
    try:
        worker.put(VoiceStarted(0.0))
        assert stopped.wait(DEADLINE)
    finally:
        worker.close()
