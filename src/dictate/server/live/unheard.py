"""Speech that no utterance's final reads: a stall's burst (``stalls.py``), and speech the VAD did not take for
speech. Pure: no model call, no clock (the core's passes do the reading and the checking).

Every second of speech the server receives ends in a final, or in an error that says it was dropped. Speech that
the VAD scores under its threshold (band-limited, soft, fast or robotic speech; Silero's sensitivity is
``DICTATE_VAD_SENSITIVITY``) opens no utterance, or is taken for an utterance's closing pause, and nothing said
so: issue 18's telephone-band clip lost "is to be ill-disposed" that way, with "0.0 s dropped" in the books.

``UnheardWatch`` keeps the loud chunks the VAD reads outside any utterance's speech and outside a stall's window
(``StallWatch`` judges those). Loud: as loud as speech (``SPEECH_DBFS``), ``ABOVE_FLOOR_DB`` over the noise
floor (the 10th percentile of the levels outside speech lately: a fan or a street at speech level is the floor,
not speech), and at most ``UNDER_PEAK_DB`` under the peaks of the speech the VAD heard (a recording's hiss between
sentences, when the floor heard so far is a client's digital silence). A pause that speech resumes after is
heard (a joined pass reads it, ``joins.py``). An utterance's closing pause is not: its final is the pass over the
audio up to where the pause began. So when an utterance closes with ``MIN_LOUD`` of loud audio in its closing
pause, its final reads the pause too (``closing``): the words the VAD took for silence are transcribed in their
sentence, and the speculative pass is given up for it.

Other loud audio becomes a *candidate* once the VAD has read a pre-roll past its last loud chunk without opening
an utterance (one opened then reaches back over it), once it spans ``MAX_CHECK``, or at the end of the stream;
less than ``MIN_LOUD`` of loud audio (a click, a breath) is not one. ``UnheardSpeech`` asks the model for one pass
over each candidate (``Purpose.UNHEARD``: it runs only when the model is free, behind every live pass), one at a
time. Words in it are reported to the client as dropped, with their text, and booked
(``Coverage.unheard_samples``); a cough, a door or music that the model finds no words in is forgotten. These
words are not made a final: with no speech around them, the VAD and the model disagree about audio that may be
noise, and Whisper finds words in noise ("Thank you."); the person sees what was missed and can say it again.

What checking costs is bounded: ``MAX_CHECK`` seconds a pass, one pass at a time, at most ``MAX_QUEUED`` waiting,
and in all at most ``CHECK_SHARE`` of the audio received plus ``CHECK_ALLOWANCE``: loud audio over that is logged,
not checked; so are the checks not back when the end of the stream gives up waiting (``give_up``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from dictate.audio import level_dbfs, pcm16_to_float
from dictate.protocol import SAMPLE_RATE
from dictate.server.live.finals import Coverage
from dictate.server.live.outputs import CancelPass, Output, PassRequest, Purpose, SpeechDropped
from dictate.server.live.stalls import SPEECH_DBFS, StallWatch, Unheard
from dictate.server.live.timeline import Span
from dictate.server.model.pass_types import PassResult

logger = logging.getLogger(__name__)

Range = tuple[int, int]
MIN_LOUD = int(0.3 * SAMPLE_RATE)  # loud audio in a candidate: less is a click or a breath
FLOOR_CHUNKS = 300  # the noise floor: the 10th percentile of the levels of the last ~10 s read outside speech
FLOOR_MIN_CHUNKS = 30  # ... once there are this many (about a second)
ABOVE_FLOOR_DB = 12.0  # loud: this far over the floor too (a room whose noise is itself at -45 dBFS)
UNDER_PEAK_DB = 20.0  # ... and at most this far under the speech's peaks (the 90th percentile of levels in speech)
MAX_CHECK = 10 * SAMPLE_RATE  # one check pass reads at most this much
MARGIN = int(0.2 * SAMPLE_RATE)  # read around the loud chunks (a word's soft edges)
MAX_QUEUED = 4
CHECK_SHARE = 0.25
CHECK_ALLOWANCE = 10 * SAMPLE_RATE
MAX_QUOTED = 80  # characters of the missed words quoted to the client


@dataclass(frozen=True)
class Candidate:
    """Audio [start, end) outside any utterance with ``loud`` samples of loud chunks in it: to be checked."""

    start: int
    end: int
    loud: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


class UnheardWatch:
    """The loud chunks read outside utterances, and the candidates they make."""

    def __init__(self, preroll: int) -> None:
        self._preroll = preroll
        self._floor = 0  # the end of the latest chunk read inside an utterance: candidates start after it
        self._loud: list[Range] = []
        self._levels: deque[float] = deque(maxlen=FLOOR_CHUNKS)  # outside speech: the floor
        self._speech_levels: deque[float] = deque(maxlen=FLOOR_CHUNKS)  # in speech: its peaks

    def __repr__(self) -> str:
        if not self._loud:
            return f"UnheardWatch(floor {self._floor}, no loud audio)"
        return f"UnheardWatch(floor {self._floor}, loud {self._loud[0][0]}..{self._loud[-1][1]} in {len(self._loud)})"

    def read(self, start: int, pcm: bytes, in_speech: bool, paused: bool, in_stall: bool) -> Candidate | None:
        """The VAD read ``pcm`` from sample ``start``: in an utterance's speech, in its closing pause (``paused``:
        not judged until the pause ends), or outside any; returns a candidate when a stretch is over."""
        end = start + len(pcm) // 2
        level = level_dbfs(pcm16_to_float(pcm))
        if in_speech:
            self._speech_levels.append(level)
            self._floor = end
            self._loud.clear()
            return None
        loud = level >= SPEECH_DBFS and level >= self.threshold  # the floor's percentiles only for speech-level chunks
        self._levels.append(level)
        if not in_stall and loud:
            if self._loud and self._loud[-1][1] == start:
                self._loud[-1] = (self._loud[-1][0], end)
            else:
                self._loud.append((start, end))
        if (
            self._loud
            and not paused
            and (end >= self._loud[-1][1] + self._preroll or end - self._loud[0][0] >= MAX_CHECK - 2 * MARGIN)
        ):
            return self._candidate(end)
        return None

    @property
    def threshold(self) -> float:
        """The level of a loud chunk (dBFS): as loud as speech (``SPEECH_DBFS``), well over the noise floor, and not
        far under the peaks of this session's speech (a recording's own hiss at -41 dBFS under speech peaking at
        -11, as in the JFK clip, while the floor heard so far is a client's digital silence)."""
        threshold = SPEECH_DBFS
        if len(self._levels) >= FLOOR_MIN_CHUNKS:
            threshold = max(threshold, float(np.percentile(self._levels, 10)) + ABOVE_FLOOR_DB)
        if len(self._speech_levels) >= FLOOR_MIN_CHUNKS:
            threshold = max(threshold, float(np.percentile(self._speech_levels, 90)) - UNDER_PEAK_DB)
        return threshold

    def loud_from(self, sample: int) -> int:
        """Samples of loud audio kept from ``sample`` on (an utterance's closing pause: ``UnheardSpeech``)."""
        return sum(hi - max(lo, sample) for lo, hi in self._loud if hi > sample)

    def heard_from(self, span_start: int) -> None:
        """An utterance opened, its audio starting at ``span_start``: loud audio from there on was heard."""
        self._loud = [(lo, min(hi, span_start)) for lo, hi in self._loud if lo < span_start]

    def finish(self, end: int) -> Candidate | None:
        """End of stream (``end``: samples read): the stretch so far."""
        return self._candidate(end)

    def _candidate(self, end: int) -> Candidate | None:
        loud, self._loud = self._loud, []
        samples = sum(hi - lo for lo, hi in loud)
        if samples < MIN_LOUD:
            return None
        last = min(end, loud[-1][1] + MARGIN)
        first = max(self._floor, loud[0][0] - MARGIN, last - MAX_CHECK)
        return Candidate(first, last, min(samples, last - first))


class UnheardSpeech:
    """One session's watch for speech no utterance covers: the stalls' verdicts and the checked candidates, as the
    core's outputs. ``request(purpose, ranges)`` makes a pass request (the core numbers them)."""

    def __init__(
        self,
        preroll: int,
        coverage: Coverage,
        request: Callable[[Purpose, tuple[Range, ...]], PassRequest],
        name: str = "session",
    ) -> None:
        self._stalls = StallWatch(preroll)
        self._watch = UnheardWatch(preroll)
        self._coverage = coverage
        self._request = request
        self._name = name
        self._queued: deque[Candidate] = deque()
        self._checking: tuple[int, Candidate] | None = None  # (pass id, candidate) under way
        self.checked_samples = 0
        self.unchecked_samples = 0  # loud audio over the checks' budget: logged, not checked

    def __repr__(self) -> str:
        checking = "none" if self._checking is None else f"pass {self._checking[0]}"
        return f"UnheardSpeech({self._stalls!r}, {self._watch!r}, queued {len(self._queued)}, checking {checking})"

    @property
    def busy(self) -> bool:
        """A check is queued or under way (the stream is settled only when it is back)."""
        return self._checking is not None or bool(self._queued)

    def stalled(self, received: int, samples: int, seconds: float) -> None:
        self._stalls.stalled(received, samples, seconds)

    def read(self, start: int, pcm: bytes, in_utterance: bool, paused: bool) -> list[Output]:
        """The VAD read ``pcm`` from sample ``start``: inside an open utterance or not, and in a pause of it."""
        end = start + len(pcm) // 2
        out = self._dropped(self._stalls.read(start, pcm, in_utterance))
        in_stall = self._stalls.in_window(start, end)
        self._queue(self._watch.read(start, pcm, in_utterance and not paused, in_utterance and paused, in_stall))
        return out + self._next()

    def heard_from(self, span_start: int) -> None:
        self._stalls.heard_from(span_start)
        self._watch.heard_from(span_start)

    def closing(self, span: Span) -> Span:
        """An utterance closes: the span its final is to read. Its final reads the audio up to where its closing
        pause began; when that pause holds ``MIN_LOUD`` of speech-level audio (the VAD took words for silence: "is
        to be ill-disposed" over a telephone line), it reads to the span's end instead, so the words are in the
        final (at the cost of the speculative pass: the final pass runs now), and nothing is left to check."""
        loud = self._watch.loud_from(span.pause) if span.pause is not None else 0
        if loud < MIN_LOUD:
            return span
        logger.debug(
            "%s: utterance %d's closing pause holds %.2f s at speech level: its final reads it",
            self._name,
            span.utterance_id,
            loud / SAMPLE_RATE,
        )
        self._watch.heard_from(span.start)
        return replace(span, pause=None)

    def finish(self, end: int) -> list[Output]:
        """End of stream: judge the stalls, check the last stretch."""
        out = self._dropped(self._stalls.finish())
        self._queue(self._watch.finish(end))
        return out + self._next()

    def checked(self, pass_id: int, result: PassResult | None) -> list[Output] | None:
        """A check pass is back (None: it did not run); None when ``pass_id`` is not a check."""
        if self._checking is None or self._checking[0] != pass_id:
            return None
        candidate = self._checking[1]
        self._checking = None
        text = " ".join(result.text.split()) if result is not None else ""
        out: list[Output] = []
        if result is None:
            logger.info(
                "%s: %.1f s of loud audio outside any utterance not checked (the model was busy)",
                self._name,
                candidate.seconds,
            )
        elif any(character.isalnum() for character in text):
            logger.warning(
                "%s: %.1f s of speech the VAD did not hear (%d words) got no final",
                self._name,
                candidate.loud / SAMPLE_RATE,
                len(text.split()),
            )
            self._coverage.unheard_samples += candidate.loud
            quoted = text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"
            reason = (
                f"{candidate.loud / SAMPLE_RATE:.1f} s of speech that the voice detector did not take for speech "
                f'was not transcribed: "{quoted}" (DICTATE_VAD_SENSITIVITY on the server hears more)'
            )
            out.append(SpeechDropped((), candidate.loud / SAMPLE_RATE, reason))
        else:
            logger.debug("%s: %.1f s of loud audio outside any utterance holds no words", self._name, candidate.seconds)
        return out + self._next()

    def give_up(self) -> list[Output]:
        """The end of the stream waited long enough: the checks not back are not waited for (cancelled, logged)."""
        left = list(self._queued) + ([self._checking[1]] if self._checking is not None else [])
        self._queued.clear()
        out: list[Output] = [CancelPass(self._checking[0])] if self._checking is not None else []
        self._checking = None
        if left:
            self.unchecked_samples += sum(candidate.loud for candidate in left)
            logger.info(
                "%s: %.1f s of loud audio outside any utterance not checked (the stream ended)",
                self._name,
                sum(candidate.seconds for candidate in left),
            )
        return out

    def _queue(self, candidate: Candidate | None) -> None:
        if candidate is None:
            return
        budget = CHECK_ALLOWANCE + CHECK_SHARE * self._coverage.received - self.checked_samples
        if len(self._queued) >= MAX_QUEUED or candidate.end - candidate.start > budget:
            self.unchecked_samples += candidate.loud
            logger.info(
                "%s: %.1f s of loud audio outside any utterance not checked (over the checks' budget)",
                self._name,
                candidate.seconds,
            )
            return
        self.checked_samples += candidate.end - candidate.start
        self._queued.append(candidate)

    def _next(self) -> list[Output]:
        if self._checking is not None or not self._queued:
            return []
        candidate = self._queued.popleft()
        request = self._request(Purpose.UNHEARD, ((candidate.start, candidate.end),))
        self._checking = (request.pass_id, candidate)
        logger.debug("%s: checking %.1f s of loud audio outside any utterance", self._name, candidate.seconds)
        return [request]

    def _dropped(self, verdicts: list[Unheard]) -> list[Output]:
        """Speech around a stall of the server that no utterance covers: dropped, and booked."""
        for verdict in verdicts:
            logger.warning("%s: %s", self._name, verdict.reason)
            self._coverage.unheard_samples += verdict.samples
        return [SpeechDropped((), verdict.samples / SAMPLE_RATE, verdict.reason) for verdict in verdicts]
