"""Uploaded files (``/v1/audio/transcriptions``): decode, cut into short windows, transcribe window by window on
the shared model below every live session (``ModelScheduler.try_file_window``), within limits (``FileJobLimits``).

Windows are short (``WINDOW_SECONDS``, cut at the quietest 100 ms of the last seconds so that words are not split)
because a live utterance that starts while a window runs waits for that window: a ~10 s window costs about a
second on a 2-core CPU with the trimmed encoder window. The text so far is the next window's prompt, as Whisper
carries context across its own 30 s windows.

A job waits for its turn on the event loop (a poll every ``TURN_POLL_SECONDS``), never in a thread: the file
threads only decode and transcribe (edge/threads.py). ``FileJobLimits`` bounds the work the service accepts: jobs in
progress and seconds of audio accepted but not yet transcribed; beyond them a request is refused at once with
429 and ``Retry-After`` (openai_api.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from dictate.audio import FloatArray
from dictate.protocol import SAMPLE_RATE
from dictate.server.edge.threads import ServiceThreads
from dictate.server.model.scheduler import Busy, ModelScheduler
from dictate.server.uploads.formats import FileOptions, FileTranscript

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 10.0  # longest window before a cut is looked for
SEARCH_SECONDS = 3.0  # the cut is the quietest point in the last this-many seconds of a window
MIN_WINDOW_SECONDS = 1.0  # a shorter tail is merged into the window before it
QUIET_STEP = SAMPLE_RATE // 10  # 100 ms energy blocks
TURN_POLL_SECONDS = 0.1  # how often a waiting file job asks whether its next window may run


@dataclass
class FileJobLimits:
    """Jobs in progress and seconds of audio queued (accepted, not yet transcribed). Pure; used on the loop."""

    max_jobs: int
    max_queued_seconds: float
    jobs: int = 0
    queued_seconds: float = 0.0

    def admit_job(self) -> bool:
        """Take a job slot (call ``end_job`` when the request is answered); False when all are taken."""
        if self.jobs >= self.max_jobs:
            return False
        self.jobs += 1
        return True

    def end_job(self) -> None:
        self.jobs = max(0, self.jobs - 1)

    def queue(self, seconds: float) -> bool:
        """Accept ``seconds`` of audio to transcribe; False when the queue would pass its limit. A file alone
        longer than the limit is accepted into an empty queue (``max_file_seconds`` bounds a single file)."""
        if self.queued_seconds > 0 and self.queued_seconds + seconds > self.max_queued_seconds:
            return False
        self.queued_seconds += seconds
        return True

    def done(self, seconds: float) -> None:
        """``seconds`` of queued audio were transcribed (or abandoned)."""
        self.queued_seconds = max(0.0, self.queued_seconds - seconds)


def plan_windows(
    audio: FloatArray, window: float = WINDOW_SECONDS, search: float = SEARCH_SECONDS
) -> list[tuple[int, int]]:
    """(start, end) sample ranges covering ``audio``: each at most ``window`` + ``MIN_WINDOW_SECONDS`` seconds,
    cut at the quietest 100 ms block of its last ``search`` seconds. Pure."""
    total = int(audio.size)
    longest = int(window * SAMPLE_RATE)
    shortest = int(MIN_WINDOW_SECONDS * SAMPLE_RATE)
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < total:
        if total - start <= longest + shortest:
            ranges.append((start, total))
            break
        lo = start + longest - int(search * SAMPLE_RATE)
        blocks = (longest - (lo - start)) // QUIET_STEP
        region = audio[lo : lo + blocks * QUIET_STEP].reshape(blocks, QUIET_STEP)
        quietest = int(np.argmin(np.mean(np.square(region, dtype=np.float64), axis=1)))
        cut = lo + quietest * QUIET_STEP + QUIET_STEP // 2
        ranges.append((start, cut))
        start = cut
    return ranges


async def transcribe_file(
    scheduler: ModelScheduler,
    threads: ServiceThreads,
    audio: FloatArray,
    options: FileOptions,
    client_gone: Callable[[], Awaitable[bool]],
    on_window: Callable[[float], None] = lambda _seconds: None,
) -> FileTranscript | None:
    """The whole file, one scheduled window at a time (each on a file thread, once the model is free for it).
    None when the client went away (the remaining windows are not transcribed). ``on_window(audio seconds)``
    after each window (metrics and the queue's books)."""
    transcript = FileTranscript(duration=audio.size / SAMPLE_RATE)
    gone = False
    for start, end in plan_windows(audio):
        if await client_gone():
            gone = True
        if gone:
            logger.info(
                "file job abandoned by its client at %.1f s of %.1f s", start / SAMPLE_RATE, transcript.duration
            )
            return None
        prompt = " ".join(part for part in (options.prompt, transcript.tail()) if part) or None
        window_options = FileOptions(options.language, prompt, options.temperature, options.word_timestamps)
        started = time.monotonic()
        window = audio[start:end]
        result = await threads.files(scheduler.try_file_window, window, window_options)
        while isinstance(result, Busy):  # live speech or another pass holds the model: wait here, not in a thread
            await asyncio.sleep(TURN_POLL_SECONDS)
            if await client_gone():
                logger.info("file job abandoned by its client while waiting for the model")
                return None
            result = await threads.files(scheduler.try_file_window, window, window_options)
        logger.debug(
            "file window %.1f-%.1f s transcribed in %.2f s",
            start / SAMPLE_RATE,
            end / SAMPLE_RATE,
            time.monotonic() - started,
        )
        transcript.add(result, start / SAMPLE_RATE)
        on_window((end - start) / SAMPLE_RATE)
    return transcript
