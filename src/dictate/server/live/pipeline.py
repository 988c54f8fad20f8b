"""One connection's live pipeline, as its session sees it: the core, the worker that runs it, and the VAD.

``LivePipeline`` composes ``core.LiveCore`` (the rules), ``worker.LiveWorker`` (its thread and pass lanes, on the
shared ``ModelScheduler``) and ``voice_activity.VoiceActivity`` (RealtimeSTT's VAD), and registers the session's
``in_utterance`` with the scheduler (file windows wait while it is true). It starts and closes all three.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from dictate.config import EndOfUtterance, ServerSettings
from dictate.protocol import SAMPLE_RATE
from dictate.server.live.core import LiveCore, LiveRules
from dictate.server.live.end_of_turn import EndOfTurnRules
from dictate.server.live.inputs import AudioReceived, ClientStart, EndOfStream, Stalled
from dictate.server.live.outputs import EventSink
from dictate.server.live.voice_activity import VoiceActivity
from dictate.server.live.worker import LiveWorker, ScheduledTranscriber
from dictate.server.model.scheduler import ModelScheduler
from dictate.server.model.source import ModelChoice

logger = logging.getLogger(__name__)
SLOW_END_S = 1.0  # finals at the end of a stream slower than this are logged at INFO


def live_rules(settings: ServerSettings, acoustic: bool = False) -> LiveRules:
    """The core's dials, from the server's settings (``acoustic``: the server has an end-of-turn model)."""

    def samples(seconds: float) -> int:
        return int(seconds * SAMPLE_RATE)

    return LiveRules(
        preroll=samples(settings.pre_roll),
        cut_after=samples(settings.cut_after) or None,
        # inside a sentence, cut only where the next final could not read the cut part too
        cut_any_after=samples(max(settings.cut_after, settings.context_seconds)) or None,
        max_span=samples(settings.max_utterance),
        keep=samples(settings.max_utterance + settings.context_seconds + 30),
        join_gap=samples(settings.join_pause),
        context_samples=samples(settings.context_seconds),
        joins_allowed=settings.join_pause > 0,
        first_interim_after=settings.first_interim_after,
        interim_interval=settings.realtime_interval,
        interim_quiet_ratio=settings.interim_quiet_ratio,
        end_of_turn=EndOfTurnRules(
            adaptive=settings.end_of_utterance is EndOfUtterance.ADAPTIVE,
            complete=settings.complete_silence,
            unsure=settings.silence_duration,
            hold=max(settings.hold_silence, settings.silence_duration),
            acoustic=acoustic,
            threshold=settings.turn_threshold,
        ),
    )


class LivePipeline:
    """``start()``, ``feed(pcm)``, ``apply_start()``, ``finish()`` (finalize pending speech now), ``close()``;
    events reach ``emit`` on the worker's thread (the session crosses into the event loop)."""

    def __init__(
        self,
        scheduler: ModelScheduler,
        choice: ModelChoice,
        settings: ServerSettings,
        emit: EventSink,
        name: str = "session",
    ) -> None:
        self._scheduler = scheduler
        self._name = name
        judge = scheduler.judge_turn
        core = LiveCore(live_rules(settings, acoustic=judge is not None), name)
        self._worker = LiveWorker(
            core,
            ScheduledTranscriber(scheduler),
            emit,
            name,
            judge,
            stop_recording=lambda: self._voice.stop_recording(),
        )
        self._voice = VoiceActivity(choice, settings, self._worker.put, name)
        self._unwatch: Callable[[], None] = lambda: None  # set by start(): the scheduler watches in_utterance
        self._started = False
        self._closed = False

    def start(self) -> None:
        """Start the worker and the recorder (blocking: ~1-2 s of VAD warm-up)."""
        self._worker.start()
        self._started = True
        self._unwatch = self._scheduler.watch_live(lambda: self._worker.in_utterance)
        self._voice.start()

    @property
    def in_utterance(self) -> bool:
        """Someone is speaking, or an utterance's final text is still to come (a published value: no lock)."""
        return self._worker.in_utterance

    def apply_start(self, revisions: bool, vocabulary: tuple[str, ...], commands: tuple[str, ...]) -> None:
        """The client's start message: revising finals, the vocabulary of its passes, the commands it acts on."""
        self._worker.put(ClientStart(revisions, vocabulary, commands))

    def feed(self, pcm: bytes) -> None:
        """Feed 16 kHz mono int16 PCM (at real-time pace). Only enqueues: safe on the event loop."""
        if not self._closed:
            self._worker.put(AudioReceived(len(pcm) // 2))
            self._voice.feed(pcm)

    def stalled(self, seconds: float) -> None:
        """The server's event loop stalled for ``seconds``: the core looks for speech the VAD missed in the burst
        of audio that follows (reported as dropped when there is some). Only enqueues: safe on the event loop."""
        if not self._closed:
            self._worker.put(Stalled(int(seconds * SAMPLE_RATE), seconds))

    def finish(self, timeout: float = 10.0) -> None:
        """End of stream: let the VAD read every sample received, close the open utterance there, and wait for
        the finals of every utterance still pending; what cannot be finished in time is reported as dropped."""
        if not self._started or self._closed:
            return
        began = time.monotonic()
        self._voice.drain()
        drained = time.monotonic()
        self._worker.put(EndOfStream(time.time()))
        wait = timeout + self._worker.pending_seconds  # a pass costs well under a second per second of audio
        settled = self._worker.wait_settled(wait)
        finals = time.monotonic() - drained
        logger.log(  # slow finals at the end are what a client's grace period has to cover: say so
            logging.INFO if finals > SLOW_END_S else logging.DEBUG,
            "%s: end of stream: VAD drained in %.2f s, finals in %.2f s",
            self._name,
            drained - began,
            finals,
        )
        if not settled:
            logger.warning("%s: finals (or checks of unheard speech) still due %.0f s after the end", self._name, wait)
            self._worker.give_up(f"not transcribed within {wait:.0f} s of the end of the stream")

    def close(self) -> None:
        """Shut the recorder down, stop the worker and its lanes, check the session's books. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._voice.close()
        coverage = self._worker.close()
        self._unwatch()
        if coverage.holds and not coverage.dropped_samples and not coverage.unheard_samples:
            logger.info("%s: %s", self._name, coverage.summary())
        else:
            logger.warning("%s: speech without a final: %s", self._name, coverage.summary())
