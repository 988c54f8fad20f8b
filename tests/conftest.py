"""Shared fixtures: the real speech clips in ../shared/audio and their manifest."""

from __future__ import annotations

import contextlib
import csv
import os
import time
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


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The run must end when pytest does. A thread a test left running (not a daemon) would keep the
    interpreter alive for ever after the summary, and a child process left running could hold CI's output
    pipe open: name them, stop the children, and end the run as failed instead of hanging."""
    import signal
    import sys
    import threading
    import traceback

    leftover_children = _children_of(os.getpid())
    for pid, _command in leftover_children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    threads = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    threads = [t for t in threads if t.is_alive()]
    if not threads and not leftover_children:
        return
    frames = sys._current_frames()
    report = ["", "tests left these running after the session (a leak in a test or its fixture):"]
    report += [f"  child process {pid}: {command}" for pid, command in leftover_children]
    for thread in threads:
        stack = "".join(traceback.format_stack(frames[thread.ident])) if thread.ident in frames else ""
        report.append(f"  thread {thread.name!r}:\n{stack}")
    sys.stderr.write("\n".join(report) + "\n")
    sys.stderr.flush()
    sys.stdout.flush()
    if threads:  # the interpreter would wait for them for ever
        os._exit(3)


def _children_of(parent: int) -> list[tuple[int, str]]:
    """Live child processes of ``parent`` (pid, command line), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent and fields[0] != "Z":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                children.append((int(entry.name), command))
        except (OSError, IndexError, ValueError):
            continue
    return children
