"""CLI options shared by the client commands (transcribe, tui, bench), and the one way they become settings.
Light: typer only (the settings model is imported when a command runs).

A client option that is a setting is named after its ``ClientSettings`` field (the Python parameter; the flag may
read otherwise, e.g. ``--history`` for ``history_path``) and defaults to None, meaning "not given": then the
``DICTATE_*`` variable, the config file or the default decides. ``tests/unit/test_cli_settings.py`` checks both
for every option of `dictate tui`, `transcribe`, `bench` and `history`, less those it lists as command-line only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from dictate.config import ClientSettings

ServerOption = Annotated[
    str | None,
    typer.Option(help="ws(s)://host:port/stream of a running service; unset: start one embedded [DICTATE_SERVER]."),
]
TokenOption = Annotated[str | None, typer.Option(help="Shared secret [DICTATE_TOKEN].", show_default=False)]
EmbeddedModelOption = Annotated[str | None, typer.Option(help="Model of the embedded server [DICTATE_MODEL].")]
VocabularyOption = Annotated[
    Path | None,
    typer.Option(
        help="Words file, one word or phrase per line: the server favours them in every session [DICTATE_VOCABULARY]."
    ),
]
HistoryPathOption = Annotated[
    Path | None, typer.Option("--history", help="History database file [DICTATE_HISTORY_PATH; user data dir].")
]


def given(**flags: object) -> dict[str, object]:
    """The flags the user gave (not None), to layer over DICTATE_* variables, the config file and the defaults."""
    return {name: value for name, value in flags.items() if value is not None}


def client_settings(**flags: object) -> ClientSettings:
    """The client settings: these flags (None: not given) > DICTATE_* environment > config file > defaults."""
    from dictate.config import ClientSettings

    return ClientSettings(**given(**flags))  # type: ignore[arg-type]


__all__ = [
    "EmbeddedModelOption",
    "HistoryPathOption",
    "ServerOption",
    "TokenOption",
    "VocabularyOption",
    "client_settings",
    "given",
]
