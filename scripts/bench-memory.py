#!/usr/bin/env python3
"""Server memory per concurrent session: RSS of an embedded `dictate serve` with 1 vs N sessions streaming.

    scripts/bench-memory.py --sessions 4 [--out bench-out/memory.json] [CLIPS or manifest.tsv ...]

Runs `dictate bench --memory` at concurrency levels 1 and N (each worker streams every clip at real-time pace)
and prints the peak RSS of the server process tree at each level and the slope: what each additional session
costs. Default clips: two short shared clips. The target is <= 50 MB per additional session.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "audio"
DEFAULT_CLIPS = [SHARED / "ps_librivox_sns01_0880.wav", SHARED / "ps_cards_005.wav"]
TARGET_MB = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="audio files or manifest.tsv (default: two short clips)")
    parser.add_argument("--sessions", type=int, default=4, help="N: concurrent sessions of the second level")
    parser.add_argument("--model", default=None, help="model of the embedded server")
    parser.add_argument("--out", type=Path, default=Path("bench-out/memory.json"), help="the run JSON")
    args = parser.parse_args()
    if args.sessions < 2:
        parser.error("--sessions must be at least 2")

    from rich.console import Console

    from dictate.bench.report import summary_table, write_report
    from dictate.bench.run import BenchOptions, run_bench

    options = BenchOptions(
        inputs=args.inputs or DEFAULT_CLIPS,
        model=args.model,
        memory=True,
        trailing_silence=2.0,
        explicit_levels=(1, args.sessions),
    )
    report = run_bench(options)
    write_report(report, args.out)
    console = Console()
    console.print(summary_table(report))
    memory = report["memory"] or {}
    for level, peak in (memory.get("peak_rss_bytes_by_concurrency") or {}).items():
        console.print(f"N={level}: server peak RSS {peak / 2**20:.0f} MB")
    per_session = memory.get("per_session_mb")
    if per_session is None:
        console.print("could not measure the server's memory")
        return 1
    verdict = "meets" if per_session <= TARGET_MB else "misses"
    console.print(f"each additional session: {per_session:.1f} MB ({verdict} the {TARGET_MB} MB target)")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
