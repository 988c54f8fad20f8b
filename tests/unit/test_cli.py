"""The `dictate` command as a user meets it: usage errors, expected failures as one line and an exit code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dictate.embedded import free_loopback_port


def dictate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dictate", *args], capture_output=True, text=True, timeout=120)


def test_help_and_version() -> None:
    result = dictate("--help")
    assert result.returncode == 0
    for command in ("serve", "tui", "transcribe", "bench"):
        assert command in result.stdout
    assert dictate("--version").stdout.strip().startswith("dictate ")


@pytest.mark.parametrize("args", [["bench", "--bogus"], ["serve", "--port", "abc"], ["transcribe"]])
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = dictate(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_audio_file_is_exit_5() -> None:
    result = dictate("transcribe", "/nonexistent.wav", "--server", "ws://127.0.0.1:1/stream")
    assert result.returncode == 5
    assert result.stderr.strip() == "dictate: no such file: /nonexistent.wav"


def test_unreachable_server_is_one_line_and_exit_4(clips: dict[str, object]) -> None:
    port = free_loopback_port()
    clip = clips["ps_cards_001.wav"].path  # type: ignore[attr-defined]
    result = dictate("transcribe", str(clip), "--server", f"127.0.0.1:{port}")
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dictate: cannot connect to ws://127.0.0.1:{port}/stream")
