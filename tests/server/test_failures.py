"""Failures: a recorder whose model throws, models that cannot be found. Real uvicorn, real recorder."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from dictate.audio import silence
from dictate.audiofile import read_wav_as_pcm16
from dictate.client.embedded import free_loopback_port
from dictate.config import ServerSettings
from dictate.server.edge.app import Status, create_app
from dictate.server.model import loading, whisper
from tests.conftest import Clip
from tests.streaming import stream_session

pytestmark = pytest.mark.model


@pytest.fixture()
def broken_final_pass_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An in-process server whose final passes raise (interim passes work): a GPU fault cannot be made here."""
    model_ready = threading.Event()
    real_pass = whisper.transcribe_pass

    def transcribe_pass(model: Any, audio: Any, settings: Any, final: bool, *args: Any) -> Any:
        if final and model_ready.is_set():
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return real_pass(model, audio, settings, final, *args)

    real_warm_up = loading.warm_up_passes

    def warm_up_passes(scheduler: Any) -> None:  # the warm-up's own final pass works; users' do not
        real_warm_up(scheduler)
        model_ready.set()

    monkeypatch.setattr(whisper, "transcribe_pass", transcribe_pass)
    monkeypatch.setattr(loading, "warm_up_passes", warm_up_passes)
    port = free_loopback_port()
    settings = ServerSettings(port=port)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, name="test-uvicorn")
    thread.start()
    deadline = time.monotonic() + 120
    while app.state.service.status is not Status.READY:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.1)
    try:
        yield f"ws://127.0.0.1:{port}/stream"
    finally:
        server.should_exit = True
        thread.join(30)


def test_recorder_that_throws_gets_an_error_and_1011(broken_final_pass_server: str, clips: dict[str, Clip]) -> None:
    pcm = silence(0.5) + read_wav_as_pcm16(clips["ps_librivox_sns01_0880.wav"].path) + silence(1.2)
    log = asyncio.run(stream_session(broken_final_pass_server, pcm))
    errors = log.of_type("error")
    assert errors and errors[-1]["code"] == "engine_failed" and errors[-1]["fatal"]
    assert "illegal memory access" in errors[-1]["message"]
    assert log.close_code == 1011
    # the server keeps serving: a new session still opens
    log2 = asyncio.run(stream_session(broken_final_pass_server, silence(0.2)))
    assert log2.messages[0]["type"] == "ready"


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "dictate", "serve", "--port", str(free_loopback_port()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_missing_model_directory_is_one_line_and_exit_3(tmp_path: Any) -> None:
    result = _serve("--model", str(tmp_path / "nope"))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1] == f"dictate: model directory {tmp_path / 'nope'} does not exist"
    assert "Traceback" not in result.stderr


def test_hub_model_offline_says_what_to_do(tmp_path: Any) -> None:
    env_home = {"HF_HOME": str(tmp_path)}
    os.environ.update(env_home)
    try:
        result = _serve("--model", "large-v3")
    finally:
        del os.environ["HF_HOME"]
    assert result.returncode == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("dictate: model 'large-v3'") and "packaged:base" in last, last
    assert "Traceback" not in result.stderr


def test_missing_turn_model_is_one_line_and_exit_3_before_the_whisper_model_loads(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DICTATE_TURN_MODEL", str(tmp_path / "smart-turn.onnx"))
    result = _serve()
    assert result.returncode == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"dictate: turn model '{tmp_path / 'smart-turn.onnx'}' is not a file") and (
        "fetch-turn-model.sh" in last
    ), last
    assert "Traceback" not in result.stderr and "loaded in" not in result.stderr
