"""The per-connection RealtimeSTT adapter: the ONLY module that imports RealtimeSTT.

RealtimeSTT is used for its voice activity detection only: one ``AudioToTextRecorder(use_microphone=False)`` per
connection is fed the client's audio and tells when speech starts, pauses, resumes and stops. ``VoiceActivity``
turns its callbacks into the live core's inputs (``inputs.AudioRead`` for every chunk its VAD reads, then the
``Voice*`` edges), stamped with the wall clock, in the order the VAD read the audio, and hands them to ``put``.
Everything else (utterances, interim and final passes, revisions) is the core's (``core.LiveCore``).

RealtimeSTT times silence by the wall clock, so the audio must arrive at real-time pace. Each RealtimeSTT
internal relied on is commented and pinned by ``tests/server/test_realtimestt_contract.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from dictate.audio import padding_to_whole_chunk
from dictate.config import EndOfUtterance, ServerSettings
from dictate.protocol import SAMPLE_RATE
from dictate.server.live.inputs import (
    AudioRead,
    Input,
    RecorderFailed,
    VoicePaused,
    VoiceResumed,
    VoiceStarted,
    VoiceStopped,
)
from dictate.server.model.pass_types import PassResult
from dictate.server.model.source import ModelChoice

logger = logging.getLogger(__name__)

VAD_CHUNK_SAMPLES = 512  # RealtimeSTT's buffer_size: the Silero VAD takes exactly this many samples


class _ExternalExecutor:
    """RealtimeSTT's object-style external executor (``.transcribe(audio, language, use_prompt, **kw)``)."""

    def __init__(self, kind: str, run: Callable[[np.ndarray, str | None], PassResult | None]) -> None:
        self._kind = kind
        self._run = run

    def transcribe(self, audio: Any, language: str | None = None, use_prompt: bool = True, **_: Any) -> Any:
        # The result type RealtimeSTT expects from an external executor (it reads .text and .info.language*);
        # imported from its internals, as RealtimeSTT 1.1.2 exports it nowhere else.
        from RealtimeSTT.transcription_engines.base import TranscriptionInfo, TranscriptionResult

        result = self._run(np.asarray(audio, dtype=np.float32), language)
        if result is None:  # a skipped pass: RealtimeSTT ignores an empty text
            return TranscriptionResult(text="", info=TranscriptionInfo())
        return TranscriptionResult(
            text=result.text,
            info=TranscriptionInfo(language=result.language, language_probability=result.language_probability),
        )


def _no_final_pass(audio: np.ndarray, _language: str | None) -> PassResult | None:
    """RealtimeSTT's own final path is not used (the live core makes the finals): nothing to transcribe."""
    logger.warning("RealtimeSTT asked for a final pass over %.2f s of audio: ignored", audio.size / SAMPLE_RATE)
    return None


def closing_silence(settings: ServerSettings) -> float:
    """The VAD's own closing silence: the setting, or with the adaptive end of utterance the longest hold (the
    core ends utterances sooner itself, ``end_of_turn.py``)."""
    if settings.end_of_utterance is EndOfUtterance.ADAPTIVE:
        return max(settings.hold_silence, settings.silence_duration)
    return settings.silence_duration


class VoiceActivity:
    """Wraps one ``AudioToTextRecorder``; owns the thread that keeps it listening (``start``/``close``)."""

    def __init__(self, choice: ModelChoice, settings: ServerSettings, put: Callable[[Input], None], name: str) -> None:
        self._choice = choice
        self._settings = settings
        self._put = put
        self._name = name
        self._closed = threading.Event()
        self._fed = 0  # samples fed to the recorder
        self._recorder: Any = None
        self._thread: threading.Thread | None = None
        self._stopped_by_us = threading.Event()  # we stopped the recording in a pause (see ``_resumed``)

    def start(self) -> None:
        """Build the recorder (blocking: ~1-2 s of VAD warm-up), start the listening thread."""
        from RealtimeSTT import AudioToTextRecorder

        settings, choice = self._settings, self._choice
        self._recorder = AudioToTextRecorder(
            model=choice.source,  # unused: the external executor below makes no pass
            device=choice.device,
            compute_type=choice.compute_type,
            language=settings.language_code or "",
            use_microphone=False,
            spinner=False,
            no_log_file=True,
            level=logging.WARNING,
            enable_realtime_transcription=False,  # the core times the interim passes
            transcription_executor=_ExternalExecutor("final", _no_final_pass),
            deactivity_silence_confirmation_duration=settings.silence_confirmation,
            silero_sensitivity=settings.vad_sensitivity,
            silero_deactivity_detection=True,  # Silero ends speech ~0.17 s sooner than WebRTC (docs/tuning.md)
            post_speech_silence_duration=closing_silence(settings),
            early_transcription_on_silence=0,  # ours: the core's speculative pass at the pause
            min_length_of_recording=0.3,
            min_gap_between_recordings=0,
            faster_whisper_vad_filter=False,
            ensure_sentence_ends_with_period=False,
            on_recorded_chunk=self._on_chunk,
            on_recording_start=self._started,
            on_recording_stop=self._edge(VoiceStopped),
            on_turn_detection_start=self._edge(VoicePaused),
            on_turn_detection_stop=self._resumed,
            handle_buffer_overflow=False,
            silero_onnx_threads=1,
        )
        self._thread = threading.Thread(target=self._listen_loop, name=f"dictate-listen-{self._name}")
        self._thread.start()

    # RealtimeSTT callbacks: all on its recording thread, in the order it reads the audio
    def _on_chunk(self, chunk: bytes) -> None:
        self._put(AudioRead(bytes(chunk), time.time()))

    def _edge(self, kind: type[VoicePaused | VoiceStopped]) -> Callable[[], None]:
        return lambda: self._put(kind(time.time()))

    def _started(self) -> None:
        self._stopped_by_us.clear()
        self._put(VoiceStarted(time.time()))

    def _resumed(self) -> None:
        """The end of a pause. After ``stop_recording`` RealtimeSTT reports one more, in silence: it leaves the
        pause of the recording it no longer has (on its next chunk, or even before ``stop()`` has reported the
        stop). That one is not speech, and the core would take it for speech going on (a 0.03 s utterance whose
        passes held the last final back by 1.3 s): it is not passed on."""
        if self._stopped_by_us.is_set():
            self._stopped_by_us.clear()
            logger.debug("%s: the pause's end after our stop of the recording: not speech", self._name)
            return
        self._put(VoiceResumed(time.time()))

    def _listen_loop(self) -> None:
        """RealtimeSTT listens for the next utterance only while someone waits for one: wait, forever."""
        recorder = self._recorder
        while not self._closed.is_set():
            try:
                recorder.wait_audio()
            except Exception as exc:  # the recorder failed: report once, then stop
                if not self._closed.is_set():
                    logger.exception("%s: recorder failed", self._name)
                    self._put(RecorderFailed(f"speech recognition failed: {exc}"))
                break
            # RealtimeSTT internal: after shutdown() wait_audio() returns at once; without this we would spin
            if getattr(recorder, "is_shut_down", False):
                break

    def feed(self, pcm: bytes) -> None:
        """Feed 16 kHz mono int16 PCM (at real-time pace: silence is timed by the wall clock). Only enqueues."""
        if not self._closed.is_set():
            self._fed += len(pcm) // 2
            self._recorder.feed_audio(pcm, original_sample_rate=SAMPLE_RATE)

    def stop_recording(self) -> None:
        """The live core ended the utterance at a pause before the closing silence: stop the recording here too
        (RealtimeSTT's public ``stop()``; it refuses within ``min_length_of_recording`` of the start), so that the
        VAD listens for a new start (WebRTC and Silero both hear speech) rather than a resume (Silero alone)."""
        recorder = self._recorder
        if recorder is not None and not self._closed.is_set():
            self._stopped_by_us.set()
            try:
                recorder.stop()
            except Exception:
                logger.debug("%s: stopping the recording raised", self._name, exc_info=True)
            if getattr(recorder, "is_recording", False):  # refused: the recording goes on, and so do its pauses
                self._stopped_by_us.clear()

    def drain(self) -> None:
        """End of stream: let the VAD read every sample fed (blocking, up to ~2 s)."""
        recorder = self._recorder
        if recorder is None or self._closed.is_set():
            return
        try:
            # whole VAD chunks only: a partial last chunk kills RealtimeSTT's recording worker ("Silero ONNX
            # backend expects 512 samples") and delays the final by the drain timeout below
            pad = padding_to_whole_chunk(2 * self._fed, getattr(recorder, "buffer_size", VAD_CHUNK_SAMPLES))
            if pad:
                recorder.feed_audio(pad, original_sample_rate=SAMPLE_RATE)
            recorder.flush_audio_input()
            recorder.drain_audio_input(timeout=2.0)
        except Exception:
            logger.debug("%s: draining queued audio failed", self._name, exc_info=True)

    def close(self) -> None:
        """Shut the recorder down and join the listening thread. Idempotent."""
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
                logger.warning("%s: listening thread did not stop", self._name)


def warm_up_recorder(choice: ModelChoice, settings: ServerSettings) -> None:
    """Build and close one recorder: the first one pays seconds of imports and VAD set-up, so that a user's
    first session does not (later ones take ~50 ms)."""
    started = time.monotonic()
    probe = VoiceActivity(choice, settings, lambda _input: None, name="warm-up")
    try:
        probe.start()
    finally:
        probe.close()
    logger.info("recorder warmed up in %.2f s", time.monotonic() - started)
