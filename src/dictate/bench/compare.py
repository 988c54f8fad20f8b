"""`dictate bench compare` over runs of different clip sets: only the clips both runs streamed are compared.

The per-clip figures of a run JSON are enough to summarise any subset of its clips again with the same
functions the run used (``metrics.summarise``, ``floor.summarise_floor``), so two runs over different clip
sets (a new clip in the manifest, a run on one file) are compared on the clips they share, with a warning.
Memory figures describe a whole level and are kept as they were measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from dictate.bench.floor import FloorResult, summarise_floor
from dictate.bench.metrics import FinalTiming, StreamResult, summarise
from dictate.bench.report import level_entry
from dictate.bench.wer import corpus_formatted_wer, corpus_wer

DEFAULT_MAX_FINAL_LATENCY = 3.0


def run_clips(report: Mapping[str, Any]) -> list[str]:
    """The clip names of a run, in first-seen order (from its streams; its settings for an empty run)."""
    names: dict[str, None] = {}
    for level in report.get("levels", []):
        for stream in level.get("streams", []):
            names.setdefault(stream["clip"], None)
    if not names:
        names = dict.fromkeys(report.get("settings", {}).get("clips") or [])
    return list(names)


def run_variants(report: Mapping[str, Any]) -> set[str]:
    """The clip variants a run streamed ("" : the files as they are; e.g. "pauses 1 s")."""
    return {stream.get("variant", "") for level in report.get("levels", []) for stream in level.get("streams", [])}


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def stream_result(data: Mapping[str, Any]) -> StreamResult:
    """A StreamResult back from its JSON (fields a newer or older bench wrote are ignored or defaulted)."""
    values = _known(StreamResult, data)
    values["final_timings"] = tuple(FinalTiming(**_known(FinalTiming, t)) for t in data.get("final_timings") or ())
    values["lost_runs"] = tuple(data.get("lost_runs") or ())
    values["interim_gaps"] = tuple(data.get("interim_gaps") or ())
    return StreamResult(**values)


def restrict_level(
    level: Mapping[str, Any], clips: Sequence[str], kind: str, max_final_latency: float
) -> dict[str, Any]:
    """The level with only the streams of ``clips``, and its summary computed again over them."""
    keep = set(clips)
    streams = [stream for stream in level.get("streams", []) if stream["clip"] in keep]
    if kind == "floor":
        from dataclasses import asdict

        results = [FloorResult(**_known(FloorResult, s)) for s in streams]
        return {**level, "summary": asdict(summarise_floor(results)), "streams": streams}
    stream_results = [stream_result(s) for s in streams]
    summary = summarise(stream_results, int(level["concurrency"]), corpus_wer, max_final_latency, corpus_formatted_wer)
    return level_entry(summary, streams, float(level.get("wall_seconds", 0.0)), level.get("memory"))


def restrict(report: Mapping[str, Any], clips: Sequence[str]) -> dict[str, Any]:
    """The run with only the streams of ``clips``, every level summarised again."""
    limit = report.get("settings", {}).get("max_final_latency") or DEFAULT_MAX_FINAL_LATENCY
    levels = [restrict_level(level, clips, report["kind"], float(limit)) for level in report["levels"]]
    return {**report, "levels": levels}


def comparable(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Both runs over the clips they share, and warnings (clip sets or variants differ; nothing shared)."""
    clips_a, clips_b = run_clips(a), run_clips(b)
    warnings = []
    variants_a, variants_b = run_variants(a), run_variants(b)
    if variants_a != variants_b:
        described = [", ".join(sorted(v or "as recorded" for v in vs)) or "none" for vs in (variants_a, variants_b)]
        warnings.append(f"the runs streamed different variants of the clips: A {described[0]}, B {described[1]}")
    vocabulary_a, vocabulary_b = (list(r.get("settings", {}).get("vocabulary") or []) for r in (a, b))
    if vocabulary_a != vocabulary_b:
        described = [f"{len(v)} entries" if v else "none" for v in (vocabulary_a, vocabulary_b)]
        warnings.append(f"the runs used different vocabularies (--vocabulary): A {described[0]}, B {described[1]}")
    if set(clips_a) == set(clips_b):
        return dict(a), dict(b), warnings
    common = [name for name in clips_a if name in set(clips_b)]
    only_a = [name for name in clips_a if name not in set(clips_b)]
    only_b = [name for name in clips_b if name not in set(clips_a)]
    if not common:
        warnings.append("the runs share no clip: their figures are not comparable (compared as they are)")
        return dict(a), dict(b), warnings
    warnings.append(
        f"the runs streamed different clips: comparing only the {len(common)} both have "
        f"(left out: {_names(only_a)} only in A; {_names(only_b)} only in B)"
    )
    return restrict(a, common), restrict(b, common), warnings


def _names(names: Sequence[str], shown: int = 4) -> str:
    if not names:
        return "none"
    listed = ", ".join(names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")
