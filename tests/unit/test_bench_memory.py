"""Process-tree memory from /proc text, and the per-session slope."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dictate.bench.memory import (
    descendants,
    find_child,
    parse_kib_field,
    parse_stat_ppid,
    per_session_bytes,
    tree_memory,
)


def test_parse_fields() -> None:
    status = "Name:\tpython\nVmPeak:\t 2000 kB\nVmRSS:\t  1234 kB\n"
    assert parse_kib_field(status, "VmRSS") == 1234 * 1024
    assert parse_kib_field(status, "Pss") is None
    assert parse_stat_ppid("4242 (my (odd) name) S 17 4242 4242 0 -1") == 17
    assert parse_stat_ppid("") is None


def test_descendants() -> None:
    parents = {2: 1, 3: 2, 4: 2, 5: 99, 6: 4}
    assert sorted(descendants(2, parents)) == [2, 3, 4, 6]
    assert descendants(7, parents) == [7]


def test_per_session_slope() -> None:
    mb = 2**20
    assert per_session_bytes({1: 600 * mb, 2: 640 * mb, 4: 720 * mb}) == pytest.approx(40 * mb)
    assert per_session_bytes({1: 600 * mb}) is None


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_tree_memory_and_find_child_on_real_processes() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "marker-arg"])
    try:
        own = tree_memory(os.getpid())
        alone = tree_memory(child.pid)
        assert alone["rss_bytes"] > 1_000_000
        assert own["rss_bytes"] >= alone["rss_bytes"]  # the child is part of our tree
        assert find_child(["marker-arg"]) == child.pid
        assert find_child(["no-such-arg"]) is None
    finally:
        child.kill()
        child.wait()
