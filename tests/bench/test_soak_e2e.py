"""A short real soak (`dictate bench --soak`) against the real embedded service: intervals, process metrics from
the server's /metrics, and a verdict. Values are checked for sanity, never against timing thresholds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dictate.client.embedded import server_extra_installed

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not server_extra_installed(), reason="needs the server extra"),
]


def test_a_short_soak_with_uploads_reports_intervals_and_a_verdict(clips: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    files = [str(clips[name].path) for name in ("ps_cards_001.wav", "ps_cards_003.wav")]
    command = [sys.executable, "-m", "dictate", "bench", *files, "--soak", "0.4", "--concurrency", "2",
               "--interval", "8", "--trailing-silence", "1.5", "--upload-loops", "2", "--out", str(out)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    soak = report["soak"]
    assert report["kind"] == "soak" and report["settings"]["concurrency"] == 2
    assert len(soak["intervals"]) == 3  # 24 s in 8 s intervals
    assert sum(row["streams"] for row in soak["intervals"]) >= 4
    assert sum(row["failures"] for row in soak["intervals"]) == 0
    measured = [row for row in soak["intervals"] if row["streams"]]
    assert all(row["final_p50_s"] is not None and row["final_p50_s"] > 0 for row in measured)
    assert all(row["rss_mb"] > 50 and row["threads"] >= 2 and row["open_fds"] >= 3 for row in soak["intervals"])
    assert len(soak["samples"]) >= 3
    verdict = soak["verdict"]
    assert verdict["summary"] and verdict["final_p50_ratio_last_first"] is not None
    uploads = soak["uploads"]  # two upload loops beside the streams: none failed, and the streams did not either
    assert report["settings"]["upload_loops"] == 2 and uploads["done"] >= 1 and uploads["failed"] == 0, uploads
    assert sum(row["uploads"]["done"] for row in soak["intervals"]) == uploads["done"]
    assert "soak: 0.4 min at N=2" in result.stdout and verdict["summary"][:20] in result.stdout.replace("\n", " ")
