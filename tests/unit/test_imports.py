"""Import boundaries: the server never loads the dashboard's libraries; the clients never load torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

SERVER_FORBIDDEN = ["textual", "pynput", "sounddevice"]
CLIENT_FORBIDDEN = ["torch", "RealtimeSTT", "faster_whisper", "fastapi", "uvicorn"]


def loaded_after(imports: list[str], forbidden: list[str]) -> list[str]:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in imports)
        + f"print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return [m for m in result.stdout.strip().split(",") if m]


def test_server_does_not_import_tui_libraries() -> None:
    modules = [
        "dictate.server.edge.app",
        "dictate.server.edge.run",
        "dictate.server.live.voice_activity",
        "dictate.server.edge.session",
    ]
    assert loaded_after(modules, SERVER_FORBIDDEN) == []


@pytest.mark.parametrize(
    "modules",
    [
        ["dictate.cli"],
        ["dictate.tui.app", "dictate.tui.sources", "dictate.tui.history"],
        ["dictate.transcribe", "dictate.client.connection", "dictate.client.sender", "dictate.client.dispatch"],
        ["dictate.client.stream", "dictate.client.sources"],
        ["dictate.client.embedded"],
        ["dictate.bench.runner", "dictate.bench.report", "dictate.bench.vad", "dictate.bench.wer"],
    ],
)
def test_clients_do_not_import_torch_or_the_server(modules: list[str]) -> None:
    assert loaded_after(modules, CLIENT_FORBIDDEN) == []


def test_the_cli_help_stays_light() -> None:
    assert loaded_after(["dictate.cli"], ["textual", "pynput", "sounddevice", "matplotlib", "jiwer"]) == []


def test_the_forbidden_check_can_fail() -> None:
    assert loaded_after(["dictate.server.live.voice_activity", "faster_whisper"], ["faster_whisper"]) == [
        "faster_whisper"
    ]
