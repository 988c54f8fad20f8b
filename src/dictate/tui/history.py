"""History of final utterances: a small SQLite database under the user's data directory."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from dictate.errors import ConfigError

HISTORY_FILE = "history.sqlite3"

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
            self._db = sqlite3.connect(str(path))
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

    def recent(self, limit: int = 200, search: str = "") -> list[HistoryEntry]:
        """The newest ``limit`` entries, newest first, whose text contains ``search`` (case-insensitive)."""
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT id, created_at, text, latency_ms FROM utterances WHERE text LIKE ? ESCAPE '\\' "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return [HistoryEntry(int(r[0]), float(r[1]), str(r[2]), r[3]) for r in rows]

    def get(self, entry_id: int) -> HistoryEntry | None:
        """One entry by id."""
        row = self._db.execute(
            "SELECT id, created_at, text, latency_ms FROM utterances WHERE id = ?", (entry_id,)
        ).fetchone()
        return None if row is None else HistoryEntry(int(row[0]), float(row[1]), str(row[2]), row[3])

    def close(self) -> None:
        """Close the database. Idempotent."""
        self._db.close()


__all__ = ["History", "HistoryEntry", "default_history_path"]
