"""A file's transcript and its response formats (OpenAI's json, text, srt, vtt, verbose_json). Pure, no I/O.

``whisper.transcribe_window`` makes one ``WindowTranscript`` per window of the file (times within the window);
``FileTranscript.add`` shifts each window's segments to file time; ``render`` writes a response body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class ResponseFormat(str, Enum):
    """OpenAI's ``response_format`` values."""

    JSON = "json"
    TEXT = "text"
    SRT = "srt"
    VTT = "vtt"
    VERBOSE_JSON = "verbose_json"


@dataclass(frozen=True)
class FileOptions:
    """How to transcribe an uploaded file (the request's fields, resolved)."""

    language: str | None  # None: detect
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = False


@dataclass(frozen=True)
class Word:
    """One word with its times (seconds)."""

    word: str
    start: float
    end: float
    probability: float = 0.0


@dataclass(frozen=True)
class Segment:
    """One decoded segment (seconds), as faster-whisper gives it."""

    start: float
    end: float
    text: str
    tokens: tuple[int, ...] = ()
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0
    words: tuple[Word, ...] = ()

    def shifted(self, seconds: float) -> Segment:
        """The same segment ``seconds`` later."""
        words = tuple(replace(w, start=w.start + seconds, end=w.end + seconds) for w in self.words)
        return replace(self, start=self.start + seconds, end=self.end + seconds, words=words)


@dataclass(frozen=True)
class WindowTranscript:
    """The model's output for one window of a file (times from the window's start)."""

    segments: tuple[Segment, ...]
    language: str | None = None


@dataclass
class FileTranscript:
    """A whole file's transcript, built window by window."""

    duration: float
    language: str | None = None
    segments: list[Segment] = field(default_factory=list)

    def add(self, window: WindowTranscript, offset: float) -> None:
        """Append a window's segments, shifted by the window's start ``offset`` (seconds)."""
        self.language = self.language or window.language
        self.segments.extend(segment.shifted(offset) for segment in window.segments)

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments if segment.text.strip())

    def tail(self, characters: int = 200) -> str:
        """The end of the text so far: the prompt that carries context into the next window."""
        return self.text[-characters:]


def timestamp(seconds: float, separator: str) -> str:
    """HH:MM:SS,mmm (SRT, separator ',') or HH:MM:SS.mmm (WebVTT, '.')."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(transcript: FileTranscript) -> str:
    blocks = [
        f"{number}\n{timestamp(s.start, ',')} --> {timestamp(s.end, ',')}\n{s.text.strip()}\n"
        for number, s in enumerate(transcript.segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(transcript: FileTranscript) -> str:
    cues = [f"{timestamp(s.start, '.')} --> {timestamp(s.end, '.')}\n{s.text.strip()}\n" for s in transcript.segments]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_verbose(transcript: FileTranscript, segments: bool, words: bool) -> dict[str, Any]:
    """OpenAI's verbose_json: text, language, duration, and segments and/or words."""
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": transcript.language or "",
        "duration": round(transcript.duration, 3),
        "text": transcript.text,
    }
    if segments:
        body["segments"] = [
            {
                "id": number,
                "seek": round(s.start * 100),  # Whisper's seek is in 10 ms feature frames
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text,
                "tokens": list(s.tokens),
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for number, s in enumerate(transcript.segments)
        ]
    if words:
        body["words"] = [
            {"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)}
            for s in transcript.segments
            for w in s.words
        ]
    return body


def render(
    transcript: FileTranscript, response_format: ResponseFormat, granularities: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """(body, media type) of the response; ``granularities`` ('segment', 'word') apply to verbose_json."""
    if response_format is ResponseFormat.TEXT:
        return transcript.text + "\n", "text/plain; charset=utf-8"
    if response_format is ResponseFormat.SRT:
        return to_srt(transcript), "application/x-subrip; charset=utf-8"
    if response_format is ResponseFormat.VTT:
        return to_vtt(transcript), "text/vtt; charset=utf-8"
    if response_format is ResponseFormat.VERBOSE_JSON:
        body = to_verbose(
            transcript, segments="segment" in granularities or not granularities, words="word" in granularities
        )
        return json.dumps(body, ensure_ascii=False), "application/json"
    return json.dumps({"text": transcript.text}, ensure_ascii=False), "application/json"


__all__ = [
    "FileOptions",
    "FileTranscript",
    "ResponseFormat",
    "Segment",
    "WindowTranscript",
    "Word",
    "render",
    "timestamp",
    "to_srt",
    "to_verbose",
    "to_vtt",
]
