"""The settings surface (issue 17 item 6, issue 20 item 6): every server setting is declared once and appears
exactly once in `dictate serve --help` or on docs/tuning.md, and once in the docs' tables; one help style; no
Python type names in any --help."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dictate.cli import app
from dictate.settings_help import MARKERS, env_name, flag_name, generated_tables, operator_settings, tuning_dials

DOCS = Path(__file__).resolve().parents[2] / "docs"
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}


def _help(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


def _generated(page: str, group: str) -> str:
    start, end = MARKERS[group]
    text = (DOCS / page).read_text(encoding="utf-8")
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_the_docs_tables_are_the_ones_the_declarations_make() -> None:
    """Run scripts/settings-tables.py after changing a setting."""
    tables = generated_tables()
    stale = "a setting changed: run `python scripts/settings-tables.py`"
    assert _generated("service.md", "operator") == tables["operator"], stale
    assert _generated("tuning.md", "tuning") == tables["tuning"], stale


def test_every_setting_appears_exactly_once_in_the_docs_and_the_help() -> None:
    serve_help = _help("serve")
    pages = {page: (DOCS / page).read_text(encoding="utf-8") for page in ("service.md", "tuning.md")}
    assert operator_settings() and len(tuning_dials()) >= 10
    for name, field in operator_settings().items():
        variable = env_name(name, field)
        assert len(re.findall(rf"{re.escape(flag_name(name))}(?![\w-])", serve_help)) == 1, name
        assert len(re.findall(rf"\[{variable}[;\]]", serve_help)) == 1, name
        assert pages["service.md"].count(f"| `{variable}` / `{flag_name(name)}` |") == 1, name
        assert f"`{variable}`" not in _generated("tuning.md", "tuning"), name
    for name, field in tuning_dials().items():
        variable = env_name(name, field)
        assert variable not in serve_help and flag_name(name) not in serve_help, name
        assert pages["tuning.md"].count(f"| `{variable}` |") == 1, name
        assert f"`{variable}`" not in _generated("service.md", "operator"), name  # its prose may name it
    assert "docs/tuning.md" in serve_help


@pytest.mark.parametrize("removed", ["DICTATE_END_OF_SPEECH_VAD", "DICTATE_EARLY_TRANSCRIPTION_MS"])
def test_the_dials_of_finished_experiments_are_gone(removed: str) -> None:
    from dictate.config import ServerSettings

    assert removed.removeprefix("DICTATE_").lower() not in ServerSettings.model_fields
    assert removed not in _generated("tuning.md", "tuning") and removed not in _help("serve")


def _commands() -> list[list[str]]:
    import typer

    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("path", _commands(), ids=lambda path: " ".join(path) or "dictate")
def test_one_help_style_and_no_python_type_names(path: list[str]) -> None:
    shown = _help(*path)
    assert not re.search(r"<(str|int|float|bool|path|list\[[^>]*\]|[a-z]+ range)>", shown), shown
    assert "(env DICTATE" not in shown and "env DICTATE_" not in shown
    for bracket in re.findall(r"\[(?:DICTATE|HF)_[^\]]*\]", shown):
        assert re.fullmatch(r"\[[A-Z_]+(; [^\]]+)?\]", bracket), bracket
