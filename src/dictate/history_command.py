"""`dictate history`: list and export the dashboard's saved utterances. Light: typer and sqlite3 only.

Parsing --since and the three output formats are pure functions; the command only reads the database
(read-only, safe while the dashboard writes it: see tui/history.py).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Annotated

import typer

from dictate.errors import ConfigError
from dictate.options import HistoryPathOption
from dictate.tui.history import HistoryEntry

_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime) -> float:
    """Epoch seconds of ``text``: a date (local midnight), a date and time (local unless it has an offset),
    'today', 'yesterday', or an age before ``now`` like 30m, 2h, 7d, 1w."""
    value = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if value == "today":
        return midnight.timestamp()
    if value == "yesterday":
        return (midnight - timedelta(days=1)).timestamp()
    age = _AGE.match(value)
    if age:
        return now.timestamp() - float(age.group(1)) * _AGE_UNITS[age.group(2)]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()  # naive = local time
    except ValueError:
        raise ConfigError(
            f"--since {text!r}: use a date (2026-11-25), a date and time (2026-11-25T09:30), today, "
            "yesterday, or an age like 30m, 2h, 7d"
        ) from None


def _local(entry: HistoryEntry) -> datetime:
    return datetime.fromtimestamp(entry.created_at).astimezone()


def format_text(entries: list[HistoryEntry]) -> str:
    """One line per utterance: local date and time, then the text."""
    return "".join(f"{_local(e):%Y-%m-%d %H:%M:%S}  {e.text}\n" for e in entries)


def format_json(entries: list[HistoryEntry]) -> str:
    """A JSON array: id, ISO 8601 time with offset, epoch seconds, text, end-of-speech-to-final latency."""
    rows = [
        {
            "id": e.id,
            "time": _local(e).isoformat(timespec="seconds"),
            "created_at": e.created_at,
            "text": e.text,
            "latency_ms": e.latency_ms,
        }
        for e in entries
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def format_markdown(entries: list[HistoryEntry]) -> str:
    """A heading per day, a bullet per utterance with its time."""
    lines = ["# Dictation history"]
    day = None
    for entry in entries:
        when = _local(entry)
        if when.date() != day:
            day = when.date()
            lines += ["", f"## {day.isoformat()}", ""]
        lines.append(f"- {when:%H:%M:%S} {entry.text}")
    return "\n".join(lines) + "\n"


def history_command(
    search: Annotated[str, typer.Option(help="Only utterances containing this text (any case).")] = "",
    since: Annotated[
        str | None,
        typer.Option(help="Only utterances since: 2026-11-25, 2026-11-25T09:30, today, yesterday, 30m, 2h, 7d."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the newest N (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    as_markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown, a heading per day.")] = False,
    history_path: HistoryPathOption = None,
) -> None:
    """List or export the dashboard's saved utterances, oldest first (safe while the dashboard runs)."""
    from dictate.options import client_settings
    from dictate.tui.history import default_history_path, read_history

    if as_json and as_markdown:
        raise ConfigError("choose one of --json and --markdown")
    start = None if since is None else parse_since(since, datetime.now().astimezone())
    settings = client_settings(history_path=history_path)
    path = settings.history_path or default_history_path()
    if not path.is_file():
        typer.echo(f"dictate: no history yet: {path} does not exist (the dashboard creates it)", err=True)
    entries = read_history(path, search=search, since=start, limit=limit)[::-1]
    formatter = format_json if as_json else format_markdown if as_markdown else format_text
    typer.echo(formatter(entries), nl=False)


__all__ = ["format_json", "format_markdown", "format_text", "history_command", "parse_since"]
