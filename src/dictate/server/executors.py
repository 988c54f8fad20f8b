"""A recorder's interim passes, as our code sees them: audio in, a ``PassResult`` (or None) out.

No RealtimeSTT here: ``engine.py`` wraps the executor in RealtimeSTT's external-executor shape. An interim pass
is skipped when the speaker is probably stopping (it would delay the final pass behind it). Final passes are
``finals.FinalWorker``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.passes import NO_OPTIONS, PassOptions, PassResult
from dictate.server.scheduler import ModelScheduler

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


class InterimPassExecutor:
    """Interim (preview) passes of one recorder: never wait, skipped when the speaker is probably stopping."""

    def __init__(
        self,
        scheduler: ModelScheduler,
        quiet_ratio: float,
        speaker_stopping: Callable[[], bool] = lambda: False,
        options: Callable[[], PassOptions] = lambda: NO_OPTIONS,
    ) -> None:
        self._scheduler = scheduler
        self._quiet_ratio = quiet_ratio
        self._speaker_stopping = speaker_stopping
        self._options = options  # the session's options now (a vocabulary may come after the recorder starts)

    def run(self, audio: np.ndarray, language: str | None) -> PassResult | None:
        """A preview of ``audio``, or None when skipped (closing silence, quiet tail, or the model is busy)."""
        if self._speaker_stopping() or trailing_quiet(audio, self._quiet_ratio):
            return None
        return self._scheduler.run_interim(audio, language, self._options())
