"""The `dictate` command. Builds settings from flags + DICTATE_* env vars; imports server, TUI and bench lazily."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from dictate import __version__
from dictate.bench.command import bench_app
from dictate.config_command import config_app
from dictate.errors import AudioError, DictateError, ExitCode
from dictate.help_style import PlainHelpGroup
from dictate.history_command import history_command
from dictate.options import EmbeddedModelOption, ServerOption, TokenOption, VocabularyOption
from dictate.serve_command import EPILOG as SERVE_EPILOG
from dictate.serve_command import serve
from dictate.tui.command import tui_command
from dictate.tui.control import ControlCommand

app = typer.Typer(
    cls=PlainHelpGroup,
    name="dictate",
    help="Streaming speech-to-text: a WebSocket service, a dictation dashboard, and a benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("tui")(tui_command)
app.add_typer(bench_app, name="bench")
app.add_typer(config_app, name="config")
app.command("history")(history_command)
app.command("serve", epilog=SERVE_EPILOG)(serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dictate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """dictate: speak, and the words are typed where your cursor is."""


@app.command()
def transcribe(
    files: Annotated[list[Path], typer.Argument(help="Audio files (WAV, FLAC... any rate and channels).")],
    server: ServerOption = None,
    token: TokenOption = None,
    model: EmbeddedModelOption = None,
    transcribe_speed: Annotated[
        float | None,
        typer.Option(
            "--speed",
            help="Streaming speed, x real time. The server times silence by the wall clock: speeds above 1 "
            "can merge or drop utterances; 0 sends as fast as possible [DICTATE_TRANSCRIBE_SPEED; 1].",
        ),
    ] = None,
    show_interim: Annotated[
        bool | None,
        typer.Option(
            "--interim/--no-interim", help="Show interim text in place (on a terminal) [DICTATE_SHOW_INTERIM; on]."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace/--no-replace",
            help="Apply the config file's \\[replace] table (word replacements) to the printed text.",
        ),
    ] = True,
    vocabulary: VocabularyOption = None,
) -> None:
    """Stream audio files to the service at real-time pace and print what it hears."""
    from dictate.options import client_settings
    from dictate.transcribe import run_transcribe

    settings = client_settings(
        server=server,
        token=token,
        model=model,
        vocabulary=vocabulary,
        transcribe_speed=transcribe_speed,
        show_interim=show_interim,
    )
    for path in files:
        if not path.is_file():
            raise AudioError(f"no such file: {path}")
    if not replace:
        settings = settings.model_copy(update={"replace": {}})
    run_transcribe(
        settings, files, speed=settings.transcribe_speed, show_interim=settings.show_interim and sys.stdout.isatty()
    )


@app.command()
def ctl(
    command: Annotated[
        ControlCommand,
        typer.Argument(
            help="toggle, on, off: as space; press, release: push-to-talk (bind a key's press and its release); "
            "status: print the dashboard's state as JSON.",
            show_default=False,
        ),
    ],
) -> None:
    """Drive the running dashboard from a compositor key binding (a per-user Unix socket; no network)."""
    from dictate.tui.control import run_ctl

    code = run_ctl(command)  # `dictate ctl COMMAND` itself comes here through entry.py, without this module
    if code:
        raise typer.Exit(code)


def main() -> None:
    """Console entry point: usage errors are typer's (exit 2); expected failures become one line and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except DictateError as exc:
        typer.echo(f"dictate: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.exit(int(ExitCode.INTERRUPTED))
