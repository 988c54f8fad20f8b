"""Every option of the client commands is a setting (issue 12: "every dashboard and client option can be set in
config.toml"), with flags > DICTATE_* environment > config file > defaults, unless listed below as command-line
only, with the reason.

The commands are read from the real typer app; each command runs for real up to where it has built its
settings (``dictate.options.client_settings``), where the test stops it and looks at them.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import SecretStr
from typer.core import TyperOption
from typer.testing import CliRunner

from dictate import options as options_module
from dictate.cli import app
from dictate.config import ClientSettings

MEASUREMENT = "a parameter of one benchmark run: the command line says what was measured (the report records it)"
CLI_ONLY: dict[str, dict[str, str]] = {
    "tui": {
        "source": "a file to dictate from once, instead of the microphone",
        "record_pcm": "a capture of one run, for debugging (each run would overwrite it)",
        "list_devices": "an action (list the input devices and exit), not a setting",
    },
    "transcribe": {
        "replace": "turns the [replace] table off for one run (in the file: leave the table out)",
    },
    "bench run": {
        "concurrency": MEASUREMENT,
        "sweep": MEASUREMENT,
        "levels": MEASUREMENT,
        "repeat": MEASUREMENT,
        "floor": MEASUREMENT,
        "memory": MEASUREMENT,
        "leading_silence": MEASUREMENT,
        "trailing_silence": MEASUREMENT,
        "max_final_latency": MEASUREMENT,
        "final_timeout": MEASUREMENT,
        "include_derived": MEASUREMENT,
        "warmup": MEASUREMENT,
        "pauses": MEASUREMENT,
        "noise": MEASUREMENT,
        "telephone": MEASUREMENT,
        "soak": MEASUREMENT,
        "interval": MEASUREMENT,
        "upload_loops": MEASUREMENT,
        "settle": MEASUREMENT,
        "formatted_offline": MEASUREMENT,
        "server_arg": MEASUREMENT + " (flags of that run's embedded server)",
        "out": "names one run's report (default: a new file per run in bench-out/)",
        "plot": "names one run's plot",
        "server_pid": "the process id of a server running now",
    },
    "history": {
        "search": "a query, not a setting",
        "since": "a query, not a setting",
        "limit": "a query, not a setting",
        "as_json": "the output format of one listing",
        "as_markdown": "the output format of one listing",
    },
}
COMMANDS = list(CLI_ONLY)


def command_options(path: str) -> list[TyperOption]:
    command: Any = typer.main.get_command(app)
    for name in path.split():
        command = command.commands[name]
    return [param for param in command.params if isinstance(param, TyperOption) and param.name != "help"]


def setting_options(path: str) -> list[TyperOption]:
    return [option for option in command_options(path) if option.name not in CLI_ONLY[path]]


@pytest.mark.parametrize("path", COMMANDS)
def test_every_option_is_a_setting_or_says_why_not(path: str) -> None:
    names = {option.name for option in command_options(path)}
    assert set(CLI_ONLY[path]) <= names, f"listed as command-line only but gone: {set(CLI_ONLY[path]) - names}"
    assert all(reason.strip() for reason in CLI_ONLY[path].values())
    for option in setting_options(path):
        assert option.name in ClientSettings.model_fields, (
            f"`dictate {path}` {option.opts[0]} is no setting: add a ClientSettings field named {option.name!r} "
            "(the file's key), or list it in CLI_ONLY with the reason"
        )
        assert option.default is None, f"{option.opts[0]}: a default here would hide the environment and the file"


# ---------------------------------------------------------------------------------------------- precedence


def two_values(option: TyperOption) -> tuple[list[str], Any, Any]:
    """(the flag's arguments, the value they give, another value for the file and environment)."""
    annotation = option.type_descriptor.annotation
    if option.is_flag:
        if option.secondary_opts:
            return [option.secondary_opts[0]], False, True
        return [option.opts[0]], True, False
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = [member.value for member in annotation]
        return [option.opts[0], choices[0]], choices[0], choices[-1]
    if annotation in (int, float):
        return [option.opts[0], "2"], 2.0, 3.0
    if annotation is Path:
        return [option.opts[0], "/tmp/from-flag"], "/tmp/from-flag", "/tmp/from-file"
    assert annotation is str, (option.name, annotation)
    return [option.opts[0], "from-flag"], "from-flag", "from-file"


def plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


class Built(Exception):
    """Raised where the command has its settings: the test stops it there."""

    def __init__(self, settings: ClientSettings) -> None:
        super().__init__("settings built")
        self.settings = settings


def settings_of(args: list[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ClientSettings:
    real = options_module.client_settings

    def stop_there(**flags: object) -> ClientSettings:
        raise Built(real(**flags))

    monkeypatch.setattr(options_module, "client_settings", stop_there)
    with monkeypatch.context() as scoped:
        for name in [name for name in os.environ if name.startswith("DICTATE_") and name != "DICTATE_CONFIG"]:
            scoped.delenv(name)
        for name, value in env.items():
            scoped.setenv(name, value)
        result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, Built), (result.output, result.exception)
    return result.exception.settings


def toml_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else repr(value).replace("'", '"')


@pytest.mark.parametrize("path", COMMANDS)
def test_each_setting_flag_beats_the_environment_which_beats_the_file(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = setting_options(path)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("DICTATE_CONFIG", str(config))
    positional = ["clip.wav"] if path == "transcribe" else []
    flags: list[str] = []
    expected_flag: dict[str, Any] = {}
    expected_file: dict[str, Any] = {}
    for option in options:
        arguments, flag_value, file_value = two_values(option)
        flags += arguments
        expected_flag[str(option.name)] = flag_value
        expected_file[str(option.name)] = file_value
    config.write_text("".join(f"{name} = {toml_value(value)}\n" for name, value in expected_file.items()))
    command = path.split()

    from_file = settings_of([*command, *positional], monkeypatch, {})
    assert {name: plain(getattr(from_file, name)) for name in expected_file} == expected_file
    from_flags = settings_of([*command, *positional, *flags], monkeypatch, {})
    assert {name: plain(getattr(from_flags, name)) for name in expected_flag} == expected_flag
    if options:  # the environment sits between: one variable stands for all of them
        name = str(options[0].name)
        variable = f"DICTATE_{name.upper()}"
        env_value = str(expected_flag[name]).lower()
        assert (
            plain(getattr(settings_of([*command, *positional], monkeypatch, {variable: env_value}), name))
            == (expected_flag[name])
        )
        flagged = settings_of([*command, *positional, *two_values(options[0])[0]], monkeypatch, {variable: "x"})
        assert plain(getattr(flagged, name)) == expected_flag[name]


def test_a_bad_value_of_a_new_setting_names_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dictate.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text("transcribe_speed = -1\n")
    monkeypatch.setenv("DICTATE_CONFIG", str(config))
    monkeypatch.delenv("DICTATE_TRANSCRIBE_SPEED", raising=False)
    with pytest.raises(ConfigError) as caught:
        ClientSettings()
    assert str(caught.value) == f"{config}: key transcribe_speed = -1: Input should be greater than or equal to 0"
