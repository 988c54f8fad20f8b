"""The acoustic end-of-turn model: Smart Turn v3.2 (Daily, BSD-2-Clause), an 8 M-parameter Whisper-encoder
classifier in an 8.7 MB int8 ONNX file. Given the last 8 s of a speaker's audio up to a pause, it says how likely
the turn is complete (intonation, a trailing-off voice), which the text of a pass cannot tell: Whisper closes
almost any fragment with a full stop. The live core takes its answer as a cue (``end_of_turn.py``).

The file comes from the pipecat-ai wheel, installed without its dependencies by ``scripts/fetch-turn-model.sh``
(the setup script and the container image run it); nothing is downloaded at run time. One session per server,
one thread a call (about 40 ms on one core of the development CPU); ``onnxruntime.InferenceSession.run`` is
thread-safe, so sessions share it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

from dictate.errors import ModelLoadError, ModelNotFoundError
from dictate.protocol import SAMPLE_RATE

logger = logging.getLogger(__name__)

TURN_MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
TURN_MODEL_LABEL = "Smart Turn v3.2"
WINDOW_SECONDS = 8  # the model's input: the last 8 s, zero-padded at the start when shorter


def installed_turn_model() -> Path:
    """Where ``scripts/fetch-turn-model.sh`` puts the file by default: the environment's share/dictate."""
    return Path(sys.prefix) / "share" / "dictate" / TURN_MODEL_FILE


def find_turn_model(setting: str) -> Path | None:
    """The file ``DICTATE_TURN_MODEL`` names: ``auto`` the installed one if there is one, ``off`` none, else a
    path (an error when it is missing: asked for by name, it is not silently dropped)."""
    if setting == "off":
        return None
    if setting == "auto":
        path = installed_turn_model()
        return path if path.is_file() else None
    path = Path(setting).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(
            f"turn model {setting!r} is not a file: run scripts/fetch-turn-model.sh, or set DICTATE_TURN_MODEL=off"
        )
    return path


class TurnModel:
    """``complete(audio)``: the probability that the speech in ``audio`` (16 kHz float32, ending at a pause) is a
    finished turn."""

    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        self.path = path
        self._session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def complete(self, audio: np.ndarray) -> float:
        from dictate.server.model.whisper import log_mel_80

        window = WINDOW_SECONDS * SAMPLE_RATE
        audio = audio[-window:]
        audio = np.pad(audio, (window - audio.size, 0))
        features = log_mel_80(audio, WINDOW_SECONDS)[np.newaxis]
        (probability,) = self._session.run(None, {"input_features": features})[0][0]
        return float(probability)


def load_turn_model(path: Path) -> TurnModel:
    """Load the turn model in ``path`` (``find_turn_model``), warmed up."""
    try:
        model = TurnModel(path)
        model.complete(np.zeros(SAMPLE_RATE, np.float32))  # warm up: the first call pays the graph's set-up
    except Exception as exc:  # not an ONNX file, or not this model's inputs
        raise ModelLoadError(
            f"cannot load turn model {str(path)!r}: {exc}. "
            "Run scripts/fetch-turn-model.sh, or set DICTATE_TURN_MODEL=off"
        ) from exc
    logger.info("end of turn: %s (%s)", TURN_MODEL_LABEL, path)
    return model
