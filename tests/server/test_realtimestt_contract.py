"""The RealtimeSTT internals that server/live/voice_activity.py relies on, pinned: each test breaks if RealtimeSTT
changes what the adapter counts on. A real AudioToTextRecorder with its real VAD, fed a real clip at real-time
pace; its passes go to a recording executor (the seam the adapter uses), so no Whisper model is needed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from dictate.audio import silence, split_frames
from dictate.audiofile import read_wav_as_pcm16
from dictate.protocol import SAMPLE_RATE
from dictate.server.live.voice_activity import _ExternalExecutor
from dictate.server.model.pass_types import PassResult
from tests.conftest import Clip

pytestmark = pytest.mark.model  # a real recorder and real-time audio: run under the heavy lock

CLIPS = ("ps_librivox_sns01_0880.wav", "ps_librivox_sns01_0930.wav")  # 3 s each


class NoPasses:
    """RealtimeSTT's external executor: the engine never lets RealtimeSTT run a final pass of its own."""

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, audio: Any, language: str | None = None, use_prompt: bool = True, **_: Any) -> Any:
        from RealtimeSTT.transcription_engines.base import TranscriptionResult

        self.calls += 1
        return TranscriptionResult(text="")


@dataclass
class Seen:
    """What the recorder's callbacks reported, in order, with the thread each ran on."""

    events: list[tuple[str, int, int]] = field(default_factory=list)  # (name, bytes read so far, thread id)
    chunks: bytearray = field(default_factory=bytearray)

    def chunk(self, data: bytes) -> None:
        self.chunks += data
        self.events.append(("chunk", len(self.chunks), threading.get_ident()))

    def callback(self, name: str) -> Callable[[], None]:
        return lambda: self.events.append((name, len(self.chunks), threading.get_ident()))


@pytest.fixture(scope="module")
def two_utterances(clips: dict[str, Clip]) -> Iterator[tuple[Seen, bytes, NoPasses, int]]:
    """A recorder fed two sentences at real-time pace while a thread loops on wait_audio(), as the engine does:
    (callbacks seen, the audio fed, the executor, wait_audio() returns)."""
    from RealtimeSTT import AudioToTextRecorder

    seen, executor = Seen(), NoPasses()
    recorder = AudioToTextRecorder(
        model="unused",  # an external executor: RealtimeSTT loads no model of its own
        use_microphone=False,
        spinner=False,
        no_log_file=True,
        enable_realtime_transcription=False,
        transcription_executor=executor,
        post_speech_silence_duration=0.45,
        early_transcription_on_silence=0,
        silero_deactivity_detection=True,
        handle_buffer_overflow=False,
        on_recorded_chunk=seen.chunk,
        on_recording_start=seen.callback("start"),
        on_recording_stop=seen.callback("stop"),
        on_turn_detection_start=seen.callback("pause"),
        on_turn_detection_stop=seen.callback("resume"),
    )
    pcm = b"".join(silence(0.5) + read_wav_as_pcm16(clips[name].path) + silence(1.5) for name in CLIPS)
    returns = []

    def listen() -> None:
        while not recorder.is_shut_down:
            recorder.wait_audio()
            returns.append(time.monotonic())

    listener = threading.Thread(target=listen, name="test-listen")
    listener.start()
    started = time.monotonic()
    for index, frame in enumerate(split_frames(pcm, 20)):  # real-time pace: silence is timed by the wall clock
        recorder.feed_audio(frame, original_sample_rate=SAMPLE_RATE)
        time.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))
    recorder.flush_audio_input()
    assert recorder.drain_audio_input(timeout=5)
    try:
        yield seen, pcm, executor, len(returns)
    finally:
        recorder.shutdown()
        listener.join(10)
        assert not listener.is_alive(), "wait_audio() did not return after shutdown()"


def test_recorded_chunks_are_every_byte_fed_in_order(two_utterances: Any) -> None:
    # voice_activity: SessionAudio and the Timeline's positions are built from these chunks
    seen, pcm, _executor, _returns = two_utterances
    assert bytes(seen.chunks) == pcm


def test_vad_callbacks_run_on_the_recording_thread_after_the_chunk_that_caused_them(two_utterances: Any) -> None:
    # voice_activity: a callback's position on the timeline is the number of samples read before it
    seen, _pcm, _executor, _returns = two_utterances
    threads = {thread for _name, _read, thread in seen.events}
    assert len(threads) == 1
    names = [name for name, _read, _thread in seen.events if name != "chunk"]
    assert names.count("start") == 2 and names.count("stop") == 2, names
    assert names.index("start") < names.index("pause") < names.index("stop")
    starts = [read for name, read, _thread in seen.events if name == "start"]
    assert 0.5 * SAMPLE_RATE * 2 < starts[0] < 1.2 * SAMPLE_RATE * 2  # speech begins 0.5 s in


def test_waiting_for_audio_keeps_the_recorder_listening_and_never_transcribes(two_utterances: Any) -> None:
    # voice_activity._listen_loop: wait_audio() in a loop re-arms the VAD; RealtimeSTT runs no final pass of its own
    _seen, _pcm, executor, returns = two_utterances
    assert returns >= 2
    assert executor.calls == 0


def test_our_executor_returns_realtimestt_result_type() -> None:
    # voice_activity._ExternalExecutor builds RealtimeSTT's result type from its internals (transcription_engines.base)
    from RealtimeSTT.core.transcription import call_transcription_executor
    from RealtimeSTT.transcription_engines.base import TranscriptionResult

    def run(audio: np.ndarray, language: str | None) -> PassResult:
        return PassResult(f"{audio.size} samples", language, 0.9, audio.size / SAMPLE_RATE, 0.01)

    executor = _ExternalExecutor("interim", run)
    result = call_transcription_executor(executor, np.zeros(SAMPLE_RATE, np.float32), "en", True)
    assert isinstance(result, TranscriptionResult)
    assert (result.text, result.info.language, result.info.language_probability) == ("16000 samples", "en", 0.9)


def test_after_shutdown_is_shut_down_is_set_and_wait_audio_returns_at_once() -> None:
    # voice_activity._listen stops on is_shut_down: after shutdown() wait_audio() returns at once, so a loop would spin
    from RealtimeSTT import AudioToTextRecorder

    recorder = AudioToTextRecorder(
        model="unused", use_microphone=False, spinner=False, no_log_file=True, transcription_executor=NoPasses()
    )
    assert recorder.is_shut_down is False
    recorder.shutdown()
    assert recorder.is_shut_down is True
    returned = threading.Event()

    def wait() -> None:
        recorder.wait_audio()
        returned.set()

    waiter = threading.Thread(target=wait, name="test-wait-audio")
    waiter.start()
    waiter.join(10)
    assert returned.is_set()


@pytest.mark.parametrize(("sensitivity", "speech"), [(0.4, False), (0.6, True)])
def test_silero_sensitivity_is_one_minus_the_probability_threshold(sensitivity: float, speech: bool) -> None:
    # config.vad_sensitivity (DICTATE_VAD_SENSITIVITY) is passed as silero_sensitivity: a chunk is speech when
    # Silero's probability is over 1 - sensitivity (0.4: over 0.6); docs/tuning.md says so
    from types import SimpleNamespace

    from RealtimeSTT.core.voice_activity import is_silero_speech

    recorder = SimpleNamespace(
        sample_rate=SAMPLE_RATE,
        silero_sensitivity=sensitivity,
        silero_vad_model=lambda _chunk, _rate: 0.5,  # Silero's probability for this chunk
        is_silero_speech_active=False,
        use_extended_logging=False,
    )
    assert is_silero_speech(recorder, bytes(1024)) is speech


def test_the_vad_sensitivity_setting_reaches_the_recorder() -> None:
    from dictate.config import ServerSettings
    from dictate.server.live.voice_activity import VoiceActivity
    from dictate.server.model.source import ModelChoice

    choice = ModelChoice("/nonexistent", "packaged:base", "cpu", "int8", True, "test")
    voice = VoiceActivity(choice, ServerSettings(vad_sensitivity=0.7), lambda _input: None, name="test")
    voice.start()
    try:
        assert voice._recorder.silero_sensitivity == 0.7
    finally:
        voice.close()


def test_a_recording_stopped_in_a_pause_reports_no_resume_until_new_speech(clips: dict[str, Clip]) -> None:
    # the live core's early end (StopRecording): RealtimeSTT then reports the end of the pause it was in, in
    # silence; VoiceActivity must not pass that on as speech going on (it opened a 0.03 s utterance)
    from dictate.config import ServerSettings
    from dictate.server.live.inputs import AudioRead, Input, VoicePaused, VoiceResumed, VoiceStarted, VoiceStopped
    from dictate.server.live.voice_activity import VoiceActivity
    from dictate.server.model.source import ModelChoice

    seen: list[Input] = []
    paused = threading.Event()

    def put(item: Input) -> None:
        if not isinstance(item, AudioRead):
            seen.append(item)
        if isinstance(item, VoicePaused):
            paused.set()

    choice = ModelChoice("/nonexistent", "packaged:base", "cpu", "int8", True, "test")
    voice = VoiceActivity(choice, ServerSettings(), put, name="test")
    voice.start()
    stopped_at: list[int] = []  # how many edges were seen when the recording was stopped

    def stop_in_the_pause() -> None:
        if paused.wait(30):
            stopped_at.append(len(seen))
            voice.stop_recording()

    stopper = threading.Thread(target=stop_in_the_pause, name="test-stopper")
    stopper.start()
    try:
        pcm = b"".join(silence(0.5) + read_wav_as_pcm16(clips[name].path) + silence(1.5) for name in CLIPS)
        started = time.monotonic()
        for index, frame in enumerate(split_frames(pcm, 20)):
            voice.feed(frame)
            time.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))
        voice.drain()
    finally:
        stopper.join(30)
        voice.close()
    kinds = [type(item).__name__ for item in seen]
    assert stopped_at, kinds
    after = kinds[stopped_at[0] :]
    assert VoiceStopped.__name__ in after and VoiceStarted.__name__ in after, kinds  # the second sentence heard
    until_new_speech = after[: after.index(VoiceStarted.__name__)]
    assert VoiceResumed.__name__ not in until_new_speech, f"the stopped recording's pause ended as speech: {kinds}"
