"""`dictate history`: filters, formats, and reading while the dashboard writes (WAL: readers never block it)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dictate.errors import ConfigError
from dictate.history_command import format_markdown, format_text, parse_since
from dictate.tui.history import History, HistoryEntry, read_history

UTC_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def dictate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(
        [sys.executable, "-m", "dictate", "history", *args], capture_output=True, text=True, timeout=60, env=env
    )


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite3"
    history = History(path)
    day = UTC_NOON.timestamp()
    history.add("Ten of clubs.", 800.0, created_at=day - 2 * 86400)
    history.add("Ask not what your country can do for you.", 650.0, created_at=day - 3600)
    history.add("Four of clubs, please.", None, created_at=day)
    history.close()
    return path


def test_parse_since() -> None:
    now = UTC_NOON
    assert parse_since("2h", now) == now.timestamp() - 7200
    assert parse_since("7d", now) == (now - timedelta(days=7)).timestamp()
    assert parse_since("today", now) == datetime(2026, 11, 25, tzinfo=UTC).timestamp()
    assert parse_since("yesterday", now) == datetime(2026, 11, 24, tzinfo=UTC).timestamp()
    assert parse_since("2026-11-25T09:30+00:00", now) == datetime(2026, 11, 25, 9, 30, tzinfo=UTC).timestamp()
    with pytest.raises(ConfigError, match=r"^--since 'last week': use a date"):
        parse_since("last week", now)


def test_formats_are_chronological_with_day_headings() -> None:
    entries = [
        HistoryEntry(1, UTC_NOON.timestamp(), "one", None),
        HistoryEntry(2, UTC_NOON.timestamp() + 86400, "two", 1.0),
    ]
    assert format_text(entries).count("\n") == 2
    markdown = format_markdown(entries)
    assert markdown.startswith("# Dictation history\n")
    assert markdown.count("\n## ") == 2 and markdown.index(" one") < markdown.index(" two")


def test_cli_text_search_since(seeded: Path) -> None:
    result = dictate("--history", str(seeded))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2026-11-23 12:00:00  Ten of clubs.",
        "2026-11-25 11:00:00  Ask not what your country can do for you.",
        "2026-11-25 12:00:00  Four of clubs, please.",
    ]
    assert dictate("--history", str(seeded), "--search", "CLUBS", "--since", "2026-11-24").stdout.splitlines() == [
        "2026-11-25 12:00:00  Four of clubs, please."
    ]
    assert len(dictate("--history", str(seeded), "--limit", "2").stdout.splitlines()) == 2


def test_cli_json_and_markdown(seeded: Path) -> None:
    rows = json.loads(dictate("--history", str(seeded), "--json").stdout)
    assert [row["text"] for row in rows] == [
        "Ten of clubs.",
        "Ask not what your country can do for you.",
        "Four of clubs, please.",
    ]
    assert rows[1] == {
        "id": 2,
        "time": "2026-11-25T11:00:00+00:00",
        "created_at": UTC_NOON.timestamp() - 3600,
        "text": "Ask not what your country can do for you.",
        "latency_ms": 650.0,
    }
    markdown = dictate("--history", str(seeded), "--markdown", "--search", "clubs").stdout
    assert markdown == (
        "# Dictation history\n\n## 2026-11-23\n\n- 12:00:00 Ten of clubs.\n\n"
        "## 2026-11-25\n\n- 12:00:00 Four of clubs, please.\n"
    )
    both = dictate("--history", str(seeded), "--json", "--markdown")
    assert both.returncode == 2 and both.stderr == "dictate: choose one of --json and --markdown\n"


def test_no_history_yet_is_empty_not_an_error(tmp_path: Path) -> None:
    result = dictate("--history", str(tmp_path / "none.sqlite3"), "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    assert "no history yet" in result.stderr
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates it


def test_a_reader_holding_a_snapshot_does_not_block_the_dashboard(tmp_path: Path) -> None:
    """WAL: with a read transaction open, the writer commits at once (in rollback-journal mode it would wait for
    the reader's lock, then fail with 'database is locked')."""
    history = History(tmp_path / "h.sqlite3")
    history.add("before")
    reader = sqlite3.connect(f"{(tmp_path / 'h.sqlite3').as_uri()}?mode=ro", uri=True, timeout=0)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM utterances").fetchone() == (1,)
    history._db.execute("PRAGMA busy_timeout = 0")  # fail at once instead of waiting
    history.add("while a reader holds its snapshot")
    assert reader.execute("SELECT count(*) FROM utterances").fetchone() == (1,)  # its snapshot
    reader.execute("COMMIT")
    assert [e.text for e in read_history(tmp_path / "h.sqlite3")] == ["while a reader holds its snapshot", "before"]
    reader.close()
    history.close()


def test_cli_reads_while_the_dashboard_writes(tmp_path: Path) -> None:
    """A writer adds an utterance every few ms (as the dashboard does, with the same class) while `dictate
    history --json` runs again and again: no writer error, each read is a consistent prefix, and all arrive."""
    path = tmp_path / "h.sqlite3"
    stop = threading.Event()
    started = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:  # the History (a sqlite3 connection) lives in its thread, as in the dashboard
        history = History(path)
        history._db.execute("PRAGMA busy_timeout = 0")  # a blocked writer fails instead of waiting
        try:
            while not stop.is_set():
                written.append(history.add(f"utterance {len(written) + 1}").id)
                started.set()
                time.sleep(0.002)
        except BaseException as exc:
            errors.append(exc)
        finally:
            started.set()
            history.close()

    writer = threading.Thread(target=write)
    writer.start()
    started.wait(10)
    try:
        counts = []
        for _ in range(4):
            result = dictate("--history", str(path), "--json")
            assert result.returncode == 0, result.stderr
            ids = [row["id"] for row in json.loads(result.stdout)]
            assert ids == list(range(1, len(ids) + 1))  # oldest first, nothing missing in between
            counts.append(len(ids))
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert counts == sorted(counts) and counts[-1] > 0
    assert len(read_history(path)) == len(written)
