"""One speech model shared by every session: who runs next. No model, no RealtimeSTT: the pass is injected.

The rules, for ``workers`` model calls at once (``source.model_concurrency``: by default 2 on a CPU with two or
more cores, each with half of them, so that an interim pass runs beside a final one; 1 on a GPU):

* a final pass waits for a free slot, and goes ahead of every interim pass (a final is what gets typed);
* an interim pass never waits: it is skipped when no slot is free or a final is waiting (an interim is a
  preview; a skipped one is replaced by the next, a queued one would only delay the final);
* a final pass whose ``cancelled()`` turns true before it gets a slot is dropped (speech resumed: it no longer
  covers the utterance);
* a file window (``/v1/audio/transcriptions``) runs below every live session: it waits until no final is
  waiting, no live utterance is open (from speech start to its final text: each live session registers the
  ``in_utterance`` value its core publishes with ``watch_live``) and a slot is free. A file is cut into short
  windows, each a separate call, so a live utterance that begins while a window runs waits at most for that
  one window.
  ``try_file_window`` never waits: it returns ``BUSY`` at once when the window cannot run now, so that a
  file job waits on the event loop, not in a thread (edge/threads.py says why).

For the readiness watchdog, ``oldest_pass`` is when the oldest pass still running started, or the oldest
final still waiting for a slot began to wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.model.pass_types import NO_OPTIONS, PassOptions, PassResult, Transcription
from dictate.server.uploads.formats import FileOptions, WindowTranscript

# (float32 16 kHz mono audio, final, language or None, the session's options) -> the pass's text. Blocking;
# called on the caller's thread.
TranscribeFn = Callable[[np.ndarray, bool, str | None, PassOptions], Transcription]
# (float32 16 kHz mono window of a file, options) -> its segments. Blocking.
TranscribeWindowFn = Callable[[np.ndarray, FileOptions], WindowTranscript]

SLOT_POLL_SECONDS = 0.05  # how often a waiting final pass checks ``cancelled()``


def _never() -> bool:
    return False


class Busy:
    """``try_file_window``'s answer when the window cannot run now: live speech or another pass holds the model."""


BUSY = Busy()


class ModelScheduler:
    """Runs passes of one shared model: at most ``workers`` at once, finals first, interims skipped. Thread-safe."""

    def __init__(
        self,
        transcribe: TranscribeFn,
        workers: int = 1,
        transcribe_window: TranscribeWindowFn | None = None,
        judge_turn: Callable[[np.ndarray], float] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        # the acoustic end-of-turn model (``turn.py``), when loaded: a separate small model, called by each
        # session's own turn lane, never queued behind the Whisper passes scheduled here
        self.judge_turn = judge_turn
        self._transcribe = transcribe
        self._transcribe_window = transcribe_window
        self._slots = threading.Semaphore(workers)
        self._lock = threading.Lock()
        self._finals_waiting = 0
        self._live: dict[int, Callable[[], bool]] = {}
        self._watch_number = 0
        self._pass_number = 0
        self._passes: dict[int, float] = {}  # passes running and finals waiting: when each started (monotonic)

    def watch_live(self, busy: Callable[[], bool]) -> Callable[[], None]:
        """Register a live session's ``busy()`` (someone speaks, or an utterance's final is still to come): file
        windows wait while any is true. ``busy`` reads a published value and takes no lock (``live.worker``).
        Returns the function that unregisters it (call it when the session ends)."""
        with self._lock:
            self._watch_number += 1
            key = self._watch_number
            self._live[key] = busy

        def unwatch() -> None:
            with self._lock:
                self._live.pop(key, None)

        return unwatch

    @property
    def live_busy(self) -> bool:
        """A final is waiting or a live utterance is open: file windows must wait."""
        with self._lock:
            if self._finals_waiting:
                return True
            watched = list(self._live.values())
        return any(busy() for busy in watched)

    def oldest_pass(self) -> float | None:
        """When the oldest pass still running started, or the oldest final still waiting began to wait."""
        with self._lock:
            return min(self._passes.values(), default=None)

    def _begin(self) -> int:
        with self._lock:
            self._pass_number += 1
            self._passes[self._pass_number] = time.monotonic()
            return self._pass_number

    def _end(self, number: int) -> None:
        with self._lock:
            self._passes.pop(number, None)

    def try_file_window(self, audio: np.ndarray, options: FileOptions) -> WindowTranscript | Busy:
        """One window of an uploaded file if it can run now (no live speech, no final waiting, a free slot);
        ``BUSY`` at once otherwise. Blocking only while the window is transcribed."""
        if self._transcribe_window is None:
            raise RuntimeError("this scheduler has no file transcription")
        if self.live_busy or not self._slots.acquire(blocking=False):
            return BUSY
        try:
            if self.live_busy:  # something live arrived while we took the slot
                return BUSY
            number = self._begin()
            try:
                return self._transcribe_window(audio, options)
            finally:
                self._end(number)
        finally:
            self._slots.release()

    def run_file_window(
        self, audio: np.ndarray, options: FileOptions, cancelled: Callable[[], bool] = _never
    ) -> WindowTranscript | None:
        """``try_file_window`` until the window runs, waiting in this thread (tests and offline callers; the
        service waits on its event loop instead). None when ``cancelled()`` turns true before it runs."""
        while not cancelled():
            result = self.try_file_window(audio, options)
            if not isinstance(result, Busy):
                return result
            time.sleep(SLOT_POLL_SECONDS)
        return None

    @property
    def finals_waiting(self) -> int:
        """Final passes waiting for a slot now."""
        with self._lock:
            return self._finals_waiting

    def run_final(
        self,
        audio: np.ndarray,
        language: str | None = None,
        cancelled: Callable[[], bool] = _never,
        options: PassOptions = NO_OPTIONS,
    ) -> PassResult | None:
        """A final pass: waits for a slot, ahead of any interim pass. None when ``cancelled()`` turns true first."""
        with self._lock:
            self._finals_waiting += 1
        number = self._begin()
        try:
            try:
                while not self._slots.acquire(timeout=SLOT_POLL_SECONDS):
                    if cancelled():
                        return None
            finally:
                with self._lock:
                    self._finals_waiting -= 1
            try:
                if cancelled():
                    return None
                return self._run(audio, final=True, language=language, options=options)
            finally:
                self._slots.release()
        finally:
            self._end(number)

    def run_interim(
        self, audio: np.ndarray, language: str | None = None, options: PassOptions = NO_OPTIONS
    ) -> PassResult | None:
        """An interim pass, or None (skipped) when it would wait for a slot or delay a final."""
        with self._lock:
            if self._finals_waiting:
                return None
        if not self._slots.acquire(blocking=False):
            return None
        number = self._begin()
        try:
            return self._run(audio, final=False, language=language, options=options)
        finally:
            self._end(number)
            self._slots.release()

    def run_idle(
        self,
        audio: np.ndarray,
        cancelled: Callable[[], bool] = _never,
        options: PassOptions = NO_OPTIONS,
        wait: float = 30.0,
    ) -> PassResult | None:
        """A pass that runs when the model is free, as an interim pass would, waiting up to ``wait`` seconds for
        that in the caller's thread (a check of loud audio outside any utterance, ``live/unheard.py``: it never
        delays a final or takes an interim's turn). None when ``cancelled()`` turns true or the wait runs out."""
        deadline = time.monotonic() + wait
        while not cancelled():
            result = self.run_interim(audio, None, options)
            if result is not None or time.monotonic() >= deadline:
                return result
            time.sleep(SLOT_POLL_SECONDS)
        return None

    def _run(self, audio: np.ndarray, final: bool, language: str | None, options: PassOptions) -> PassResult:
        started = time.monotonic()
        transcription = self._transcribe(audio, final, language, options)
        return PassResult.of(
            transcription, audio_seconds=audio.size / SAMPLE_RATE, compute_seconds=time.monotonic() - started
        )
