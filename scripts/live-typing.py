#!/usr/bin/env python
"""Issue 18 item 5: how much `--type live` churns, and how far its typed words lag the speech.

``record``: stream the dashboard replay's clips (``scripts/dashboard-replay.py``: the five LibriVox clips and the
JFK clip with 1 s thinking pauses, the five cards clips as they are) to a running server, one stream each, at
real-time pace, and keep every interim and final with its arrival time on the audio's clock (seconds since the
first sample was sent) in a JSON file.

``score``: feed those messages, in order, to the dashboard's own typing core (``dictate.transcript.Transcript``)
in live mode (and in final mode, for comparison) and count what it would press: characters typed and
backspaced (churn: backspaced per 100 typed), and the lag of the typed text behind the speech. The lag of
character c of the text finally typed for a clip is the time it was last typed minus the time it was said,
taking the clip's speech (VAD onset to end) as spoken at an even pace; p50 and p95 over every character.

    .venv/bin/python scripts/live-typing.py record --server ws://127.0.0.1:8000/stream --out /tmp/live.json
    .venv/bin/python scripts/live-typing.py score /tmp/live.json

The keys are the dashboard's (``transcript.py``); only the X server's own typing is left out, so this runs in
seconds per variant of the typing rule, where the dashboard replay takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.conftest import shared_audio_dir  # noqa: E402

from dictate import transcript  # noqa: E402
from dictate.audio import DEFAULT_FRAME_MS  # noqa: E402
from dictate.bench.inputs import read_manifest  # noqa: E402
from dictate.bench.paused import offline_clips  # noqa: E402
from dictate.bench.run import prepare_jobs  # noqa: E402
from dictate.client.events import StreamEvent  # noqa: E402
from dictate.client.session import SessionOptions  # noqa: E402
from dictate.client.sources import PcmSource  # noqa: E402
from dictate.client.stream import Stream  # noqa: E402
from dictate.protocol import FinalMessage, InterimMessage  # noqa: E402
from dictate.transcript import Transcript, TypingMode  # noqa: E402

PAUSED = [f"ps_librivox_sns01_{n}.wav" for n in ("0870", "0880", "0890", "0920", "0930")] + ["whisper_jfk.wav"]
PLAIN = [f"ps_cards_00{n}.wav" for n in range(1, 6)]


async def _record_one(url: str, job: Any) -> dict[str, Any]:
    """One clip through the clients' own ``Stream`` at real-time pace; every interim and final, timed."""
    messages: list[dict[str, Any]] = []
    started: list[float] = []

    def on_sent(_frame: bytes) -> None:
        if not started:
            started.append(time.monotonic())

    def at() -> float:
        return time.monotonic() - started[0] if started else 0.0

    def on_event(event: StreamEvent) -> None:
        match event:
            case InterimMessage():
                item = {"kind": "interim", "id": event.utterance_id, "text": event.text, "start": event.speech_start}
                messages.append({"at": at(), **item})
            case FinalMessage():
                item = {"kind": "final", "id": event.utterance_id, "text": event.text, "end": event.speech_end}
                messages.append({"at": at(), **item, "revises": list(event.revises)})

    stream = Stream(
        url,
        PcmSource(job.audio.pcm, job.clip.name, DEFAULT_FRAME_MS),
        on_event,
        options=SessionOptions(revisions=True),
        until_source_ends=True,
        final_grace=None,
        on_sent=on_sent,
        levels=False,
    )
    await asyncio.wait_for(stream.run(), job.audio.seconds * 1.5 + 60)
    return {
        "clip": job.clip.name,
        "variant": job.clip.variant,
        "onset": job.audio.onset,
        "end": job.audio.end,
        "messages": messages,
    }


def record(args: argparse.Namespace) -> None:
    clips = {clip.name: clip for clip in read_manifest(shared_audio_dir() / "manifest.tsv")}
    paused, _info = offline_clips([clips[n] for n in PAUSED], args.pauses, None, None)
    jobs = prepare_jobs([*paused, *(clips[n] for n in PLAIN)], 1.0, 1.5, 1)
    streams = []
    for job in jobs:
        print(f"{time.strftime('%H:%M:%S')} {job.clip.name} {job.clip.variant}", flush=True)
        streams.append(asyncio.run(_record_one(args.server, job)))
    args.out.write_text(json.dumps({"server": args.server, "streams": streams}, indent=1) + "\n", encoding="utf-8")


def _as_message(item: dict[str, Any]) -> InterimMessage | FinalMessage:
    if item["kind"] == "interim":
        return InterimMessage(item["id"], item["text"], item.get("start"), item["at"])
    revises = tuple(item["revises"])
    return FinalMessage(item["id"], item["text"], None, item.get("end"), item["at"], 0.0, 0.0, revises=revises)


def play(stream: dict[str, Any], mode: TypingMode) -> dict[str, Any]:
    """What the dashboard's typing core presses for one stream: totals, and the lag of each character kept."""
    transcript = Transcript(mode=mode)
    typed = backspaced = 0
    lengths: list[tuple[float, int]] = [(0.0, 0)]
    for item in stream["messages"]:
        plan = transcript.on_message(_as_message(item))
        if plan.is_empty:
            continue
        typed, backspaced = typed + len(plan.text), backspaced + plan.backspaces
        lengths.append((item["at"], len(transcript.committed_text)))
    final_length = len(transcript.committed_text)
    lags = []
    onset, end = stream["onset"], stream["end"]
    if final_length and onset is not None and end is not None:
        for char in range(1, final_length + 1):
            last_typed = next(
                (lengths[i][0] for i in range(len(lengths) - 1, 0, -1) if lengths[i][1] >= char > lengths[i - 1][1]),
                None,
            )
            if last_typed is not None:
                lags.append(last_typed - (onset + (end - onset) * char / final_length))
    return {"typed": typed, "backspaced": backspaced, "lags": lags, "text": transcript.committed_text}


def score(args: argparse.Namespace) -> None:
    if args.revision_window is not None:
        transcript.REVISION_WINDOW = args.revision_window
    data = json.loads(args.events.read_text(encoding="utf-8"))
    result: dict[str, Any] = {"revision_window_s": transcript.REVISION_WINDOW}
    for mode in (TypingMode.LIVE, TypingMode.FINAL):
        for variant in ("pauses", "plain", "all"):
            streams = [s for s in data["streams"] if variant == "all" or (variant == "pauses") == bool(s["variant"])]
            played = [play(s, mode) for s in streams]
            typed = sum(p["typed"] for p in played)
            lags = [lag for p in played for lag in p["lags"]]
            result[f"{mode.value} {variant}"] = {
                "streams": len(played),
                "typed": typed,
                "backspaced": sum(p["backspaced"] for p in played),
                "backspaced_per_100_typed": round(100 * sum(p["backspaced"] for p in played) / typed, 1)
                if typed
                else None,
                "lag_p50_s": round(float(np.percentile(lags, 50)), 2) if lags else None,
                "lag_p95_s": round(float(np.percentile(lags, 95)), 2) if lags else None,
            }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(required=True)
    recorder = commands.add_parser("record", help="stream the clips, keep every message")
    recorder.add_argument("--server", required=True, help="ws:// URL of a running server")
    recorder.add_argument("--out", type=Path, required=True)
    recorder.add_argument("--pauses", type=float, default=1.0, help="thinking pause inside each sentence (s)")
    recorder.set_defaults(run=record)
    scorer = commands.add_parser("score", help="what live and final typing would press")
    scorer.add_argument("events", type=Path)
    scorer.add_argument("--out", type=Path)
    scorer.add_argument(
        "--revision-window",
        type=float,
        help="live mode: speech resumed this soon after a final is not typed live (0: the rule off; default: "
        "transcript.REVISION_WINDOW)",
    )
    scorer.set_defaults(run=score)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
