"""What a model pass asks and gives back: the session's options, the text, and what it cost (the live core asks
for passes with ``live.outputs.PassRequest``; file windows are ``uploads/jobs.py``'s)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class PassOptions:
    """What one session asks of every pass it sends to the shared model (travels with each pass request)."""

    vocabulary: tuple[
        str, ...
    ] = ()  # words the session's text should favour (start.vocabulary, feature ``vocabulary``)

    def favouring(self, words: tuple[str, ...]) -> PassOptions:
        """These options with ``words`` favoured too (after the vocabulary: a prompt too long for Whisper loses
        its start, and the vocabulary is capped, these words are not)."""
        return replace(self, vocabulary=(*self.vocabulary, *words)) if words else self

    @property
    def prompt(self) -> str | None:
        """Whisper's initial prompt for the vocabulary (None: no vocabulary)."""
        return f"Vocabulary: {', '.join(self.vocabulary)}." if self.vocabulary else None


NO_OPTIONS = PassOptions()


@dataclass(frozen=True)
class Transcription:
    """What the model makes of some audio (``whisper.transcribe_pass``)."""

    text: str
    language: str | None = None
    language_probability: float = 0.0


@dataclass(frozen=True)
class PassResult:
    """One scheduled pass (``ModelScheduler``): the model's text, with what it cost."""

    text: str
    language: str | None
    language_probability: float
    audio_seconds: float  # length of the audio transcribed
    compute_seconds: float  # time the model call took

    @classmethod
    def of(cls, transcription: Transcription, audio_seconds: float, compute_seconds: float) -> PassResult:
        return cls(
            transcription.text,
            transcription.language,
            transcription.language_probability,
            audio_seconds,
            compute_seconds,
        )
