"""Where each utterance lies in the session's audio, and which earlier finals a new one revises. Pure: no
model, no RealtimeSTT, no lock (only the live core, ``core.LiveCore``, reads and writes it, on one thread).

The session's audio is one timeline of samples, counted as the VAD reads it. The adapter reports the VAD's
decisions in that order, and ``Timeline`` turns them into ``Span``s: disjoint, ordered sample ranges, numbered
from 1, each closed exactly once, so that every stretch of speech ends in exactly one final:

* speech starts: a span opens ``preroll`` samples back (the VAD hears speech late), but never before the end
  of the previous span. Audio that an utterance covered is never transcribed again: RealtimeSTT's own
  pre-roll reached back across a short pause and repeated the previous fragment's last words;
* a pause starts: the span up to here is what a speculative final pass transcribes, while the VAD waits to
  be sure that the speaker has stopped;
* speech resumes after that pause: the speculative pass no longer covers the span, unless the span is longer
  than ``cut_after`` already and the pause ended a sentence (the live core judges that), or the span is longer
  than ``cut_any_after``. Then it is cut at the pause, the pass becomes its final, and the speech goes on
  in a new span: a long passage is transcribed piece by piece while it is spoken, so its last final costs
  what a short one does, and no pass re-reads a minute of audio. A cut inside a sentence is left for as long as
  it can be: the next final would be transcribed together with the cut part anyway (``context_for``), so such a
  cut saves no pass, and the revision it causes rewrites text already typed;
* speech stops: the span closes.

``context_for`` picks the finals that a new span is transcribed together with (``Piece``s): Whisper on half a
sentence cut at a thinking pause is wrong far more often than on the whole sentence, and it closes every
fragment with a full stop. A span that starts soon after the previous final is transcribed with that final's
audio, and its final *revises* it. A ``standalone`` final (a voice command the client acts on, said alone) is
never joined: neither with the finals before it nor with those after it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from dictate.protocol import SAMPLE_RATE


@dataclass(frozen=True)
class Span:
    """One utterance's audio on the session timeline."""

    utterance_id: int
    start: int  # first sample
    end: int  # one past the last sample
    onset: int  # where the VAD heard speech begin
    pause: int | None  # where the closing pause began, when no speech followed it (None: closed in speech)
    speech_start: float  # wall clock
    speech_end: float  # wall clock when the speech ended: its closing pause began (else the cut or the end of stream)
    # pauses inside it that speech resumed after, as (pause edge, resume) samples: an utterance held open through a
    # thinking pause (``end_of_turn.py``) holds a second or two of silence that its passes leave out (``joins.py``)
    gaps: tuple[tuple[int, int], ...] = ()

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE

    @property
    def key(self) -> tuple[int, int, int | None]:
        """What a speculative pass over this span must match to be its final: same utterance, same start,
        and it ended where the closing pause began."""
        return (self.utterance_id, self.start, self.pause)


@dataclass
class _Open:
    utterance_id: int
    start: int
    onset: int
    speech_start: float
    pause: int | None = None
    pause_at: float | None = None
    gaps: tuple[tuple[int, int], ...] = ()


class Timeline:
    """The VAD's decisions, as spans."""

    def __init__(
        self, preroll: int, cut_after: int | None = None, max_span: int | None = None, cut_any_after: int | None = None
    ) -> None:
        self._preroll = preroll
        self._cut_after = cut_after  # cut at a pause that ends a sentence past this (None: never cut at a pause)
        self._cut_any_after = cut_any_after  # ... and at any pause past this (None: ``cut_after``)
        self._max_span = max_span
        self._position = 0
        self._last_end = 0
        self._last_id = 0
        self._open: _Open | None = None
        self._closed: deque[tuple[int, int, int | None]] = deque(maxlen=16)

    def __repr__(self) -> str:
        current = self._open
        state = "silence" if current is None else f"utterance {current.utterance_id} from {current.start}"
        if current is not None and current.pause is not None:
            state += f", paused at {current.pause}"
        return f"Timeline(read {self._position}, {state}, last end {self._last_end})"

    @property
    def position(self) -> int:
        """Samples the VAD has read."""
        return self._position

    def read(self, samples: int) -> None:
        """The VAD read ``samples`` more samples (callbacks that follow are about the end of them)."""
        self._position += samples

    def open_span(self) -> tuple[int, int, float] | None:
        """(utterance id, first sample, wall clock of its start) of the utterance being spoken, or None."""
        current = self._open
        return None if current is None else (current.utterance_id, current.start, current.speech_start)

    def speech_started(self, now: float) -> int | None:
        """Speech began (a new utterance): its id, or None when one is open already."""
        if self._open is not None:
            return None
        return self._begin(max(self._last_end, self._position - self._preroll), self._position, now)

    def pause_started(self, now: float) -> Span | None:
        """A pause began: the open span up to here (for a speculative pass), or None when none is open."""
        if self._open is None:
            return None
        self._open.pause, self._open.pause_at = self._position, now
        return self._span(self._open, self._position, now, self._open.pause)

    def speech_resumed(self, now: float, sentence_end: bool = True) -> tuple[Span, int] | None:
        """Speech went on after a pause (``sentence_end``: the speech before it ended a sentence). When the span had
        grown past ``cut_after`` at a sentence end, or past ``cut_any_after``, it is cut at the pause: returns (the
        closed span, the id of the utterance that goes on); else None."""
        current = self._open
        if current is None or current.pause is None:
            return None
        cut, cut_at = current.pause, current.pause_at or now
        current.pause = current.pause_at = None
        if not self._cuts_at(cut - current.start, sentence_end):
            current.gaps = (*current.gaps, (cut, self._position))
            return None
        closed = self._close(current, cut, cut_at, pause=cut)
        return closed, self._begin(cut, self._position, now)

    def cut_at_last_pause(self, pause: int, paused_at: float, now: float) -> tuple[Span, int] | None:
        """A cut decided after speech resumed (that the speech before the pause ended a sentence was known only
        then): the open span is closed at the pause at sample ``pause`` (begun at ``paused_at``), and the speech
        since goes on as a new utterance. Returns what ``speech_resumed`` does; None when that is not the latest
        pause the span resumed after, a new pause began, or the span is not long enough to cut there."""
        current = self._open
        if current is None or current.pause is not None or not current.gaps or current.gaps[-1][0] != pause:
            return None
        cut, resumed = current.gaps[-1]
        if not self._cuts_at(cut - current.start, sentence_end=True):
            return None
        current.gaps = current.gaps[:-1]
        closed = self._close(current, cut, paused_at, pause=cut)
        return closed, self._begin(cut, resumed, now)

    def _cuts_at(self, length: int, sentence_end: bool) -> bool:
        if self._cut_after is None or length < self._cut_after:
            return False
        return sentence_end or self._cut_any_after is None or length >= self._cut_any_after

    def cut_if_too_long(self, now: float) -> tuple[Span, int] | None:
        """Cut an utterance without a pause once it reaches ``max_span`` (so that no pass grows without bound)."""
        current = self._open
        if current is None or self._max_span is None or self._position - current.start < self._max_span:
            return None
        closed = self._close(current, self._position, now, pause=None)
        return closed, self._begin(self._position, self._position, now)

    def speech_stopped(self, now: float) -> Span | None:
        """The utterance ended here (the VAD's closing silence, or the end of the stream); None when none is open.
        Its ``speech_end`` is when the closing pause began, as for a cut: the closing silence is part of the
        wait for the final (a final whose speculative pass ran during that silence is not sent "1 ms" after it)."""
        current = self._open
        if current is None:
            return None
        ended = now if current.pause_at is None else current.pause_at
        return self._close(current, self._position, ended, pause=current.pause)

    def still_wanted(self, span: Span) -> bool:
        """Whether a speculative pass over ``span`` may still be the final of its utterance (no speech since)."""
        current = self._open
        if current is not None and current.utterance_id == span.utterance_id:
            return current.start == span.start and current.pause == span.pause
        return span.key in self._closed

    def _begin(self, start: int, onset: int, now: float) -> int:
        self._last_id += 1
        self._open = _Open(self._last_id, start, onset, now)
        return self._last_id

    def _close(self, current: _Open, end: int, now: float, pause: int | None) -> Span:
        span = self._span(current, end, now, pause)
        self._open = None
        self._last_end = end
        self._closed.append(span.key)
        return span

    def _span(self, current: _Open, end: int, now: float, pause: int | None = None) -> Span:
        gaps = tuple(gap for gap in current.gaps if gap[1] <= end)
        return Span(current.utterance_id, current.start, end, current.onset, pause, current.speech_start, now, gaps)


@dataclass(frozen=True)
class Piece:
    """One final sent: the audio it covers and its text (a revising final covers the finals it replaced)."""

    utterance_id: int
    start: int
    end: int
    onset: int  # where its first utterance's speech began
    text: str
    standalone: bool = False  # a command: no later span is transcribed together with it
    # (onset, speech end) of each utterance it covers, in order: where the pauses inside a joined pass are
    parts: tuple[tuple[int, int], ...] = ()


def speech_end(span: Span) -> int:
    """Where the span's speech ended: its closing pause began there (a span closed in speech: its end)."""
    return span.pause if span.pause is not None else span.end


def span_parts(span: Span) -> tuple[tuple[int, int], ...]:
    """(onset, speech end) of each stretch of speech in ``span``: one, or more when it was held through pauses."""
    starts = (span.onset, *(resumed for _edge, resumed in span.gaps))
    ends = (*(edge for edge, _resumed in span.gaps), speech_end(span))
    return tuple(zip(starts, ends, strict=True))


def piece_parts(piece: Piece) -> tuple[tuple[int, int], ...]:
    """(onset, speech end) of each utterance a final covers (one part, onset to end, when not recorded)."""
    return piece.parts or ((piece.onset, piece.end),)


def context_for(span: Span, pieces: Sequence[Piece], join_gap: int, max_samples: int) -> list[Piece]:
    """The latest finals to transcribe again together with ``span`` (oldest first).

    A final joins when the speech of the next one began within ``join_gap`` samples of its end (a thinking
    pause, not the end of a thought), it has text, it is not ``standalone`` (nor is any final after it), and
    everything together stays within ``max_samples`` (the final pass grows with its audio: about 0.07 s per
    second on a 2-core CPU).
    """
    chosen: list[Piece] = []
    next_onset = span.onset
    for piece in reversed(pieces):
        if (
            not piece.text
            or piece.standalone
            or next_onset - piece.end > join_gap
            or span.end - piece.start > max_samples
        ):
            break
        chosen.insert(0, piece)
        next_onset = piece.onset
    return chosen
