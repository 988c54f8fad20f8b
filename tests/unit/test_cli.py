"""The `dictate` command as a user meets it: usage errors, expected failures as one line and an exit code."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from dictate.client.embedded import free_loopback_port


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


def test_transcribe_checks_every_file_before_it_connects(clips: dict[str, object], tmp_path: Any) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio\n")
    clip = clips["ps_cards_001.wav"].path  # type: ignore[attr-defined]
    # no server listens there: a file checked only after connecting would fail with "cannot connect" (exit 4)
    result = dictate("transcribe", str(clip), str(notes), "--server", f"127.0.0.1:{free_loopback_port()}")
    assert result.returncode == 5, result.stderr
    assert result.stderr.strip() == f"dictate: cannot read audio file {notes}: Format not recognised."
    assert result.stdout == ""  # the good file before it was not streamed either


def test_unreachable_server_is_one_line_and_exit_4(clips: dict[str, object]) -> None:
    port = free_loopback_port()
    clip = clips["ps_cards_001.wav"].path  # type: ignore[attr-defined]
    result = dictate("transcribe", str(clip), "--server", f"127.0.0.1:{port}")
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dictate: cannot connect to ws://127.0.0.1:{port}/stream")


def _all_commands() -> list[tuple[list[str], Any]]:
    import typer

    from dictate.cli import app

    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


@pytest.mark.parametrize("path", [path for path, _ in _all_commands()], ids=lambda path: " ".join(path) or "dictate")
def test_every_help_shows_every_option_help_whole(path: list[str]) -> None:
    """Rich reads `[...]` as markup: a help text like `[env DICTATE_HOST; 127.0.0.1]` vanished from --help."""
    from typer.testing import CliRunner

    from dictate.cli import app

    command = dict((tuple(p), c) for p, c in _all_commands())[tuple(path)]
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for param in command.params:
        help_text = getattr(param, "help", None)
        if help_text:
            assert _flat(help_text.replace("\\[", "[")) in shown, (param.name, help_text)


def test_serve_help_shows_host_and_port_defaults() -> None:
    shown = _flat(dictate("serve", "--help").stdout)
    assert "127.0.0.1" in shown and "8000" in shown


def _serve_refused(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("DICTATE_")}
    return subprocess.run(
        [sys.executable, "-m", "dictate", "serve", "--port", str(free_loopback_port()), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


def test_non_loopback_host_without_token_is_refused() -> None:
    result = _serve_refused("--host", "0.0.0.0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("dictate: refusing to listen on 0.0.0.0 without a token"), result.stderr
    assert "--allow-anonymous" in lines[-1] and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--token", ""], None, "the token is empty"),
        ([], {"DICTATE_TOKEN": ""}, "the token is empty"),
        (["--token", "   "], None, "the token is empty"),
        (["--token-file", "/nonexistent/token"], None, "cannot read the token file"),
        (["--token", "s3cret-a", "--token-file", "/etc/hostname"], None, "not both"),
    ],
)
def test_empty_or_unreadable_token_is_an_error_not_no_auth(
    args: list[str], env: dict[str, str] | None, says: str
) -> None:
    result = _serve_refused(*args, env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dictate: ") and says in lines[0], lines
    assert "s3cret" not in result.stderr  # the error names the setting, never the secret


def test_empty_token_file_is_an_error(tmp_path: object) -> None:
    from pathlib import Path

    empty = Path(str(tmp_path)) / "token"
    empty.write_text("\n")
    result = _serve_refused("--token-file", str(empty))
    assert result.returncode == 2 and f"the token file {empty} is empty" in result.stderr


def test_token_file_is_read_and_stripped(tmp_path: object) -> None:
    from pathlib import Path

    from dictate.config import ServerSettings

    path = Path(str(tmp_path)) / "token"
    path.write_text("  s3cret\n")
    settings = ServerSettings(token_file=path)
    assert settings.token is not None and settings.token.get_secret_value() == "s3cret"


def test_bench_help_shows_the_run_options_and_compare() -> None:
    """`dictate bench FILES` is the main form: its options are on `dictate bench --help`, not under `run`."""
    shown = _flat(dictate("bench", "--help").stdout)
    assert "dictate bench [OPTIONS] [files]..." in shown
    for option in ("--concurrency", "--plot", "--floor", "--soak", "--server"):
        assert option in shown, option
    assert "dictate bench compare" in shown
