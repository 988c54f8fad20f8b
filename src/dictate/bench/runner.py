"""Stream clips to a dictate service over the real protocol, N at a time, and record what arrives when.

Every stream is one run of the client's ``Stream`` (as ``dictate transcribe``'s): {"type":"start"}, ``ready``,
its PCM as 20 ms frames paced at real time, {"type":"end"}, then server messages until the server closes. The
client's monotonic clock stamps the moment the frame holding the speech onset (and the end of speech)
was sent, and the arrival of every message: latencies never mix the server's clock with ours.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from dictate.audio import DEFAULT_FRAME_MS
from dictate.bench.inputs import BenchClip, StreamAudio
from dictate.bench.metrics import Event, StreamRecord
from dictate.client.events import Connected, ServerWarning, StreamEvent
from dictate.client.session import SessionOptions
from dictate.client.sources import PcmSource
from dictate.client.stream import Stream
from dictate.errors import DictateError
from dictate.protocol import FinalMessage, InterimMessage, frame_seconds

logger = logging.getLogger(__name__)

_EPSILON = 1e-6


@dataclass(frozen=True)
class StreamJob:
    """One stream to run: a clip, its padded audio, and which repeat it is."""

    clip: BenchClip
    audio: StreamAudio
    repeat: int = 0


@dataclass(frozen=True)
class StreamOptions:
    """How streams are sent."""

    url: str
    token: str | None = None
    frame_ms: int = DEFAULT_FRAME_MS
    connect_timeout: float = 10.0
    final_timeout: float = 30.0  # after the end message, how long to wait for the server to finish
    vocabulary: tuple[str, ...] = ()  # sent in every start message (feature ``vocabulary``)


@dataclass
class RunObservations:
    """What a level (or a whole run) saw besides the per-stream records."""

    ready: dict[str, Any] | None = None
    records: list[StreamRecord] = field(default_factory=list)


class _SendClock:
    """Stamps the monotonic time at which the onset and end-of-speech samples went out (``on_frame``)."""

    def __init__(self, onset: float | None, end: float | None, segment_ends: tuple[float, ...] = ()) -> None:
        self._onset = onset
        self._end = end
        self._segment_ends = list(segment_ends)
        self.onset_sent_at: float | None = None
        self.end_sent_at: float | None = None
        self.end_sent_wall: float | None = None  # for the server-side breakdown (server clock = ours?)
        self.segment_ends_sent: list[tuple[float, float]] = []
        self.wall_minus_monotonic = time.time() - time.monotonic()

    def __call__(self, seconds_sent: float) -> None:
        now = time.monotonic()
        # the frame just sent covers (seconds_sent - frame, seconds_sent]
        if self.onset_sent_at is None and self._onset is not None and seconds_sent > self._onset + _EPSILON:
            self.onset_sent_at = now
        if self.end_sent_at is None and self._end is not None and seconds_sent >= self._end - _EPSILON:
            self.end_sent_at = now
            self.end_sent_wall = time.time()
        while self._segment_ends and seconds_sent >= self._segment_ends[0] - _EPSILON:
            self.segment_ends_sent.append((self._segment_ends.pop(0), now))


async def run_stream(
    job: StreamJob, options: StreamOptions, concurrency: int = 1, observations: RunObservations | None = None
) -> StreamRecord:
    """Stream one clip; a failure (refused, error, abnormal close, timeout) is recorded, not raised."""
    events: list[Event] = []
    clock = _SendClock(job.audio.onset, job.audio.end, job.audio.segment_ends)
    sent = 0.0

    def on_sent(frame: bytes) -> None:
        nonlocal sent
        sent += frame_seconds(len(frame))
        clock(sent)

    def on_event(event: StreamEvent) -> None:
        now = time.monotonic()
        match event:
            case InterimMessage():
                events.append(Event(now, "interim", event.text))
            case FinalMessage():
                events.append(_final_event(now, event))
            case ServerWarning():
                events.append(Event(now, "error", f"{event.code}: {event.message}"))
            case Connected() if observations is not None and observations.ready is None:
                observations.ready = asdict(event.ready)

    stream = Stream(
        options.url,
        PcmSource(job.audio.pcm, job.clip.name, options.frame_ms),
        on_event,
        options=SessionOptions(revisions=True, vocabulary=options.vocabulary),
        token=options.token,
        until_source_ends=True,
        connect_timeout=options.connect_timeout,
        final_grace=None,  # the budget below bounds the wait for the close
        on_sent=on_sent,
        levels=False,
    )
    failure: str | None = None
    budget = options.connect_timeout + job.audio.seconds * 1.5 + options.final_timeout
    try:
        async with asyncio.timeout(budget):
            await stream.run()
    except DictateError as exc:
        failure = str(exc)
    except TimeoutError:
        failure = f"timed out: no close within {budget:.0f} s"
    return StreamRecord(
        clip=job.clip.name,
        reference=job.clip.reference,
        onset_sent_at=clock.onset_sent_at,
        end_sent_at=clock.end_sent_at,
        events=tuple(events),
        failure=failure,
        repeat=job.repeat,
        concurrency=concurrency,
        audio_seconds=job.audio.seconds,
        speech_onset=job.audio.onset,
        speech_end=job.audio.end,
        end_sent_wall=clock.end_sent_wall,
        variant=job.clip.variant,
        formatted_reference=job.clip.formatted_target,
        segment_ends_sent=tuple(clock.segment_ends_sent),
        wall_minus_monotonic=clock.wall_minus_monotonic,
    )


def _final_event(now: float, message: FinalMessage) -> Event:
    return Event(
        now,
        "final",
        message.text,
        message.audio_seconds,
        message.processing_seconds,
        message.speech_end,
        message.sent_at,
        message.utterance_id,
        tuple(message.revises),
    )


def rotated(jobs: Sequence[StreamJob], worker: int, workers: int) -> list[StreamJob]:
    """The job list as worker ``worker`` of ``workers`` plays it: all jobs, starting at its own offset."""
    if not jobs:
        return []
    offset = (worker * len(jobs)) // workers
    return [*jobs[offset:], *jobs[:offset]]


async def run_level(
    jobs: Sequence[StreamJob],
    options: StreamOptions,
    concurrency: int,
    on_done: Callable[[StreamRecord], None] | None = None,
) -> RunObservations:
    """``concurrency`` workers, each streaming every job back to back (rotated: different clips at once)."""
    observations = RunObservations()

    async def worker(index: int) -> None:
        for job in rotated(jobs, index, concurrency):
            record = await run_stream(job, options, concurrency, observations)
            observations.records.append(record)
            if on_done is not None:
                on_done(record)

    async with asyncio.TaskGroup() as group:
        for index in range(concurrency):
            group.create_task(worker(index))
    return observations
