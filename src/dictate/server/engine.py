"""The per-connection RealtimeSTT adapter: the ONLY module that imports RealtimeSTT.

``RecorderEngine`` wraps one ``AudioToTextRecorder(use_microphone=False)`` per connection behind a narrow
interface: ``start()``, ``feed(pcm)``, ``allow_revisions()``, ``set_commands()``, ``finish()`` (finalize pending
speech now), ``close()``; it reports ``events.EngineEvent``s through a callback called on its threads (the
session crosses into the event loop).

RealtimeSTT is used for what it does well: voice activity (when speech starts, pauses, resumes, stops) and the
timing of interim passes. The utterances themselves are ours (``utterances.Timeline``): every chunk the VAD
reads is kept with its position, so each utterance is an exact, disjoint range of the session's audio, and its
final is made by ``finals.FinalWorker`` from that range, one per utterance, in order. RealtimeSTT's own final
path (``text()``: a queue of recordings, the newest result of whatever passes were in flight, its pre-roll)
mixed up utterance ids, repeated words across pauses and could leave speech without a final.

RealtimeSTT internals this module relies on (each pinned by tests/server/test_realtimestt_contract.py):

* ``RealtimeSTT.transcription_engines.base``: the result type an external executor must return;
* callbacks (``on_recorded_chunk``, ``on_recording_start/stop``, ``on_turn_detection_start/stop``) run on the
  recording thread, in the order the audio is read: each chunk's callback comes before the VAD decisions it
  causes;
* ``recorder.wait_audio()`` in a loop keeps the recorder listening and drains its queue of recordings;
* ``recorder.is_shut_down``: after ``shutdown()``, ``wait_audio()`` returns at once (a loop on it would spin).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dictate.audio import padding_to_whole_chunk
from dictate.config import EndOfSpeechVad, ServerSettings
from dictate.protocol import SAMPLE_RATE
from dictate.server.events import EngineFailed, EventSink, Interim, SpeechStarted
from dictate.server.executors import InterimPassExecutor
from dictate.server.finals import ContextPolicy, FinalWorker, SessionAudio
from dictate.server.models import ModelChoice
from dictate.server.passes import NO_OPTIONS, PassOptions, PassResult
from dictate.server.scheduler import ModelScheduler
from dictate.server.utterances import Span, Timeline

logger = logging.getLogger(__name__)

VAD_CHUNK_SAMPLES = 512  # RealtimeSTT's buffer_size: the Silero VAD takes exactly this many samples
MIN_INTERIM_SAMPLES = SAMPLE_RATE // 4  # an interim pass over less says nothing useful


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
        logger.debug("%s pass: %.2f s of audio in %.2f s", self._kind, result.audio_seconds, result.compute_seconds)
        return TranscriptionResult(
            text=result.text,
            info=TranscriptionInfo(language=result.language, language_probability=result.language_probability),
        )


def _no_final_pass(audio: np.ndarray, _language: str | None) -> PassResult | None:
    """RealtimeSTT's own final path is not used (``FinalWorker`` makes the finals): nothing to transcribe."""
    logger.warning("RealtimeSTT asked for a final pass over %.2f s of audio: ignored", audio.size / SAMPLE_RATE)
    return None


class RecorderEngine:
    """Wraps one ``AudioToTextRecorder``; owns the thread that keeps it listening and the final thread."""

    def __init__(
        self,
        scheduler: ModelScheduler,
        choice: ModelChoice,
        settings: ServerSettings,
        emit: EventSink,
        name: str = "session",
    ) -> None:
        self._scheduler = scheduler
        self._unwatch: Callable[[], None] = lambda: None  # set by start(): the scheduler watches in_utterance
        self._choice = choice
        self._settings = settings
        self._emit = emit
        self._name = name
        self._closed = threading.Event()
        self._closing_silence = threading.Event()  # set on RealtimeSTT's thread, read by interim passes
        self._options = NO_OPTIONS  # sent with every pass of this session (replaced whole, read on any thread)

        def samples(seconds: float) -> int:
            return int(seconds * SAMPLE_RATE)

        self._timeline = Timeline(
            preroll=samples(settings.pre_roll),
            cut_after=samples(settings.cut_after) or None,
            max_span=samples(settings.max_utterance),
        )
        self._audio = SessionAudio(keep=samples(settings.max_utterance + settings.context_seconds + 30))
        self._interim_ids: set[int] = set()
        self._finals = FinalWorker(
            lambda audio, cancelled, words: scheduler.run_final(audio, None, cancelled, self._options.favouring(words)),
            self._audio,
            self._timeline,
            emit,
            ContextPolicy(join_gap=samples(settings.join_pause), max_samples=samples(settings.context_seconds)),
            had_interim=self._interim_ids.__contains__,
            name=name,
        )
        self._interim_executor = InterimPassExecutor(
            scheduler,
            settings.interim_quiet_ratio,
            speaker_stopping=self._closing_silence.is_set,
            options=self.pass_options,
        )
        self._received = 0
        self._recorder: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Build the recorder (blocking: ~1-2 s of VAD warm-up), start the listening and final threads."""
        from RealtimeSTT import AudioToTextRecorder

        settings, choice = self._settings, self._choice
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
            transcription_executor=_ExternalExecutor("final", _no_final_pass),
            realtime_transcription_executor=_ExternalExecutor("interim", self._interim_pass),
            realtime_processing_pause=settings.realtime_interval,
            init_realtime_after_seconds=settings.first_interim_after,
            deactivity_silence_confirmation_duration=settings.silence_confirmation,
            silero_deactivity_detection=settings.end_of_speech_vad is EndOfSpeechVad.SILERO,
            post_speech_silence_duration=settings.silence_duration,
            early_transcription_on_silence=0,  # ours: FinalWorker.speculate at the pause
            min_length_of_recording=0.3,
            min_gap_between_recordings=0,
            faster_whisper_vad_filter=False,  # unused: the executors decode (whisper.transcribe_pass, no VAD filter)
            ensure_sentence_ends_with_period=False,
            on_recorded_chunk=self._on_chunk,
            on_recording_start=self._on_recording_start,
            on_recording_stop=self._on_recording_stop,
            on_turn_detection_start=self._on_pause_start,
            on_turn_detection_stop=self._on_pause_end,
            handle_buffer_overflow=False,
            silero_onnx_threads=1,
        )
        self._finals.start()
        self._unwatch = self._scheduler.watch_live(lambda: self.in_utterance)  # file jobs wait while it is true
        self._thread = threading.Thread(target=self._listen_loop, name=f"dictate-listen-{self._name}")
        self._thread.start()

    def pass_options(self) -> PassOptions:
        """The options every pass of this session carries to the shared model."""
        return self._options

    def set_options(self, options: PassOptions) -> None:
        """Use ``options`` (e.g. the start message's vocabulary) for this session's passes from now on."""
        self._options = options

    def allow_revisions(self, allowed: bool) -> None:
        """The client applies finals that revise earlier ones (protocol 1.1): pauses may join utterances."""
        self._finals.revisions = allowed and self._settings.join_pause > 0

    def set_commands(self, phrases: Sequence[str]) -> None:
        """The client acts on these phrases said alone (protocol 1.3): such an utterance is never joined."""
        self._finals.set_commands(phrases)

    # RealtimeSTT callbacks: all on its recording thread, in the order it reads the audio
    def _on_chunk(self, chunk: bytes) -> None:
        self._audio.append(bytes(chunk))
        self._timeline.read(len(chunk) // 2)
        self._opened(self._timeline.cut_if_too_long(time.time()))

    def _on_recording_start(self) -> None:
        now = time.time()
        utterance = self._timeline.speech_started(now)
        self._closing_silence.clear()
        if utterance is not None:
            self._emit(SpeechStarted(utterance, now))

    def _on_recording_stop(self) -> None:
        span = self._timeline.speech_stopped(time.time())
        if span is not None:
            logger.debug("%s: utterance %d closed (%.2f s)", self._name, span.utterance_id, span.seconds)
            self._finals.close(span)

    def _on_pause_start(self) -> None:
        self._closing_silence.set()  # no more interim passes: the final pass is about to start
        span = self._timeline.pause_started(time.time())
        if span is not None and self._settings.early_transcription_ms > 0:
            self._finals.speculate(span)

    def _on_pause_end(self) -> None:
        self._closing_silence.clear()
        self._opened(self._timeline.speech_resumed(time.time()))

    def _opened(self, cut: tuple[Span, int] | None) -> None:
        """A long utterance was cut: its first part gets its final, the speech goes on as a new utterance."""
        if cut is not None:
            closed, utterance = cut
            logger.debug("%s: utterance %d cut after %.2f s", self._name, closed.utterance_id, closed.seconds)
            self._finals.close(closed)
            self._emit(SpeechStarted(utterance, closed.speech_end))

    def _interim_pass(self, _recorded: np.ndarray, language: str | None) -> PassResult | None:
        """An interim pass over the open utterance's own audio (not RealtimeSTT's recording, which goes back to
        the start of a long passage), reported as an ``Interim`` of that utterance."""
        current = self._timeline.open_span()
        if current is None or self._closed.is_set():
            return None
        utterance, start, speech_start = current
        audio = self._audio.slice(start, self._timeline.position)
        if audio.size < MIN_INTERIM_SAMPLES:
            return None
        result = self._interim_executor.run(audio, language)
        text = result.text.strip() if result is not None else ""
        if text and self._timeline.open_span() == current and not self._closed.is_set():
            self._interim_ids.add(utterance)
            self._emit(Interim(utterance, text, speech_start))
        return result

    def _listen_loop(self) -> None:
        """RealtimeSTT listens for the next utterance only while someone waits for one: wait, forever."""
        recorder = self._recorder
        while not self._closed.is_set():
            try:
                recorder.wait_audio()
            except Exception as exc:  # the recorder failed: report once, then stop
                if not self._closed.is_set():
                    logger.exception("%s: recorder failed", self._name)
                    self._emit(EngineFailed(f"speech recognition failed: {exc}"))
                break
            # RealtimeSTT internal: after shutdown() wait_audio() returns at once; without this we would spin
            if getattr(recorder, "is_shut_down", False):
                break

    # session-facing API: feed() runs on the event loop (it only enqueues); start/finish/close block (to_thread)
    def feed(self, pcm: bytes) -> None:
        """Feed 16 kHz mono int16 PCM (must arrive at real-time pace: silence is timed by the wall clock)."""
        if not self._closed.is_set():
            self._received += len(pcm) // 2
            self._recorder.feed_audio(pcm, original_sample_rate=SAMPLE_RATE)

    @property
    def in_utterance(self) -> bool:
        """Someone is speaking, or an utterance's final text is still to come."""
        return self._timeline.open_span() is not None or self._finals.pending_seconds() > 0

    def finish(self, timeout: float = 10.0) -> None:
        """End of stream: let the VAD read every sample received, close the open utterance there, and wait for
        the finals of every utterance still pending (not only the last); what cannot be finished in time is
        reported as dropped."""
        recorder = self._recorder
        if recorder is None or self._closed.is_set():
            return
        try:
            # whole VAD chunks only: a partial last chunk kills RealtimeSTT's recording worker ("Silero ONNX
            # backend expects 512 samples") and delays the final by the drain timeout below
            pad = padding_to_whole_chunk(2 * self._received, getattr(recorder, "buffer_size", VAD_CHUNK_SAMPLES))
            if pad:
                recorder.feed_audio(pad, original_sample_rate=SAMPLE_RATE)
            recorder.flush_audio_input()
            recorder.drain_audio_input(timeout=2.0)
        except Exception:
            logger.debug("%s: draining queued audio failed", self._name, exc_info=True)
        span = self._timeline.speech_stopped(time.time())
        if span is not None:
            self._finals.close(span)
        wait = timeout + self._finals.pending_seconds()  # a pass costs well under a second per second of audio
        if not self._finals.wait_idle(wait):
            dropped = self._finals.stop()
            logger.warning("%s: %d utterance(s) got no final within %.0f s of the end", self._name, len(dropped), wait)
            self._finals.report_dropped(dropped, f"not transcribed within {wait:.0f} s of the end of the stream")

    def close(self) -> None:
        """Shut the recorder down, join every thread this engine started, and check the session's books. Idempotent."""
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
        self._finals.stop()
        self._unwatch()
        coverage = self._finals.coverage
        coverage.received = self._received
        if coverage.holds and not coverage.dropped_samples:
            logger.info("%s: %s", self._name, coverage.summary())
        else:
            logger.warning("%s: speech without a final: %s", self._name, coverage.summary())


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
