"""`dictate bench --floor`: each clip transcribed whole, offline, by faster-whisper with the server's model.

The time of one final pass over the whole clip is the compute no streaming server can avoid after the end
of speech (it needs the last word before it can finish the text): its end-of-speech-to-final latency minus
its silence timeout can approach this floor but not beat it. The model, device, compute type, beam size,
language and thread count are resolved from the same ServerSettings (flags and DICTATE_* variables) and
by the same ``dictate.server.model.source.choose_model`` as `dictate serve`; each pass is the server's own final
pass (``transcribe_pass``: its window, timestamps and checks). With `--vocabulary FILE`
each pass gets the prompt a streaming session with that vocabulary gets (``PassOptions.prompt``), so that a
floor and a stream run with the same words file compare like with like.
``OfflineModel.words`` gives the word timestamps `--pauses` cuts at (see ``paused.py``).
Needs the server extra (faster-whisper); never imports torch. With ``paused.py``, the only bench module that
uses the server's model code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dictate.audio import pcm16_to_float
from dictate.bench.inputs import BenchClip
from dictate.bench.pauses import TimedWord
from dictate.bench.stats import Distribution
from dictate.bench.wer import clip_formatted_wer, clip_wer, corpus_formatted_wer, corpus_wer
from dictate.errors import ServerDependencyError
from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FloorResult:
    """One offline pass over one clip."""

    clip: str
    repeat: int
    reference: str
    hypothesis: str
    floor_seconds: float  # wall time of the pass (model call and decoding of all segments)
    audio_seconds: float
    rtf: float
    wer: float | None
    failure: str | None = None
    variant: str = ""
    formatted_reference: str = ""
    formatted_wer: float | None = None


@dataclass(frozen=True)
class FloorSummary:
    """Figures of a floor run."""

    concurrency: int
    streams: int
    failures: int
    floor_seconds: Distribution
    rtf: Distribution
    wer: float | None
    formatted_wer: float | None = None


def summarise_floor(results: Sequence[FloorResult]) -> FloorSummary:
    """p50/p95/max of the pass times, RTF and corpus WER. Pure."""
    good = [r for r in results if r.failure is None]
    formatted = [r for r in good if r.formatted_reference]
    return FloorSummary(
        concurrency=1,
        streams=len(results),
        failures=len(results) - len(good),
        floor_seconds=Distribution.of(r.floor_seconds for r in good),
        rtf=Distribution.of(r.rtf for r in good),
        wer=corpus_wer([r.reference for r in good], [r.hypothesis for r in good]) if good else None,
        formatted_wer=(
            corpus_formatted_wer([r.formatted_reference for r in formatted], [r.hypothesis for r in formatted])
            if formatted
            else None
        ),
    )


class OfflineModel:
    """The server's model, loaded and run exactly as `dictate serve` runs a final pass."""

    def __init__(self, model: str | None = None, vocabulary: tuple[str, ...] = ()) -> None:
        try:
            from dictate.config import ServerSettings
            from dictate.server.model.pass_types import PassOptions
            from dictate.server.model.source import choose_model
            from dictate.server.model.whisper import load_model
        except ImportError as exc:
            raise ServerDependencyError(
                f"`dictate bench --floor` needs the server extra ({exc.name} is missing): "
                "pip install 'dictate-stt[server]'"
            ) from exc
        overrides = {"model": model} if model else {}
        self.settings = ServerSettings(**overrides)  # type: ignore[arg-type]
        self.choice = choose_model(self.settings)
        self.pass_options = PassOptions(vocabulary=vocabulary)  # what the server's session gets from start
        self._load = load_model
        self._model: Any = None  # loaded on first use: a cache hit of `--pauses` needs only the choice

    def _loaded(self) -> Any:
        if self._model is None:
            self._model = self._load(self.choice, self.settings)
        return self._model

    def describe(self) -> dict[str, Any]:
        """What the floor ran, in the shape of the server's ready message (plus decoding settings)."""
        return {
            "model": self.choice.label,
            "device": self.choice.device,
            "compute_type": self.choice.compute_type,
            "beam_size": self.settings.beam_size,
            "final_window_margin": self.settings.final_window_margin,
            "full_window_under": self.settings.full_window_under,
            "language": self.settings.language,
            "cpu_threads": self.choice.threads,
            "prompt": self.pass_options.prompt,
        }

    def transcribe(self, pcm: bytes) -> str:
        """The text of 16 kHz mono int16 PCM, in one final pass (with the vocabulary's prompt, if any)."""
        from dictate.server.model.whisper import transcribe_pass

        audio = pcm16_to_float(pcm)
        return transcribe_pass(self._loaded(), audio, self.settings, final=True, options=self.pass_options).text

    def words(self, pcm: bytes) -> list[TimedWord]:
        """The words of the clip with Whisper's word timestamps (full window, the final pass's beam; no
        vocabulary: `--pauses` places its pauses in the clip's plain words)."""
        segments, _info = self._loaded().transcribe(
            pcm16_to_float(pcm),
            language=self.settings.language_code,
            beam_size=self.settings.beam_size,
            vad_filter=False,
            condition_on_previous_text=False,
            word_timestamps=True,
        )
        return [
            TimedWord(word.word.strip(), float(word.start), float(word.end))
            for segment in segments
            for word in (segment.words or [])
            if word.word.strip()
        ]


def run_floor(
    model: OfflineModel,
    clips: Sequence[BenchClip],
    repeat: int = 1,
    on_done: Callable[[FloorResult], None] | None = None,
) -> list[FloorResult]:
    """Time one pass over each clip (its variant), ``repeat`` times, after one warm-up pass."""
    audios = [clip.audio() for clip in clips]
    if clips:
        model.transcribe(audios[0])  # warm-up: lazy initialisation is not part of the floor
    results = []
    for index in range(repeat):
        for clip, pcm in zip(clips, audios, strict=True):
            name, reference, formatted = clip.name, clip.reference, clip.formatted_target
            seconds = len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)
            started = time.perf_counter()
            try:
                text = model.transcribe(pcm)
            except Exception as exc:  # one bad clip is a failure of that clip, not of the run
                logger.warning("offline pass over %s failed: %s", name, exc)
                result = FloorResult(name, index, reference, "", 0.0, seconds, 0.0, None, str(exc), clip.variant)
            else:
                elapsed = time.perf_counter() - started
                result = FloorResult(
                    name,
                    index,
                    reference,
                    text,
                    elapsed,
                    seconds,
                    elapsed / seconds,
                    clip_wer(reference, text),
                    variant=clip.variant,
                    formatted_reference=formatted,
                    formatted_wer=clip_formatted_wer(formatted, text) if formatted else None,
                )
            results.append(result)
            if on_done is not None:
                on_done(result)
    return results


def floor_level(results: Sequence[FloorResult], wall_seconds: float) -> dict[str, Any]:
    """The floor run as one JSON level (concurrency 1)."""
    return {
        "concurrency": 1,
        "wall_seconds": round(wall_seconds, 3),
        "summary": asdict(summarise_floor(results)),
        "memory": None,
        "streams": [asdict(r) for r in results],
    }
