"""A dictation session in one audio file, and how the text the dashboard typed compares with what was said.

Issue 10's end-to-end check: clips spoken one after another (some with thinking pauses, ``paused.py``), in
one file streamed by `dictate tui --source FILE`, and the text it typed into a window scored against the
clips. ``build_replay`` makes the file (it runs or reads the cached offline transcripts, so it needs the
server extra); ``score_typed`` is pure. ``scripts/dashboard-replay.py`` runs the dashboard under Xvfb and
``tests/tui/test_replay_x11.py`` is its short version. ``keys_typed`` reads the keystrokes the dashboard's debug
log counted (its churn in ``--type live``: characters backspaced per 100 typed).

What the score says:

* ``wer`` / ``formatted_wer``: against the offline text of each *unpaused* clip (what the same model writes
  when nobody pauses), joined; ``reference_wer`` against the manifest's transcripts;
* ``lost``: runs of 3 or more reference words with no counterpart in the typed text (an utterance dropped);
* ``extra``: runs of 3 or more typed words with no counterpart in the reference (an utterance typed twice,
  or made up);
* ``parts``: per clip, the share of its words that have a counterpart in the typed text (one alignment over
  the whole session), so a clip typed zero times shows as ~0 and the others near 1.
"""

from __future__ import annotations

import re
import wave
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dictate.audio import silence
from dictate.bench.inputs import BenchClip
from dictate.bench.wer import (
    corpus_formatted_wer,
    corpus_wer,
    extra_words,
    lost_words,
    normalise,
)
from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH


@dataclass(frozen=True)
class ReplayPart:
    """One clip of the session, as spoken in it."""

    name: str
    reference: str  # the manifest's transcript
    offline_text: str  # what the model writes for the unpaused clip offline
    variant: str  # "" or e.g. "pauses 1 s"
    seconds: float


@dataclass(frozen=True)
class Replay:
    """The session's audio (16 kHz mono int16) and its clips in order."""

    pcm: bytes
    parts: tuple[ReplayPart, ...]
    gap: float

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)

    def write_wav(self, path: Path) -> Path:
        with wave.open(str(path), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(SAMPLE_WIDTH)
            handle.setframerate(SAMPLE_RATE)
            handle.writeframes(self.pcm)
        return path


def build_replay(
    paused: Sequence[BenchClip],
    plain: Sequence[BenchClip],
    pauses: float = 1.0,
    gap: float = 0.5,
    repeats: int = 2,
    cache_dir: Path | None = None,
) -> Replay:
    """``paused`` clips with ``pauses`` s of silence inside each sentence, then ``plain`` clips as they are,
    the whole sequence ``repeats`` times; ``gap`` s of silence before every clip and at the end."""
    from dictate.bench.paused import offline_clips

    paused_variants, _ = offline_clips(paused, pauses, cache_dir) if paused else ([], {})
    plain_variants, _ = offline_clips(plain, None, cache_dir) if plain else ([], {})
    sequence = [*paused_variants, *plain_variants] * repeats
    pieces = []
    parts = []
    for clip in sequence:
        audio = clip.audio()
        pieces += [silence(gap), audio]
        seconds = len(audio) / (SAMPLE_RATE * SAMPLE_WIDTH)
        parts.append(ReplayPart(clip.name, clip.reference, clip.formatted_reference, clip.variant, seconds))
    pieces.append(silence(gap))
    return Replay(b"".join(pieces), tuple(parts), gap)


def part_coverage(references: Sequence[str], typed: str) -> list[float]:
    """For each reference (in order, as one text), the share of its normalised words that the alignment with
    ``typed`` gives a counterpart (equal or substituted). Pure but for jiwer."""
    import jiwer

    owner: list[int] = []
    for index, reference in enumerate(references):
        owner += [index] * len(normalise(reference).split())
    counts = [0] * len(references)
    hyp = normalise(typed)
    if owner and hyp:
        reference_words = " ".join(normalise(reference) for reference in references)
        for chunk in jiwer.process_words(reference_words, hyp).alignments[0]:
            if chunk.type in ("equal", "substitute"):
                for position in range(chunk.ref_start_idx, chunk.ref_end_idx):
                    counts[owner[position]] += 1
    totals = [len(normalise(reference).split()) for reference in references]
    return [round(count / total, 3) if total else 1.0 for count, total in zip(counts, totals, strict=True)]


def score_typed(replay: Replay, typed: str) -> dict[str, Any]:
    """How the typed text of a replay compares with its clips (see the module docstring)."""
    offline = " ".join(part.offline_text for part in replay.parts)
    reference = " ".join(part.reference for part in replay.parts)
    lost = lost_words(offline, typed)
    extra = extra_words(offline, typed)
    coverage = part_coverage([part.offline_text for part in replay.parts], typed)
    return {
        "wer": corpus_wer([offline], [typed]),
        "formatted_wer": corpus_formatted_wer([offline], [typed]),
        "reference_wer": corpus_wer([reference], [typed]),
        "words_lost": lost.count,
        "lost_runs": list(lost.runs),
        "words_extra": extra.count,
        "extra_runs": list(extra.runs),
        "parts_missing": [part.name for part, share in zip(replay.parts, coverage, strict=True) if share < 0.5],
        "parts": [{**asdict(part), "typed_share": share} for part, share in zip(replay.parts, coverage, strict=True)],
    }


_TYPED_LINE = re.compile(r"typed (\d+) backspaces and (\d+) chars with ")


def keys_typed(log: str) -> dict[str, Any]:
    """The keys the dashboard pressed, from its debug log (``tui/typist.py``'s line for each typed plan):
    characters typed, backspaces, and backspaces per 100 characters typed (None when nothing was typed)."""
    batches = [(int(back), int(chars)) for back, chars in _TYPED_LINE.findall(log)]
    typed, backspaced = sum(chars for _, chars in batches), sum(back for back, _ in batches)
    return {
        "typing_batches": len(batches),
        "typed_chars": typed,
        "backspaced_chars": backspaced,
        "backspaced_per_100_typed": round(100 * backspaced / typed, 2) if typed else None,
    }
