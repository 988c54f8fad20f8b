#!/usr/bin/env python
"""Issue 10's end-to-end reproduction: a ~115 s dictation session typed by the real dashboard.

The five LibriVox clips and the JFK clip, each with a 1 s thinking pause inside every sentence (`dictate bench
--pauses`' variant, ``bench/paused.py``), then the five cards clips, the whole sequence twice, 0.5 s of silence
before every clip: one WAV in a temporary directory (the shared audio is never copied into the repository).
It is streamed by `dictate tui --source FILE --on --type final` (or `--type live`) in tmux, typing into a Tk
window under Xvfb (the test helpers of tests/tui/conftest.py), against a real `dictate serve` (packaged base,
CPU, debug log). The typed text is scored by ``bench/replay.py``: WER and formatted WER against the offline text of the
unpaused clips, words lost and words extra (runs of 3 or more), and each clip's share of words typed; the
dashboard's debug log gives the keys it pressed (``--type live``'s churn: characters backspaced per 100 typed).

    flock /work/heavy.lock .venv/bin/python scripts/dashboard-replay.py --out docs/bench/dashboard-replay.json

Needs the server and dev extras, Xvfb, xdotool and tmux (scripts/setup.sh --dev). Takes about 2.5 min.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the X11 and tmux helpers of the dashboard tests

from tests.conftest import shared_audio_dir  # noqa: E402
from tests.tui.conftest import dictate_into_window, running_xvfb  # noqa: E402

from dictate.bench.inputs import read_manifest  # noqa: E402
from dictate.bench.machine import machine_info  # noqa: E402
from dictate.bench.replay import build_replay, keys_typed, score_typed  # noqa: E402
from dictate.client.embedded import EmbeddedServer  # noqa: E402

PAUSED = [f"ps_librivox_sns01_{n}.wav" for n in ("0870", "0880", "0890", "0920", "0930")] + ["whisper_jfk.wav"]
PLAIN = [f"ps_cards_00{n}.wav" for n in range(1, 6)]
FINAL_LINE = re.compile(r"final utterance (\d+)(?: \(revises \[([\d, ]*)\]\))?: (\d+) chars, final pass ([\d.]+) s")


def server_finals(log: str) -> dict[str, object]:
    """What the server's log says about its finals: how many, how many revised earlier ones, the slowest pass."""
    finals = FINAL_LINE.findall(log)
    return {
        "finals": len(finals),
        "revising_finals": sum(1 for final in finals if final[1]),
        "slowest_final_pass_s": max((float(final[3]) for final in finals), default=None),
        "coverage": [
            line.split(": ", 1)[-1] for line in log.splitlines() if "s received" in line and "warm-up" not in line
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON result")
    parser.add_argument("--gap", type=float, default=0.5, help="silence before every clip (s)")
    parser.add_argument("--pauses", type=float, default=1.0, help="thinking pause inside each sentence (s)")
    parser.add_argument("--repeats", type=int, default=2, help="times the whole sequence is said")
    parser.add_argument("--keep", type=Path, help="keep the WAV, the typed text and the server log here")
    parser.add_argument("--server", help="ws:// URL of a running server (default: start one, log at debug)")
    parser.add_argument("--type", choices=("final", "live"), default="final", help="the dashboard's typing mode")
    args = parser.parse_args()
    clips = {clip.name: clip for clip in read_manifest(shared_audio_dir() / "manifest.tsv")}
    replay = build_replay([clips[n] for n in PAUSED], [clips[n] for n in PLAIN], args.pauses, args.gap, args.repeats)
    with tempfile.TemporaryDirectory(prefix="dictate-replay-") as directory:
        work = args.keep or Path(directory)
        work.mkdir(parents=True, exist_ok=True)
        source = replay.write_wav(work / "session.wav")
        began = time.time()
        with contextlib.ExitStack() as stack:
            server = None if args.server else stack.enter_context(EmbeddedServer(extra_args=["--log-level", "debug"]))
            display = stack.enter_context(running_xvfb(77))
            url = args.server or (server.url if server else "")
            typed, screen = dictate_into_window(url, source, display, work, replay.seconds, mode=args.type)
            log = server.log_path.read_text(errors="replace") if server else ""
            keys = keys_typed((work / "tui.log").read_text(errors="replace"))
        if args.keep:
            (work / "typed.txt").write_text(typed, encoding="utf-8")
            (work / "server.log").write_text(log, encoding="utf-8")
            (work / "screen.txt").write_text(screen, encoding="utf-8")
    result = {
        "what": f"issue 10 end to end: dictate tui --source FILE --on --type {args.type}, Xvfb + Tk, real server",
        "type": args.type,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(began)),
        "audio_seconds": round(replay.seconds, 2),
        "gap_s": args.gap,
        "pauses_s": args.pauses,
        "repeats": args.repeats,
        "typed": typed,
        **score_typed(replay, typed),
        "keys": keys,
        "server": {**server_finals(log), "ready": server.ready_info} if server else {"url": args.server},
        "machine": machine_info(),
    }
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = ("wer", "formatted_wer", "reference_wer", "words_lost", "words_extra", "parts_missing", "keys")
    print(json.dumps({key: result[key] for key in shown}, indent=1))


if __name__ == "__main__":
    main()
