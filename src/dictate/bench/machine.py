"""What machine a benchmark ran on: CPU model, cores, memory, GPU. Reads /proc and nvidia-smi; never fails."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any


def cpu_model(cpuinfo: str) -> str | None:
    """The 'model name' of /proc/cpuinfo text. Pure."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    return None


def memory_total_bytes(meminfo: str) -> int | None:
    """MemTotal of /proc/meminfo text, in bytes. Pure."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            return int(parts[1]) * 1024
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def gpus() -> list[str]:
    """GPU names reported by nvidia-smi (empty without one)."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return []
    try:
        output = subprocess.run(
            [executable, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in output.splitlines() if line.strip()]


def machine_info() -> dict[str, Any]:
    """A JSON-able description of this machine."""
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_model(_read("/proc/cpuinfo")) or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(affinity) if affinity is not None else os.cpu_count(),
        "memory_bytes": memory_total_bytes(_read("/proc/meminfo")),
        "gpus": gpus(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,  # other work skews timings
    }
