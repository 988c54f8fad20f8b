"""POST /v1/audio/transcriptions and GET /v1/models with the official `openai` client, against one real
`dictate serve` (packaged Whisper base, a token, a 2 MB upload limit, a private TMPDIR) shared by the module."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import EmbeddedServer
from tests.conftest import Clip
from tests.streaming import stream_session

pytestmark = pytest.mark.model

TOKEN = "file-jobs-secret"
SHORT = "ps_goforward.wav"  # "go forward ten meters", 2.8 s
JFK = "whisper_jfk.wav"  # 11 s: two windows
LONG = "ljspeech_LJ001-0001_to_0008_concat.wav"  # 52 s, 1.7 MB: six windows
LIVE = "ps_librivox_sns01_0880.wav"


def words(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[EmbeddedServer, Path]]:
    temporary = Path(tempfile.mkdtemp(prefix="dictate-openai-tmp-"))
    env = {**os.environ, "DICTATE_TOKEN": TOKEN, "DICTATE_MAX_UPLOAD_MB": "2", "TMPDIR": str(temporary)}
    with EmbeddedServer(env=env) as running:
        at_start = sorted(temporary.iterdir())  # the libraries' own start-up files (an onnxruntime .ses)
        yield running, temporary
        assert sorted(temporary.iterdir()) == at_start, "a request left a file in temporary storage"
    shutil.rmtree(temporary)


@pytest.fixture(scope="module")
def client(server: tuple[EmbeddedServer, Path]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server[0].http_url}/v1", api_key=TOKEN, max_retries=0, timeout=300)


def transcribe(client: openai.OpenAI, clip: Clip, **kwargs: Any) -> Any:
    with clip.path.open("rb") as handle:
        return client.audio.transcriptions.create(model="whisper-1", file=handle, **kwargs)


def test_models_lists_the_loaded_model(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["packaged:base"]


def test_json(client: openai.OpenAI, clips: dict[str, Clip]) -> None:
    result = transcribe(client, clips[SHORT], response_format="json", language="en")
    assert "forward" in words(result.text) and "meters" in words(result.text), result.text


def test_text_across_windows(client: openai.OpenAI, clips: dict[str, Clip]) -> None:
    text = transcribe(client, clips[JFK], response_format="text")
    assert isinstance(text, str)
    said = words(text)
    assert "ask not what your country can do for you" in said, said
    assert said.count("ask not") == 1, "the window boundary neither drops nor repeats words"


def test_srt_and_vtt(client: openai.OpenAI, clips: dict[str, Clip]) -> None:
    srt = transcribe(client, clips[SHORT], response_format="srt")
    assert re.match(r"1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\n.*forward", str(srt)), srt
    vtt = transcribe(client, clips[SHORT], response_format="vtt")
    assert str(vtt).startswith("WEBVTT\n\n00:00:0"), vtt
    assert "-->" in str(vtt) and "forward" in words(str(vtt))


def test_verbose_json_segments_and_words(client: openai.OpenAI, clips: dict[str, Clip]) -> None:
    verbose = transcribe(client, clips[JFK], response_format="verbose_json", prompt="John F. Kennedy, inaugural")
    assert verbose.language == "en" and abs(verbose.duration - clips[JFK].duration) < 0.1
    assert verbose.segments and not verbose.words
    starts = [segment.start for segment in verbose.segments]
    assert starts == sorted(starts) and verbose.segments[-1].end > 7.0, "segments are in file time, in order"
    worded = transcribe(
        client, clips[SHORT], response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert [w.word.strip(".,").lower() for w in worded.words][:2] == ["go", "forward"], worded.words
    assert all(w.start <= w.end <= clips[SHORT].duration + 0.01 for w in worded.words)
    assert worded.segments


def test_wrong_token_is_refused_in_openais_shape(server: tuple[EmbeddedServer, Path], clips: dict) -> None:
    wrong = openai.OpenAI(base_url=f"{server[0].http_url}/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        transcribe(wrong, clips[SHORT])
    assert refused.value.status_code == 401
    assert refused.value.body["code"] == "invalid_api_key"  # type: ignore[index]


def test_bad_uploads_get_openai_errors(client: openai.OpenAI, server: tuple[EmbeddedServer, Path], clips: dict):
    with pytest.raises(openai.BadRequestError) as not_audio:
        client.audio.transcriptions.create(model="whisper-1", file=("notes.wav", b"this is not audio at all"))
    assert not_audio.value.body["param"] == "file" and "notes.wav" in not_audio.value.body["message"]  # type: ignore[index]
    with pytest.raises(openai.APIStatusError) as too_big:
        client.audio.transcriptions.create(model="whisper-1", file=("big.wav", bytes(2_100_000)))
    assert too_big.value.status_code == 413 and too_big.value.body["code"] == "file_too_large"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as bad_format:
        transcribe(client, clips[SHORT], response_format="mp4")
    assert bad_format.value.body["param"] == "response_format"  # type: ignore[index]
    # no file at all: the openai client insists on one, so plain HTTP
    missing = httpx.post(
        f"{server[0].http_url}/v1/audio/transcriptions",
        data={"model": "whisper-1"},
        files={"other": ("x.txt", b"x")},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert missing.status_code == 400
    error = missing.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == "file"


def test_live_dictation_goes_first_while_a_long_file_is_transcribed(
    server: tuple[EmbeddedServer, Path], clips: dict[str, Clip]
) -> None:
    """A 52 s upload (six windows) runs below a live session: the live final arrives while the file job is still
    running (its windows wait while the utterance is open), and the file's text is whole afterwards."""
    running, _ = server
    done: dict[str, Any] = {}

    def upload() -> None:
        wide = openai.OpenAI(base_url=f"{running.http_url}/v1", api_key=TOKEN, max_retries=0, timeout=300)
        with clips[LONG].path.open("rb") as handle:
            done["text"] = wide.audio.transcriptions.create(model="whisper-1", file=handle, response_format="text")
        done["at"] = time.time()

    uploader = threading.Thread(target=upload, name="test-upload")
    uploader.start()
    try:
        deadline = time.monotonic() + 60
        while metric(running, "dictate_active_file_jobs") < 1:
            assert time.monotonic() < deadline and uploader.is_alive(), "the file job did not start"
            time.sleep(0.05)
        live = asyncio.run(stream_session(running.url, read_wav_as_pcm16(clips[LIVE].path), token=TOKEN))
    finally:
        uploader.join(300)
    finals = live.of_type("final")
    assert finals and "young man" in words(live.final_text), live.messages
    assert "at" in done, "the file job finished"
    assert finals[-1]["_received"] < done["at"], "the live final did not wait for the file"
    said = words(str(done["text"]))
    assert said.startswith("printing in the only sense") and "surpassed" in said[-40:], said


def metric(server: EmbeddedServer, name: str) -> float:
    request = urllib.request.Request(f"{server.http_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_file_jobs(server: tuple[EmbeddedServer, Path], client: openai.OpenAI, clips: dict) -> None:
    before_ok = metric(server[0], 'dictate_file_jobs_total{result="ok"}')
    before_windows = metric(server[0], "dictate_file_windows_total")
    transcribe(client, clips[SHORT])
    assert metric(server[0], 'dictate_file_jobs_total{result="ok"}') == before_ok + 1
    assert metric(server[0], "dictate_file_windows_total") == before_windows + 1
    assert metric(server[0], "dictate_active_file_jobs") == 0
