"""A wrong token outside the dashboard: `dictate transcribe` and `dictate bench` name the server's reason (it sent
`unauthorized`), and a bench whose every stream failed exits non-zero. One real `dictate serve` with a token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dictate.client.embedded import EmbeddedServer
from dictate.errors import ExitCode
from tests.conftest import Clip

pytestmark = pytest.mark.model

TOKEN = "the-right-token"
CLIP = "ps_librivox_sns01_0880.wav"  # 3 s


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    token_file = tmp_path_factory.mktemp("secret") / "token"
    token_file.write_text(TOKEN + "\n")
    env = {k: v for k, v in os.environ.items() if k != "DICTATE_TOKEN"}
    with EmbeddedServer(extra_args=["--token-file", str(token_file)], env=env) as embedded:
        yield embedded


def dictate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICTATE_")} | {"NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "dictate", *args], capture_output=True, text=True, timeout=180, env=env
    )


def test_transcribe_with_a_wrong_token_names_the_refused_token(server: EmbeddedServer, clips: dict[str, Clip]) -> None:
    result = dictate("transcribe", "--server", server.url, "--token", "WRONG", str(clips[CLIP].path))
    assert result.returncode == ExitCode.CONNECTION, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "token" in lines[0], result.stderr  # the server said `unauthorized`: say so
    assert "before it was ready" not in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bench_with_a_wrong_token_names_the_reason_and_fails(
    server: EmbeddedServer, clips: dict[str, Clip], tmp_path: Path
) -> None:
    out = tmp_path / "run.json"
    args = ["--server", server.url, "--token", "WRONG", "--levels", "1", "--no-warmup", "--out", str(out)]
    result = dictate("bench", *args, str(clips[CLIP].path))
    assert result.returncode == ExitCode.CONNECTION, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "refused the token" in said and "check the token" in said, said
    assert "Traceback" not in said
    report = json.loads(out.read_text())  # the report is still written: it records why
    assert all(stream["failure"] for level in report["levels"] for stream in level["streams"])
