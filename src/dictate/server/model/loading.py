"""The service's model loading: the Whisper model, its scheduler, and the warm-ups a first user would pay for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dictate.config import EndOfUtterance, ServerSettings
from dictate.protocol import SAMPLE_RATE
from dictate.server.live.voice_activity import warm_up_recorder
from dictate.server.model.scheduler import ModelScheduler
from dictate.server.model.source import ModelChoice
from dictate.server.model.turn import find_turn_model, load_turn_model

logger = logging.getLogger(__name__)


def load_scheduler(choice: ModelChoice, settings: ServerSettings) -> ModelScheduler:
    """Load the model (downloading a hub model if allowed), schedule its passes, warm up. Blocking.

    Raises ModelNotFoundError / ModelLoadError.
    """
    from dictate.server.model import whisper

    started = time.monotonic()
    model = whisper.load_model(choice, settings)
    logger.info(
        "model %s loaded in %.1f s: %d parallel call(s), %d CPU thread(s) each",
        choice.label,
        time.monotonic() - started,
        choice.workers,
        choice.threads,
    )
    scheduler = ModelScheduler(
        lambda audio, final, language, options: whisper.transcribe_pass(
            model, audio, settings, final, language, options
        ),
        workers=choice.workers,
        transcribe_window=lambda audio, options: whisper.transcribe_window(model, audio, options, settings),
        judge_turn=load_judge(settings),
    )
    warm_up_passes(scheduler)
    warm_up_recorder(choice, settings)
    return scheduler


def turn_model_path(settings: ServerSettings) -> Path | None:
    """The end-of-turn model file the settings ask for, with the adaptive end of utterance; raises
    ModelNotFoundError for a named file that is missing (checked at start-up, before the Whisper model loads)."""
    if settings.end_of_utterance is not EndOfUtterance.ADAPTIVE:
        return None
    return find_turn_model(settings.turn_model)


def load_judge(settings: ServerSettings) -> Callable[[np.ndarray], float] | None:
    """The acoustic end-of-turn model, with the adaptive end of utterance (None: the text alone decides)."""
    path = turn_model_path(settings)
    if path is None:
        if settings.end_of_utterance is EndOfUtterance.ADAPTIVE:
            logger.info("end of turn: no acoustic model (scripts/fetch-turn-model.sh installs one); the text decides")
        return None
    return load_turn_model(path).complete


def warm_up_passes(scheduler: ModelScheduler) -> None:
    """A final and an interim pass over a second of noise: the first user does not pay for lazy set-up."""
    started = time.monotonic()
    noise = (np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 0.01).astype(np.float32)
    scheduler.run_final(noise)
    scheduler.run_interim(noise)
    logger.info("model warmed up in %.2f s", time.monotonic() - started)
