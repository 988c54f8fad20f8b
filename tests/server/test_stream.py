"""The real service (`dictate serve` child process, packaged Whisper base) with real WebSocket clients and speech."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.bench.vad import SileroVad, find_speech
from dictate.client.embedded import EmbeddedServer
from dictate.protocol import MAX_FRAME_BYTES
from tests.conftest import Clip
from tests.streaming import SessionLog, collect, stream_session, thread_count, word_error_rate

pytestmark = pytest.mark.model
TOKEN = "s3cret-token"
MAX_SESSIONS = 3


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    env = {
        **__import__("os").environ,
        "DICTATE_TOKEN": TOKEN,
        "DICTATE_MAX_SESSIONS": str(MAX_SESSIONS),
        "DICTATE_IDLE_TIMEOUT": "4",
    }
    with EmbeddedServer(env=env, start_timeout=180) as embedded:
        yield embedded


def speech(clip: Clip, lead: float = 0.5, tail: float = 1.2) -> bytes:
    return silence(lead) + read_wav_as_pcm16(clip.path) + silence(tail)


def run(coro: object) -> SessionLog:
    return asyncio.run(coro)  # type: ignore[arg-type]


def readyz(server: EmbeddedServer) -> dict[str, object]:
    with urllib.request.urlopen(f"{server.http_url}/readyz", timeout=5) as response:
        return json.loads(response.read())


def test_readyz_reports_model_and_cpu_fallback(server: EmbeddedServer) -> None:
    info = readyz(server)
    assert info["status"] == "ready"
    assert info["model"] == "packaged:base"
    assert info["device"] == "cpu" and info["compute_type"] == "int8"
    with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok"}


@pytest.mark.parametrize(
    "name", ["ps_librivox_sns01_0880.wav", "ps_librivox_sns01_0930.wav", "ljspeech_LJ001-0004.wav"]
)
def test_clip_gives_interims_then_an_accurate_final(server: EmbeddedServer, clips: dict[str, Clip], name: str) -> None:
    log = run(stream_session(server.url, speech(clips[name]), token=TOKEN))
    assert log.messages[0]["type"] == "ready"
    assert log.messages[0]["protocol"] == 1
    finals = log.of_type("final")
    assert len(finals) == 1, log.messages
    final = finals[0]
    assert word_error_rate(clips[name].transcript, final["text"]) <= 0.15, final["text"]
    interims = [m for m in log.of_type("interim") if m["text"]]
    assert interims, "no interim text before the final"
    assert all(m["_received"] <= final["_received"] for m in interims)
    assert all(m["utterance_id"] == final["utterance_id"] for m in interims)
    assert final["final"] is True and interims[0]["final"] is False
    assert final["speech_start"] <= final["speech_end"] <= final["sent_at"]
    assert final["audio_seconds"] > 0 and final["processing_seconds"] > 0
    assert log.close_code == 1000


def test_end_message_finalizes_pending_speech_at_once(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    clip = clips["ps_librivox_sns01_0880.wav"]
    pcm = silence(0.5) + read_wav_as_pcm16(clip.path)  # no trailing silence: the VAD cannot close it itself
    log = run(stream_session(server.url, pcm, token=TOKEN, end=True))
    finals = log.of_type("final")
    assert len(finals) == 1
    assert word_error_rate(clip.transcript, finals[0]["text"]) <= 0.2, finals[0]["text"]
    assert log.close_code == 1000


def test_end_mid_speech_after_a_pause_keeps_the_words_after_the_pause(
    server: EmbeddedServer, clips: dict[str, Clip]
) -> None:
    # Two sentences cut to their speech (the bench's VAD) with a 0.25 s pause between them, and the end message
    # right after the last word. The pause starts a speculative final pass over the first sentence; speech
    # resumes; at the end of the stream RealtimeSTT returns that stale pass's text (it starts no new pass while
    # one is pending), which dropped the second sentence before FinalPasses.
    first, second = clips["ps_librivox_sns01_0880.wav"], clips["ps_librivox_sns01_0930.wav"]
    vad = SileroVad()
    parts = []
    for clip in (first, second):
        pcm = read_wav_as_pcm16(clip.path)
        span = find_speech(pcm, vad)
        assert span is not None
        parts.append(pcm[int(span.onset * 16000) * 2 : int(span.end * 16000) * 2])
    log = run(stream_session(server.url, silence(0.5) + parts[0] + silence(0.25) + parts[1], token=TOKEN, end=True))
    reference = f"{first.transcript} {second.transcript}"
    assert "amiable" in log.final_text.lower(), log.final_text
    assert word_error_rate(reference, log.final_text) <= 0.2, log.final_text
    assert log.close_code == 1000


def test_two_clients_at_once_each_get_only_their_own_text(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    first, second = clips["ps_librivox_sns01_0890.wav"], clips["ljspeech_LJ001-0002.wav"]

    async def both() -> tuple[SessionLog, SessionLog]:
        return await asyncio.gather(
            stream_session(server.url, speech(first), token=TOKEN),
            stream_session(server.url, speech(second, lead=1.5), token=TOKEN),
        )

    log_a, log_b = asyncio.run(both())
    assert word_error_rate(first.transcript, log_a.final_text) <= 0.2, log_a.final_text
    assert word_error_rate(second.transcript, log_b.final_text) <= 0.2, log_b.final_text
    assert "modern" not in log_a.final_text.lower()
    assert "selfish" not in log_b.final_text.lower()
    assert log_a.messages[0]["session_id"] != log_b.messages[0]["session_id"]


def test_bad_frames_get_errors_and_the_session_goes_on(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    clip = clips["ps_librivox_sns01_0930.wav"]
    junk: list[str | bytes] = [b"\x01\x02\x03", "not json", json.dumps({"type": "dance"}), json.dumps([1, 2])]
    log = run(stream_session(server.url, speech(clip), token=TOKEN, before_audio=junk))
    errors = log.of_type("error")
    assert [e["code"] for e in errors] == ["bad_frame", "bad_control", "bad_control", "bad_control"]
    assert not any(e["fatal"] for e in errors)
    assert "int16" in errors[0]["message"]
    assert word_error_rate(clip.transcript, log.final_text) <= 0.2, log.final_text
    assert log.close_code == 1000


def test_oversized_frame_is_refused_with_1009(server: EmbeddedServer) -> None:
    log = run(stream_session(server.url, b"", token=TOKEN, end=False, before_audio=[bytes(MAX_FRAME_BYTES + 2)]))
    assert [e["code"] for e in log.of_type("error")] == ["frame_too_big"]
    assert log.close_code == 1009


def test_wrong_sample_rate_is_refused_with_1003(server: EmbeddedServer) -> None:
    start = json.dumps({"type": "start", "sample_rate": 44100})
    log = run(stream_session(server.url, b"", token=TOKEN, end=False, before_audio=[start]))
    error = log.of_type("error")[0]
    assert error["code"] == "unsupported_format" and "16000" in error["message"]
    assert log.close_code == 1003


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_refused_before_audio(server: EmbeddedServer, token: str | None) -> None:
    log = run(stream_session(server.url, b"", token=token, end=False))
    assert [m["type"] for m in log.messages] == ["error"]
    assert log.messages[0]["code"] == "unauthorized"
    assert log.close_code == 1008 and "token" in log.close_reason


def test_token_in_query_is_accepted(server: EmbeddedServer) -> None:
    log = run(stream_session(f"{server.url}?token={TOKEN}", silence(0.2), end=True))
    assert log.messages[0]["type"] == "ready" and log.close_code == 1000


def test_session_limit_refuses_with_1013(server: EmbeddedServer) -> None:
    _wait_until(lambda: readyz(server)["sessions"] == 0)

    async def scenario() -> SessionLog:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        held = [await connect(server.url, additional_headers=headers) for _ in range(MAX_SESSIONS)]
        try:
            for ws in held:
                assert json.loads(await ws.recv())["type"] == "ready"
            log = SessionLog()
            async with connect(server.url, additional_headers=headers) as extra:
                await collect(extra, log)
            return log
        finally:
            for ws in held:
                await ws.close()

    log = asyncio.run(scenario())
    assert log.of_type("error")[0]["code"] == "server_busy"
    assert log.close_code == 1013
    _wait_until(lambda: readyz(server)["sessions"] == 0)  # the held sessions are closed and freed


def test_idle_client_is_closed(server: EmbeddedServer) -> None:
    _wait_until(lambda: readyz(server)["sessions"] == 0)

    async def scenario() -> SessionLog:
        log = SessionLog()
        async with connect(server.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            await asyncio.wait_for(collect(ws, log), 30)
        return log

    log = asyncio.run(scenario())
    assert log.of_type("error")[-1]["code"] == "idle_timeout"
    assert log.close_code == 1008


def test_vanished_client_mid_utterance_frees_its_session(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    pid = server.pid
    assert pid is not None
    _wait_until(lambda: readyz(server)["sessions"] == 0)
    baseline = thread_count(pid)

    async def vanish() -> None:
        pcm = read_wav_as_pcm16(clips["ps_librivox_sns01_0870.wav"].path)[: 32000 * 2]
        async with connect(server.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            await ws.recv()
            from dictate.audio import split_frames
            from dictate.client.sender import send_paced

            await send_paced(ws, split_frames(pcm))
            ws.transport.abort()  # no close frame: the client just disappears mid-utterance

    asyncio.run(vanish())
    _wait_until(lambda: readyz(server)["sessions"] == 0)
    _wait_until(lambda: thread_count(pid) <= baseline, timeout=20)
    # and the server still serves
    log = run(stream_session(server.url, silence(0.3), token=TOKEN))
    assert log.messages[0]["type"] == "ready" and log.close_code == 1000


def _wait_until(condition: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)
