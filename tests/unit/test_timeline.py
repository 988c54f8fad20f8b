"""The session timeline: utterances as disjoint sample ranges, cuts of long ones, and which finals a span joins."""

from __future__ import annotations

from dictate.server.live.timeline import Piece, Span, Timeline, context_for

SECOND = 16_000


def test_an_utterance_starts_a_pre_roll_back_and_ends_where_speech_stopped() -> None:
    timeline = Timeline(preroll=SECOND)
    timeline.read(3 * SECOND)
    assert timeline.speech_started(now=10.0) == 1
    timeline.read(2 * SECOND)
    span = timeline.speech_stopped(now=12.0)
    assert span == Span(1, 2 * SECOND, 5 * SECOND, 3 * SECOND, None, 10.0, 12.0)
    assert timeline.speech_stopped(now=13.0) is None  # closed exactly once


def test_the_pre_roll_never_reaches_back_into_the_previous_utterance() -> None:
    """RealtimeSTT's 1 s pre-roll reached across a short pause: the next final repeated the last words."""
    timeline = Timeline(preroll=SECOND)
    timeline.read(SECOND)
    timeline.speech_started(now=0.0)
    timeline.read(2 * SECOND)
    first = timeline.speech_stopped(now=2.0)
    timeline.read(SECOND // 4)  # speech again a quarter of a second after the close
    timeline.speech_started(now=2.3)
    timeline.read(SECOND)
    second = timeline.speech_stopped(now=3.3)
    assert first is not None and second is not None
    assert second.start == first.end  # not end - 0.75 s
    assert second.utterance_id == first.utterance_id + 1


def test_a_pause_offers_a_speculative_span_that_stays_wanted_until_speech_resumes() -> None:
    timeline = Timeline(preroll=0)
    timeline.speech_started(now=0.0)
    timeline.read(2 * SECOND)
    speculative = timeline.pause_started(now=2.0)
    assert speculative is not None and speculative.end == speculative.pause == 2 * SECOND
    timeline.read(SECOND // 10)
    assert timeline.still_wanted(speculative)
    assert timeline.speech_resumed(now=2.1) is None  # short: no cut, the utterance goes on
    assert not timeline.still_wanted(speculative)
    timeline.read(SECOND)
    again = timeline.pause_started(now=3.1)
    timeline.read(SECOND // 2)
    closed = timeline.speech_stopped(now=3.6)
    assert again is not None and closed is not None
    assert closed.key == again.key and timeline.still_wanted(again)  # the second pause's pass is the final
    assert closed.end == again.end + SECOND // 2
    # the speech ended when the pause began, not when its silence closed the utterance (the dashboard's
    # end-of-speech-to-final latency read "1 ms" when the speculative pass was done by then)
    assert closed.speech_end == again.speech_end == 3.1


def test_a_long_utterance_is_cut_at_a_pause_and_goes_on_as_a_new_one() -> None:
    timeline = Timeline(preroll=0, cut_after=8 * SECOND)
    timeline.speech_started(now=0.0)
    timeline.read(9 * SECOND)
    speculative = timeline.pause_started(now=9.0)
    timeline.read(SECOND // 4)
    cut = timeline.speech_resumed(now=9.25)
    assert cut is not None and speculative is not None
    closed, following = cut
    assert (closed.utterance_id, closed.start, closed.end) == (1, 0, 9 * SECOND)
    assert closed.key == speculative.key  # the pass begun at the pause is the first part's final
    assert following == 2 and timeline.open_span() == (2, 9 * SECOND, 9.25)
    timeline.read(2 * SECOND)
    last = timeline.speech_stopped(now=11.25)
    assert last is not None and (last.start, last.end) == (9 * SECOND, 11 * SECOND + SECOND // 4)


def test_an_utterance_without_any_pause_is_cut_at_the_maximum_length() -> None:
    timeline = Timeline(preroll=0, cut_after=8 * SECOND, max_span=20 * SECOND)
    timeline.speech_started(now=0.0)
    timeline.read(19 * SECOND)
    assert timeline.cut_if_too_long(now=19.0) is None
    timeline.read(SECOND)
    cut = timeline.cut_if_too_long(now=20.0)
    assert cut is not None
    closed, following = cut
    assert (closed.end, following) == (20 * SECOND, 2)
    timeline.read(SECOND)
    last = timeline.speech_stopped(now=21.0)
    assert last is not None and last.start == closed.end


def span(utterance_id: int, start: float, end: float, onset: float | None = None) -> Span:
    onset = start if onset is None else onset
    return Span(utterance_id, int(start * SECOND), int(end * SECOND), int(onset * SECOND), None, start, end)


def piece(utterance_id: int, start: float, end: float, text: str = "words") -> Piece:
    return Piece(utterance_id, int(start * SECOND), int(end * SECOND), int(start * SECOND), text)


def test_a_span_joins_the_finals_just_before_its_speech_within_the_size_limit() -> None:
    pieces = [piece(1, 0, 3), piece(2, 3.5, 6), piece(3, 9, 11)]
    join, limit = 2 * SECOND, 15 * SECOND
    assert context_for(span(4, 11, 14, onset=11.5), pieces, join, limit) == [pieces[2]]
    # piece 2 ends 3 s before piece 3's speech: a real break, the chain stops there
    assert context_for(span(4, 11, 14, onset=14.5), pieces, join, limit) == []  # 3.5 s after piece 3
    assert context_for(span(4, 11, 25, onset=11.5), pieces, join, limit) == []  # 16 s together: over the limit
    chained = [piece(1, 0, 3), piece(2, 4, 6)]
    assert context_for(span(3, 6, 8, onset=6.5), chained, join, limit) == chained
    assert context_for(span(3, 6, 8, onset=6.5), [piece(1, 0, 3), piece(2, 4, 6, text="")], join, limit) == []


def test_no_span_joins_a_standalone_final_nor_anything_before_it() -> None:
    """A voice command said alone (protocol 1.3) is its own final: the speech after it starts afresh."""
    join, limit = 2 * SECOND, 15 * SECOND
    command = Piece(2, int(3.5 * SECOND), 5 * SECOND, 4 * SECOND, "New line.", standalone=True)
    pieces = [piece(1, 0, 3), command]
    assert context_for(span(3, 5, 7, onset=5.5), pieces, join, limit) == []
    assert context_for(span(4, 8, 9, onset=8.5), [*pieces, piece(3, 5, 7)], join, limit) == [piece(3, 5, 7)]


def test_inside_a_sentence_a_long_utterance_is_cut_only_past_cut_any_after() -> None:
    """Past ``cut_after`` a pause that ends a sentence cuts; one inside a sentence does not until ``cut_any_after``
    (before that, the next final would read the cut part again anyway, and revise text already typed)."""
    timeline = Timeline(preroll=0, cut_after=8 * SECOND, cut_any_after=15 * SECOND)
    timeline.speech_started(now=0.0)
    for at in (9, 12):  # inside a sentence: held together
        timeline.read(at * SECOND - timeline.position)
        timeline.pause_started(now=at)
        timeline.read(SECOND // 4)
        assert timeline.speech_resumed(now=at + 0.25, sentence_end=False) is None
    timeline.read(13 * SECOND - timeline.position)
    timeline.pause_started(now=13.0)
    timeline.read(SECOND // 4)
    cut = timeline.speech_resumed(now=13.25, sentence_end=True)  # a sentence ended: cut here
    assert cut is not None and (cut[0].start, cut[0].end, cut[0].gaps) == (
        0,
        13 * SECOND,
        ((9 * SECOND, 9 * SECOND + SECOND // 4), (12 * SECOND, 12 * SECOND + SECOND // 4)),
    )
    timeline.read(29 * SECOND - timeline.position)  # 15.75 s into the next utterance
    timeline.pause_started(now=29.0)
    timeline.read(SECOND // 4)
    cut = timeline.speech_resumed(now=29.25, sentence_end=False)  # past cut_any_after: any pause cuts
    assert cut is not None and (cut[0].start, cut[0].end) == (13 * SECOND, 29 * SECOND)


def test_the_server_cuts_inside_a_sentence_only_where_the_next_final_could_not_join_the_cut_part() -> None:
    from dictate.config import ServerSettings
    from dictate.server.live.pipeline import live_rules

    rules = live_rules(ServerSettings())
    assert (rules.cut_after, rules.cut_any_after, rules.context_samples) == (8 * SECOND, 15 * SECOND, 15 * SECOND)
    assert live_rules(ServerSettings(cut_after=20)).cut_any_after == 20 * SECOND  # never sooner than cut_after
    assert live_rules(ServerSettings(cut_after=0)).cut_after is None


def test_a_cut_decided_after_speech_resumed_closes_the_span_at_that_pause_and_only_there() -> None:
    timeline = Timeline(preroll=0, cut_after=8 * SECOND, cut_any_after=15 * SECOND)
    timeline.speech_started(now=0.0)
    for at in (5, 9):
        timeline.read(at * SECOND - timeline.position)
        timeline.pause_started(now=at)
        timeline.read(SECOND // 4)
        assert timeline.speech_resumed(now=at + 0.25, sentence_end=False) is None
    timeline.read(SECOND)
    assert timeline.cut_at_last_pause(5 * SECOND, 5.0, now=10.25) is None  # not the latest pause
    timeline.pause_started(now=10.25)
    assert timeline.cut_at_last_pause(9 * SECOND, 9.0, now=10.25) is None  # a new pause began
    timeline.read(SECOND // 4)
    timeline.speech_resumed(now=10.5, sentence_end=False)
    timeline.read(SECOND // 4)
    assert timeline.cut_at_last_pause(9 * SECOND, 9.0, now=10.75) is None  # no longer the latest
    cut = timeline.cut_at_last_pause(timeline.position - SECOND // 2, 10.25, now=10.75)
    assert cut is not None
    closed, utterance = cut
    assert (closed.end, closed.pause, closed.speech_end, utterance) == (41 * SECOND // 4, 41 * SECOND // 4, 10.25, 2)
    assert closed.gaps == ((5 * SECOND, 5 * SECOND + SECOND // 4), (9 * SECOND, 9 * SECOND + SECOND // 4))
    assert timeline.open_span() == (2, 41 * SECOND // 4, 10.75)
    short = Timeline(preroll=0, cut_after=8 * SECOND)
    short.speech_started(now=0.0)
    short.read(5 * SECOND)
    short.pause_started(now=5.0)
    short.read(SECOND // 4)
    short.speech_resumed(now=5.25, sentence_end=False)
    assert short.cut_at_last_pause(5 * SECOND, 5.0, now=5.5) is None  # too short to cut there
