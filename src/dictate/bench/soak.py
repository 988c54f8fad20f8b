"""`dictate bench --soak MINUTES`: stream the clips in a loop, N at a time, for a while, and watch for drift.

Per interval: streams, failures, error messages, final and first-interim latency percentiles, and the server's
RSS, threads and open fds read from its /metrics (prometheus-client's process collector). The verdict compares
the last interval with the first, and tells allocator warm-up (RSS levels off: its slope over the second half
of the run is small) from a leak (RSS still rising at the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dictate.bench.metrics import StreamRecord, StreamResult, score_stream
from dictate.bench.runner import StreamJob, StreamOptions, rotated, run_stream
from dictate.bench.uploads import UploadRecord, upload_loops, upload_summary

logger = logging.getLogger(__name__)

MB = 2**20
LATENCY_DRIFT_RATIO = 1.25  # last interval's final p50 over the first's: above this, latency drifted
RSS_LEVEL_MB_PER_MIN = 1.0  # RSS slope over the second half below this: levelled off (warm-up, not a leak)
THREADS_TOLERANCE = 2
FDS_TOLERANCE = 4


@dataclass(frozen=True)
class ProcessSample:
    """The server process at one moment: seconds since the soak started, and /metrics' process figures."""

    at: float
    rss_bytes: float | None
    threads: float | None
    open_fds: float | None


def parse_metrics(text: str) -> dict[str, float]:
    """Samples of a Prometheus text exposition: {name: value}, a labelled one as 'name{label="value"}'."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            continue
    return values


def process_sample(values: dict[str, float], at: float) -> ProcessSample:
    return ProcessSample(
        at,
        values.get("process_resident_memory_bytes"),
        values.get("dictate_process_threads"),
        values.get("process_open_fds"),
    )


def default_interval(duration_s: float) -> float:
    """Five intervals for a short soak, one a minute for a long one (at least 10 s)."""
    return max(10.0, min(60.0, duration_s / 5))


def _percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def interval_rows(
    results: Sequence[tuple[float, StreamResult]],
    samples: Sequence[ProcessSample],
    interval_s: float,
    duration_s: float,
    uploads: Sequence[UploadRecord] = (),
) -> list[dict[str, Any]]:
    """One row per interval (streams and uploads counted in the interval they finished in; late ones in the
    last)."""
    count = max(1, int(np.ceil(duration_s / interval_s - 1e-9)))
    rows = []
    for index in range(count):
        start, end = index * interval_s, min(duration_s, (index + 1) * interval_s)
        last = index == count - 1
        mine = [r for at, r in results if start <= at < end or (last and at >= end)]
        finals = [r.final_latency for r in mine if r.final_latency is not None and not r.failure]
        interims = [r.first_interim_latency for r in mine if r.first_interim_latency is not None and not r.failure]
        files = [u for u in uploads if start <= u.at < end or (last and u.at >= end)]
        at_end = [s for s in samples if s.at <= end + (interval_s if last else 0)]
        sample = at_end[-1] if at_end else None
        rows.append(
            {
                "start_s": start,
                "end_s": end,
                "streams": len(mine),
                "failures": sum(1 for r in mine if r.failure),
                "failure_reasons": sorted({r.failure for r in mine if r.failure}),
                "final_p50_s": _percentile(finals, 50),
                "final_p95_s": _percentile(finals, 95),
                "final_max_s": max(finals) if finals else None,
                "first_interim_p50_s": _percentile(interims, 50),
                "wer_mean": float(np.mean([r.wer for r in mine if r.wer is not None])) if mine else None,
                "rss_mb": sample.rss_bytes / MB if sample and sample.rss_bytes is not None else None,
                "threads": sample.threads if sample else None,
                "open_fds": sample.open_fds if sample else None,
                "uploads": upload_summary(files),
            }
        )
    return rows


def _slope_mb_per_min(samples: Sequence[ProcessSample]) -> float | None:
    points = [(s.at, s.rss_bytes) for s in samples if s.rss_bytes is not None]
    if len(points) < 3 or points[-1][0] - points[0][0] <= 0:
        return None
    at, rss = np.array(points).T
    return float(np.polyfit(at / 60.0, rss / MB, 1)[0])


def drift_verdict(rows: Sequence[dict[str, Any]], samples: Sequence[ProcessSample]) -> dict[str, Any]:
    """The last interval against the first, and whether RSS levelled off (second-half slope)."""
    measured = [row for row in rows if row["streams"]]
    first, last = (measured[0], measured[-1]) if measured else ({}, {})
    ratio = None
    if first.get("final_p50_s") and last.get("final_p50_s") is not None:
        ratio = last["final_p50_s"] / first["final_p50_s"]
    with_rss = [s for s in samples if s.rss_bytes is not None]
    half = with_rss[0].at + (with_rss[-1].at - with_rss[0].at) / 2 if with_rss else 0.0
    first_half = _slope_mb_per_min([s for s in with_rss if s.at <= half])
    second_half = _slope_mb_per_min([s for s in with_rss if s.at >= half])

    def delta(key: str) -> float | None:
        if first.get(key) is None or last.get(key) is None:
            return None
        return float(last[key] - first[key])

    findings = []
    if ratio is not None and ratio > LATENCY_DRIFT_RATIO:
        findings.append(f"final latency p50 rose {ratio:.2f}x")
    for key, tolerance in (("threads", THREADS_TOLERANCE), ("open_fds", FDS_TOLERANCE)):
        change = delta(key)
        if change is not None and change > tolerance:
            findings.append(f"{key.replace('_', ' ')} grew by {change:.0f}")
    failures = sum(row["failures"] for row in rows)
    if failures:
        findings.append(f"{failures} failed stream(s)")
    failed_uploads = sum(row.get("uploads", {}).get("failed", 0) for row in rows)
    if failed_uploads:
        findings.append(f"{failed_uploads} failed upload(s)")
    if second_half is None:
        memory = "too few samples to judge memory"
    elif second_half < RSS_LEVEL_MB_PER_MIN:
        memory = f"RSS levels off ({second_half:+.2f} MB/min over the second half): allocator warm-up, not a leak"
    else:
        memory = f"RSS still rising ({second_half:+.2f} MB/min over the second half): possible leak"
        findings.append("RSS still rising")
    return {
        "stable": not findings,
        "summary": ("stable" if not findings else "drift: " + "; ".join(findings)) + f". {memory}",
        "final_p50_ratio_last_first": ratio,
        "rss_mb_first": first.get("rss_mb"),
        "rss_mb_last": last.get("rss_mb"),
        "rss_slope_mb_per_min_first_half": first_half,
        "rss_slope_mb_per_min_second_half": second_half,
        "threads_delta": delta("threads"),
        "open_fds_delta": delta("open_fds"),
        "failures": failures,
        "failed_uploads": failed_uploads,
    }


def scrape(metrics_url: str, token: str | None) -> dict[str, float]:
    """GET /metrics once (blocking); {} when it cannot be read."""
    text = scrape_text(metrics_url, token)
    return parse_metrics(text) if text is not None else {}


def scrape_text(metrics_url: str, token: str | None) -> str | None:
    """GET /metrics once (blocking): its text, or None when it cannot be read."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(metrics_url, headers=headers), timeout=5) as response:
            return str(response.read().decode("utf-8", errors="replace"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("cannot read %s: %s", metrics_url, exc)
        return None


async def run_soak(
    jobs: Sequence[StreamJob],
    options: StreamOptions,
    concurrency: int,
    duration_s: float,
    metrics_url: str,
    sample_every_s: float,
    on_done: Callable[[StreamRecord], None] | None = None,
    uploads: UploadPlan | None = None,
    settle_s: float = 0.0,
) -> tuple[list[tuple[float, StreamRecord]], list[ProcessSample], list[UploadRecord]]:
    """``concurrency`` workers stream ``jobs`` in a loop until ``duration_s`` has passed (a stream under way
    finishes), beside ``uploads.loops`` upload loops when given; a sampler reads /metrics every
    ``sample_every_s``; once all is done, a last sample at once and, with ``settle_s``, another that many seconds
    later (what the idle server gives back). Returns (finish time, record), samples and the uploads."""
    started = time.monotonic()
    records: list[tuple[float, StreamRecord]] = []
    uploaded: list[UploadRecord] = []
    samples: list[ProcessSample] = []
    finished = asyncio.Event()

    async def sample() -> None:
        values = await asyncio.to_thread(scrape, metrics_url, options.token)
        samples.append(process_sample(values, time.monotonic() - started))

    async def sampler() -> None:
        while not finished.is_set():
            await sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), sample_every_s)

    async def worker(index: int) -> None:
        order = rotated(jobs, index, concurrency)
        turn = 0
        while time.monotonic() - started < duration_s and order:
            record = await run_stream(order[turn % len(order)], options, concurrency)
            records.append((time.monotonic() - started, record))
            if on_done is not None:
                on_done(record)
            turn += 1

    async def uploader() -> None:
        if uploads is not None:
            until = started + duration_s
            uploaded.extend(
                await upload_loops(uploads.url, options.token, uploads.files, uploads.loops, started, until)
            )

    async with asyncio.TaskGroup() as group:
        sampling = group.create_task(sampler())
        async with asyncio.TaskGroup() as workers:
            for index in range(concurrency):
                workers.create_task(worker(index))
            workers.create_task(uploader())
        finished.set()
        await sampling
    await sample()  # after the last stream: what the server keeps once idle
    if settle_s > 0:
        await asyncio.sleep(settle_s)
        await sample()
    return records, samples, uploaded


@dataclass(frozen=True)
class UploadPlan:
    """Upload loops beside the soak's streams: ``loops`` clients posting ``files`` to ``url``."""

    url: str
    files: Sequence[Any]
    loops: int


def soak_report(
    records: Sequence[tuple[float, StreamRecord]],
    samples: Sequence[ProcessSample],
    interval_s: float,
    duration_s: float,
    score: Callable[[StreamRecord], StreamResult] = score_stream,
    uploads: Sequence[UploadRecord] = (),
) -> dict[str, Any]:
    """Intervals, samples, uploads and the verdict (the JSON's ``soak`` section)."""
    results = [(at, score(record)) for at, record in records]
    rows = interval_rows(results, samples, interval_s, duration_s, uploads)
    finals = [r.final_latency for _at, r in results if r.final_latency is not None and not r.failure]
    return {
        "duration_s": duration_s,
        "interval_s": interval_s,
        "intervals": rows,
        "samples": [asdict(sample) for sample in samples],
        "final_p50_s": _percentile(finals, 50),
        "final_p95_s": _percentile(finals, 95),
        "uploads": upload_summary(uploads),
        "rss_mb_start": _rss_mb(samples[0]) if samples else None,
        "rss_mb_after_last": _rss_mb(samples[-2]) if len(samples) >= 2 else None,
        "rss_mb_settled": _rss_mb(samples[-1]) if samples else None,
        "verdict": drift_verdict(rows, samples),
    }


def _rss_mb(sample: ProcessSample) -> float | None:
    return sample.rss_bytes / MB if sample.rss_bytes is not None else None


def soak_table(report: dict[str, Any]) -> Any:
    """The intervals as a Rich table."""
    from rich.table import Table

    def show(value: Any, unit: str = "", digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}{unit}"

    soak = report["soak"]
    table = Table(title=f"soak: {soak['duration_s'] / 60:g} min at N={report['settings']['concurrency']}")
    for name in ("min", "n", "fail", "p50", "p95", "max", "int", "WER", "RSS", "thr", "fds", "up"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in soak["intervals"]:
        table.add_row(
            f"{row['start_s'] / 60:g}-{row['end_s'] / 60:g}",
            str(row["streams"]),
            str(row["failures"]),
            show(row["final_p50_s"]),
            show(row["final_p95_s"]),
            show(row["final_max_s"]),
            show(row["first_interim_p50_s"]),
            show(row["wer_mean"]),
            show(row["rss_mb"], "", 0),
            show(row["threads"], "", 0),
            show(row["open_fds"], "", 0),
            "{done}/{refused}/{failed}".format(**row.get("uploads", {"done": 0, "refused": 0, "failed": 0})),
        )
    table.caption = (
        "n streams; p50/p95/max: final latency (s); int: first interim p50 (s); server RSS (MB), threads, "
        "fds at the interval's end; up: uploads done/refused (429/503)/failed"
    )
    return table
