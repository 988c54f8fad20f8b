"""Server memory while the bench runs: RSS and PSS of a process and its descendants, from Linux's /proc.

Used with the embedded server (whose process the bench owns): the sampler records the peak while each
concurrency level runs; the cost of one more session is (peak at N - peak at 1) / (N - 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROC = Path("/proc")


def parse_kib_field(text: str, field: str) -> int | None:
    """Bytes of a 'Field:   1234 kB' line of /proc status or smaps_rollup text. Pure."""
    for line in text.splitlines():
        if line.startswith(field + ":"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def parse_stat_ppid(stat: str) -> int | None:
    """The parent pid from /proc/PID/stat text (the command name may hold spaces and parentheses). Pure."""
    _, _, rest = stat.rpartition(")")
    fields = rest.split()
    return int(fields[1]) if len(fields) > 1 and fields[1].lstrip("-").isdigit() else None


def descendants(root: int, parents: dict[int, int]) -> list[int]:
    """``root`` and every process below it, given a pid -> parent pid map. Pure."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:  # the process ended, or /proc is not there
        return ""


def parent_map(proc: Path = PROC) -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    parents = {}
    for entry in proc.iterdir() if proc.is_dir() else []:
        if entry.name.isdigit():
            parent = parse_stat_ppid(_read(entry / "stat"))
            if parent is not None:
                parents[int(entry.name)] = parent
    return parents


def tree_memory(root: int, proc: Path = PROC) -> dict[str, int]:
    """Summed RSS and PSS (bytes) of ``root`` and its descendants (PSS counts shared pages once)."""
    rss = pss = 0
    for pid in descendants(root, parent_map(proc)):
        rss += parse_kib_field(_read(proc / str(pid) / "status"), "VmRSS") or 0
        pss += parse_kib_field(_read(proc / str(pid) / "smaps_rollup"), "Pss") or 0
    return {"rss_bytes": rss, "pss_bytes": pss}


def find_child(needle: Sequence[str], parent: int | None = None, proc: Path = PROC) -> int | None:
    """The pid of a child of ``parent`` (default: this process) whose command line holds all of ``needle``."""
    owner = os.getpid() if parent is None else parent
    for pid, ppid in parent_map(proc).items():
        if ppid != owner:
            continue
        argv = _read(proc / str(pid) / "cmdline").split("\0")
        if all(word in argv for word in needle):
            return pid
    return None


class MemorySampler:
    """Samples a process tree's memory every ``interval`` s in one asyncio task; ``stop()`` gives the peak."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> dict[str, int]:
        """Take one sample now (also updates the peaks)."""
        memory = tree_memory(self.pid)
        self.peak_rss = max(self.peak_rss, memory["rss_bytes"])
        self.peak_pss = max(self.peak_pss, memory["pss_bytes"])
        self.samples += 1
        return memory

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Start sampling in the running loop."""
        self.peak_rss = self.peak_pss = self.samples = 0
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> dict[str, Any]:
        """Stop sampling; the peaks seen since ``start``."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.sample()
        return {"peak_rss_bytes": self.peak_rss, "peak_pss_bytes": self.peak_pss, "samples": self.samples}


def per_session_bytes(peaks: dict[int, int]) -> float | None:
    """Memory each additional concurrent session adds: least-squares slope of peak memory over N. Pure."""
    points = sorted(peaks.items())
    if len(points) < 2:
        return None
    mean_n = sum(n for n, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    if spread == 0:
        return None
    return sum((n - mean_n) * (m - mean_m) for n, m in points) / spread
