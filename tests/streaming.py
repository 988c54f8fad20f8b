"""Test helpers: stream real PCM over a real WebSocket and collect what the server says."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from dictate.audio import split_frames
from dictate.client.sender import send_paced


@dataclass
class SessionLog:
    """Everything one session received: decoded messages (with client arrival time) and the close."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def final_text(self) -> str:
        return " ".join(m["text"] for m in self.of_type("final"))


async def collect(ws: ClientConnection, log: SessionLog) -> None:
    """Record messages until the server closes."""
    try:
        async for raw in ws:
            message = json.loads(raw)
            message["_received"] = time.time()
            log.messages.append(message)
    except ConnectionClosed:
        pass
    log.close_code = ws.close_code
    log.close_reason = ws.close_reason or ""


async def stream_session(
    url: str,
    pcm: bytes,
    token: str | None = None,
    end: bool = True,
    frame_ms: int = 20,
    before_audio: list[str | bytes] | None = None,
    timeout: float = 60.0,
) -> SessionLog:
    """Connect, wait for ready, send ``before_audio`` frames, stream ``pcm`` at real time, send end, collect."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    log = SessionLog()
    async with connect(url, additional_headers=headers, max_size=2**20) as ws:
        collector = asyncio.create_task(collect(ws, log))
        await _wait_for(lambda: bool(log.messages) or collector.done(), 60)
        if log.messages and log.messages[0]["type"] == "ready":
            try:
                for frame in before_audio or []:
                    await ws.send(frame)
                await send_paced(ws, split_frames(pcm, frame_ms))
                if end:
                    await ws.send(json.dumps({"type": "end"}))
            except ConnectionClosed:
                pass  # the server closed first (a fatal error): what it said is in the log
        await asyncio.wait_for(collector, timeout)
    return log


async def _wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


# espeak-ng voice and rate whose commands the packaged base model hears right (measured offline: most others
# turn "scratch that" into "Crash mat" unless the server's command check favours the phrases).
VOICE = ["-v", "en-us+m3", "-s", "160"]


def speak(phrases: list[str], directory: Path, pause: float = 2.0) -> Path:
    """One 16 kHz mono WAV of ``phrases`` said by espeak-ng, 0.3 s of silence before and ``pause`` after each."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (Debian: apt-get install {tool}); scripts/setup.sh --dev has it")
    parts = []
    for index, phrase in enumerate(phrases):
        raw, part = directory / f"raw{index}.wav", directory / f"part{index}.wav"
        subprocess.run(["espeak-ng", *VOICE, "-w", str(raw), phrase], check=True, timeout=30)
        subprocess.run(
            ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(part), "pad", "0.3", str(pause)], check=True
        )
        parts.append(str(part))
    joined = directory / "speech.wav"
    subprocess.run(["sox", *parts, str(joined)], check=True, timeout=30)
    return joined


def words(text: str) -> list[str]:
    """Lower-case words without punctuation (hyphens split words: ill-disposed == ill disposed)."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words / reference length (case and punctuation normalised)."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(1, len(ref))


def thread_count(pid: int) -> int:
    """Threads of a live process (Linux /proc)."""
    return len(os.listdir(f"/proc/{pid}/task"))


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
