"""File windows (/v1/audio/transcriptions) run below live sessions: the scheduler's rules with injected passes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from tests.unit.test_scheduler import ONE_SECOND, WAIT, GatedModel, busy_with_final, until

from dictate.server.model.scheduler import Busy, ModelScheduler
from dictate.server.uploads.formats import FileOptions, Segment, WindowTranscript
from dictate.server.uploads.jobs import FileJobLimits

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


def test_try_file_window_never_waits_while_live_speech_holds_the_model(model: FileModel) -> None:
    """The service waits for a window's turn on its event loop, not in a thread (issue 20 item 8: six waiting
    windows held every thread of asyncio's pool and wedged the live session that would have freed them)."""
    scheduler = scheduler_of(model)
    speaking = threading.Event()
    speaking.set()
    scheduler.watch_live(speaking.is_set)
    assert isinstance(scheduler.try_file_window(ONE_SECOND, OPTIONS), Busy)  # at once, not after the utterance
    speaking.clear()
    result = scheduler.try_file_window(ONE_SECOND, OPTIONS)
    assert isinstance(result, WindowTranscript) and model.calls == ["file"]


def test_try_file_window_is_busy_while_another_pass_runs(model: FileModel, pool: ThreadPoolExecutor) -> None:
    scheduler = scheduler_of(model)
    running = busy_with_final(scheduler, model, pool)
    assert isinstance(scheduler.try_file_window(ONE_SECOND, OPTIONS), Busy)
    model.gate.set()
    assert running.result(WAIT) is not None


def test_the_oldest_pass_is_known_while_it_runs_and_forgotten_after(model: FileModel, pool: ThreadPoolExecutor) -> None:
    """What the readiness watchdog reads: a pass that does not finish shows as old."""
    scheduler = scheduler_of(model)
    assert scheduler.oldest_pass() is None
    before = time.monotonic()
    running = busy_with_final(scheduler, model, pool)
    started = scheduler.oldest_pass()
    assert started is not None and before <= started <= time.monotonic()
    model.gate.set()
    assert running.result(WAIT) is not None
    assert scheduler.oldest_pass() is None


def test_file_job_limits_count_jobs_and_queued_audio() -> None:
    limits = FileJobLimits(max_jobs=2, max_queued_seconds=100.0)
    assert limits.admit_job() and limits.admit_job() and not limits.admit_job()
    limits.end_job()
    assert limits.admit_job()
    assert limits.queue(500.0), "one file alone is taken into an empty queue"
    assert not limits.queue(1.0)
    limits.done(450.0)
    assert limits.queue(40.0) and not limits.queue(20.0)
    limits.done(90.0)
    assert limits.queued_seconds == 0.0 and limits.queue(100.0)
