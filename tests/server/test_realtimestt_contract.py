"""The RealtimeSTT internals that server/engine.py relies on, pinned: each test breaks if RealtimeSTT changes
what the engine counts on. A real AudioToTextRecorder with its real VAD, fed a real clip at real-time pace;
its passes go to a recording executor (the seam the engine uses), so no Whisper model is needed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from dictate.audio import silence, split_frames
from dictate.audiofile import read_wav_as_pcm16
from dictate.protocol import SAMPLE_RATE
from dictate.server.engine import _ExternalExecutor
from dictate.server.executors import FinalPassExecutor
from dictate.server.passes import FinalPasses, PassResult, Transcription
from dictate.server.scheduler import ModelScheduler
from tests.conftest import Clip

pytestmark = pytest.mark.model  # a real recorder and real-time audio: run under the heavy lock

CLIP = "ps_librivox_sns01_0880.wav"  # 3 s


class SlowFinalPasses:
    """RealtimeSTT's external final executor: each pass takes a while, so that a barrier can be seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.finished = 0
        self.audio_sizes: list[int] = []

    def transcribe(self, audio: Any, language: str | None = None, use_prompt: bool = True, **_: Any) -> Any:
        from RealtimeSTT.transcription_engines.base import TranscriptionResult

        with self._lock:
            self.in_flight += 1
        time.sleep(0.5)
        with self._lock:
            self.in_flight -= 1
            self.finished += 1
            self.audio_sizes.append(len(audio))
            return TranscriptionResult(text=f"pass {self.finished}")


@pytest.fixture(scope="module")
def recorder_after_one_utterance(clips: dict[str, Clip]) -> Iterator[tuple[Any, SlowFinalPasses, str, int]]:
    """(recorder, executor, what text() returned, in-flight passes when it returned), then shut down."""
    from RealtimeSTT import AudioToTextRecorder

    executor = SlowFinalPasses()
    recorder = AudioToTextRecorder(
        model="unused",  # an external executor: RealtimeSTT loads no model of its own
        use_microphone=False,
        spinner=False,
        no_log_file=True,
        enable_realtime_transcription=False,
        transcription_executor=executor,
        post_speech_silence_duration=0.45,
        early_transcription_on_silence=0.05,  # as the engine: speculative passes at every pause
        ensure_sentence_ends_with_period=False,
        handle_buffer_overflow=False,
    )
    pcm = silence(0.5) + read_wav_as_pcm16(clips[CLIP].path) + silence(1.5)

    def feed() -> None:  # real-time pace: RealtimeSTT times silence by the wall clock
        started = time.monotonic()
        for index, frame in enumerate(split_frames(pcm, 20)):
            recorder.feed_audio(frame, original_sample_rate=SAMPLE_RATE)
            time.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))

    feeder = threading.Thread(target=feed, name="test-feeder")
    feeder.start()
    try:
        text = recorder.text()
        in_flight = executor.in_flight
        yield recorder, executor, text, in_flight
    finally:
        feeder.join()
        recorder.shutdown()


def test_text_waits_for_every_final_pass_it_started(recorder_after_one_utterance: Any) -> None:
    # engine._utterance_result reads FinalPasses right after text(): every pass must be complete by then
    _recorder, executor, text, in_flight = recorder_after_one_utterance
    assert executor.finished >= 1
    assert in_flight == 0
    assert text.lower().startswith("pass ")  # RealtimeSTT capitalises the first letter


def test_last_transcription_bytes_holds_the_utterance_audio(recorder_after_one_utterance: Any) -> None:
    # the engine transcribes these samples again when no final pass covered the whole utterance
    recorder, executor, _text, _in_flight = recorder_after_one_utterance
    audio = recorder.last_transcription_bytes
    assert isinstance(audio, np.ndarray) and audio.dtype == np.float32
    assert len(audio) >= 2 * SAMPLE_RATE  # the clip holds ~2.5 s of speech
    assert len(audio) >= max(executor.audio_sizes)


def test_after_shutdown_is_shut_down_is_set_and_text_returns_at_once(clips: dict[str, Clip]) -> None:
    # the engine's final-text loop stops on is_shut_down: text() would otherwise return "" forever
    from RealtimeSTT import AudioToTextRecorder

    recorder = AudioToTextRecorder(
        model="unused", use_microphone=False, spinner=False, no_log_file=True, transcription_executor=SlowFinalPasses()
    )
    assert recorder.is_shut_down is False
    recorder.shutdown()
    assert recorder.is_shut_down is True
    returned: list[str] = []
    waiter = threading.Thread(target=lambda: returned.append(recorder.text()), name="test-text")
    waiter.start()
    waiter.join(10)
    assert returned == [""]


def test_our_executor_returns_realtimestt_result_type() -> None:
    # engine._ExternalExecutor builds RealtimeSTT's result type from its internals (transcription_engines.base)
    from RealtimeSTT.core.transcription import call_transcription_executor
    from RealtimeSTT.transcription_engines.base import TranscriptionResult

    def transcribe(audio: np.ndarray, final: bool, language: str | None) -> Transcription:
        return Transcription(f"{audio.size} samples", language, 0.9)

    executor = _ExternalExecutor("final", FinalPassExecutor(ModelScheduler(transcribe), FinalPasses[PassResult]()))
    result = call_transcription_executor(executor, np.zeros(SAMPLE_RATE, np.float32), "en", True)
    assert isinstance(result, TranscriptionResult)
    assert (result.text, result.info.language, result.info.language_probability) == ("16000 samples", "en", 0.9)
