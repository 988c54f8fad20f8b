"""Response formats of /v1/audio/transcriptions and the cutting of a file into windows. Pure."""

from __future__ import annotations

import itertools
import json

import numpy as np

from dictate.protocol import SAMPLE_RATE
from dictate.server.uploads.formats import (
    FileTranscript,
    ResponseFormat,
    Segment,
    WindowTranscript,
    Word,
    render,
    timestamp,
)
from dictate.server.uploads.jobs import plan_windows


def two_windows() -> FileTranscript:
    transcript = FileTranscript(duration=12.5)
    first = Segment(0.0, 2.5, " Go forward.", words=(Word(" Go", 0.0, 0.4), Word(" forward.", 0.4, 2.5)))
    transcript.add(WindowTranscript((first,), "en"), offset=0.0)
    transcript.add(WindowTranscript((Segment(0.5, 1.75, " Ten meters."),), None), offset=10.0)
    return transcript


def test_timestamps() -> None:
    assert timestamp(3723.0456, ",") == "01:02:03,046"
    assert timestamp(0.0, ".") == "00:00:00.000"


def test_windows_are_shifted_into_file_time() -> None:
    transcript = two_windows()
    assert [(s.start, s.end) for s in transcript.segments] == [(0.0, 2.5), (10.5, 11.75)]
    assert transcript.text == "Go forward. Ten meters." and transcript.language == "en"


def test_json_text_srt_vtt() -> None:
    transcript = two_windows()
    body, media = render(transcript, ResponseFormat.JSON)
    assert json.loads(body) == {"text": "Go forward. Ten meters."} and media == "application/json"
    assert render(transcript, ResponseFormat.TEXT)[0] == "Go forward. Ten meters.\n"
    assert render(transcript, ResponseFormat.SRT)[0] == (
        "1\n00:00:00,000 --> 00:00:02,500\nGo forward.\n\n2\n00:00:10,500 --> 00:00:11,750\nTen meters.\n"
    )
    assert render(transcript, ResponseFormat.VTT)[0] == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nGo forward.\n\n00:00:10.500 --> 00:00:11.750\nTen meters.\n"
    )


def test_verbose_json_segments_by_default_words_when_asked() -> None:
    transcript = two_windows()
    plain = json.loads(render(transcript, ResponseFormat.VERBOSE_JSON)[0])
    assert plain["duration"] == 12.5 and plain["language"] == "en" and "words" not in plain
    assert [(s["id"], s["start"], s["text"]) for s in plain["segments"]] == [
        (0, 0.0, " Go forward."),
        (1, 10.5, " Ten meters."),
    ]
    worded = json.loads(render(transcript, ResponseFormat.VERBOSE_JSON, frozenset({"word"}))[0])
    assert "segments" not in worded
    assert worded["words"] == [{"word": "Go", "start": 0.0, "end": 0.4}, {"word": "forward.", "start": 0.4, "end": 2.5}]


def test_windows_cover_the_file_and_cut_in_the_quiet() -> None:
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(25 * SAMPLE_RATE) * 0.3).astype(np.float32)
    audio[int(8.5 * SAMPLE_RATE) : int(8.8 * SAMPLE_RATE)] = 0.0  # a pause inside the first search region
    windows = plan_windows(audio)
    assert windows[0][0] == 0 and windows[-1][1] == audio.size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows)), "no gap, no overlap"
    assert 8.5 * SAMPLE_RATE <= windows[0][1] <= 8.8 * SAMPLE_RATE, "the cut is in the pause"
    assert all((end - start) / SAMPLE_RATE <= 11.0 for start, end in windows)


def test_a_short_file_is_one_window_and_a_short_tail_is_not_alone() -> None:
    assert plan_windows(np.zeros(5 * SAMPLE_RATE, np.float32)) == [(0, 5 * SAMPLE_RATE)]
    assert len(plan_windows(np.zeros(int(10.9 * SAMPLE_RATE), np.float32))) == 1
