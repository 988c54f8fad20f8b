"""CLI options shared by the client commands (transcribe, tui, bench). Light: typer only."""

from __future__ import annotations

from typing import Annotated

import typer

ServerOption = Annotated[
    str | None,
    typer.Option(help="ws(s)://host:port/stream of a running service [DICTATE_SERVER]; default: start one embedded."),
]
TokenOption = Annotated[str | None, typer.Option(help="Shared secret [DICTATE_TOKEN].", show_default=False)]
EmbeddedModelOption = Annotated[str | None, typer.Option(help="Model of the embedded server [DICTATE_MODEL].")]
