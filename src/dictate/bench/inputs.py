"""What the bench streams: clips and their reference transcripts, from a manifest.tsv or audio files."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.errors import ConfigError
from dictate.protocol import SAMPLE_RATE, SAMPLE_WIDTH

DEFAULT_MANIFEST = Path("..") / "shared" / "audio" / "manifest.tsv"


_FORMATTING = frozenset(".,?!;:")


def looks_formatted(text: str) -> bool:
    """Whether a transcript is written as text (capitals or punctuation), not normalised: only such a
    reference can score the formatting of the finals."""
    return any(char.isupper() or char in _FORMATTING for char in text)


@dataclass(frozen=True)
class BenchClip:
    """One audio file and what is said in it ('' when unknown: no WER then)."""

    name: str
    path: Path
    reference: str
    derived: bool = False  # built from other clips of the manifest (not counted twice by default)
    variant: str = ""  # "" for the file as it is; e.g. "pauses 1 s" for a variant made by the bench
    formatted_reference: str = ""  # what the formatted WER is scored against ('' : the reference if formatted)
    pcm: bytes | None = field(default=None, repr=False, compare=False)  # the variant's audio (None: read path)

    @property
    def formatted_target(self) -> str:
        """The text the formatted WER is scored against ('' : none, e.g. a lower-case reference)."""
        if self.formatted_reference:
            return self.formatted_reference
        return self.reference if looks_formatted(self.reference) else ""

    def audio(self) -> bytes:
        """16 kHz mono int16 PCM of the clip (of its variant)."""
        return self.pcm if self.pcm is not None else read_wav_as_pcm16(self.path)


def read_manifest(path: Path, include_derived: bool = False) -> list[BenchClip]:
    """Rows of a TSV with a header holding at least ``file`` and ``transcript`` (paths relative to it).

    Rows whose ``notes`` column starts with "DERIVED" are skipped unless ``include_derived``.
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except OSError as exc:
        raise ConfigError(f"cannot read manifest {path}: {exc}") from exc
    if rows and not {"file", "transcript"} <= set(rows[0]):
        raise ConfigError(f"manifest {path} needs 'file' and 'transcript' columns")
    clips = []
    for row in rows:
        derived = (row.get("notes") or "").strip().upper().startswith("DERIVED")
        if derived and not include_derived:
            continue
        clips.append(BenchClip(row["file"], path.parent / row["file"], row["transcript"] or "", derived))
    return clips


def reference_for(audio: Path) -> str:
    """The transcript of a lone audio file: its row in a manifest.tsv beside it, else a .txt beside it."""
    manifest = audio.parent / "manifest.tsv"
    if manifest.is_file():
        for clip in read_manifest(manifest, include_derived=True):
            if clip.name == audio.name:
                return clip.reference
    text = audio.with_suffix(".txt")
    if text.is_file():
        return text.read_text(encoding="utf-8").strip()
    return ""


def collect_clips(paths: list[Path], include_derived: bool = False, manifest: Path | None = None) -> list[BenchClip]:
    """Clips from manifests (``*.tsv``) and audio files, in order. With no paths: ``manifest`` (the settings'
    DICTATE_BENCH_MANIFEST), else ../shared/audio/manifest.tsv when it exists."""
    if not paths:
        manifest = manifest or (DEFAULT_MANIFEST if DEFAULT_MANIFEST.is_file() else None)
        if manifest is None:
            raise ConfigError(
                "no input: give audio files or a manifest.tsv (or set DICTATE_BENCH_MANIFEST; "
                f"{DEFAULT_MANIFEST} does not exist here)"
            )
        paths = [manifest]
    clips: list[BenchClip] = []
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"no such file: {path}")
        if path.suffix.lower() == ".tsv":
            clips.extend(read_manifest(path, include_derived))
        else:
            clips.append(BenchClip(path.name, path, reference_for(path)))
    if not clips:
        raise ConfigError("no clips to benchmark")
    return clips


@dataclass(frozen=True)
class StreamAudio:
    """What one stream sends: leading silence + clip + trailing silence, and where speech is in it."""

    pcm: bytes
    onset: float | None  # seconds from the first sample sent
    end: float | None
    segment_ends: tuple[float, ...] = ()  # end of every speech segment (seconds from the first sample sent)

    @property
    def seconds(self) -> float:
        """Duration of the PCM."""
        return len(self.pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)


def padded(clip_pcm: bytes, leading: float, trailing: float) -> bytes:
    """The clip between ``leading`` and ``trailing`` seconds of digital silence."""
    return silence(leading) + clip_pcm + silence(trailing)
