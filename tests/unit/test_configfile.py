"""The config file: precedence (flags > DICTATE_* env > config.toml > defaults), one-line errors, `dictate config`."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dictate.config import ClientSettings, ServerSettings, TypingMode
from dictate.configfile import MASK, mask_url_token
from dictate.errors import ConfigError


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("DICTATE_CONFIG", str(path))
    for name in list(os.environ):
        if name.startswith("DICTATE_") and name != "DICTATE_CONFIG":
            monkeypatch.delenv(name)
    return path


def dictate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dictate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_precedence_flag_then_env_then_file_then_default(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file.write_text('final_grace = 1.5\nconnect_timeout = 4.0\nhotkey = "<ctrl>+<f9>"\ntype_mode = "live"\n')
    monkeypatch.setenv("DICTATE_CONNECT_TIMEOUT", "7")
    monkeypatch.setenv("DICTATE_HOTKEY", "<ctrl>+<f10>")
    settings = ClientSettings(hotkey="<ctrl>+<f11>")  # a flag
    assert settings.hotkey == "<ctrl>+<f11>"  # flag over env and file
    assert settings.connect_timeout == 7.0  # env over file
    assert settings.final_grace == 1.5 and settings.type_mode is TypingMode.LIVE  # file over default
    assert settings.embedded_start_timeout == ClientSettings.model_fields["embedded_start_timeout"].default


def test_no_file_means_defaults(config_file: Path) -> None:
    assert not config_file.exists()
    assert ClientSettings() == ClientSettings.model_construct()


def test_replace_table_and_paths(config_file: Path) -> None:
    config_file.write_text('history_path = "~/h.sqlite3"\n[replace]\ngpt = "GPT"\n"chat gpt" = "ChatGPT"\n')
    settings = ClientSettings()
    assert settings.replace == {"gpt": "GPT", "chat gpt": "ChatGPT"}
    assert settings.history_path == Path("~/h.sqlite3")


def test_bad_value_in_the_file_is_one_line_naming_file_key_and_allowed(config_file: Path) -> None:
    config_file.write_text('type_mode = "loud"\n')
    with pytest.raises(ConfigError) as caught:
        ClientSettings()
    message = str(caught.value)
    assert message == f"{config_file}: key type_mode = 'loud': Input should be 'final', 'live', 'paste' or 'off'"


def test_bad_number_in_the_file(config_file: Path) -> None:
    config_file.write_text("connect_timeout = -3\n")
    with pytest.raises(ConfigError, match=r"config.toml: key connect_timeout = -3: Input should be greater than 0$"):
        ClientSettings()


def test_a_bad_env_value_names_the_variable_not_the_file(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file.write_text("final_grace = 2\n")
    monkeypatch.setenv("DICTATE_FINAL_GRACE", "soon")
    with pytest.raises(ConfigError, match=r"^environment variable DICTATE_FINAL_GRACE = 'soon': Input should be"):
        ClientSettings()


def test_server_settings_errors_are_one_line_too(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICTATE_PORT", "eighty")
    with pytest.raises(ConfigError, match=r"^environment variable DICTATE_PORT = 'eighty': Input should be"):
        ServerSettings()


def test_unknown_key_lists_the_allowed_ones(config_file: Path) -> None:
    config_file.write_text('hotkye = "<ctrl>+<f9>"\n')
    with pytest.raises(ConfigError) as caught:
        ClientSettings()
    message = str(caught.value)
    assert message.startswith(f"{config_file}: unknown key 'hotkye'; allowed keys: ")
    assert all(field in message for field in ClientSettings.model_fields)


def test_bad_toml_names_the_file_and_line(config_file: Path) -> None:
    config_file.write_text('server = "ws://x\n')
    with pytest.raises(ConfigError, match=r"config.toml: not valid TOML: .*line 1"):
        ClientSettings()


def test_cli_bad_config_is_one_line_and_exit_2(config_file: Path) -> None:
    config_file.write_text("final_grace = -1\n")
    result = dictate("history", "--history", str(config_file.parent / "h.sqlite3"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"dictate: {config_file}: key final_grace = -1: Input should be greater than or equal to 0"
    ]


def test_config_path_and_show_with_secrets_masked(config_file: Path) -> None:
    config_file.write_text('token = "s3cret"\nserver = "wss://box/stream?token=other"\n[replace]\ngpt = "GPT"\n')
    assert dictate("config", "path").stdout.strip() == str(config_file)
    result = dictate("config", "show", env={"DICTATE_FINAL_GRACE": "1.25"})
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout and "other" not in result.stdout
    shown = tomllib.loads(result.stdout)
    assert shown["token"] == MASK
    assert shown["server"] == f"wss://box/stream?token={MASK}"
    assert shown["final_grace"] == 1.25 and shown["replace"] == {"gpt": "GPT"}
    assert "# env DICTATE_FINAL_GRACE" in result.stdout and 'type_mode = "final"' in result.stdout


def test_show_is_a_config_file_for_every_setting(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`config show` covers every field of the settings model, and its output reads back as the same settings."""
    config_file.write_text('type_mode = "off"\ninput_device = "USB mic"\nfinal_grace = 0.5\n[replace]\na = "b"\n')
    shown = dictate("config", "show").stdout
    for field in ClientSettings.model_fields:
        assert f"{field} = " in shown or f"[{field}]" in shown, field
    copy = tmp_path / "copy.toml"
    copy.write_text(shown)
    monkeypatch.setenv("DICTATE_CONFIG", str(copy))
    assert ClientSettings() == ClientSettings.model_validate(tomllib.loads(config_file.read_text()))


def test_mask_url_token() -> None:
    assert mask_url_token("ws://h:1/stream?a=1&token=abc") == f"ws://h:1/stream?a=1&token={MASK}"
    assert mask_url_token("ws://h:1/stream") == "ws://h:1/stream"
