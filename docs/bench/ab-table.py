#!/usr/bin/env python3
"""One line per `dictate bench` report: the figures issue 18 asks for (latency, WER, words lost, revisions,
typing churn, gaps between interims), for side-by-side tables. Usage: docs/bench/ab-table.py REPORT.json..."""

import json
import os
import sys

print(
    "report | final p50 / p95 | each final p95 | WER | formatted WER | words lost | revising (acc/rej) | per pause"
    " | bs/100 | interim gap p95 / max"
)
for path in sys.argv[1:]:
    with open(path) as file:
        report = json.load(file)
    summary = report["levels"][0]["summary"]
    plans = (report["settings"].get("pause_plans") or {}).values()
    pauses = sum(len(plan["cuts_s"]) for plan in plans)  # the thinking pauses --pauses inserted
    final, each = summary["final_latency"], summary["each_final_latency"]
    print(
        f"{os.path.basename(path)} | {final['p50']:.2f} / {final['p95']:.2f} | {each['p95']:.2f} | "
        f"{100 * summary['wer']:.1f} | {100 * summary['formatted_wer']:.1f} | {summary['words_lost']} | "
        f"{summary['revising_finals']} ({summary['revisions_accepted']}/{summary['revisions_rejected']}) | "
        f"{summary['revising_finals'] / pauses if pauses else float('nan'):.2f} | "
        f"{summary['backspaced_per_100_typed']:.1f} | "
        f"{summary['interim_gap']['p95']:.2f} / {summary['interim_gap']['max']:.2f}"
    )
