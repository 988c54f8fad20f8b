"""The I/O shell of `dictate bench --pauses SECONDS`: offline transcripts of the clips, cached, and the variants.

For every clip the server's own model (``floor.OfflineModel``: same model resolution and settings as `dictate
serve`) gives, once, (a) the offline text of the whole clip, the final-pass code exactly as `--floor` runs it,
and (b) its words with Whisper word timestamps. Both are cached as JSON in the cache directory (default
``$XDG_CACHE_HOME/dictate/bench``, else ``~/.cache/dictate/bench``; ``--cache-dir``), keyed by a hash of the
clip's PCM, the model and the decoding settings, so a repeated run loads no model. ``pauses.with_pauses``
then cuts the clip; the variant keeps the clip's reference for the WER, and its formatted WER is scored
against the offline text of the unpaused clip: what the same model writes when nobody pauses.
With the server extra only (faster-whisper); the bench's only other module that uses server model code is
``floor.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dictate.bench.inputs import BenchClip
from dictate.bench.pauses import PausePlan, TimedWord, with_pauses

logger = logging.getLogger(__name__)

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/dictate/bench``, else ``~/.cache/dictate/bench``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dictate" / "bench"


@dataclass(frozen=True)
class OfflineTranscript:
    """What the server's model makes of a whole clip, offline."""

    text: str  # the final-pass text (as `--floor`)
    words: tuple[TimedWord, ...]  # word timestamps (for the cuts)


class OfflineTranscripts:
    """Offline transcripts by clip PCM, from the cache or (loading the model once) from the model."""

    def __init__(self, cache_dir: Path | None = None, model: str | None = None) -> None:
        from dictate.bench.floor import OfflineModel

        self.directory = cache_dir or default_cache_dir()
        self._model = OfflineModel(model)  # resolves the model; loads it only on a cache miss
        settings = self._model.describe()
        self._key = json.dumps({"version": CACHE_VERSION, **settings}, sort_keys=True)
        self.misses = 0

    def _path(self, name: str, pcm: bytes) -> Path:
        digest = hashlib.sha256(self._key.encode() + pcm).hexdigest()[:20]
        return self.directory / f"{Path(name).stem}-{digest}.json"

    def get(self, name: str, pcm: bytes) -> OfflineTranscript:
        """The clip's offline text and words (cached on disk)."""
        path = self._path(name, pcm)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return OfflineTranscript(data["text"], tuple(TimedWord(*word) for word in data["words"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        self.misses += 1
        transcript = OfflineTranscript(self._model.transcribe(pcm), tuple(self._model.words(pcm)))
        data = {
            "clip": name,
            "model": json.loads(self._key),
            "text": transcript.text,
            "words": [[w.text, round(w.start, 3), round(w.end, 3)] for w in transcript.words],
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        temporary.replace(path)
        return transcript


def pause_label(seconds: float) -> str:
    """The variant name of a clip with thinking pauses of ``seconds``."""
    return f"pauses {seconds:g} s"


def plan_record(plan: PausePlan, transcript: OfflineTranscript) -> dict[str, Any]:
    """What the report says about one clip's pauses."""
    return {
        "cuts_s": [round(second, 3) for second in plan.seconds()],
        "after_words": list(plan.after_words),
        "offline_text": transcript.text,
    }


def offline_clips(
    clips: Sequence[BenchClip], pauses: float | None, cache_dir: Path | None = None, model: str | None = None
) -> tuple[list[BenchClip], dict[str, dict[str, Any]]]:
    """Every clip scored (formatted WER) against its offline text, as its thinking-pause variant when ``pauses``
    is given; and per clip its offline text and where its pauses went (for the report)."""
    transcripts = OfflineTranscripts(cache_dir, model)
    variants = []
    plans: dict[str, dict[str, Any]] = {}
    for clip in clips:
        pcm = clip.audio()
        transcript = transcripts.get(clip.name, pcm)
        changed = replace(clip, formatted_reference=transcript.text or "")
        plan = PausePlan((), ())
        if pauses is not None:
            paused, plan = with_pauses(pcm, transcript.words, pauses)
            changed = replace(changed, variant=pause_label(pauses), pcm=paused)
            logger.info("%s: %d pause(s) of %g s after %s", clip.name, len(plan.cuts), pauses, plan.after_words)
        variants.append(changed)
        plans[clip.name] = plan_record(plan, transcript)
    if transcripts.misses:
        logger.info("offline transcripts: %d computed, cached in %s", transcripts.misses, transcripts.directory)
    return variants, plans
