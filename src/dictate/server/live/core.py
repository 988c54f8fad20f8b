"""The live session core: one connection's speech pipeline as a state machine, without I/O (as python-websockets'
``protocol.py`` is for WebSockets). No threads, no clock reads, no model calls: ``handle(input)`` takes one plain
input (``inputs.py``) and returns the outputs it causes (``outputs.py``), in order.

It holds the session's audio (``SessionAudio``), its timeline of utterances (``Timeline``), the finals' job queue
(``Finals``: speculative passes, revisions, seams, commands, cuts) and the books (seconds received, in finals,
dropped). The shells around it (``worker.LiveWorker`` runs the passes it asks for and sends its events,
``voice_activity.VoiceActivity`` turns RealtimeSTT's callbacks into inputs) hold no rule of their own.

Interim passes are timed by the VAD's reading of the audio (``interims.InterimBeat``): while an utterance is open
and no pause has begun, at most one at a time, skipped when the audio is too short or its tail has gone quiet.
Issue 18's rules: a revising pass is accepted by ``revisions.check_revision`` (against the earlier finals and
the utterance's own text); a joined pass reads ``Finals._ranges`` (the middle of each pause left out,
``joins.py``); the end of an utterance is decided at pauses (``_end_of_turn``), not by RealtimeSTT's timer alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from dictate.protocol import SAMPLE_RATE
from dictate.server.live.end_of_turn import EndOfTurnRules, Pause, pause_ends_utterance
from dictate.server.live.finals import ContextPolicy, Coverage, Finals, NeedPass
from dictate.server.live.inputs import (
    AudioRead,
    AudioReceived,
    ClientStart,
    EndOfStream,
    GiveUp,
    Input,
    PassDone,
    PassFailed,
    RecorderFailed,
    Stalled,
    TurnJudged,
    VoicePaused,
    VoiceResumed,
    VoiceStarted,
    VoiceStopped,
)
from dictate.server.live.interims import MIN_INTERIM_SAMPLES, InterimBeat, InterimPass
from dictate.server.live.joins import KEEP_PAUSE
from dictate.server.live.outputs import (
    CancelPass,
    EngineFailed,
    Interim,
    JudgeTurn,
    Output,
    PassRequest,
    Purpose,
    SpeechStarted,
    StopRecording,
)
from dictate.server.live.session_audio import SessionAudio, trailing_quiet
from dictate.server.live.timeline import Span, Timeline, span_parts
from dictate.server.live.unheard import UnheardSpeech
from dictate.server.model.pass_types import NO_OPTIONS, PassOptions, PassResult

logger = logging.getLogger(__name__)

TURN_WINDOW = 8 * SAMPLE_RATE  # what the acoustic end-of-turn model hears: the last 8 s up to the pause


@dataclass(frozen=True)
class LiveRules:
    """The dials of the core (samples unless named in seconds); ``pipeline.live_rules`` reads them from the
    server's settings."""

    preroll: int = SAMPLE_RATE
    cut_after: int | None = 8 * SAMPLE_RATE  # cut at a pause that ends a sentence past this; None: never at a pause
    cut_any_after: int | None = None  # ... and at any pause past this (None: ``cut_after``)
    max_span: int = 25 * SAMPLE_RATE
    keep: int = 70 * SAMPLE_RATE  # audio kept for passes
    join_gap: int = 2 * SAMPLE_RATE
    context_samples: int = 15 * SAMPLE_RATE
    keep_pause: int = KEEP_PAUSE  # what a joined pass keeps of each pause inside it (0: the whole pause)
    joins_allowed: bool = True  # join_pause > 0: revising finals possible when the client asks for them
    speculate: bool = True  # a speculative final pass at each pause
    first_interim_after: float = 0.2  # seconds
    interim_interval: float = 0.2  # seconds
    interim_quiet_ratio: float = 0.3
    # adaptive: the core itself ends utterances at pauses (end_of_turn.py)
    end_of_turn: EndOfTurnRules = field(default_factory=EndOfTurnRules)


class LiveCore:
    """One session's live pipeline. Feed it inputs in the order they happened; act on what it returns."""

    def __init__(self, rules: LiveRules, name: str = "session") -> None:
        self._rules = rules
        self._name = name
        self._timeline = Timeline(rules.preroll, rules.cut_after, rules.max_span, rules.cut_any_after)
        self._audio = SessionAudio(keep=rules.keep)
        # the latest interim of each utterance that had one: it gets a final, even an empty one, and its text
        # vouches for a revising pass (``revisions.check_revision``)
        self._interims: dict[int, str] = {}
        self._finals = Finals(
            ContextPolicy(join_gap=rules.join_gap, max_samples=rules.context_samples, keep_pause=rules.keep_pause),
            still_wanted=self._timeline.still_wanted,
            had_interim=self._interims.__contains__,
            interim_text=lambda utterance: self._interims.get(utterance, ""),
            audio=self._audio.slice,
        )
        self._options = NO_OPTIONS
        self._passes_asked = 0
        # speech no utterance covers: hidden by a stall of the server, or not taken for speech by the VAD
        self._unheard = UnheardSpeech(
            rules.preroll,
            self._finals.coverage,
            lambda purpose, ranges: self._request(purpose, ranges, NO_OPTIONS),
            name,
        )
        self._turns_judged = 0
        self._final_pass: PassRequest | None = None  # the one final-priority pass under way
        self._final_cancelled = False
        self._interim: InterimPass | None = None  # the one interim pass under way
        self._beat = InterimBeat(rules.first_interim_after, rules.interim_interval)
        self._paused = False  # a pause began: the VAD waits for the closing silence; no interims
        self._pause: Pause | None = None  # the pause of the open utterance (adaptive end of turn)
        self._ended_at_pause = False  # the core ended the utterance at a pause before the VAD's closing silence
        self._resumed_before: Pause | None = None  # the pause speech resumed after before its turn answer came
        self._stop_recording = False  # ... and the VAD is to be told (``StopRecording``, the last output)
        self._final_for: Span | None = None  # the pause the final-lane pass under way speculates for
        self._read_at = 0.0  # when the latest chunk was read
        self._ended = False  # end of stream: no more audio
        self.failed = False

    def __repr__(self) -> str:
        final = "none" if self._final_pass is None else f"{self._final_pass.pass_id}"
        interim = "none" if self._interim is None else f"{self._interim.request.pass_id}"
        flags = [name for name, on in (("paused", self._paused), ("ended", self._ended), ("failed", self.failed)) if on]
        return (
            f"LiveCore({self._name}{': ' + ', '.join(flags) if flags else ''})\n"
            f"  {self._timeline!r}\n  {self._audio!r}\n  {self._finals!r}\n  {self._unheard!r}\n"
            f"  passes under way: final {final}, interim {interim}\n  books: {self.coverage.summary()}"
        )

    # what the shells read
    @property
    def in_utterance(self) -> bool:
        """Someone is speaking, or an utterance's final text is still to come (file windows wait meanwhile)."""
        return self._timeline.open_span() is not None or self._finals.pending_samples > 0

    @property
    def settled(self) -> bool:
        """The stream ended and every utterance has its final (or was dropped) and every stretch of loud audio
        outside them was checked, or recognition failed."""
        return self.failed or (self._ended and not self.in_utterance and not self._unheard.busy)

    @property
    def pending_seconds(self) -> float:
        """Speech closed but not finalised yet."""
        return self._finals.pending_samples / SAMPLE_RATE

    @property
    def coverage(self) -> Coverage:
        return self._finals.coverage

    # the one way in
    def handle(self, event: Input) -> list[Output]:
        """Apply one input; returns the events to send and the passes to run or cancel, in order."""
        if isinstance(event, AudioReceived):
            self.coverage.received += event.samples
            return []
        if self.failed:
            return []
        out: list[Output] = []
        match event:
            case AudioRead(pcm=pcm, at=at):
                open_span = self._timeline.open_span() is not None
                out += self._unheard.read(self._timeline.position, pcm, open_span, open_span and self._paused)
                self._audio.append(pcm)
                self._timeline.read(len(pcm) // 2)
                self._read_at = at
                out += self._opened(self._timeline.cut_if_too_long(at))
                out += self._interim_due(at, len(pcm) / (2 * SAMPLE_RATE))
                self._end_of_turn(at)
            case VoiceStarted(at=at):
                out += self._speech_started(at)
            case VoicePaused(at=at):
                out += self._voice_paused(at)
            case VoiceResumed(at=at):
                pause, current = self._pause, self._timeline.open_span()
                self._paused, self._pause = False, None
                if current is None:
                    # the core ended the utterance at this pause, the VAD had not: speech goes on as a new one
                    # (RealtimeSTT also calls this after its own stop, in silence: that opens nothing)
                    if self._ended_at_pause:
                        out += self._speech_started(at)
                else:
                    interim = self._interims.get(current[0], "")
                    due = pause if pause is not None and pause.judge_id is not None else None  # cut when it comes
                    self._resumed_before = None if due is None else replace(due, text=due.text or interim)
                    ended = pause is None or (due is None and pause.ended_sentence(self._rules.end_of_turn, interim))
                    out += self._opened(self._timeline.speech_resumed(at, ended))  # a long one may be cut
                    self._heard()  # the pause is inside it now
            case VoiceStopped(at=at):
                self._paused, self._pause, self._ended_at_pause = False, None, False
                self._voice_stopped(at)
            case EndOfStream(at=at):
                self._ended = True
                self._close(self._timeline.speech_stopped(at))
                out += self._unheard.finish(self._timeline.position)
            case TurnJudged(judge_id=judge_id, probability=probability):
                pause = self._pause
                if pause is not None and pause.judge_id == judge_id:
                    pause.judge_id, pause.acoustic = None, probability
                    self._end_of_turn(self._read_at)
                out += self._judged_after_resume(judge_id, probability)
            case Stalled(samples=samples, seconds=seconds):
                self._unheard.stalled(self.coverage.received, samples, seconds)
            case ClientStart():
                self._finals.revisions = event.revisions and self._rules.joins_allowed
                self._options = PassOptions(vocabulary=tuple(event.vocabulary))
                self._finals.set_commands(event.commands)
            case PassDone(pass_id=pass_id, result=result):
                out += self._pass_done(pass_id, result)
            case PassFailed(pass_id=pass_id, message=message):
                if self._interim is not None and pass_id == self._interim.request.pass_id:
                    out += self._pass_done(pass_id, None)  # a preview that failed is a preview skipped
                elif (checked := self._unheard.checked(pass_id, None)) is not None:
                    out += checked  # so is a check
                else:
                    return self._fail(f"speech recognition failed: {message}")
            case RecorderFailed(message=message):
                return self._fail(message)
            case GiveUp(reason=reason):
                if self._final_pass is not None:
                    out.append(CancelPass(self._final_pass.pass_id))
                    self._final_pass, self._final_for = None, None
                out += self._finals.drop_all(reason)
                out += self._unheard.give_up()
                return out
        out += self._finals_step()
        if self._stop_recording:  # after the final it may have sent
            self._stop_recording = False
            out.append(StopRecording())
        return out

    # voice activity
    def _speech_started(self, at: float) -> list[Output]:
        utterance = self._timeline.speech_started(at)
        self._paused, self._pause, self._ended_at_pause = False, None, False
        if utterance is None:
            return []
        self._heard()
        self._beat.last = at  # RealtimeSTT's realtime timer restarted with each recording
        return [SpeechStarted(utterance, at)]

    def _judged_after_resume(self, judge_id: int, probability: float | None) -> list[Output]:
        """The turn answer for a pause speech resumed after: a long utterance is cut there now if it and the text
        say a sentence ended (cut blind, 4 of 9 such cuts were mid-sentence: benchmark.md item 24)."""
        pause = self._resumed_before
        if pause is None or pause.judge_id != judge_id or pause.span is None:
            return []
        self._resumed_before = None
        if not replace(pause, judge_id=None, acoustic=probability).ended_sentence(self._rules.end_of_turn, ""):
            return []
        return self._opened(self._timeline.cut_at_last_pause(pause.at_sample, pause.span.speech_end, self._read_at))

    def _heard(self) -> None:
        """Loud audio from the open utterance's start on is in its passes."""
        opened = self._timeline.open_span()
        if opened is not None:
            self._unheard.heard_from(opened[1])

    def _voice_paused(self, at: float) -> list[Output]:
        self._paused = True  # no more interim passes: the final pass is about to start
        span = self._timeline.pause_started(at)
        if span is None:
            self._pause = None
            return []
        if self._rules.speculate:
            self._finals.speculate(span)
        onset, speech_end = span_parts(span)[-1]  # the latest stretch of speech
        self._pause = Pause(
            self._timeline.position,
            span if self._rules.speculate else None,
            command_sized=self._finals.might_be_command(speech_end - onset),
        )
        rules, current = self._rules.end_of_turn, self._timeline.open_span()
        if not (rules.adaptive and rules.acoustic) or current is None:
            return []
        self._turns_judged += 1
        self._pause.judge_id = self._turns_judged
        end = self._timeline.position
        return [JudgeTurn(self._turns_judged, self._audio.slice(max(current[1], end - TURN_WINDOW), end))]

    def _end_of_turn(self, at: float) -> None:
        """The adaptive end of utterance (``end_of_turn.py``): during a pause, end the utterance when the
        silence so far is enough for how complete it sounds (and tell the VAD to stop recording)."""
        pause, current = self._pause, self._timeline.open_span()
        if pause is None or current is None:
            return
        silence = (self._timeline.position - pause.at_sample) / SAMPLE_RATE
        rules = self._rules.end_of_turn
        cue = pause.cue(rules, silence, self._interims.get(current[0], ""), self._finals.is_command)
        if pause_ends_utterance(rules, silence, cue):
            logger.debug("%s: pause of %.2f s ends the utterance (%s)", self._name, silence, cue and cue.value)
            self._paused, self._pause, self._ended_at_pause = False, None, True
            self._close(self._timeline.speech_stopped(at))
            self._stop_recording = True

    def _voice_stopped(self, at: float) -> None:
        """The VAD's closing silence ended the utterance (issue 18: a thinking pause may hold it open here)."""
        self._close(self._timeline.speech_stopped(at))

    def _close(self, span: Span | None) -> None:
        if span is not None:
            span = self._unheard.closing(span)  # words the VAD took for its closing pause: read to the end
            logger.debug("%s: utterance %d closed (%.2f s)", self._name, span.utterance_id, span.seconds)
            self._finals.close(span)

    def _opened(self, cut: tuple[Span, int] | None) -> list[Output]:
        """A long utterance was cut: its first part gets its final, the speech goes on as a new utterance."""
        if cut is None:
            return []
        closed, utterance = cut
        logger.debug("%s: utterance %d cut after %.2f s", self._name, closed.utterance_id, closed.seconds)
        self._finals.close(closed)
        return [SpeechStarted(utterance, closed.speech_end)]

    # passes
    def _request(self, purpose: Purpose, ranges: tuple[tuple[int, int], ...], options: PassOptions) -> PassRequest:
        self._passes_asked += 1
        return PassRequest(self._passes_asked, purpose, ranges, options, self._audio.of(ranges))

    def _interim_due(self, at: float, chunk_seconds: float) -> list[Output]:
        """An interim pass over the open utterance's own audio, when one is due (see the module's rules); ``at``:
        when the VAD read the latest chunk, ``chunk_seconds`` long."""
        current = self._timeline.open_span()
        if current is None or self._paused or self._ended or self._interim is not None:
            return []
        _utterance, start, speech_start = current
        if not self._beat.due(at, chunk_seconds, speech_start):
            return []
        end = self._timeline.position
        if end - start < MIN_INTERIM_SAMPLES:
            return []
        if trailing_quiet(self._audio.slice(start, end), self._rules.interim_quiet_ratio):
            return []
        request = self._request(Purpose.INTERIM, ((start, end),), self._options)
        self._interim = InterimPass(request, current)
        return [request]

    def _pass_done(self, pass_id: int, result: PassResult | None) -> list[Output]:
        if (checked := self._unheard.checked(pass_id, result)) is not None:
            return checked
        if self._interim is not None and pass_id == self._interim.request.pass_id:
            utterance = self._interim.utterance
            self._interim = None
            text = result.text.strip() if result is not None else ""
            if text and not self._ended and self._timeline.open_span() == utterance:
                self._interims[utterance[0]] = text
                return [Interim(utterance[0], text, utterance[2])]
            return []
        if self._final_pass is not None and pass_id == self._final_pass.pass_id:
            self._final_pass, self._final_cancelled = None, False
            self._speculated(self._final_for, result)
            self._final_for = None
            return self._finals_step(result, resumed=True)
        return []  # a pass given up on

    def _finals_step(self, result: PassResult | None = None, resumed: bool = False) -> list[Output]:
        """Run the finals' jobs as far as they go without a pass; ask for the one they wait for; cancel a
        speculative pass that speech made stale."""
        out: list[Output] = []
        if self._final_pass is None and (resumed or self._finals.waiting is None):
            need = self._finals.advance(result)
            out += self._finals.events
            self._finals.events.clear()
            if need is not None:
                self._final_pass = self._request(need.purpose, need.ranges, self._options.favouring(need.words))
                self._final_for = need.for_pause
                out.append(self._final_pass)
        if self._final_pass is not None and not self._final_cancelled and self._stale(self._finals.waiting):
            self._final_cancelled = True
            out.append(CancelPass(self._final_pass.pass_id))
        return out

    def _speculated(self, span: Span | None, result: PassResult | None) -> None:
        """A speculative pass for the current pause is back: its text is the end-of-turn cue (a skipped one
        leaves the interim's)."""
        pause = self._pause
        if span is None or pause is None or pause.span is None or span.key != pause.span.key:
            return
        if result is None:
            pause.span = None
        else:
            pause.text = result.text
        self._end_of_turn(self._read_at)

    def _stale(self, need: NeedPass | None) -> bool:
        return need is not None and need.for_pause is not None and not self._timeline.still_wanted(need.for_pause)

    def _fail(self, message: str) -> list[Output]:
        self.failed = True
        return [EngineFailed(message)]
