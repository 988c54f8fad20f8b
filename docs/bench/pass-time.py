#!/usr/bin/env python3
"""Model time per pass purpose, per arm and kind, from the server logs `turn-ab.sh` writes (debug level): how
many passes of each purpose ran and the seconds they held the model. Usage: docs/bench/pass-time.py OUTDIR"""

import re
import sys
from collections import defaultdict
from pathlib import Path

out = Path(sys.argv[1])
runs = []  # (start, round, kind, arm) from run.log's "HH:MM:SS round N KIND ARM" lines
for line in (out / "run.log").read_text().splitlines():
    if m := re.match(r"(\d\d:\d\d:\d\d) round (\d+) (\S+) (\S+)$", line):
        runs.append((m[1], m[2], m[3], m[4]))
PASS = re.compile(r"^\S+ (\d\d:\d\d:\d\d),\d+ DEBUG dictate\.server\.live\.worker: \S+ (\w+) pass: .* in ([\d.]+) s$")
totals: dict[tuple[str, str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
arms = sorted({arm for *_, arm in runs})
for arm in arms:
    mine = [(start, rnd, kind) for start, rnd, kind, a in runs if a == arm]
    for line in (out / f"server-{arm}.log").read_text(errors="replace").splitlines():
        if not (m := PASS.match(line)):
            continue
        at = m[1]
        current = [run for run in mine if run[0] <= at]
        if not current:
            continue
        _, rnd, kind = current[-1]
        total = totals[(kind, rnd, arm, m[2])]
        total[0] += 1
        total[1] += float(m[3])
print("kind, round | arm | speculative passes (model s) | final passes (model s) | interim passes (model s)")
for kind, rnd in dict.fromkeys((kind, rnd) for _, rnd, kind, _ in runs):
    for arm in arms:
        cells = [totals.get((kind, rnd, arm, purpose), [0, 0.0]) for purpose in ("speculative", "final", "interim")]
        print(f"{kind} {rnd} | {arm} | " + " | ".join(f"{int(n)} ({s:.1f})" for n, s in cells))
