"""RealtimeSTT and the shared model (with ``executors.py``, the only importers of RealtimeSTT; ``whisper.py`` is
the only one of faster-whisper). Narrow interface:

* ``SharedModel``: one faster-whisper model per process, loaded once, shared by every session through
  RealtimeSTT's external-executor seam (so a recorder never spawns its own model process);
* ``RecorderEngine``: one ``AudioToTextRecorder(use_microphone=False)`` per connection: ``feed(pcm)``,
  ``finish()`` (finalize pending speech now), ``close()``; it reports ``EngineEvent``s through a callback
  that is called on the recorder's threads (the session crosses into the event loop).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dictate.config import EndOfSpeechVad, ServerSettings
from dictate.protocol import SAMPLE_RATE
from dictate.server.executors import PassExecutor
from dictate.server.models import ModelChoice
from dictate.server.passes import FinalPasses

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- events (engine -> session)


@dataclass(frozen=True)
class SpeechStarted:
    utterance_id: int
    at: float  # wall clock


@dataclass(frozen=True)
class Interim:
    utterance_id: int
    text: str
    speech_start: float | None


@dataclass(frozen=True)
class Final:
    utterance_id: int
    text: str
    speech_start: float | None
    speech_end: float | None
    audio_seconds: float
    processing_seconds: float


@dataclass(frozen=True)
class EngineFailed:
    message: str


EngineEvent = SpeechStarted | Interim | Final | EngineFailed
EventSink = Callable[[EngineEvent], None]


# ---------------------------------------------------------------- the shared model


class SharedModel:
    """One faster-whisper ``WhisperModel`` per process, shared by every session.

    Model calls are scheduled, not merely queued: at most ``model_workers`` run at once (one on a CPU, where two
    passes in parallel each take twice as long), finals wait for a free slot and interim passes never do: an
    interim pass is skipped when no slot is free or a final is waiting (an interim is a preview; a final is
    what gets typed).
    """

    def __init__(self, choice: ModelChoice, settings: ServerSettings) -> None:
        self.choice = choice
        self.settings = settings
        self._slots = threading.Semaphore(settings.model_workers)
        self._finals_waiting = 0
        self._lock = threading.Lock()
        self.model: Any = None

    def load(self) -> None:
        """Load (downloading a hub model if allowed) and warm up. Raises ModelNotFoundError / ModelLoadError."""
        from dictate.server.whisper import load_model

        started = time.monotonic()
        self.model = load_model(self.choice, self.settings)
        logger.info("model %s loaded in %.1f s", self.choice.label, time.monotonic() - started)
        self.warm_up()
        self.warm_up_recorder()

    def warm_up(self) -> None:
        """A final and an interim pass over a second of noise: the first user does not pay for lazy set-up."""
        started = time.monotonic()
        noise = (np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 0.01).astype(np.float32)
        self.transcribe(noise, final=True)
        self.transcribe(noise, final=False)
        logger.info("model warmed up in %.2f s", time.monotonic() - started)

    def warm_up_recorder(self) -> None:
        """Build and close one recorder: the first one pays seconds of imports and VAD set-up, so that a
        user's first session does not (later ones take ~50 ms)."""
        started = time.monotonic()
        probe = RecorderEngine(self, lambda _event: None, name="warm-up")
        try:
            probe.start()
        finally:
            probe.close()
        logger.info("recorder warmed up in %.2f s", time.monotonic() - started)

    def transcribe(self, audio: np.ndarray, final: bool, language: str | None = None) -> tuple[str, Any]:
        """A final or interim pass over float32 16 kHz mono audio, with the settings' beam and window."""
        from dictate.server.whisper import transcribe_pass

        return transcribe_pass(self.model, audio, self.settings, final=final, language=language)

    def run_final(
        self, audio: np.ndarray, language: str | None, cancelled: Callable[[], bool] = lambda: False
    ) -> tuple[str, Any, float] | None:
        """A final pass: waits for a model slot, ahead of any interim pass. Returns (text, info, compute s), or
        None when ``cancelled()`` turns true before it gets a slot."""
        with self._lock:
            self._finals_waiting += 1
        try:
            while not self._slots.acquire(timeout=0.05):
                if cancelled():
                    return None
        finally:
            with self._lock:
                self._finals_waiting -= 1
        if cancelled():
            self._slots.release()
            return None
        try:
            started = time.monotonic()
            text, info = self.transcribe(audio, final=True, language=language)
            return text, info, time.monotonic() - started
        finally:
            self._slots.release()

    def run_interim(self, audio: np.ndarray, language: str | None) -> tuple[str, Any] | None:
        """An interim pass, or None when it would delay a final or wait for a slot."""
        with self._lock:
            if self._finals_waiting:
                return None
        if not self._slots.acquire(blocking=False):
            return None
        try:
            return self.transcribe(audio, final=False, language=language)
        finally:
            self._slots.release()


# ---------------------------------------------------------------- one recorder per connection


class RecorderEngine:
    """Wraps one ``AudioToTextRecorder``; owns the thread that waits for its final texts."""

    def __init__(self, model: SharedModel, emit: EventSink, name: str = "session") -> None:
        self._model = model
        self._emit = emit
        self._name = name
        self._utterance_id = 0
        self._speech_start: float | None = None
        self._speech_end: float | None = None
        self._last_pass = (0.0, 0.0)  # (processing s, audio s) of the latest final pass
        self._recording = False
        self.in_closing_silence = False
        self._closed = threading.Event()
        self._idle = threading.Condition()
        self._pending_final = False
        self._passes = FinalPasses()
        self._recorder: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Build the recorder (blocking: ~1-2 s of VAD warm-up) and start the final-text thread."""
        from RealtimeSTT import AudioToTextRecorder

        settings = self._model.settings
        final_executor = PassExecutor(self._model, final=True, on_final_pass=self._record_pass, passes=self._passes)
        realtime_executor = PassExecutor(
            self._model, final=False, on_final_pass=self._record_pass, skip_interim=lambda: self.in_closing_silence
        )
        self._recorder = AudioToTextRecorder(
            model=self._model.choice.source,
            realtime_model_type=self._model.choice.source,
            device=self._model.choice.device,
            compute_type=self._model.choice.compute_type,
            language=settings.language_code or "",
            use_microphone=False,
            spinner=False,
            no_log_file=True,
            level=logging.WARNING,
            enable_realtime_transcription=True,
            use_main_model_for_realtime=False,
            transcription_executor=final_executor,
            realtime_transcription_executor=realtime_executor,
            realtime_processing_pause=settings.realtime_interval,
            init_realtime_after_seconds=settings.first_interim_after,
            deactivity_silence_confirmation_duration=settings.silence_confirmation,
            silero_deactivity_detection=settings.end_of_speech_vad is EndOfSpeechVad.SILERO,
            post_speech_silence_duration=settings.silence_duration,
            # RealtimeSTT 1.1.2 documents milliseconds but compares this value with seconds
            early_transcription_on_silence=settings.early_transcription_ms / 1000,
            min_length_of_recording=0.3,
            min_gap_between_recordings=0,
            faster_whisper_vad_filter=False,  # beams are the executors' (SharedModel.run_final/run_interim)
            ensure_sentence_ends_with_period=False,
            on_recording_start=self._on_recording_start,
            on_recording_stop=self._on_recording_stop,
            on_realtime_transcription_update=self._on_realtime_update,
            on_turn_detection_start=self._on_silence_start,
            on_turn_detection_stop=self._on_silence_end,
            handle_buffer_overflow=False,
            silero_onnx_threads=1,
        )
        self._thread = threading.Thread(target=self._final_loop, name=f"dictate-final-{self._name}")
        self._thread.start()

    # RealtimeSTT callbacks (its threads)
    def _on_recording_start(self) -> None:
        with self._idle:
            self._utterance_id += 1
            self._speech_start = time.time()
            self._speech_end = None
            self._recording = True
            self.in_closing_silence = False
            self._pending_final = True
        self._emit(SpeechStarted(self._utterance_id, self._speech_start))

    def _on_recording_stop(self) -> None:
        logger.debug("%s: utterance %d closed", self._name, self._utterance_id)
        with self._idle:
            self._speech_end = time.time()
            self._recording = False

    def _on_silence_start(self) -> None:
        logger.debug("%s: closing silence started", self._name)
        self.in_closing_silence = True  # no more interim passes: the final pass is about to start

    def _on_silence_end(self) -> None:
        self.in_closing_silence = False
        with self._idle:
            recording = self._recording
        if recording:  # speech resumed after a pause (RealtimeSTT also calls this once the utterance closed)
            self._passes.speech_resumed()

    def _on_realtime_update(self, text: str) -> None:
        text = text.strip()
        if text and self._recording and not self._closed.is_set():
            self._emit(Interim(self._utterance_id, text, self._speech_start))

    def _record_pass(self, processing: float, audio: float) -> None:
        self._last_pass = (processing, audio)

    def _utterance_text(self, recorder: Any) -> str:
        """Wait for the next closed utterance; its text is the newest final pass that covers all its speech
        (passes.py), else one more pass over the utterance's audio, which RealtimeSTT keeps."""
        recorder.text()  # waits for every final pass RealtimeSTT started for this utterance; its pick is ignored
        text = self._passes.take()
        audio, recorder.last_transcription_bytes = getattr(recorder, "last_transcription_bytes", None), None
        if text is None and audio is not None and len(audio) and not self._closed.is_set():
            logger.debug("%s: no final pass covered the whole utterance: one more pass", self._name)
            samples = np.asarray(audio, dtype=np.float32)
            final = self._model.run_final(samples, None)
            if final is not None:
                text = final[0]
                self._record_pass(final[2], samples.size / SAMPLE_RATE)
        return text or ""

    def _final_loop(self) -> None:
        recorder = self._recorder
        while not self._closed.is_set():
            try:
                text = self._utterance_text(recorder)
            except Exception as exc:  # the recorder failed: report once, then stop
                if not self._closed.is_set():
                    logger.exception("%s: recorder failed", self._name)
                    self._emit(EngineFailed(f"speech recognition failed: {exc}"))
                break
            if self._closed.is_set() or getattr(recorder, "is_shut_down", False):
                break
            with self._idle:
                utterance, start, end = self._utterance_id, self._speech_start, self._speech_end
            processing, audio = self._last_pass
            text = (text or "").strip()
            if text:  # emit before marking idle, so finish() returns only after the final is queued
                self._emit(Final(utterance, text, start, end or time.time(), audio, processing))
            with self._idle:
                self._pending_final = False
                self._idle.notify_all()
        with self._idle:
            self._pending_final = False
            self._idle.notify_all()

    # session-facing API (called from worker threads via asyncio.to_thread; never on the event loop)
    def feed(self, pcm: bytes) -> None:
        """Feed 16 kHz mono int16 PCM (must arrive at real-time pace: silence is timed by the wall clock)."""
        if not self._closed.is_set():
            self._recorder.feed_audio(pcm, original_sample_rate=SAMPLE_RATE)

    def finish(self, timeout: float = 10.0) -> None:
        """End of stream: consume queued audio, close the open utterance now, wait for its final text."""
        recorder = self._recorder
        if recorder is None or self._closed.is_set():
            return
        try:
            recorder.flush_audio_input()
            recorder.drain_audio_input(timeout=2.0)
        except Exception:
            logger.debug("%s: draining queued audio failed", self._name, exc_info=True)
        with self._idle:
            recording = self._recording
        if recording:
            recorder.stop()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending_final and not self._closed.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.warning("%s: no final text within %.0f s of the end of stream", self._name, timeout)
                    break
                self._idle.wait(remaining)

    def close(self) -> None:
        """Shut the recorder down and join every thread this engine started. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            try:
                recorder.shutdown()
            except Exception:
                logger.debug("%s: recorder shutdown raised", self._name, exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                logger.warning("%s: final-text thread did not stop", self._name)
