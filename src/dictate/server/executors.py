"""RealtimeSTT's external-executor seam: how a recorder's final and interim passes reach the shared model.

RealtimeSTT calls ``executor.transcribe(audio, language, use_prompt, **options)`` on its own threads. Final passes
are kept in order by ``FinalPasses``; interim passes are skipped when the speaker is probably stopping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.passes import FinalPasses

if TYPE_CHECKING:
    from dictate.server.engine import SharedModel

logger = logging.getLogger(__name__)


def trailing_quiet(audio: np.ndarray, ratio: float, tail_seconds: float = 0.2) -> bool:
    """Whether the last ``tail_seconds`` are much quieter than the utterance (RMS below ``ratio`` of it).

    An interim pass started then is likely to still be running when the speaker has stopped, delaying the
    final pass behind it on a busy CPU; skipping it costs one preview. ``ratio`` 0 disables the check.
    """
    tail = int(tail_seconds * SAMPLE_RATE)
    if ratio <= 0 or audio.size <= 2 * tail:
        return False
    overall = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    recent = float(np.sqrt(np.mean(np.square(audio[-tail:], dtype=np.float64))))
    return overall > 0 and recent < ratio * overall


class PassExecutor:
    """RealtimeSTT external executor (object style: ``.transcribe(audio, language, use_prompt, **kw)``)."""

    def __init__(
        self,
        model: SharedModel,
        final: bool,
        on_final_pass: Callable[[float, float], None],
        skip_interim: Callable[[], bool] = lambda: False,
        passes: FinalPasses | None = None,
    ) -> None:
        self._model = model
        self._final = final
        self._on_final_pass = on_final_pass
        self._skip_interim = skip_interim
        self._passes = passes or FinalPasses()

    def transcribe(self, audio: Any, language: str | None = None, use_prompt: bool = True, **_: Any) -> Any:
        from RealtimeSTT.transcription_engines.base import TranscriptionInfo, TranscriptionResult

        samples = np.asarray(audio, dtype=np.float32)
        started = time.monotonic()
        if self._final:
            ticket = self._passes.begin()
            final = self._model.run_final(samples, language, cancelled=lambda: not self._passes.is_current(ticket))
            if final is not None:
                text, info, compute = final
                self._passes.done(ticket, text)
                self._on_final_pass(compute, samples.size / SAMPLE_RATE)
            else:  # speech resumed before this speculative pass reached the model
                logger.debug("final pass over %.2f s of audio dropped: speech resumed", samples.size / SAMPLE_RATE)
            result = None if final is None else final[:2]
        else:
            skip = self._skip_interim() or trailing_quiet(samples, self._model.settings.interim_quiet_ratio)
            result = None if skip else self._model.run_interim(samples, language)
        if result is None:
            return TranscriptionResult(text="", info=TranscriptionInfo())
        text, info = result
        logger.debug(
            "%s pass: %.2f s of audio in %.2f s",
            "final" if self._final else "interim",
            samples.size / SAMPLE_RATE,
            time.monotonic() - started,
        )
        return TranscriptionResult(
            text=text,
            info=TranscriptionInfo(
                language=getattr(info, "language", None),
                language_probability=float(getattr(info, "language_probability", 0.0)),
            ),
        )
