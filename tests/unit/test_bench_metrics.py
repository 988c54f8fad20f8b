"""Bench metrics from synthetic event timelines: latencies, failures, percentiles, summaries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dictate.bench.levels import concurrency_levels, max_realtime_concurrency
from dictate.bench.metrics import (
    Event,
    Scorers,
    StreamRecord,
    final_latency,
    final_timings,
    first_interim_latency,
    hypothesis_text,
    interim_gaps,
    keeps_up,
    real_time_factor,
    score_stream,
    server_breakdown,
    summarise,
)
from dictate.bench.stats import Distribution, percentile


def record(events: list[Event], onset: float | None = 11.0, end: float | None = 13.0, **kw: object) -> StreamRecord:
    return StreamRecord("clip.wav", "ten of clubs", onset, end, tuple(events), **kw)  # type: ignore[arg-type]


def test_first_interim_is_first_non_empty_interim_after_onset() -> None:
    events = [
        Event(10.5, "interim", "uh"),  # before the onset was sent: not speech of this clip
        Event(11.2, "interim", "  "),  # empty
        Event(11.6, "interim", "ten"),
        Event(11.9, "interim", "ten of"),
    ]
    assert first_interim_latency(events, 11.0) == pytest.approx(0.6)


def test_first_interim_missing() -> None:
    assert first_interim_latency([Event(12.0, "final", "ten")], 11.0) is None
    assert first_interim_latency([Event(12.0, "interim", "ten")], None) is None


def test_final_latency_uses_the_last_final_of_a_multi_utterance_stream() -> None:
    events = [
        Event(12.0, "final", "first sentence."),
        Event(20.0, "final", ""),  # an empty final does not count
        Event(14.1, "final", "second sentence."),
    ]
    assert final_latency(events, 13.0) == pytest.approx(1.1)
    assert hypothesis_text(events) == "first sentence. second sentence."


def test_rtf_sums_processing_over_audio() -> None:
    events = [
        Event(1.0, "final", "a", audio_seconds=2.0, processing_seconds=0.5),
        Event(2.0, "final", "b", audio_seconds=6.0, processing_seconds=1.5),
        Event(1.5, "interim", "a"),
    ]
    assert real_time_factor(events) == pytest.approx(0.25)
    assert real_time_factor([Event(1.0, "interim", "a")]) is None


def test_score_stream_success() -> None:
    result = score_stream(
        record([Event(11.8, "interim", "ten"), Event(14.0, "final", "10 of clubs", 3.0, 0.6)]),
        clip_wer=lambda ref, hyp: 0.0,
    )
    assert result.ok
    assert result.first_interim_latency == pytest.approx(0.8)
    assert result.final_latency == pytest.approx(1.0)
    assert result.rtf == pytest.approx(0.2)
    assert result.wer == 0.0
    assert (result.finals, result.interims) == (1, 1)


def test_no_final_is_a_failure_not_a_crash() -> None:
    result = score_stream(record([Event(11.8, "interim", "ten")]), clip_wer=lambda ref, hyp: 1.0)
    assert result.failure == "no final text"
    assert result.wer is None  # failed streams are left out of WER


def test_error_message_and_transport_failure() -> None:
    errored = score_stream(record([Event(12.0, "error", "engine_failed: boom"), Event(14.0, "final", "ten")]))
    assert errored.failure == "server error: engine_failed: boom"
    refused = score_stream(record([], failure="the server is busy: full"))
    assert refused.failure == "the server is busy: full"


def test_speech_reported_dropped_is_counted_not_a_failure() -> None:
    dropped = 'speech_dropped: 1.4 s of speech that the voice detector did not take for speech ...: "is to be"'
    result = score_stream(record([Event(12.0, "error", dropped), Event(14.0, "final", "ten")]), lambda r, h: 0.0)
    assert result.ok and result.wer == 0.0 and result.dropped_reports == (dropped,)
    summary = summarise([result], 1, lambda refs, hyps: 0.0, 5.0)
    assert summary.dropped_reports == 1 and summary.failures == 0


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-6)


def test_percentile_examples_and_errors() -> None:
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_distribution_skips_missing_values() -> None:
    dist = Distribution.of([1.0, None, 3.0])
    assert (dist.count, dist.p50, dist.max, dist.mean) == (2, 2.0, 3.0, 2.0)
    assert Distribution.of([None]) == Distribution(0, None, None, None, None)


def test_summarise_counts_failures_and_excludes_them() -> None:
    good = score_stream(record([Event(11.5, "interim", "x"), Event(14.0, "final", "ten of clubs")]))
    slow = score_stream(record([Event(11.5, "interim", "x"), Event(17.5, "final", "ten of clubs")]))
    failed = score_stream(record([], failure="timed out"))
    seen: list[tuple[list[str], list[str]]] = []

    def wer(refs: list[str], hyps: list[str]) -> float:
        seen.append((list(refs), list(hyps)))
        return 0.0

    summary = summarise([good, slow, failed], 2, wer, max_final_latency=3.0)  # type: ignore[arg-type]
    assert (summary.streams, summary.failures, summary.concurrency) == (3, 1, 2)
    assert summary.final_latency.count == 2
    assert summary.final_latency.max == pytest.approx(4.5)
    assert summary.failure_reasons == {"timed out": 1}
    assert summary.late == 1
    assert summary.no_interim == 0
    assert seen == [(["ten of clubs"] * 2, ["ten of clubs"] * 2)]
    assert not summary.keeps_up


def test_keeps_up_and_max_realtime_concurrency() -> None:
    fast = score_stream(record([Event(14.0, "final", "a")]))
    slow = score_stream(record([Event(18.0, "final", "a")]))
    assert keeps_up([fast, fast], 3.0)
    assert not keeps_up([fast, slow], 3.0)
    assert not keeps_up([], 3.0)

    def level(n: int, ok: bool) -> object:
        return summarise([fast if ok else slow], n, lambda r, h: None, 3.0)

    levels = [level(1, True), level(2, True), level(4, False), level(8, True)]
    assert max_realtime_concurrency(levels) == 2  # type: ignore[arg-type]
    assert max_realtime_concurrency([level(1, False)]) is None  # type: ignore[list-item]


def test_concurrency_levels() -> None:
    assert concurrency_levels(1) == [1]
    assert concurrency_levels(4) == [1, 2, 4]
    assert concurrency_levels(6) == [1, 2, 4, 6]
    with pytest.raises(ValueError):
        concurrency_levels(0)


def test_server_breakdown_of_the_last_final() -> None:
    events = [
        Event(5.0, "final", "first", server_speech_end=1000.0, server_sent_at=1000.4),
        Event(9.0, "final", "last", server_speech_end=1003.5, server_sent_at=1004.3),
    ]
    detection, finalize = server_breakdown(events, end_sent_wall=1003.0)
    assert detection == pytest.approx(0.5)  # the server's VAD closed the utterance 0.5 s after speech ended
    assert finalize == pytest.approx(0.8)
    assert server_breakdown(events, None) == (None, pytest.approx(0.8))
    assert server_breakdown([Event(1.0, "final", "x")], 1.0) == (None, None)
    assert server_breakdown([], 1.0) == (None, None)


def test_each_final_is_timed_from_the_end_of_its_own_speech() -> None:
    offset = 1000.0  # server wall clock = our monotonic clock + 1000 s
    events = [
        Event(12.6, "final", "And so my fellow Americans.", audio_seconds=2.0, server_speech_end=offset + 12.4),
        Event(16.9, "final", "ask not.", audio_seconds=1.2, server_speech_end=offset + 16.5),
        Event(17.0, "final", " "),  # empty: not a final of any speech
    ]
    # speech segments ended when these stream seconds were sent (monotonic)
    ends = ((2.0, 12.0), (4.6, 14.6), (5.9, 15.9))
    first, second = final_timings(events, ends, offset, end_sent_at=15.9, origin=10.0)
    assert (first.utterance_seconds, first.latency, first.arrived) == (2.0, pytest.approx(0.6), pytest.approx(2.6))
    assert second.latency == pytest.approx(1.0)  # closed at 16.5: its speech ended at 15.9, not 14.6
    assert second.text == "ask not."


def test_without_a_shared_clock_only_the_last_final_is_timed() -> None:
    events = [Event(12.6, "final", "one.", 2.0, server_speech_end=5.0), Event(16.9, "final", "two.", 1.0)]
    first, second = final_timings(events, ((2.0, 12.0),), None, end_sent_at=15.9)
    assert first.latency is None and second.latency == pytest.approx(1.0)


def test_scorers_give_formatted_wer_and_words_lost() -> None:
    events = [Event(14.0, "final", "Ten of clubs.", 1.0, 0.2)]
    scorers = Scorers(
        wer=lambda r, h: 0.0, formatted_wer=lambda r, h: 0.5, lost_words=lambda r, h: (3, ("ten of clubs",))
    )
    formatted = score_stream(record(events, formatted_reference="Ten of clubs."), scorers)
    assert (formatted.wer, formatted.formatted_wer, formatted.words_lost) == (0.0, 0.5, 3)
    assert formatted.lost_runs == ("ten of clubs",)
    plain = score_stream(record(events), scorers)  # no formatted reference: no formatted WER
    assert plain.formatted_wer is None and plain.words_lost == 3
    summary = summarise([formatted, plain], 1, lambda r, h: 0.0, 3.0, lambda r, h: 0.25)
    assert (summary.formatted_wer, summary.words_lost) == (0.25, 6)
    assert summary.each_final_latency.count == 2  # one timed final per stream


def test_interim_gaps_while_speech_is_sent() -> None:
    events = [
        Event(10.5, "interim", "uh"),  # before the onset was sent
        Event(11.2, "interim", "ten"),
        Event(11.5, "interim", " "),  # empty: not an interim text
        Event(11.7, "interim", "ten of"),
        Event(12.9, "interim", "ten of clubs"),
        Event(13.4, "interim", "ten of clubs"),  # after the end of speech was sent
        Event(13.5, "final", "Ten of clubs."),
    ]
    assert interim_gaps(events, 11.0, 13.0) == [pytest.approx(0.5), pytest.approx(1.2)]
    assert interim_gaps(events, None, 13.0) == []
    result = score_stream(record(events))
    assert result.interim_gap_max == pytest.approx(1.2)
    assert summarise([result], 1, lambda r, h: 0.0, 3.0).interim_gap.p50 == pytest.approx(0.85)


def test_a_revising_final_costs_the_backspaces_to_where_its_text_differs() -> None:
    from dictate.bench.metrics import Event, typing_churn

    events = [
        Event(1.0, "final", "And so my fellow Americans.", utterance_id=1),  # 27 typed
        Event(2.0, "final", "Ask not.", utterance_id=2),  # " Ask not." 9 typed
        # replaces both: back to "And so my fellow Americans" (10 backspaced), then ", ask not what." (15 typed)
        Event(3.0, "final", "And so my fellow Americans, ask not what.", utterance_id=3, revises=(1, 2)),
        Event(4.0, "interim", "ignored"),
    ]
    assert typing_churn(events) == (27 + 9 + 15, 10)
    assert typing_churn(events[:2]) == (36, 0)


def test_the_summary_gives_backspaces_per_100_typed_and_revising_finals() -> None:
    from dataclasses import replace

    from dictate.bench.metrics import StreamResult, churn_per_100

    base = StreamResult("c", 0, 1, "", "", None, 1.0, None, None, 1, 0, None, 1.0)
    results = [replace(base, typed_chars=150, backspaced_chars=3), replace(base, typed_chars=50, backspaced_chars=1)]
    assert churn_per_100(results) == pytest.approx(2.0)
    assert churn_per_100([base]) is None
