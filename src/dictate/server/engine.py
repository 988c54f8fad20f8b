"""The per-connection RealtimeSTT adapter: the ONLY module that imports RealtimeSTT.

``RecorderEngine`` wraps one ``AudioToTextRecorder(use_microphone=False)`` per connection behind a narrow
interface: ``start()``, ``feed(pcm)``, ``finish()`` (finalize pending speech now), ``close()``; it reports
``events.EngineEvent``s through a callback called on the recorder's threads (the session crosses into the event
loop). The recorder never loads a model of its own: its final and interim passes go through RealtimeSTT's
external-executor seam to ``executors.py`` and the process-wide ``ModelScheduler``.

RealtimeSTT internals this module relies on (each pinned by tests/server/test_realtimestt_contract.py):

* ``RealtimeSTT.transcription_engines.base``: the result type an external executor must return;
* ``recorder.text()`` as a barrier: it returns only after every final pass it started has finished;
* ``recorder.last_transcription_bytes``: the closed utterance's audio, kept after ``text()``;
* ``recorder.is_shut_down``: after ``shutdown()``, ``text()`` returns "" at once (a loop on it would spin).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from dictate.audio import padding_to_whole_chunk
from dictate.config import EndOfSpeechVad, ServerSettings
from dictate.protocol import SAMPLE_RATE
from dictate.server.events import EngineFailed, EventSink, Final, Interim, SpeechStarted
from dictate.server.executors import FinalPassExecutor, InterimPassExecutor
from dictate.server.models import ModelChoice
from dictate.server.passes import FinalPasses, PassResult
from dictate.server.scheduler import ModelScheduler

logger = logging.getLogger(__name__)

VAD_CHUNK_SAMPLES = 512  # RealtimeSTT's buffer_size: the Silero VAD takes exactly this many samples


class _ExternalExecutor:
    """RealtimeSTT's object-style external executor (``.transcribe(audio, language, use_prompt, **kw)``)."""

    def __init__(self, kind: str, executor: FinalPassExecutor | InterimPassExecutor) -> None:
        self._kind = kind
        self._executor = executor

    def transcribe(self, audio: Any, language: str | None = None, use_prompt: bool = True, **_: Any) -> Any:
        # The result type RealtimeSTT expects from an external executor (it reads .text and .info.language*);
        # imported from its internals, as RealtimeSTT 1.1.2 exports it nowhere else.
        from RealtimeSTT.transcription_engines.base import TranscriptionInfo, TranscriptionResult

        samples = np.asarray(audio, dtype=np.float32)
        result = self._executor.run(samples, language)
        if result is None:  # a dropped final or a skipped interim: RealtimeSTT ignores an empty text
            return TranscriptionResult(text="", info=TranscriptionInfo())
        logger.debug("%s pass: %.2f s of audio in %.2f s", self._kind, result.audio_seconds, result.compute_seconds)
        return TranscriptionResult(
            text=result.text,
            info=TranscriptionInfo(language=result.language, language_probability=result.language_probability),
        )


class RecorderEngine:
    """Wraps one ``AudioToTextRecorder``; owns the thread that waits for its final texts."""

    def __init__(
        self,
        scheduler: ModelScheduler,
        choice: ModelChoice,
        settings: ServerSettings,
        emit: EventSink,
        name: str = "session",
    ) -> None:
        self._scheduler = scheduler
        self._choice = choice
        self._settings = settings
        self._emit = emit
        self._name = name
        self._closed = threading.Event()
        self._closing_silence = threading.Event()  # set on RealtimeSTT's thread, read by interim passes
        self._passes: FinalPasses[PassResult] = FinalPasses()
        # the utterance's state, written on RealtimeSTT's threads and read on the final-text thread
        self._idle = threading.Condition()
        self._utterance_id = 0
        self._speech_start: float | None = None
        self._speech_end: float | None = None
        self._recording = False
        self._pending_final = False
        self._bytes_fed = 0  # PCM fed so far: finish() pads the last VAD chunk to a whole one
        self._recorder: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Build the recorder (blocking: ~1-2 s of VAD warm-up) and start the final-text thread."""
        from RealtimeSTT import AudioToTextRecorder

        settings, choice = self._settings, self._choice
        final_executor = FinalPassExecutor(self._scheduler, self._passes)
        interim_executor = InterimPassExecutor(
            self._scheduler, settings.interim_quiet_ratio, speaker_stopping=self._closing_silence.is_set
        )
        self._recorder = AudioToTextRecorder(
            model=choice.source,
            realtime_model_type=choice.source,
            device=choice.device,
            compute_type=choice.compute_type,
            language=settings.language_code or "",
            use_microphone=False,
            spinner=False,
            no_log_file=True,
            level=logging.WARNING,
            enable_realtime_transcription=True,
            use_main_model_for_realtime=False,
            transcription_executor=_ExternalExecutor("final", final_executor),
            realtime_transcription_executor=_ExternalExecutor("interim", interim_executor),
            realtime_processing_pause=settings.realtime_interval,
            init_realtime_after_seconds=settings.first_interim_after,
            deactivity_silence_confirmation_duration=settings.silence_confirmation,
            silero_deactivity_detection=settings.end_of_speech_vad is EndOfSpeechVad.SILERO,
            post_speech_silence_duration=settings.silence_duration,
            # RealtimeSTT 1.1.2 documents milliseconds but compares this value with seconds
            early_transcription_on_silence=settings.early_transcription_ms / 1000,
            min_length_of_recording=0.3,
            min_gap_between_recordings=0,
            faster_whisper_vad_filter=False,  # unused: the executors decode (whisper.transcribe_pass, no VAD filter)
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
            utterance, start = self._utterance_id, time.time()
            self._speech_start = start
            self._speech_end = None
            self._recording = True
            self._pending_final = True
        self._closing_silence.clear()
        self._emit(SpeechStarted(utterance, start))

    def _on_recording_stop(self) -> None:
        logger.debug("%s: utterance %d closed", self._name, self._utterance_id)
        with self._idle:
            self._speech_end = time.time()
            self._recording = False

    def _on_silence_start(self) -> None:
        logger.debug("%s: closing silence started", self._name)
        self._closing_silence.set()  # no more interim passes: the final pass is about to start

    def _on_silence_end(self) -> None:
        self._closing_silence.clear()
        with self._idle:
            recording = self._recording
        if recording:  # speech resumed after a pause (RealtimeSTT also calls this once the utterance closed)
            self._passes.speech_resumed()

    def _on_realtime_update(self, text: str) -> None:
        text = text.strip()
        with self._idle:
            recording, utterance, start = self._recording, self._utterance_id, self._speech_start
        if text and recording and not self._closed.is_set():
            self._emit(Interim(utterance, text, start))

    def _utterance_result(self, recorder: Any) -> PassResult | None:
        """Wait for the next closed utterance; its result is the newest final pass that covers all its speech
        (passes.py), else one more pass over the utterance's audio, which RealtimeSTT keeps."""
        # RealtimeSTT internal: text() returns only once every final pass it started for this utterance has
        # finished, so the passes below are complete; the text it picks (the last to arrive) is ignored.
        recorder.text()
        result = self._passes.take()
        # RealtimeSTT internal: the closed utterance's float32 audio; cleared so that it is used once.
        audio, recorder.last_transcription_bytes = getattr(recorder, "last_transcription_bytes", None), None
        if result is None and audio is not None and len(audio) and not self._closed.is_set():
            logger.debug("%s: no final pass covered the whole utterance: one more pass", self._name)
            result = self._scheduler.run_final(np.asarray(audio, dtype=np.float32), None)
        return result

    def _final_loop(self) -> None:
        recorder = self._recorder
        while not self._closed.is_set():
            try:
                result = self._utterance_result(recorder)
            except Exception as exc:  # the recorder failed: report once, then stop
                if not self._closed.is_set():
                    logger.exception("%s: recorder failed", self._name)
                    self._emit(EngineFailed(f"speech recognition failed: {exc}"))
                break
            # RealtimeSTT internal: after shutdown() text() returns "" at once; without this check we would spin
            if self._closed.is_set() or getattr(recorder, "is_shut_down", False):
                break
            with self._idle:
                utterance, start, end = self._utterance_id, self._speech_start, self._speech_end
            text = result.text.strip() if result is not None else ""
            if result is not None and text:  # emit before marking idle: finish() returns after the final is queued
                self._emit(
                    Final(utterance, text, start, end or time.time(), result.audio_seconds, result.compute_seconds)
                )
            with self._idle:
                self._pending_final = False
                self._idle.notify_all()
        with self._idle:
            self._pending_final = False
            self._idle.notify_all()

    # session-facing API: feed() runs on the event loop (it only enqueues); start/finish/close block (to_thread)
    def feed(self, pcm: bytes) -> None:
        """Feed 16 kHz mono int16 PCM (must arrive at real-time pace: silence is timed by the wall clock)."""
        if not self._closed.is_set():
            self._recorder.feed_audio(pcm, original_sample_rate=SAMPLE_RATE)
            self._bytes_fed += len(pcm)

    @property
    def in_utterance(self) -> bool:
        """Someone is speaking, or an utterance's final text is still to come."""
        with self._idle:
            return self._recording or self._pending_final

    def finish(self, timeout: float = 10.0) -> None:
        """End of stream: consume queued audio, close the open utterance now, wait for its final text."""
        recorder = self._recorder
        if recorder is None or self._closed.is_set():
            return
        try:
            # whole VAD chunks only: a partial last chunk kills RealtimeSTT's recording worker ("Silero ONNX
            # backend expects 512 samples") and delays the final by the drain timeout below
            pad = padding_to_whole_chunk(self._bytes_fed, getattr(recorder, "buffer_size", VAD_CHUNK_SAMPLES))
            if pad:
                recorder.feed_audio(pad, original_sample_rate=SAMPLE_RATE)
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


def warm_up_recorder(scheduler: ModelScheduler, choice: ModelChoice, settings: ServerSettings) -> None:
    """Build and close one recorder: the first one pays seconds of imports and VAD set-up, so that a user's
    first session does not (later ones take ~50 ms)."""
    started = time.monotonic()
    probe = RecorderEngine(scheduler, choice, settings, lambda _event: None, name="warm-up")
    try:
        probe.start()
    finally:
        probe.close()
    logger.info("recorder warmed up in %.2f s", time.monotonic() - started)
