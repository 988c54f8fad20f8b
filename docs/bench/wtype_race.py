"""wtype's first-key race, measured: interleaved runs of plain wtype and of wtype with dictate's lead (a no-op
Shift_L, then a pause of 40 or 80 ms) into a foot window under a headless sway (tests/tui/wayland.py), counting
runs whose text did not arrive whole. Run from the repository: `.venv/bin/python docs/bench/wtype_race.py 60`."""

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.tui.wayland import HeadlessSway

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
VARIANTS = {
    "plain wtype": [],
    "lead, 40 ms": ["-P", "Shift_L", "-p", "Shift_L", "-s", "40"],
    "lead, 80 ms (dictate)": ["-P", "Shift_L", "-p", "Shift_L", "-s", "80"],
}

sway = HeadlessSway().start()
try:
    target = sway.terminal("race")
    env = {**os.environ, **sway.env}
    for run in range(RUNS):
        for tag, lead in zip("abc", VARIANTS.values(), strict=True):
            subprocess.run(["wtype", *lead, f"{tag}{run:03d}-"], env=env, check=True)
    arrived, changed = "", time.monotonic()
    while time.monotonic() - changed < 3:  # until nothing new arrives for 3 s
        now = target.raw()
        if now != arrived:
            arrived, changed = now, time.monotonic()
        time.sleep(0.2)
    whole = set(arrived.split("-"))
    print(f"wtype {RUNS} runs of each, interleaved, 5 characters a run, sway {sway.version()} headless + foot")
    for tag, name in zip("abc", VARIANTS, strict=True):
        broken = [run for run in range(RUNS) if f"{tag}{run:03d}" not in whole]
        print(f"{name:24s} not whole: {len(broken):3d} of {RUNS}  {broken[:12]}")
        for run in [run for run in broken if run > 0][:2]:
            start = arrived.find(f"{run - 1:03d}-")
            print(f"{'':24s} around run {run}: {arrived[start : start + 30]!r}")
    target.close()
finally:
    sway.stop()
