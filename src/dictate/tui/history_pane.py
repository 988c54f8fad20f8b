"""The dashboard's history box: a search field over the table of past utterances, newest first."""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from dictate.tui import view
from dictate.tui.history import History

HISTORY_ROWS = 200


class HistoryPane(Vertical):
    """Shows ``history`` (set by the app once it is open); searching filters it, and a row can be copied."""

    def __init__(self) -> None:
        super().__init__(id="history-box")
        self.border_title = "History"
        self.history: History | None = None
        self._entry_ids: dict[int, int] = {}  # this session's utterance ids -> their history entries

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search the history (/)", id="search")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        table.add_column("time", width=10, key="time")
        table.add_column("text", key="text")

    def new_session(self) -> None:
        """A new connection: utterance ids start again."""
        self._entry_ids.clear()

    def record_final(self, utterance_id: int, text: str, latency_ms: float | None, revises: Sequence[int]) -> None:
        """Store a final text and show it; a revising final replaces the entries of the finals it revises."""
        if self.history is None:
            return
        self.history.remove([self._entry_ids.pop(i) for i in revises if i in self._entry_ids])
        if text:
            self._entry_ids[utterance_id] = self.history.add(text, latency_ms).id
        if text or revises:
            self.refresh_rows()

    def refresh_rows(self) -> None:
        """Reload the table (newest first, filtered by the search box). Not once the app is shutting down: a final
        that arrives then is stored, but the table is gone (see ``DictateApp._render``)."""
        if self.history is None or not self.app.is_running:
            return
        search = self.query_one("#search", Input).value.strip()
        table = self.query_one("#history", DataTable)
        table.clear()
        now = time.time()
        for entry in self.history.recent(HISTORY_ROWS, search):
            table.add_row(view.history_time(entry.created_at, now), entry.text, key=str(entry.id))

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#history", DataTable).focus()

    def copy_selected(self) -> None:
        """Copy the selected entry to the clipboard."""
        table = self.query_one("#history", DataTable)
        if table.row_count == 0 or self.history is None:
            return
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        entry = self.history.get(int(str(row_key.value)))
        if entry is not None:
            self.app.copy_to_clipboard(entry.text)
            self.app.notify(f"Copied {len(entry.text)} characters to the clipboard")

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self.refresh_rows()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one("#history", DataTable).focus()
