"""The shell of `dictate bench`: prepare streams, own the embedded server, run levels, build the report."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dictate.bench.channel import channel_label, clip_seed, through_channel
from dictate.bench.inputs import BenchClip, StreamAudio, collect_clips, padded
from dictate.bench.levels import concurrency_levels
from dictate.bench.machine import machine_info
from dictate.bench.memory import MemorySampler, find_child, per_session_bytes, tree_memory
from dictate.bench.metrics import Scorers, StreamRecord, score_stream, summarise
from dictate.bench.report import build_report, level_entry
from dictate.bench.runner import RunObservations, StreamJob, StreamOptions, run_level, run_stream
from dictate.bench.vad import SileroVad, find_speech
from dictate.bench.wer import clip_formatted_wer, clip_lost_words, clip_wer, corpus_formatted_wer, corpus_wer
from dictate.client.connection import http_base_url
from dictate.config import DEFAULT_MAX_SESSIONS
from dictate.errors import ConfigError

logger = logging.getLogger(__name__)


# (concurrency, records, wall seconds, memory, the server's revising passes (accepted, rejected)) of one level
LevelRun = tuple[int, list[StreamRecord], float, dict[str, Any] | None, tuple[int | None, int | None]]


@dataclass(frozen=True)
class BenchOptions:
    """Everything a stream run needs (built by the command from flags and DICTATE_* variables)."""

    inputs: list[Path] = field(default_factory=list)
    manifest: Path | None = None  # streamed when ``inputs`` is empty (ClientSettings.bench_manifest)
    server: str | None = None
    token: str | None = None
    model: str | None = None
    concurrency: int = 1
    sweep: bool = True
    repeat: int = 1
    leading_silence: float = 1.0
    trailing_silence: float = 3.0
    final_timeout: float = 30.0
    max_final_latency: float = 3.0
    include_derived: bool = False
    warmup: bool = True
    memory: bool = False
    server_pid: int | None = None
    server_args: list[str] = field(default_factory=list)
    start_timeout: float = 180.0
    explicit_levels: tuple[int, ...] = ()  # run exactly these levels (overrides concurrency and sweep)
    pauses: float | None = None  # stream the thinking-pause variant of every clip (pauses of this many s)
    cache_dir: Path | None = None  # offline transcripts for --pauses (default: paused.default_cache_dir())
    formatted_offline: bool = False  # formatted WER against the offline text of each clip (implied by pauses)
    vocabulary: tuple[str, ...] = ()  # sent with every stream (--vocabulary FILE)
    noise_dbfs: float | None = None  # room noise under every stream, pauses and silences included (channel.py)
    telephone: bool = False  # every stream through a narrow-band telephone line (channel.py)
    metrics_url: str | None = None  # the server's /metrics (default: the --server's), for its revision counts

    @property
    def levels(self) -> list[int]:
        """The concurrency levels to run, ascending."""
        if self.explicit_levels:
            return sorted(set(self.explicit_levels))
        return concurrency_levels(self.concurrency) if self.sweep else [self.concurrency]


def prepare_jobs(
    clips: Sequence[BenchClip],
    leading: float,
    trailing: float,
    repeat: int,
    vad: SileroVad | None = None,
    noise_dbfs: float | None = None,
    telephone: bool = False,
) -> list[StreamJob]:
    """Read, pad, put through the channel (``--noise``, ``--telephone``) and locate the speech of every clip (VAD
    over exactly the PCM that will be sent)."""
    detector = vad or SileroVad()
    audios = []
    for clip in clips:
        pcm = through_channel(padded(clip.audio(), leading, trailing), noise_dbfs, telephone, clip_seed(clip.name))
        span = find_speech(pcm, detector)
        if span is None:
            logger.warning("no speech found in %s: its latencies cannot be measured", clip.path)
            audios.append((clip, StreamAudio(pcm, None, None)))
            continue
        audios.append((clip, StreamAudio(pcm, span.onset, span.end, tuple(end for _start, end in span.segments))))
    return [StreamJob(clip, audio, index) for index in range(repeat) for clip, audio in audios]


@contextmanager
def service(options: BenchOptions) -> Iterator[tuple[str, dict[str, Any], int | None]]:
    """(stream URL, server description, server pid or None): the given --server, or an embedded one."""
    if options.server:
        from dictate.client.connection import normalise_stream_url

        url = normalise_stream_url(options.server)
        yield url, {"url": url, "embedded": False}, options.server_pid
        return
    from dictate.client.embedded import EmbeddedServer

    args = list(options.server_args)
    if max(options.levels) > DEFAULT_MAX_SESSIONS and "--max-sessions" not in args:
        args += ["--max-sessions", str(max(options.levels))]
    with EmbeddedServer(model=options.model, extra_args=args, start_timeout=options.start_timeout) as server:
        pid = getattr(server, "pid", None) or find_child(["serve", "--port", str(server.port)])
        description = {"url": server.url, "embedded": True, "args": args, "readyz": server.ready_info}
        yield server.url, description, pid


async def _run_levels(
    jobs: list[StreamJob],
    stream_options: StreamOptions,
    options: BenchOptions,
    pid: int | None,
    on_done: Callable[[StreamRecord], None],
    metrics_url: str | None = None,
) -> tuple[dict[str, Any] | None, list[LevelRun]]:
    ready: dict[str, Any] | None = None
    if options.warmup and jobs:
        warm = RunObservations()
        shortest = min(jobs, key=lambda job: job.audio.seconds)
        record = await run_stream(shortest, stream_options, 1, warm)
        if record.failure:
            logger.warning("warm-up stream failed: %s", record.failure)
        ready = warm.ready
    levels = []
    for concurrency in options.levels:
        sampler = MemorySampler(pid) if pid is not None else None
        idle = tree_memory(pid)["rss_bytes"] if pid is not None else None
        if sampler is not None:
            sampler.start()
        started = time.monotonic()
        counted = await revision_counts(metrics_url, options.token)
        try:
            observations = await run_level(jobs, stream_options, concurrency, on_done)
        finally:  # the sampler's task never outlives its level
            memory = await sampler.stop() if sampler is not None else None
        wall = time.monotonic() - started
        after = await revision_counts(metrics_url, options.token)
        revisions = (_delta(counted[0], after[0]), _delta(counted[1], after[1]))
        if memory is not None:
            memory["idle_rss_bytes"] = idle
        ready = ready or observations.ready
        levels.append((concurrency, observations.records, wall, memory, revisions))
    return ready, levels


def _delta(before: int | None, after: int | None) -> int | None:
    return after - before if before is not None and after is not None else None


async def revision_counts(metrics_url: str | None, token: str | None) -> tuple[int | None, int | None]:
    """The server's revising passes so far, (accepted, rejected), from its /metrics; None where it does not say
    (an older server: it has no such counter; /metrics unreachable)."""
    if metrics_url is None:
        return None, None
    from dictate.bench.soak import parse_metrics, scrape_text

    text = await asyncio.to_thread(scrape_text, metrics_url, token)
    if text is None or "# TYPE dictate_revisions_total counter" not in text:
        return None, None
    values = parse_metrics(text)  # a label not used yet has no sample: 0
    return (
        int(values.get('dictate_revisions_total{result="accepted"}', 0)),
        int(values.get('dictate_revisions_total{result="rejected"}', 0)),
    )


def total_streams(options: BenchOptions, jobs: int) -> int:
    """How many streams a run makes (for the progress bar), warm-up excluded."""
    return sum(jobs * level for level in options.levels)


def bench_clips(options: BenchOptions) -> tuple[list[BenchClip], dict[str, Any] | None]:
    """The clips to run (their thinking-pause variants with ``--pauses``), and their offline texts and pauses."""
    clips = collect_clips(options.inputs, options.include_derived, options.manifest)
    plans = None
    if options.pauses is not None or options.formatted_offline:
        from dictate.bench.paused import offline_clips

        clips, plans = offline_clips(clips, options.pauses, options.cache_dir, options.model)
    channel = channel_label(options.noise_dbfs, options.telephone)
    if channel:
        clips = [replace(clip, variant=", ".join(filter(None, (clip.variant, channel)))) for clip in clips]
    return clips, plans


def through_the_channel(clips: Sequence[BenchClip], noise_dbfs: float | None, telephone: bool) -> list[BenchClip]:
    """`--floor` with `--noise`/`--telephone`: each clip's audio as the channel carries it (the same noise, by
    the clip's seed, as its stream run hears), so that the floor of a noisy or telephone run is that speech's."""
    if noise_dbfs is None and not telephone:
        return list(clips)
    return [
        replace(clip, pcm=through_channel(clip.audio(), noise_dbfs, telephone, clip_seed(clip.name))) for clip in clips
    ]


SCORERS = Scorers(wer=clip_wer, formatted_wer=clip_formatted_wer, lost_words=clip_lost_words)


def run_bench(
    options: BenchOptions,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[StreamRecord], None] | None = None,
) -> dict[str, Any]:
    """Run every level against the service and return the report (see report.build_report)."""
    if options.memory and options.server and options.server_pid is None:
        raise ConfigError("--memory needs the embedded server (no --server) or --server-pid PID")
    clips, pause_plans = bench_clips(options)
    jobs = prepare_jobs(
        clips,
        options.leading_silence,
        options.trailing_silence,
        options.repeat,
        noise_dbfs=options.noise_dbfs,
        telephone=options.telephone,
    )
    if on_start is not None:
        on_start(total_streams(options, len(jobs)))
    with service(options) as (url, server, pid):
        if options.memory and pid is None:
            raise ConfigError("--memory: cannot find the server process")
        stream_options = StreamOptions(
            url=url, token=options.token, final_timeout=options.final_timeout, vocabulary=options.vocabulary
        )
        metrics_url = options.metrics_url or f"{http_base_url(url)}/metrics"
        ready, raw_levels = asyncio.run(
            _run_levels(jobs, stream_options, options, pid if options.memory else None, on_done or _ignore, metrics_url)
        )
    server["ready"] = ready
    server["clock_shared"] = shares_our_clock(server)
    levels = []
    peaks: dict[int, int] = {}
    for concurrency, records, wall, memory, revisions in raw_levels:
        if not shares_our_clock(server):  # the server's wall-clock stamps cannot be set against ours
            records = [replace(record, end_sent_wall=None, wall_minus_monotonic=None) for record in records]
        results = [score_stream(record, SCORERS) for record in records]
        summary = summarise(results, concurrency, corpus_wer, options.max_final_latency, corpus_formatted_wer)
        summary = replace(summary, revisions_accepted=revisions[0], revisions_rejected=revisions[1])
        levels.append(level_entry(summary, results, wall, memory))
        if memory is not None and summary.failures == 0:  # a level whose streams failed says nothing of memory
            peaks[concurrency] = memory["peak_rss_bytes"]
    slope = per_session_bytes(peaks)
    memory_report = None
    if peaks:
        memory_report = {
            "method": "peak RSS of the server process tree (/proc) per failure-free level; per session = slope over N",
            "per_session_bytes": slope,
            "per_session_mb": slope / 2**20 if slope is not None else None,
            "peak_rss_bytes_by_concurrency": {str(n): peak for n, peak in sorted(peaks.items())},
        }
    settings = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in asdict(options).items()
        if key not in ("token", "inputs")
    }
    settings["inputs"] = [str(path) for path in options.inputs]
    settings["clips"] = [clip.name for clip in clips]
    settings["pause_plans"] = pause_plans
    settings["frame_ms"] = stream_options.frame_ms
    settings["levels"] = options.levels
    return build_report("stream", levels, machine_info(), server, settings, memory_report)


def run_soak_bench(
    options: BenchOptions,
    minutes: float,
    interval_s: float | None = None,
    metrics_url: str | None = None,
    on_done: Callable[[StreamRecord], None] | None = None,
    upload_loops: int = 0,
    settle_s: float = 0.0,
) -> dict[str, Any]:
    """`--soak MINUTES`: ``options.concurrency`` streams in a loop for ``minutes``, beside ``upload_loops`` loops
    posting the clips to /v1/audio/transcriptions; see soak.py."""
    from dictate.bench.soak import UploadPlan, default_interval, run_soak, soak_report
    from dictate.client.connection import http_base_url

    duration_s = minutes * 60
    interval = interval_s or default_interval(duration_s)
    options = replace(options, explicit_levels=(options.concurrency,))
    clips, _ = bench_clips(options)
    jobs = prepare_jobs(clips, options.leading_silence, options.trailing_silence, 1)
    with service(options) as (url, server, _pid):
        metrics = metrics_url or f"{http_base_url(url)}/metrics"
        stream_options = StreamOptions(url=url, token=options.token, final_timeout=options.final_timeout)

        files = [clip.path for clip in clips if clip.pcm is None]
        uploads = UploadPlan(f"{http_base_url(url)}/v1/audio/transcriptions", files, upload_loops)

        async def soak() -> tuple[list[tuple[float, StreamRecord]], list[Any], list[Any]]:
            if options.warmup and jobs:
                await run_stream(min(jobs, key=lambda job: job.audio.seconds), stream_options)
            return await run_soak(
                jobs,
                stream_options,
                options.concurrency,
                duration_s,
                metrics,
                min(15.0, interval / 2),
                on_done,
                uploads if upload_loops else None,
                settle_s,
            )

        records, samples, uploaded = asyncio.run(soak())
    if not shares_our_clock(server):
        records = [(at, replace(r, end_sent_wall=None, wall_minus_monotonic=None)) for at, r in records]
    settings = {
        "soak_minutes": minutes,
        "concurrency": options.concurrency,
        "upload_loops": upload_loops,
        "settle_s": settle_s,
        "metrics_url": metrics,
        "clips": [clip.name for clip in clips],
        "leading_silence": options.leading_silence,
        "trailing_silence": options.trailing_silence,
    }
    report = build_report("soak", [], machine_info(), server, settings)
    report["soak"] = soak_report(records, samples, interval, duration_s, lambda r: score_stream(r, SCORERS), uploaded)
    return report


def shares_our_clock(server: dict[str, Any]) -> bool:
    """Whether the server runs on this machine (embedded or on a loopback address), so its clock is ours."""
    host = urlsplit(str(server.get("url") or "")).hostname or ""
    return bool(server.get("embedded")) or host in ("localhost", "::1") or host.startswith("127.")


def _ignore(_record: StreamRecord) -> None:
    return None


def run_floor_bench(
    options: BenchOptions,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """`--floor`: every clip transcribed whole, offline, with the server's model and decoding settings."""
    from dictate.bench.floor import OfflineModel, floor_level, run_floor

    clips, pause_plans = bench_clips(options)
    clips = through_the_channel(clips, options.noise_dbfs, options.telephone)
    model = OfflineModel(options.model, options.vocabulary)  # the same prompt as a stream run's sessions
    if on_start is not None:
        on_start(len(clips) * options.repeat)
    started = time.monotonic()
    results = run_floor(model, clips, options.repeat, on_done)
    level = floor_level(results, time.monotonic() - started)
    server = {"url": None, "embedded": False, "offline": True, "ready": model.describe()}
    settings = {
        "inputs": [str(path) for path in options.inputs],
        "clips": [clip.name for clip in clips],
        "repeat": options.repeat,
        "model": options.model,
        "include_derived": options.include_derived,
        "pauses": options.pauses,
        "formatted_offline": options.formatted_offline,
        "vocabulary": list(options.vocabulary),
        "pause_plans": pause_plans,
        "noise_dbfs": options.noise_dbfs,
        "telephone": options.telephone,
    }
    return build_report("floor", [level], machine_info(), server, settings)
