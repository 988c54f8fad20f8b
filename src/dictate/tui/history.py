"""History of final utterances: a small SQLite database under the user's data directory.

The dashboard writes it; `dictate history` reads it while the dashboard runs. The database is in WAL mode
(set by the writer, and persistent in the file), so readers see a consistent snapshot and never block the
writer, and the writer never blocks them.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dictate.errors import ConfigError

HISTORY_FILE = "history.sqlite3"
BUSY_TIMEOUT_MS = 5000  # a writer waits this long for another writer (or a checkpoint) instead of failing
_COLUMNS = "SELECT id, created_at, text, latency_ms FROM utterances"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS utterances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    text TEXT NOT NULL,
    latency_ms REAL
);
CREATE INDEX IF NOT EXISTS utterances_created ON utterances(created_at);
"""


def default_history_path() -> Path:
    """<user data dir>/dictate/history.sqlite3 (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("dictate", appauthor=False)) / HISTORY_FILE


@dataclass(frozen=True)
class HistoryEntry:
    """One final utterance."""

    id: int
    created_at: float  # epoch seconds
    text: str
    latency_ms: float | None


class History:
    """Final utterances, newest first. Opened by the app on mount, closed on unmount."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the history database {path}: {exc}") from exc

    def add(self, text: str, latency_ms: float | None = None, created_at: float | None = None) -> HistoryEntry:
        """Store one utterance and return it."""
        when = time.time() if created_at is None else created_at
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO utterances (created_at, text, latency_ms) VALUES (?, ?, ?)",
                (when, text, latency_ms),
            )
        return HistoryEntry(int(cursor.lastrowid or 0), when, text, latency_ms)

    def remove(self, entry_ids: list[int]) -> None:
        """Delete entries (the finals a revising final replaced)."""
        with self._db:
            self._db.executemany("DELETE FROM utterances WHERE id = ?", [(entry_id,) for entry_id in entry_ids])

    def recent(self, limit: int = 200, search: str = "") -> list[HistoryEntry]:
        """The newest ``limit`` entries, newest first, whose text contains ``search`` (case-insensitive)."""
        return query_entries(self._db, search=search, limit=limit)

    def get(self, entry_id: int) -> HistoryEntry | None:
        """One entry by id."""
        row = self._db.execute(f"{_COLUMNS} WHERE id = ?", (entry_id,)).fetchone()
        return None if row is None else _entry(row)

    def close(self) -> None:
        """Close the database. Idempotent."""
        self._db.close()


def query_entries(
    db: sqlite3.Connection, search: str = "", since: float | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """Entries whose text contains ``search`` (case-insensitive), created at or after ``since`` (epoch s),
    the newest ``limit`` of them (None: all), newest first."""
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.execute(
        f"{_COLUMNS} WHERE text LIKE ? ESCAPE '\\' AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?",
        (pattern, since if since is not None else float("-inf"), -1 if limit is None else limit),
    ).fetchall()
    return [_entry(row) for row in rows]


def read_history(
    path: Path, search: str = "", since: float | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """Read entries from the history database while the dashboard may be writing it (see ``query_entries``).

    The connection is read-only (the file is never created or changed) and its one query reads a snapshot: in
    WAL mode the dashboard goes on writing meanwhile. No file yet: no entries."""
    if not path.is_file():
        return []
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open the history database {path}: {exc}") from exc
    try:
        return query_entries(db, search=search, since=since, limit=limit)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"cannot read the history database {path}: {exc}") from exc
    finally:
        db.close()


def _entry(row: Any) -> HistoryEntry:
    return HistoryEntry(int(row[0]), float(row[1]), str(row[2]), None if row[3] is None else float(row[3]))


__all__ = ["History", "HistoryEntry", "default_history_path", "query_entries", "read_history"]
