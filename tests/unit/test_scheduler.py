"""The model scheduler's priority rules, with an injected pass (no model): finals first, interims never wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest

from dictate.server.model.pass_types import PassOptions, PassResult, Transcription
from dictate.server.model.scheduler import ModelScheduler

ONE_SECOND = np.zeros(16000, dtype=np.float32)
WAIT = 10.0  # generous: these tests never measure time, they only avoid hanging forever


class GatedModel:
    """A stand-in pass that records each call and, while ``gate`` is shut, blocks inside the model."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.inside = threading.Semaphore(0)  # released once per call that reached the model
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, audio: np.ndarray, final: bool, language: str | None, options: PassOptions) -> Transcription:
        kind = "final" if final else "interim"
        self.calls.append(kind)
        self.inside.release()
        assert self.gate.wait(WAIT)
        return Transcription(f"{kind} {audio.size}", language, 0.5)


@pytest.fixture()
def model() -> GatedModel:
    return GatedModel()


@pytest.fixture()
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as executor:
        yield executor


def busy_with_final(
    scheduler: ModelScheduler, model: GatedModel, pool: ThreadPoolExecutor
) -> Future[PassResult | None]:
    """A final pass that is inside the model until ``model.gate`` opens."""
    model.gate.clear()
    running = pool.submit(scheduler.run_final, ONE_SECOND)
    assert model.inside.acquire(timeout=WAIT)
    return running


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def test_an_idle_model_runs_an_interim_and_reports_what_it_cost(model: GatedModel) -> None:
    result = ModelScheduler(model).run_interim(ONE_SECOND, "en")
    assert result is not None
    assert (result.text, result.language, result.language_probability) == ("interim 16000", "en", 0.5)
    assert result.audio_seconds == 1.0 and result.compute_seconds >= 0
    assert model.calls == ["interim"]


def test_an_interim_is_skipped_not_queued_while_the_model_is_busy(model: GatedModel, pool: ThreadPoolExecutor) -> None:
    scheduler = ModelScheduler(model)
    running = busy_with_final(scheduler, model, pool)
    assert scheduler.run_interim(ONE_SECOND) is None  # returns at once, never reaches the model
    model.gate.set()
    assert running.result(WAIT) is not None
    assert model.calls == ["final"]


def test_a_final_waits_for_the_slot_and_then_runs(model: GatedModel, pool: ThreadPoolExecutor) -> None:
    scheduler = ModelScheduler(model)
    first = busy_with_final(scheduler, model, pool)
    second = pool.submit(scheduler.run_final, ONE_SECOND)
    until(lambda: scheduler.finals_waiting == 1)
    assert not second.done()
    model.gate.set()
    assert first.result(WAIT) is not None and second.result(WAIT) is not None
    assert model.calls == ["final", "final"]


def test_a_waiting_final_goes_ahead_of_every_interim(model: GatedModel, pool: ThreadPoolExecutor) -> None:
    scheduler = ModelScheduler(model, workers=2)
    model.gate.clear()
    first = pool.submit(scheduler.run_final, ONE_SECOND)
    interim = pool.submit(scheduler.run_interim, ONE_SECOND)  # two slots: runs beside the final
    assert model.inside.acquire(timeout=WAIT) and model.inside.acquire(timeout=WAIT)
    waiting = pool.submit(scheduler.run_final, ONE_SECOND)
    until(lambda: scheduler.finals_waiting == 1)
    assert scheduler.run_interim(ONE_SECOND) is None  # a final is waiting: the interim would delay it
    model.gate.set()
    assert first.result(WAIT) and interim.result(WAIT) and waiting.result(WAIT)
    assert sorted(model.calls) == ["final", "final", "interim"]


def test_a_final_cancelled_while_waiting_never_reaches_the_model(model: GatedModel, pool: ThreadPoolExecutor) -> None:
    scheduler = ModelScheduler(model)
    running = busy_with_final(scheduler, model, pool)
    speech_resumed = threading.Event()
    stale = pool.submit(scheduler.run_final, ONE_SECOND, None, speech_resumed.is_set)
    until(lambda: scheduler.finals_waiting == 1)
    speech_resumed.set()
    assert stale.result(WAIT) is None
    assert scheduler.finals_waiting == 0
    model.gate.set()
    assert running.result(WAIT) is not None
    assert model.calls == ["final"]
    assert scheduler.run_interim(ONE_SECOND) is not None  # the slot was given back


def test_a_final_cancelled_before_it_starts_is_dropped_even_with_a_free_slot(model: GatedModel) -> None:
    assert ModelScheduler(model).run_final(ONE_SECOND, cancelled=lambda: True) is None
    assert model.calls == []


def test_a_failing_pass_gives_its_slot_back(model: GatedModel) -> None:
    def broken(audio: np.ndarray, final: bool, language: str | None, options: PassOptions) -> Transcription:
        raise RuntimeError("model failed")

    scheduler = ModelScheduler(broken)
    with pytest.raises(RuntimeError, match="model failed"):
        scheduler.run_final(ONE_SECOND)
    with pytest.raises(RuntimeError, match="model failed"):
        scheduler.run_interim(ONE_SECOND)  # not skipped: the slot is free again


def test_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ModelScheduler(GatedModel(), workers=0)


def test_each_pass_carries_its_sessions_options(model: GatedModel) -> None:
    seen: list[tuple[bool, PassOptions]] = []

    def recording(audio: np.ndarray, final: bool, language: str | None, options: PassOptions) -> Transcription:
        seen.append((final, options))
        return Transcription("text", language, 0.5)

    scheduler = ModelScheduler(recording)
    cards = PassOptions(vocabulary=("clubs", "spades"))
    scheduler.run_final(ONE_SECOND, options=cards)
    scheduler.run_interim(ONE_SECOND)
    scheduler.run_interim(ONE_SECOND, options=cards)
    assert seen == [(True, cards), (False, PassOptions()), (False, cards)]
    assert cards.prompt == "Vocabulary: clubs, spades." and PassOptions().prompt is None


def test_an_idle_pass_waits_for_a_free_model_and_never_goes_ahead_of_a_final(
    model: GatedModel, pool: ThreadPoolExecutor
) -> None:
    scheduler = ModelScheduler(model)
    running = busy_with_final(scheduler, model, pool)
    idle = pool.submit(scheduler.run_idle, ONE_SECOND)
    waiting = pool.submit(scheduler.run_final, ONE_SECOND)
    until(lambda: scheduler.finals_waiting == 1)
    assert not idle.done()
    model.gate.set()
    idle_result, final_result = idle.result(WAIT), waiting.result(WAIT)
    assert running.result(WAIT) is not None and final_result is not None and idle_result is not None
    assert idle_result.text == "interim 16000" and model.calls[:2] == ["final", "final"]


def test_an_idle_pass_gives_up_when_cancelled_or_out_of_time(model: GatedModel, pool: ThreadPoolExecutor) -> None:
    scheduler = ModelScheduler(model)
    running = busy_with_final(scheduler, model, pool)
    closing = threading.Event()
    cancelled = pool.submit(scheduler.run_idle, ONE_SECOND, closing.is_set)
    assert scheduler.run_idle(ONE_SECOND, wait=0.0) is None  # no wait at all: one try
    closing.set()
    assert cancelled.result(WAIT) is None
    model.gate.set()
    assert running.result(WAIT) is not None and model.calls == ["final"]
