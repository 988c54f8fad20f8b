"""The documentation: every relative link and #anchor in README.md and docs/ resolves; the README stays short
and keeps the test command CI runs."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("**/*.md")])
FIRST_SCREEN_LINES = 80


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (not `-` or `_`), spaces to hyphens."""
    text = heading.strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return text.replace(" ", "-")


def _inline_text(token: Token) -> str:
    return "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))


def parse(page: Path) -> tuple[set[str], list[str]]:
    """The page's heading anchors (GitHub numbers repeated ones: x, x-1, x-2) and its link/image targets."""
    tokens = MarkdownIt("commonmark").enable("table").parse(page.read_text(encoding="utf-8"))
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    targets: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            base = slug(_inline_text(tokens[i + 1]))
            count = seen.get(base, 0)
            anchors.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
        for child in token.children or []:
            if child.type == "link_open":
                targets.append(str(child.attrs["href"]))
            elif child.type == "image":
                targets.append(str(child.attrs["src"]))
    return anchors, targets


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in parse(page)[1]:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue  # external: not checked (no network in CI)
        path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not path.exists():
            problems.append(f"{target}: no such file")
        elif parts.fragment:
            if path.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif parts.fragment not in parse(path)[0]:
                problems.append(f"{target}: no heading with that anchor in {path.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_checker_catches_a_missing_file_and_a_missing_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## `dictate serve`: the service\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#dictate-serve-the-service) [ok](#page) [gone](missing.md) "
        "[bad anchor](other.md#nowhere) [web](https://example.com/x.md)\n\n![pic](nope.svg)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading with that anchor in other.md",
        "nope.svg: no such file",
    ]


def test_slug_matches_github() -> None:
    assert slug("`dictate serve`: the service") == "dictate-serve-the-service"
    assert slug("Soak: `--soak MINUTES`") == "soak---soak-minutes"
    assert slug("Install the service") == "install-the-service"


def test_readme_first_screen_says_what_it_is_and_links_every_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first_screen = "\n".join(lines[:FIRST_SCREEN_LINES])
    for must in ("## A five-minute tour", "## Documentation", "docs/tui.svg"):
        assert must in first_screen, f"{must!r} should be on the README's first screen"
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in first_screen, f"the README's table of contents lacks docs/{page.name}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^(scripts/setup\.sh --dev && scripts/test\.sh)\s", readme, re.MULTILINE)
    assert command is not None, "the README's second command line changed"
    ci_steps = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.startswith("scripts/")]
    assert " && ".join(ci_steps) == command.group(1)


def test_the_whole_readme_is_one_screen() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= FIRST_SCREEN_LINES, f"README.md is {len(lines)} lines: move detail to a docs/ page"


def test_readme_shows_the_desktop_bindings_for_dictate_ctl() -> None:
    # issue 19 item 2: the hotkey on Wayland is a key bound in the desktop; the README shows sway, Hyprland, GNOME
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for binding in (
        "bindsym Super+Shift+d exec dictate ctl toggle",
        "bind = SUPER SHIFT, D, exec, dictate ctl toggle",
        "Custom Shortcuts",
    ):
        assert binding in readme
    dashboard = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    for binding in ("bindsym --release F9 exec dictate ctl release", "bindr = , F9, exec, dictate ctl release"):
        assert binding in dashboard, "docs/dashboard.md shows push-to-talk bindings"
