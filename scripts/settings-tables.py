"""Rewrite the generated settings tables of docs/service.md and docs/tuning.md from ServerSettings."""

from __future__ import annotations

from pathlib import Path

from dictate.settings_help import generated_tables, replace_generated

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = {"operator": DOCS / "service.md", "tuning": DOCS / "tuning.md"}

if __name__ == "__main__":
    for group, table in generated_tables().items():
        page = PAGES[group]
        page.write_text(replace_generated(page.read_text(encoding="utf-8"), group, table), encoding="utf-8")
        print(f"wrote {page}")
