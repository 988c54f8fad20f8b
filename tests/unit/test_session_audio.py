"""The session audio's helpers: whether an utterance's tail has gone quiet (an interim pass is skipped then)."""

from __future__ import annotations

import numpy as np

from dictate.server.live.session_audio import trailing_quiet


def speech_then(tail: np.ndarray, seconds: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    loud = (rng.standard_normal(int(16000 * seconds)) * 0.3).astype(np.float32)
    return np.concatenate([loud, tail.astype(np.float32)])


def test_quiet_tail_after_speech_is_detected() -> None:
    assert trailing_quiet(speech_then(np.zeros(4000)), ratio=0.3)
    assert trailing_quiet(speech_then(np.full(4000, 0.01)), ratio=0.3)


def test_loud_tail_or_disabled_check_is_not_quiet() -> None:
    rng = np.random.default_rng(1)
    assert not trailing_quiet(speech_then(rng.standard_normal(4000) * 0.3), ratio=0.3)
    assert not trailing_quiet(speech_then(np.zeros(4000)), ratio=0.0)


def test_too_short_or_silent_audio_is_never_skipped() -> None:
    assert not trailing_quiet(np.zeros(3000, dtype=np.float32), ratio=0.3)
    assert not trailing_quiet(np.zeros(16000, dtype=np.float32), ratio=0.3)
