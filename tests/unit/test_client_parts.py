"""The client's pure parts: the paced sender's deadline schedule (a fake clock) and the message dispatcher."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from dictate.audio import frame_bytes
from dictate.client.dispatch import Dispatcher
from dictate.client.sender import paced, stream_pcm
from dictate.protocol import ErrorMessage, FinalMessage, InterimMessage, ReadyMessage

FRAME = bytes(frame_bytes(20))  # 20 ms


class FakeClock:
    """Time moves only when the sender sleeps, or when a test says a frame took long to send."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


async def drain(frames: Any, clock: FakeClock, speed: float = 1.0, stall_at: int | None = None) -> int:
    count = 0
    async for _frame in paced(frames, speed, clock=clock, sleep=clock.sleep):
        count += 1
        if count == stall_at:
            clock.now += 0.05  # this frame took 50 ms to go out: 2.5 frames late
    return count


def test_frames_are_due_on_a_deadline_schedule() -> None:
    clock = FakeClock()
    assert asyncio.run(drain([FRAME] * 3, clock)) == 3
    assert clock.sleeps == [0.02, 0.02, 0.02]


def test_a_late_frame_is_caught_up_not_carried_as_drift() -> None:
    clock = FakeClock()
    asyncio.run(drain([FRAME] * 5, clock, stall_at=2))
    # frame 2 went out 50 ms late: frame 3 follows at once, frame 4 after 10 ms, and the schedule holds
    assert clock.sleeps == [0.02, 0.01, 0.02]
    assert clock.now == pytest.approx(100.0 + 5 * 0.02)


def test_speed_scales_the_schedule_and_zero_means_no_pacing() -> None:
    double = FakeClock()
    asyncio.run(drain([FRAME] * 2, double, speed=2.0))
    assert double.sleeps == [0.01, 0.01]
    unpaced = FakeClock()
    asyncio.run(drain([FRAME] * 2, unpaced, speed=0))
    assert unpaced.sleeps == []


class RecordingSocket:
    def __init__(self) -> None:
        self.sent: list[str | bytes] = []

    async def send(self, data: str | bytes) -> None:
        self.sent.append(data)


def test_a_stream_is_start_frames_end() -> None:
    ws = RecordingSocket()
    seconds_seen: list[float] = []
    pcm = bytes(frame_bytes(20) * 2 + 100)  # two frames and a short last one
    seconds = asyncio.run(stream_pcm(ws, pcm, speed=0, on_frame=seconds_seen.append))  # type: ignore[arg-type]
    assert json.loads(ws.sent[0])["type"] == "start"
    assert [len(frame) for frame in ws.sent[1:-1]] == [640, 640, 100]
    assert json.loads(ws.sent[-1]) == {"type": "end"}
    assert seconds_seen == pytest.approx([0.02, 0.04, 0.043125])
    assert seconds == pytest.approx(0.043125)


def test_the_dispatcher_routes_each_type_and_ignores_the_rest() -> None:
    seen: list[str] = []
    dispatch = Dispatcher(
        interim=lambda m: seen.append(f"interim {m.text}"), final=lambda m: seen.append(f"final {m.text}")
    )
    dispatch(ReadyMessage("s1", "base", "cpu", "int8"))
    dispatch(InterimMessage(1, "hel", None, 1.0))
    dispatch(FinalMessage(1, "hello", None, None, 2.0, 1.0, 0.5))
    dispatch(ErrorMessage("bad_frame", "odd length", False))
    assert seen == ["interim hel", "final hello"]
    errors: list[ErrorMessage] = []
    Dispatcher(error=errors.append)(ErrorMessage("bad_frame", "odd length", False))
    assert [e.code for e in errors] == ["bad_frame"]


def test_the_dispatchers_rewrite_turns_interim_and_final_text_only() -> None:
    """The config's word replacements reach every client through this one place (dashboard and transcribe)."""
    from dictate.replacements import Replacements

    seen: list[object] = []
    dispatch = Dispatcher(
        ready=seen.append,
        interim=seen.append,
        final=seen.append,
        error=seen.append,
        rewrite=Replacements({"chat gpt": "ChatGPT"}),
    )
    dispatch(ReadyMessage("s1", "base", "cpu", "int8"))
    dispatch(InterimMessage(1, "ask chat", None, 1.0))
    dispatch(InterimMessage(1, "ask chat gpt", None, 1.2))
    final = FinalMessage(1, "Ask Chat GPT.", None, None, 2.0, 1.0, 0.5, revises=[0])
    dispatch(final)
    dispatch(ErrorMessage("bad_frame", "chat gpt", False))
    texts = [getattr(message, "text", None) for message in seen]
    assert texts == [None, "ask chat", "ask ChatGPT", "Ask ChatGPT.", None]
    assert seen[3] == FinalMessage(1, "Ask ChatGPT.", None, None, 2.0, 1.0, 0.5, revises=[0])
    assert seen[4] == ErrorMessage("bad_frame", "chat gpt", False)  # not a transcript: left alone
