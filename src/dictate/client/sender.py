"""The one paced sender: audio goes out as 20 ms frames on a deadline schedule (every source paces its frames
with ``paced``); ``send_paced`` and ``stream_pcm`` drive an open socket directly (the server's tests use them).

Frame ``n`` is due ``n`` frames of audio (divided by ``speed``) after the first: a late frame is followed by
the next at once, so the stream keeps real-time pace on average instead of drifting by each sleep's overshoot.
The server's VAD times silence by its wall clock, so audio must reach it at real-time pace.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable

from websockets.asyncio.client import ClientConnection

from dictate.audio import DEFAULT_FRAME_MS, split_frames
from dictate.client.session import SessionOptions
from dictate.protocol import EndMessage, encode, frame_seconds


async def paced(
    frames: Iterable[bytes] | AsyncIterable[bytes],
    speed: float = 1.0,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> AsyncIterator[bytes]:
    """Yield ``frames`` at ``speed`` x real time (0 = as fast as they come), on a deadline schedule."""
    started = clock()
    sent = 0.0
    async for frame in _aiter(frames):
        yield frame
        sent += frame_seconds(len(frame))
        if speed > 0:
            delay = started + sent / speed - clock()
            if delay > 0:
                await sleep(delay)


async def _aiter(frames: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    if isinstance(frames, AsyncIterable):
        async for frame in frames:
            yield frame
    else:
        for frame in frames:
            yield frame


async def send_paced(
    ws: ClientConnection,
    frames: Iterable[bytes],
    speed: float = 1.0,
    on_frame: Callable[[float], None] | None = None,
) -> float:
    """Send frames at ``speed`` x real time; ``on_frame(seconds sent so far)`` after each. Returns seconds sent."""
    sent = 0.0
    async for frame in paced(frames, speed):
        await ws.send(frame)
        sent += frame_seconds(len(frame))
        if on_frame is not None:
            on_frame(sent)
    return sent


async def stream_pcm(
    ws: ClientConnection,
    pcm: bytes,
    speed: float = 1.0,
    frame_ms: int = DEFAULT_FRAME_MS,
    on_frame: Callable[[float], None] | None = None,
    options: SessionOptions | None = None,
) -> float:
    """A whole stream over an open socket, without waiting for ``ready``: the start message of ``options``,
    ``pcm`` as paced frames, the end message. Returns seconds sent."""
    await ws.send(encode((options or SessionOptions()).start_message()))
    seconds = await send_paced(ws, split_frames(pcm, frame_ms), speed, on_frame)
    await ws.send(encode(EndMessage()))
    return seconds
