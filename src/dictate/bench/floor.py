"""`dictate bench --floor`: each clip transcribed whole, offline, by faster-whisper with the server's model.

The time of one final pass over the whole clip is the compute no streaming server can avoid after the end
of speech (it needs the last word before it can finish the text): its end-of-speech-to-final latency minus
its silence timeout can approach this floor but not beat it. The model, device, compute type, beam size,
language and thread count are resolved from the same ServerSettings (flags and DICTATE_* variables) and
by the same ``dictate.server.models.choose_model`` as `dictate serve`; the decoding options mirror the
server's final pass (no VAD filter, no conditioning on previous text, no timestamps).
Needs the server extra (faster-whisper); never imports torch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dictate.audio import pcm16_to_float
from dictate.bench.metrics import Distribution
from dictate.bench.wer import clip_wer, corpus_wer
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


@dataclass(frozen=True)
class FloorSummary:
    """Figures of a floor run."""

    concurrency: int
    streams: int
    failures: int
    floor_seconds: Distribution
    rtf: Distribution
    wer: float | None


def summarise_floor(results: Sequence[FloorResult]) -> FloorSummary:
    """p50/p95/max of the pass times, RTF and corpus WER. Pure."""
    good = [r for r in results if r.failure is None]
    return FloorSummary(
        concurrency=1,
        streams=len(results),
        failures=len(results) - len(good),
        floor_seconds=Distribution.of(r.floor_seconds for r in good),
        rtf=Distribution.of(r.rtf for r in good),
        wer=corpus_wer([r.reference for r in good], [r.hypothesis for r in good]) if good else None,
    )


class OfflineModel:
    """The server's model, loaded and run exactly as `dictate serve` runs a final pass."""

    def __init__(self, model: str | None = None) -> None:
        try:
            from dictate.config import ServerSettings
            from dictate.server.models import choose_model
            from dictate.server.whisper import load_model
        except ImportError as exc:
            raise ServerDependencyError(
                f"`dictate bench --floor` needs the server extra ({exc.name} is missing): pip install 'dictate[server]'"
            ) from exc
        overrides = {"model": model} if model else {}
        self.settings = ServerSettings(**overrides)  # type: ignore[arg-type]
        self.choice = choose_model(self.settings)
        self._model = load_model(self.choice, self.settings)

    def describe(self) -> dict[str, Any]:
        """What the floor ran, in the shape of the server's ready message (plus decoding settings)."""
        return {
            "model": self.choice.label,
            "device": self.choice.device,
            "compute_type": self.choice.compute_type,
            "beam_size": self.settings.beam_size,
            "final_window_margin": self.settings.final_window_margin,
            "language": self.settings.language,
            "cpu_threads": self.settings.cpu_threads,
        }

    def transcribe(self, pcm: bytes) -> str:
        """The text of 16 kHz mono int16 PCM, in one final pass."""
        from dictate.server.whisper import transcribe_pass

        return transcribe_pass(self._model, pcm16_to_float(pcm), self.settings, final=True).text


def run_floor(
    model: OfflineModel,
    clips: Sequence[tuple[str, str, bytes]],
    repeat: int = 1,
    on_done: Callable[[FloorResult], None] | None = None,
) -> list[FloorResult]:
    """Time one pass over each (name, reference, pcm) clip, ``repeat`` times, after one warm-up pass."""
    if clips:
        model.transcribe(clips[0][2])  # warm-up: lazy initialisation is not part of the floor
    results = []
    for index in range(repeat):
        for name, reference, pcm in clips:
            seconds = len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)
            started = time.perf_counter()
            try:
                text = model.transcribe(pcm)
            except Exception as exc:  # one bad clip is a failure of that clip, not of the run
                logger.warning("offline pass over %s failed: %s", name, exc)
                result = FloorResult(name, index, reference, "", 0.0, seconds, 0.0, None, str(exc))
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
