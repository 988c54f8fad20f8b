"""Benchmark metrics from timelines of events. Pure: no I/O, no clocks.

A stream's observations are a ``StreamRecord``: client-side monotonic times at which the speech onset
and the end of speech were sent, and the arrival time of every server message. ``score_stream`` turns
one record into a ``StreamResult``; ``summarise`` turns many results into p50/p95/max figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from dictate.bench.stats import Distribution
from dictate.protocol import ErrorCode
from dictate.transcript import join_utterance, normalise_utterance, plan_edit

EventKind = Literal["interim", "final", "error"]


@dataclass(frozen=True)
class Event:
    """One server message as the client saw it."""

    at: float  # client monotonic clock (s) when the message arrived
    kind: EventKind
    text: str = ""
    audio_seconds: float | None = None  # final only: audio the server's final pass saw
    processing_seconds: float | None = None  # final only: duration of the server's final pass
    server_speech_end: float | None = None  # final only: server wall clock when its VAD heard the speech end
    server_sent_at: float | None = None  # server wall clock when it sent the message
    utterance_id: int | None = None  # final only
    revises: tuple[int, ...] = ()  # final only: earlier finals this one replaces (feature ``revisions``)


@dataclass(frozen=True)
class StreamRecord:
    """Raw observations of one streamed clip."""

    clip: str
    reference: str
    onset_sent_at: float | None  # monotonic time the frame holding the first speech sample was sent
    end_sent_at: float | None  # monotonic time the frame holding the last speech sample was sent
    events: tuple[Event, ...] = ()
    failure: str | None = None  # transport-level failure (connection refused, timeout, abnormal close)
    repeat: int = 0
    concurrency: int = 1
    audio_seconds: float = 0.0  # seconds of PCM sent, silences included
    speech_onset: float | None = None  # where the bench's VAD put the onset, s from the first sample sent
    speech_end: float | None = None
    end_sent_wall: float | None = None  # wall clock (time.time) when the end-of-speech frame was sent
    variant: str = ""  # e.g. "pauses 1 s": the clip as the bench changed it
    formatted_reference: str = ""  # what the formatted WER is scored against ('' : none)
    # (seconds into the stream, monotonic send time) of the end of every speech segment the bench's VAD found
    segment_ends_sent: tuple[tuple[float, float], ...] = ()
    wall_minus_monotonic: float | None = None  # time.time() - time.monotonic(); None: server clock not ours


@dataclass(frozen=True)
class FinalTiming:
    """One final of a stream: how long its utterance was and how long after its speech ended it came."""

    text: str
    utterance_seconds: float | None  # the audio of the server's final pass (the protocol's audio_seconds)
    latency: float | None  # arrival minus the send time of the utterance's last speech (None: not measurable)
    arrived: float  # seconds after the stream's speech onset was sent (or after its first message)


@dataclass(frozen=True)
class StreamResult:
    """Figures of one streamed clip (``None`` where a figure could not be measured)."""

    clip: str
    repeat: int
    concurrency: int
    reference: str
    hypothesis: str
    first_interim_latency: float | None
    final_latency: float | None
    rtf: float | None
    wer: float | None
    finals: int
    interims: int
    failure: str | None
    audio_seconds: float
    speech_onset: float | None = None
    speech_end: float | None = None
    server_end_detection: float | None = None  # server saw the end of speech this long after it was sent
    server_finalize: float | None = None  # from the server's end of speech to its sending the final
    variant: str = ""
    formatted_reference: str = ""
    formatted_wer: float | None = None  # case- and punctuation-sensitive tokens (wer.formatted_tokens)
    words_lost: int | None = None  # reference words in runs of >= 3 with no counterpart in the finals
    lost_runs: tuple[str, ...] = ()
    final_timings: tuple[FinalTiming, ...] = ()
    interim_gap_max: float | None = None  # the longest wait for the next interim while speech was sent
    interim_gaps: tuple[float, ...] = ()
    revising_finals: int = 0  # finals that replaced earlier ones (revisions and mended seams)
    typed_chars: int = 0  # characters a dashboard typing the finals would have typed (retyped ones included)
    backspaced_chars: int = 0  # ... and backspaced, to apply the revising finals
    dropped_reports: tuple[str, ...] = ()  # the server's speech_dropped errors: speech it said got no final

    @property
    def ok(self) -> bool:
        """Whether the stream produced a final text with no error."""
        return self.failure is None


def first_interim_latency(events: Iterable[Event], onset_sent_at: float | None) -> float | None:
    """Arrival of the first non-empty interim (at or after the onset was sent) minus the onset send time."""
    if onset_sent_at is None:
        return None
    for event in sorted(events, key=lambda e: e.at):
        if event.kind == "interim" and event.text.strip() and event.at >= onset_sent_at:
            return event.at - onset_sent_at
    return None


def interim_gaps(events: Iterable[Event], onset_sent_at: float | None, end_sent_at: float | None) -> list[float]:
    """Seconds between consecutive non-empty interims that arrived while the speech was being sent: an interim
    pass that re-reads a growing utterance shows as growing gaps (so do pauses, in which no interim comes)."""
    if onset_sent_at is None or end_sent_at is None:
        return []
    times = sorted(e.at for e in events if e.kind == "interim" and e.text.strip())
    during = [at for at in times if onset_sent_at <= at <= end_sent_at]
    return [later - earlier for earlier, later in pairwise(during)]


def final_latency(events: Iterable[Event], end_sent_at: float | None) -> float | None:
    """Arrival of the last non-empty final minus the time the end of (the last) speech was sent.

    With several utterances in one clip this is the latency of the last one: the one a user waits for.
    """
    if end_sent_at is None:
        return None
    finals = [e for e in events if e.kind == "final" and e.text.strip()]
    if not finals:
        return None
    return max(e.at for e in finals) - end_sent_at


def real_time_factor(events: Iterable[Event]) -> float | None:
    """Server-reported processing time over audio time, summed over the stream's finals."""
    audio = processing = 0.0
    for event in events:
        if event.kind == "final" and event.audio_seconds and event.processing_seconds is not None:
            audio += event.audio_seconds
            processing += event.processing_seconds
    return processing / audio if audio > 0 else None


def server_breakdown(events: Iterable[Event], end_sent_wall: float | None) -> tuple[float | None, float | None]:
    """(end detection, finalize) of the last final, from the server's wall-clock stamps.

    End detection = the server's ``speech_end`` minus our wall-clock time of sending the end of speech (only
    meaningful when both clocks agree: a server on this machine); finalize = ``sent_at - speech_end``.
    """
    finals = [e for e in events if e.kind == "final" and e.text.strip()]
    if not finals:
        return None, None
    last = max(finals, key=lambda e: e.at)
    if last.server_speech_end is None:
        return None, None
    detection = last.server_speech_end - end_sent_wall if end_sent_wall is not None else None
    finalize = last.server_sent_at - last.server_speech_end if last.server_sent_at is not None else None
    return detection, finalize


def final_timings(
    events: Sequence[Event],
    segment_ends_sent: Sequence[tuple[float, float]],
    wall_minus_monotonic: float | None,
    end_sent_at: float | None,
    origin: float | None = None,
) -> tuple[FinalTiming, ...]:
    """Each non-empty final with its utterance length and its latency.

    An utterance's speech ends at the last speech segment (the bench's VAD) whose end was sent before the
    server heard the speech end (the final's ``speech_end``, a server wall-clock stamp, brought onto our clock
    with ``wall_minus_monotonic``: only for a server sharing this machine's clock). Without it, only the last
    final has a latency (the stream's final latency).
    """
    finals = sorted((e for e in events if e.kind == "final" and e.text.strip()), key=lambda e: e.at)
    start = origin if origin is not None else (min(e.at for e in events) if events else 0.0)
    timings = []
    for index, event in enumerate(finals):
        latency: float | None = None
        if wall_minus_monotonic is not None and event.server_speech_end is not None:
            closed = event.server_speech_end - wall_minus_monotonic
            sent = [at for _seconds, at in segment_ends_sent if at <= closed]
            latency = event.at - max(sent) if sent else None
        elif index == len(finals) - 1 and end_sent_at is not None:
            latency = event.at - end_sent_at
        timings.append(FinalTiming(event.text.strip(), event.audio_seconds, latency, event.at - start))
    return tuple(timings)


def typing_churn(events: Iterable[Event]) -> tuple[int, int]:
    """(characters typed, characters backspaced) by a dashboard that types each final as it arrives and applies
    a revising final by backspacing to where its text differs (``transcript.plan_edit``)."""
    texts: dict[int, str] = {}
    committed = ""
    typed = backspaced = 0
    for index, event in enumerate(sorted((e for e in events if e.kind == "final"), key=lambda e: e.at)):
        for revised in event.revises:
            texts.pop(revised, None)
        texts[event.utterance_id if event.utterance_id is not None else -1 - index] = normalise_utterance(event.text)
        target = ""
        for text in texts.values():
            target = join_utterance(target, text)
        plan = plan_edit(committed, target)
        typed, backspaced, committed = typed + len(plan.text), backspaced + plan.backspaces, target
    return typed, backspaced


def hypothesis_text(events: Iterable[Event]) -> str:
    """The final texts of a stream in arrival order, revisions applied, joined by spaces (WER is computed on this)."""
    ordered = sorted((e for e in events if e.kind == "final"), key=lambda e: e.at)
    texts: dict[int, str] = {}
    for index, event in enumerate(ordered):
        for revised in event.revises:
            texts.pop(revised, None)
        texts[event.utterance_id if event.utterance_id is not None else -1 - index] = event.text.strip()
    return " ".join(text for text in texts.values() if text)


@dataclass(frozen=True)
class Scorers:
    """Text scores of one stream, each ``(reference, hypothesis) -> value`` (wer.py's, or fakes in tests)."""

    wer: Callable[[str, str], float | None] | None = None
    formatted_wer: Callable[[str, str], float | None] | None = None
    lost_words: Callable[[str, str], tuple[int, tuple[str, ...]]] | None = None


def score_stream(
    record: StreamRecord, clip_wer: Callable[[str, str], float | None] | Scorers | None = None
) -> StreamResult:
    """Latencies, RTF, failure and (with ``clip_wer(reference, hypothesis)`` or ``Scorers``) the text scores."""
    scorers = clip_wer if isinstance(clip_wer, Scorers) else Scorers(wer=clip_wer)
    events = record.events
    failure = record.failure
    # a speech_dropped error is not a failure of the stream: the server says what it could not transcribe, and
    # the stream goes on (the words are scored as lost); the report counts them
    dropped = tuple(e.text for e in events if e.kind == "error" and e.text.startswith(f"{ErrorCode.SPEECH_DROPPED}:"))
    errors = [e for e in events if e.kind == "error" and e.text not in dropped]
    if failure is None and errors:
        failure = f"server error: {errors[0].text}"
    hypothesis = hypothesis_text(events)
    latency = final_latency(events, record.end_sent_at)
    detection, finalize = server_breakdown(events, record.end_sent_wall)
    if failure is None and latency is None:
        failure = "no final text"
    scored = failure is None
    gaps = interim_gaps(events, record.onset_sent_at, record.end_sent_at)
    typed, backspaced = typing_churn(events)
    lost: tuple[int, tuple[str, ...]] | None = None
    if scored and scorers.lost_words is not None and record.reference.strip():
        lost = scorers.lost_words(record.reference, hypothesis)
    formatted = None
    if scored and scorers.formatted_wer is not None and record.formatted_reference:
        formatted = scorers.formatted_wer(record.formatted_reference, hypothesis)
    return StreamResult(
        clip=record.clip,
        repeat=record.repeat,
        concurrency=record.concurrency,
        reference=record.reference,
        hypothesis=hypothesis,
        first_interim_latency=first_interim_latency(events, record.onset_sent_at),
        final_latency=latency,
        rtf=real_time_factor(events),
        wer=scorers.wer(record.reference, hypothesis) if scorers.wer is not None and scored else None,
        finals=sum(1 for e in events if e.kind == "final"),
        interims=sum(1 for e in events if e.kind == "interim"),
        failure=failure,
        audio_seconds=record.audio_seconds,
        speech_onset=record.speech_onset,
        speech_end=record.speech_end,
        server_end_detection=detection,
        server_finalize=finalize,
        variant=record.variant,
        formatted_reference=record.formatted_reference,
        formatted_wer=formatted,
        words_lost=lost[0] if lost is not None else None,
        lost_runs=lost[1] if lost is not None else (),
        interim_gap_max=max(gaps) if gaps else None,
        interim_gaps=tuple(round(gap, 3) for gap in gaps),
        revising_finals=sum(1 for e in events if e.kind == "final" and e.revises),
        typed_chars=typed,
        backspaced_chars=backspaced,
        dropped_reports=dropped,
        final_timings=final_timings(
            events, record.segment_ends_sent, record.wall_minus_monotonic, record.end_sent_at, record.onset_sent_at
        ),
    )


@dataclass(frozen=True)
class Summary:
    """Figures of one concurrency level."""

    concurrency: int
    streams: int
    failures: int
    first_interim_latency: Distribution
    final_latency: Distribution
    rtf: Distribution
    server_end_detection: Distribution
    server_finalize: Distribution
    wer: float | None  # corpus WER over the successful streams (errors / reference words)
    keeps_up: bool
    failure_reasons: dict[str, int] = field(default_factory=dict)
    late: int = 0  # successful streams whose final came later than the keep-up limit
    no_interim: int = 0  # successful streams that never got a non-empty interim after the onset
    formatted_wer: float | None = None  # corpus formatted WER over the streams with a formatted reference
    words_lost: int | None = None  # over the successful streams with a reference
    each_final_latency: Distribution = field(default_factory=lambda: Distribution(0, None, None, None, None))
    interim_gap: Distribution = field(default_factory=lambda: Distribution(0, None, None, None, None))
    revising_finals: int = 0  # finals that replaced earlier ones, over the successful streams
    backspaced_per_100_typed: float | None = None  # a dashboard's churn: characters backspaced per 100 typed
    revisions_accepted: int | None = None  # the server's revising passes used (its /metrics; None: not known)
    revisions_rejected: int | None = None  # ... and refused (the utterance's own final was sent)
    dropped_reports: int = 0  # the server's speech_dropped errors, over the successful streams


def keeps_up(results: Sequence[StreamResult], max_final_latency: float) -> bool:
    """Every stream succeeded and got its last final within ``max_final_latency`` s of the end of speech.

    A server that does not keep up with real time falls further behind with every second of audio, so its
    final text arrives ever later (or never): a bounded end-of-speech-to-final latency is the test.
    """
    if not results:
        return False
    return all(r.ok and r.final_latency is not None and r.final_latency <= max_final_latency for r in results)


CorpusScore = Callable[[Sequence[str], Sequence[str]], float | None]


def summarise(
    results: Sequence[StreamResult],
    concurrency: int,
    corpus_wer: CorpusScore,
    max_final_latency: float,
    corpus_formatted_wer: CorpusScore | None = None,
) -> Summary:
    """Summary of the results of one concurrency level; ``corpus_wer(references, hypotheses)``."""
    good = [r for r in results if r.ok]
    formatted = [r for r in good if r.formatted_reference]
    lost = [r.words_lost for r in good if r.words_lost is not None]
    reasons: dict[str, int] = {}
    for r in results:
        if r.failure is not None:
            reasons[r.failure] = reasons.get(r.failure, 0) + 1
    return Summary(
        concurrency=concurrency,
        streams=len(results),
        failures=len(results) - len(good),
        first_interim_latency=Distribution.of(r.first_interim_latency for r in good),
        final_latency=Distribution.of(r.final_latency for r in good),
        rtf=Distribution.of(r.rtf for r in good),
        server_end_detection=Distribution.of(r.server_end_detection for r in good),
        server_finalize=Distribution.of(r.server_finalize for r in good),
        wer=corpus_wer([r.reference for r in good], [r.hypothesis for r in good]) if good else None,
        keeps_up=keeps_up(results, max_final_latency),
        failure_reasons=reasons,
        late=sum(1 for r in good if r.final_latency is not None and r.final_latency > max_final_latency),
        no_interim=sum(1 for r in good if r.first_interim_latency is None),
        formatted_wer=(
            corpus_formatted_wer([r.formatted_reference for r in formatted], [r.hypothesis for r in formatted])
            if formatted and corpus_formatted_wer is not None
            else None
        ),
        words_lost=sum(lost) if lost else None,
        each_final_latency=Distribution.of(t.latency for r in good for t in r.final_timings),
        interim_gap=Distribution.of(gap for r in good for gap in r.interim_gaps),
        revising_finals=sum(r.revising_finals for r in good),
        backspaced_per_100_typed=churn_per_100(good),
        dropped_reports=sum(len(r.dropped_reports) for r in good),
    )


def churn_per_100(results: Sequence[StreamResult]) -> float | None:
    """Characters backspaced per 100 typed over ``results`` (None: nothing typed)."""
    typed = sum(r.typed_chars for r in results)
    return 100 * sum(r.backspaced_chars for r in results) / typed if typed else None
