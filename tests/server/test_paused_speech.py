"""Speech as people dictate it, through the real service (packaged Whisper base, real clips, real WebSocket):
thinking pauses inside sentences, and long passages. Every second of speech must end in exactly one final per
utterance, in order, with no repeated words; a client that asks for revisions gets whole sentences back."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import urllib.request
from collections.abc import Iterator
from difflib import SequenceMatcher

import numpy as np
import pytest
from websockets.asyncio.client import connect

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from dictate.client.sender import stream_pcm
from dictate.client.session import SessionOptions
from dictate.protocol import FinalMessage, decode_server_message
from dictate.transcript import FinalTexts
from tests.conftest import Clip
from tests.streaming import SessionLog, collect, word_error_rate, words

pytestmark = pytest.mark.model

FRAME = 320  # 20 ms


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    env = {**os.environ, "DICTATE_CUT_AFTER": "5", "DICTATE_LOG_LEVEL": "info"}
    with EmbeddedServer(env=env, start_timeout=180) as embedded:
        yield embedded


def with_pauses(clip: Clip, fractions: list[float], pause: float = 1.0) -> bytes:
    """The clip with ``pause`` seconds of silence inserted at the quietest 20 ms near each fraction of it (a
    word boundary, as a speaker stopping to think)."""
    samples = np.frombuffer(read_wav_as_pcm16(clip.path), dtype=np.int16)
    cuts = []
    for fraction in fractions:
        lo, hi = int(samples.size * (fraction - 0.1)) // FRAME, int(samples.size * (fraction + 0.1)) // FRAME
        energy = [
            float(np.mean(np.square(samples[i * FRAME : (i + 1) * FRAME], dtype=np.float64))) for i in range(lo, hi)
        ]
        cuts.append((lo + int(np.argmin(energy))) * FRAME)
    pieces, previous = [], 0
    for cut in sorted(cuts):
        pieces += [samples[previous:cut].tobytes(), silence(pause)]
        previous = cut
    return b"".join([*pieces, samples[previous:].tobytes()])


async def stream(url: str, pcm: bytes, revisions: bool) -> SessionLog:
    log = SessionLog()
    async with connect(url, max_size=2**20) as ws:
        collector = asyncio.create_task(collect(ws, log))
        while not log.messages:
            await asyncio.sleep(0.02)
        await stream_pcm(ws, pcm, 1.0, options=SessionOptions(revisions=revisions))
        await asyncio.wait_for(collector, 60)
    return log


def finals(log: SessionLog) -> list[FinalMessage]:
    return [
        m
        for m in (decode_server_message(json.dumps(raw)) for raw in log.of_type("final"))
        if isinstance(m, FinalMessage)
    ]


def lost_runs(reference: str, hypothesis: str, run: int = 3) -> list[list[str]]:
    """Runs of ``run`` or more reference words with no counterpart in the hypothesis."""
    ref, hyp = words(reference), words(hypothesis)
    matched = [False] * len(ref)
    for block in SequenceMatcher(None, ref, hyp, autojunk=False).get_matching_blocks():
        for index in range(block.a, block.a + block.size):
            matched[index] = True
    runs: list[list[str]] = []
    current: list[str] = []
    for word, hit in zip(ref, matched, strict=True):
        if hit:
            if len(current) >= run:
                runs.append(current)
            current = []
        else:
            current.append(word)
    return [*runs, current] if len(current) >= run else runs


def revisions_counted(server: EmbeddedServer, result: str) -> float:
    """The server's ``dictate_revisions_total{result=...}`` on /metrics (0 before the first)."""
    with urllib.request.urlopen(f"{server.http_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = re.search(rf'^dictate_revisions_total{{result="{result}"}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def coverage_lines(server: EmbeddedServer) -> list[str]:
    return [line for line in server.log_path.read_text().splitlines() if "s received" in line]


def test_paused_speech_ends_in_one_final_per_utterance_in_order_with_nothing_lost_or_repeated(
    server: EmbeddedServer, clips: dict[str, Clip]
) -> None:
    """A client that does not ask for revisions. The old engine sent several finals with one id, repeated a
    fragment's last words at the next start, and lost the speech at the end of the stream."""
    names = ["ps_librivox_sns01_0870.wav", "whisper_jfk.wav", "ps_librivox_sns01_0890.wav"]
    pcm = silence(0.5) + b"".join(with_pauses(clips[name], [0.3, 0.6]) + silence(0.8) for name in names)
    pcm += read_wav_as_pcm16(clips["ps_cards_001.wav"].path) + silence(0.15)  # the stream ends right after it
    before = len(coverage_lines(server))
    log = asyncio.run(stream(server.url, pcm, revisions=False))
    assert log.close_code == 1000, log.messages
    received = finals(log)
    ids = [final.utterance_id for final in received]
    assert ids == sorted(set(ids)), ids  # one final per utterance, in order
    assert all(not final.revises for final in received)  # no revisions for a client that did not ask
    interim_ids = {m["utterance_id"] for m in log.of_type("interim")}
    assert interim_ids <= set(ids), "an utterance had interims but no final"
    texts = [final.text for final in received if final.text]
    for before_text, after_text in itertools.pairwise(texts):
        tail, head = words(before_text)[-2:], words(after_text)[:2]
        assert len(tail) < 2 or tail != head, f"repeated at an utterance start: {before_text!r} / {after_text!r}"
    reference = " ".join([*(clips[name].transcript for name in names), clips["ps_cards_001.wav"].transcript])
    hypothesis = " ".join(texts)
    assert lost_runs(reference, hypothesis) == [], hypothesis
    assert word_error_rate(reference, hypothesis) <= 0.25, hypothesis
    assert "of" in words(texts[-1]), texts  # "ten of clubs", streamed right before the end message
    lines = coverage_lines(server)[before:]
    assert lines and "0.0 s dropped" in lines[-1], lines


def test_with_revisions_a_sentence_with_thinking_pauses_comes_out_as_one_sentence(
    server: EmbeddedServer, clips: dict[str, Clip]
) -> None:
    """JFK with a 1 s pause after "Americans" and after "not": fragments alone came back as "And so my fellow
    Americans" / "Ask not." / "what your country ...". Revising finals give back Whisper's sentence."""
    clip = clips["whisper_jfk.wav"]
    accepted = revisions_counted(server, "accepted")
    log = asyncio.run(stream(server.url, silence(0.5) + with_pauses(clip, [0.27, 0.42]) + silence(1.0), True))
    received = finals(log)
    assert any(final.revises for final in received), [(f.text, f.revises) for f in received]
    # the revising passes aligned with the fragments (revisions.check_revision), and /metrics counted them
    assert revisions_counted(server, "accepted") > accepted
    texts = FinalTexts()
    for final in received:
        texts.apply(final)
    assert word_error_rate(clip.transcript, texts.text) <= 0.1, texts.text
    # no sentence break where the speaker paused (Whisper's offline text: "Americans, ask not what")
    assert not re.search(r"(americans|not)[.!?]", texts.text.lower()), texts.text
    assert len(texts.lines) == 1, texts.lines


def test_a_long_passage_is_finalised_while_it_is_spoken_and_loses_nothing(
    server: EmbeddedServer, clips: dict[str, Clip]
) -> None:
    """Three sentences read without a real pause (the server cuts utterances longer than 5 s at a short
    pause here): finals arrive before the stream ends, and together they are the whole passage."""
    names = ["ljspeech_LJ001-0001.wav", "ljspeech_LJ001-0002.wav", "ljspeech_LJ001-0003.wav"]
    pcm = silence(0.3) + b"".join(read_wav_as_pcm16(clips[name].path) + silence(0.25) for name in names)
    log = asyncio.run(stream(server.url, pcm + silence(0.8), revisions=True))
    received = finals(log)
    assert len(received) >= 2, [f.text for f in received]
    texts = FinalTexts()
    for final in received:
        texts.apply(final)
    reference = " ".join(clips[name].transcript for name in names)
    assert lost_runs(reference, texts.text) == [], texts.text
    assert word_error_rate(reference, texts.text) <= 0.12, texts.text
    assert max(final.audio_seconds for final in received) < 20  # no pass re-read the whole passage
