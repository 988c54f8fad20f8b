#!/usr/bin/env python
"""benchmark.md item 33, offline: the revising finals of earlier bench runs, sent as the revising pass wrote them
or with the words it kept written as the earlier final had them (``revisions.keep_typed_form``), and with only
the last LAST words of the earlier final taken from the revising pass as well; formatted WER against the
clips' formatted references, and the characters a dashboard would backspace per 100 of the final text.

    .venv/bin/python docs/bench/typed-form-offline.py docs/bench/*-{pauses,phone,noise}*.json

Only streams with two finals, the second revising the first, and a formatted reference are scored.
"""

from __future__ import annotations

import json
import sys
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from dictate.bench.wer import corpus_formatted_wer
from dictate.server.live.revisions import keep_typed_form, words_of

LAST = 3


def revised_tail(earlier: str, revised: str, kept: str) -> str:
    """``kept``, with the revising pass's form for the words it shares with the last ``LAST`` of ``earlier``."""
    before, after, out = earlier.split(), revised.split(), kept.split()
    keys = [" ".join(words_of(token)) for token in before], [" ".join(words_of(token)) for token in after]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, *keys, autojunk=False).get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if i >= len(before) - LAST and j < len(out):
                    out[j] = after[j]
    return " ".join(out)


def backspaced(typed: str, new: str) -> int:
    common = 0
    while common < min(len(typed), len(new)) and typed[common] == new[common]:
        common += 1
    return len(typed) - common


def main() -> None:
    arms: dict[str, list[tuple[str, str, int]]] = {"as revised": [], "typed form": [], f"last {LAST} revised": []}
    for path in sys.argv[1:]:
        for stream in json.loads(Path(path).read_text())["levels"][0]["streams"]:
            finals, reference = stream.get("final_timings") or [], stream.get("formatted_reference") or ""
            if not reference or len(finals) != 2 or stream.get("revising_finals") != 1:
                continue
            first, revised = finals[0]["text"], finals[1]["text"]
            kept = keep_typed_form([first], revised)
            for arm, text in zip(arms, (revised, kept, revised_tail(first, revised, kept)), strict=True):
                arms[arm].append((reference, text, backspaced(first, text)))
    for arm, rows in arms.items():
        wer = corpus_formatted_wer([row[0] for row in rows], [row[1] for row in rows]) or 0.0
        per_100 = 100 * sum(row[2] for row in rows) / max(1, sum(len(row[1]) for row in rows))
        print(f"{arm:16} streams {len(rows)}  formatted WER {100 * wer:.1f} %  backspaced per 100 {per_100:.1f}")


if __name__ == "__main__":
    main()
