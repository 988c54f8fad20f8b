"""Driving the live core (``dictate.server.live.core``) as its shells would, without threads, sockets or a model.

The audio is synthetic: second n of the session holds the sample value n + 1 (silence too: it is "read" by the
VAD like speech), and ``FakeModel`` says the word for each second it hears ("w3 w4"), so a test sees exactly
which audio a pass read. Times are seconds of audio read: the VAD's edges are stamped with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from dictate.server.live.core import LiveCore, LiveRules
from dictate.server.live.end_of_turn import EndOfTurnRules
from dictate.server.live.inputs import (
    AudioRead,
    ClientStart,
    EndOfStream,
    Input,
    PassDone,
    TurnJudged,
    VoicePaused,
    VoiceResumed,
    VoiceStarted,
    VoiceStopped,
)
from dictate.server.live.outputs import (
    CancelPass,
    EngineFailed,
    Final,
    Interim,
    JudgeTurn,
    Output,
    PassRequest,
    Purpose,
    SpeechDropped,
    SpeechStarted,
    StopRecording,
)
from dictate.server.model.pass_types import PassResult

SECOND = 16_000
# no interim passes (they have their own tests), no pre-roll: spans start where the speech does; joined passes
# read their pauses whole (shortened pauses have their own tests: the synthetic audio is all "quiet")
RULES = LiveRules(preroll=0, cut_after=None, interim_interval=1e9, keep_pause=0)
# the adaptive end of utterance (the server's default), on the text alone and with the end-of-turn model
ADAPTIVE = replace(RULES, end_of_turn=EndOfTurnRules(adaptive=True, complete=0.15, unsure=0.45, hold=2.0))
ACOUSTIC = replace(ADAPTIVE, end_of_turn=replace(ADAPTIVE.end_of_turn, acoustic=True, threshold=0.5))


def second_of_audio(index: int) -> bytes:
    return np.full(SECOND, index + 1, dtype=np.int16).tobytes()


def heard(audio: np.ndarray) -> str:
    """What the fake model hears in ``audio``: one word per second of the session ("w1 w2")."""
    seconds = sorted({round(float(value) * 32768) for value in audio[:: SECOND // 4]} - {0})
    return " ".join(f"w{second}" for second in seconds)


@dataclass
class FakeModel:
    passes: list[str] = field(default_factory=list)  # texts, a command check marked "?"
    prompted: dict[str, str] = field(default_factory=dict)  # what a check pass hears instead of the key
    drop_context: bool = False  # say only the last word
    full_stop: bool = False  # end every text with "." (as Whisper ends any audio that stops)
    said: dict[str, str] = field(default_factory=dict)  # what a pass (not a check) says when it hears the key

    def __call__(self, request: PassRequest) -> PassResult:
        text = heard(request.audio)
        if self.drop_context:
            text = text.split()[-1]
        if self.full_stop:
            text += "."
        check = request.purpose is Purpose.COMMAND_CHECK
        text = self.prompted.get(text, text) if check else self.said.get(text, text)
        self.passes.append(f"?{text}" if check else text)
        return PassResult(text, "en", 1.0, request.audio.size / SECOND, 0.1)


def seconds(samples: int) -> str:
    return f"{samples / SECOND:g}"


def show(output: Output) -> str:
    """One output, briefly: what tests compare."""
    match output:
        case SpeechStarted(utterance_id=utterance, at=at):
            return f"speech {utterance} at {at:g}"
        case Interim(utterance_id=utterance, text=text):
            return f"interim {utterance}: {text}"
        case Final(utterance_id=utterance, text=text, revises=revises):
            return f"final {utterance}: {text}" + (f" (revises {', '.join(map(str, revises))})" if revises else "")
        case SpeechDropped(utterance_ids=ids, reason=reason):
            return f"dropped {', '.join(map(str, ids))}: {reason}"
        case EngineFailed(message=message):
            return f"failed: {message}"
        case PassRequest(pass_id=pass_id, purpose=purpose, ranges=ranges):
            where = " + ".join(f"{seconds(start)}-{seconds(end)}" for start, end in ranges)
            return f"pass {pass_id} {purpose.value} {where}"
        case CancelPass(pass_id=pass_id):
            return f"cancel {pass_id}"
        case JudgeTurn(judge_id=judge_id, audio=audio):
            return f"judge {judge_id} over {seconds(audio.size)} s"
        case StopRecording():
            return "stop recording"
    raise AssertionError(output)


class Drive:
    """A core with its shells played by the test: every pass it asks for runs at once (unless ``hold``)."""

    def __init__(self, rules: LiveRules = RULES, model: FakeModel | None = None) -> None:
        self.core = LiveCore(rules, name="test")
        self.model = model or FakeModel()
        self.outputs: list[Output] = []
        self.asked: list[PassRequest] = []  # passes not run yet
        self.cancelled: set[int] = set()
        self.hold = False
        self.turn: float | None = None  # the end-of-turn model's answer to every JudgeTurn (None: the test answers)
        self.read = 0  # samples read
        self._speech_from = 0.0

    @property
    def now(self) -> float:
        return self.read / SECOND

    def send(self, item: Input) -> list[str]:
        """Hand the core one input (and run the passes it asks for); returns what it said, shown."""
        out = self.core.handle(item)
        self.outputs += out
        self.asked += [o for o in out if isinstance(o, PassRequest)]
        self.cancelled |= {o.pass_id for o in out if isinstance(o, CancelPass)}
        shown = [show(o) for o in out]
        for judge in (o for o in out if isinstance(o, JudgeTurn)):
            if self.turn is not None:
                shown += self.send(TurnJudged(judge.judge_id, self.turn))
        if not self.hold:
            shown += self.run_passes()
        return shown

    def run_passes(self, count: int | None = None, reached_model: bool = False) -> list[str]:
        """Run the passes asked for (the first ``count``): a cancelled one is skipped unless it had
        ``reached_model`` already."""
        shown: list[str] = []
        while self.asked and (count is None or count > 0):
            count = None if count is None else count - 1
            request = self.asked.pop(0)
            skipped = request.pass_id in self.cancelled and not reached_model
            result = None if skipped else self.model(request)
            shown += self.send(PassDone(request.pass_id, result))
        return shown

    def start(self, revisions: bool = False, commands: tuple[str, ...] = (), vocabulary: tuple[str, ...] = ()) -> None:
        self.send(ClientStart(revisions, vocabulary, commands))

    def audio(self, until: float, step: float = 0.25) -> list[str]:
        """The VAD reads the session's audio up to ``until`` seconds, ``step`` seconds a chunk."""
        shown: list[str] = []
        while self.read < round(until * SECOND):
            end = min(round(until * SECOND), (self.read // round(step * SECOND) + 1) * round(step * SECOND))
            first, last = divmod(self.read, SECOND), divmod(end, SECOND)
            pcm = b"".join(second_of_audio(index) for index in range(first[0], last[0] + 1))
            offset = first[1] * 2
            chunk = pcm[offset : offset + (end - self.read) * 2]
            self.read = end
            shown += self.send(AudioRead(chunk, self.now))
        return shown

    # the VAD's edges, at the current position
    def speech(self, at: float) -> list[str]:
        return self.audio(at) + self.send(VoiceStarted(at))

    def pause(self, at: float) -> list[str]:
        return self.audio(at) + self.send(VoicePaused(at))

    def resume(self, at: float) -> list[str]:
        return self.audio(at) + self.send(VoiceResumed(at))

    def stop(self, at: float) -> list[str]:
        return self.audio(at) + self.send(VoiceStopped(at))

    def end(self, at: float) -> list[str]:
        return self.audio(at) + self.send(EndOfStream(at))

    def utterance(self, start: float, end: float, closing_silence: float = 0.5) -> list[str]:
        """Speech from ``start`` to ``end``, a pause, and the VAD's close ``closing_silence`` later."""
        return self.speech(start) + self.pause(end) + self.stop(end + closing_silence)

    def finals(self) -> list[str]:
        return [show(o) for o in self.outputs if isinstance(o, Final)]
