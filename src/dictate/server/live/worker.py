"""The thin shell that runs one session's live core (``core.LiveCore``) on threads.

``LiveWorker`` owns one thread that takes the session's inputs from a single queue, hands each to the core, and
acts on the outputs: events go to the session (``emit``), passes go to one of three lanes (a thread each: final
passes in the order asked; interim passes; idle ones, the checks of loud audio outside utterances), each lane runs
its passes through a ``Transcriber`` and puts the result back on the same queue as an input. A fourth lane asks the
acoustic end-of-turn model (``JudgeTurn``), when the server has one: it never waits behind a pass. Nothing else
touches the core; what other threads need to know is published after every input (``in_utterance``, ``settled``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from dictate.server.live.core import LiveCore
from dictate.server.live.finals import Coverage
from dictate.server.live.inputs import GiveUp, Input, PassDone, PassFailed, TurnJudged
from dictate.server.live.outputs import (
    CancelPass,
    EngineFailed,
    EventSink,
    JudgeTurn,
    PassRequest,
    Priority,
    StopRecording,
)
from dictate.server.model.pass_types import PassResult
from dictate.server.model.scheduler import ModelScheduler

logger = logging.getLogger(__name__)


class Transcriber(Protocol):
    """Runs one pass the core asked for; None when it was skipped or cancelled before reaching the model."""

    def transcribe(self, request: PassRequest, cancelled: Callable[[], bool]) -> PassResult | None: ...


class ScheduledTranscriber:
    """Passes on the shared model's scheduler: finals wait (ahead of interims), interims never wait."""

    def __init__(self, scheduler: ModelScheduler) -> None:
        self._scheduler = scheduler

    def transcribe(self, request: PassRequest, cancelled: Callable[[], bool]) -> PassResult | None:
        if request.priority is Priority.INTERIM:
            return self._scheduler.run_interim(request.audio, None, request.options)
        if request.priority is Priority.IDLE:
            return self._scheduler.run_idle(request.audio, cancelled, request.options)
        return self._scheduler.run_final(request.audio, None, cancelled, request.options)


class LiveWorker:
    """Owns the core, its input queue and its threads (``start``/``close``): the core's, two pass lanes, and one
    for the end-of-turn model (``judge``: the probability that the audio ends a turn)."""

    def __init__(
        self,
        core: LiveCore,
        transcriber: Transcriber,
        emit: EventSink,
        name: str = "session",
        judge: Callable[[np.ndarray], float] | None = None,
        stop_recording: Callable[[], None] = lambda: None,
    ) -> None:
        self._core = core
        self._stop_recording = stop_recording  # the VAD's, when the core ended an utterance before it did
        self._transcriber = transcriber
        self._judge = judge
        self._turn_lane = ThreadPoolExecutor(1, thread_name_prefix=f"dictate-turn-{name}")
        self._emit = emit
        self._name = name
        self._inputs: queue.Queue[Input | None] = queue.Queue()
        self._lanes = {
            Priority.FINAL: ThreadPoolExecutor(1, thread_name_prefix=f"dictate-final-{name}"),
            Priority.INTERIM: ThreadPoolExecutor(1, thread_name_prefix=f"dictate-interim-{name}"),
            Priority.IDLE: ThreadPoolExecutor(1, thread_name_prefix=f"dictate-idle-{name}"),
        }
        self._cancels: dict[int, threading.Event] = {}
        self._published = threading.Condition()
        # published by the worker thread after each input; read by any thread
        self.in_utterance = False
        self.pending_seconds = 0.0  # speech closed but not finalised yet
        self._settled = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"dictate-live-{self._name}")
        self._thread.start()

    def put(self, item: Input) -> None:
        """Hand the core an input (any thread; never blocks)."""
        self._inputs.put(item)

    def wait_settled(self, timeout: float) -> bool:
        """Wait until the core is settled (after ``EndOfStream``: every final sent, or failed); False on timeout."""
        with self._published:
            return self._published.wait_for(lambda: self._settled, timeout)

    def give_up(self, reason: str) -> None:
        """Drop what still has no final (reported to the client as dropped)."""
        self.put(GiveUp(reason))

    def close(self) -> Coverage:
        """Stop the thread (inputs already queued are handled first) and the lanes (a pass on the model
        finishes; waiting ones are cancelled); returns the session's books. Idempotent."""
        self._inputs.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                logger.warning("%s: live thread did not stop", self._name)
        for cancel in list(self._cancels.values()):
            cancel.set()
        for lane in (*self._lanes.values(), self._turn_lane):
            lane.shutdown(wait=True, cancel_futures=True)
        return self._core.coverage

    def describe(self) -> str:
        """The core's state (for logs and tests; read it once the worker is closed)."""
        return repr(self._core)

    # the worker thread
    def _loop(self) -> None:
        while (item := self._inputs.get()) is not None:
            try:
                outputs = self._core.handle(item)
            except Exception as exc:  # a bug in a rule: this session fails, the server goes on
                logger.exception("%s: the live core failed on %r", self._name, item)
                self._core.failed = True
                outputs = [EngineFailed(f"speech recognition failed: {exc}")]
            for output in outputs:
                if isinstance(output, PassRequest):
                    self._cancels[output.pass_id] = threading.Event()
                    self._lanes[output.priority].submit(self._run, output)
                elif isinstance(output, StopRecording):
                    self._stop_recording()
                elif isinstance(output, JudgeTurn):
                    self._turn_lane.submit(self._judge_turn, output)
                elif isinstance(output, CancelPass):
                    cancel = self._cancels.get(output.pass_id)
                    if cancel is not None:
                        cancel.set()
                else:
                    self._emit(output)
            with self._published:
                self.in_utterance = self._core.in_utterance
                self.pending_seconds = self._core.pending_seconds
                self._settled = self._core.settled
                self._published.notify_all()

    # the lanes' threads
    def _judge_turn(self, request: JudgeTurn) -> None:
        probability = None
        if self._judge is not None:
            try:
                probability = self._judge(request.audio)
            except Exception:
                logger.exception("%s: the end-of-turn model failed (the text decides)", self._name)
            else:
                logger.debug("%s: end of turn %d: P(complete) %.2f", self._name, request.judge_id, probability)
        self.put(TurnJudged(request.judge_id, probability))

    def _run(self, request: PassRequest) -> None:
        cancel = self._cancels[request.pass_id]
        try:
            result = self._transcriber.transcribe(request, cancel.is_set)
        except Exception as exc:
            if request.priority is not Priority.FINAL:
                logger.warning("%s: %s pass failed: %s", self._name, request.purpose.value, exc)
            else:
                logger.exception("%s: final pass failed", self._name)
            self.put(PassFailed(request.pass_id, str(exc)))
        else:
            if result is not None:
                logger.debug(
                    "%s: %s pass: %.2f s of audio in %.2f s",
                    self._name,
                    request.purpose.value,
                    result.audio_seconds,
                    result.compute_seconds,
                )
            self.put(PassDone(request.pass_id, result))
        finally:
            self._cancels.pop(request.pass_id, None)
