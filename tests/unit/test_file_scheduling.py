"""File windows (/v1/audio/transcriptions) run below live sessions: the scheduler's rules with injected passes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from tests.unit.test_scheduler import ONE_SECOND, WAIT, GatedModel, busy_with_final, until

from dictate.server.model.scheduler import ModelScheduler
from dictate.server.uploads.formats import FileOptions, Segment, WindowTranscript

OPTIONS = FileOptions(language="en")


class FileModel(GatedModel):
    """GatedModel that also transcribes file windows (recorded as 'file')."""

    def window(self, audio: np.ndarray, options: FileOptions) -> WindowTranscript:
        self.calls.append("file")
        self.inside.release()
        assert self.gate.wait(WAIT)
        return WindowTranscript((Segment(0.0, audio.size / 16000, f"file {audio.size}"),), options.language)


@pytest.fixture()
def model() -> FileModel:
    return FileModel()


@pytest.fixture()
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as executor:
        yield executor


def scheduler_of(model: FileModel, workers: int = 1) -> ModelScheduler:
    return ModelScheduler(model, workers=workers, transcribe_window=model.window)


def test_an_idle_model_runs_a_file_window(model: FileModel) -> None:
    result = scheduler_of(model).run_file_window(ONE_SECOND, OPTIONS)
    assert result is not None and result.segments[0].text == "file 16000"


def test_a_file_window_waits_while_a_live_utterance_is_open(model: FileModel, pool: ThreadPoolExecutor) -> None:
    scheduler = scheduler_of(model, workers=2)  # a free slot is not enough
    speaking = threading.Event()
    speaking.set()
    scheduler.watch_live(speaking.is_set)
    window = pool.submit(scheduler.run_file_window, ONE_SECOND, OPTIONS)
    assert scheduler.run_interim(ONE_SECOND) is not None  # the live session's passes run meanwhile
    assert scheduler.run_final(ONE_SECOND) is not None
    assert not window.done() and model.calls == ["interim", "final"]
    speaking.clear()  # its final text is out
    assert window.result(WAIT) is not None
    assert model.calls == ["interim", "final", "file"]


def test_a_waiting_final_goes_ahead_of_a_waiting_file_window(model: FileModel, pool: ThreadPoolExecutor) -> None:
    scheduler = scheduler_of(model)
    running = busy_with_final(scheduler, model, pool)
    window = pool.submit(scheduler.run_file_window, ONE_SECOND, OPTIONS)
    final = pool.submit(scheduler.run_final, ONE_SECOND)
    until(lambda: scheduler.finals_waiting == 1)
    model.gate.set()
    assert running.result(WAIT) and final.result(WAIT) and window.result(WAIT)
    assert model.calls == ["final", "final", "file"]


def test_a_file_window_holds_the_slot_only_for_itself(model: FileModel, pool: ThreadPoolExecutor) -> None:
    """A live final that arrives while a window runs waits for that one window, not the whole file."""
    scheduler = scheduler_of(model)
    model.gate.clear()
    window = pool.submit(scheduler.run_file_window, ONE_SECOND, OPTIONS)
    assert model.inside.acquire(timeout=WAIT)
    final = pool.submit(scheduler.run_final, ONE_SECOND)
    next_window = pool.submit(scheduler.run_file_window, ONE_SECOND, OPTIONS)
    until(lambda: scheduler.finals_waiting == 1)
    model.gate.set()
    assert window.result(WAIT) and final.result(WAIT) and next_window.result(WAIT)
    assert model.calls == ["file", "final", "file"]


def test_a_cancelled_file_window_never_reaches_the_model(model: FileModel) -> None:
    scheduler = scheduler_of(model)
    scheduler.watch_live(lambda: True)
    gone = threading.Event()
    gone.set()
    assert scheduler.run_file_window(ONE_SECOND, OPTIONS, cancelled=gone.is_set) is None
    assert model.calls == []


def test_an_ended_session_holds_back_no_file_window(model: FileModel) -> None:
    scheduler = scheduler_of(model)
    unwatch = scheduler.watch_live(lambda: True)  # a session that ended mid-utterance
    assert scheduler.live_busy
    unwatch()
    assert not scheduler.live_busy
    assert scheduler.run_file_window(ONE_SECOND, OPTIONS) is not None
