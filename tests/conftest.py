"""Shared fixtures: the real speech clips in ../shared/audio and their manifest."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """No test reads the developer's own config.toml: point DICTATE_CONFIG (inherited by every `dictate`
    child process) at a file that does not exist; tests that need a config file set their own."""
    os.environ["DICTATE_CONFIG"] = str(REPO_ROOT / "tests" / "no-such-config.toml")


def shared_audio_dir() -> Path:
    """../shared/audio beside the checkout (override with DICTATE_TEST_AUDIO)."""
    return Path(os.environ.get("DICTATE_TEST_AUDIO", REPO_ROOT.parent / "shared" / "audio"))


@dataclass(frozen=True)
class Clip:
    """One row of manifest.tsv."""

    path: Path
    duration: float
    transcript: str


def load_clips() -> dict[str, Clip]:
    """The manifest's clips by file name."""
    directory = shared_audio_dir()
    manifest = directory / "manifest.tsv"
    if not manifest.is_file():
        raise FileNotFoundError(f"speech clips not found: {manifest} (set DICTATE_TEST_AUDIO)")
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {row["file"]: Clip(directory / row["file"], float(row["duration_s"]), row["transcript"]) for row in rows}


@pytest.fixture(scope="session")
def clips() -> dict[str, Clip]:
    """All shared clips, by file name (e.g. clips['ps_librivox_sns01_0880.wav'])."""
    return load_clips()
