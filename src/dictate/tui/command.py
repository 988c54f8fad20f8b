"""`dictate tui` command definition. Keep this module light: import Textual and friends inside the function."""

from __future__ import annotations

import typer


def tui_command() -> None:
    """Open the dictation dashboard (placeholder: being built)."""
    raise typer.Exit(1)
