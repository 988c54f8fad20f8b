"""`dictate bench` command group. Keep this module light: heavy imports go inside the functions.

`dictate bench FILES|manifest.tsv OPTIONS` runs the benchmark (the `run` command is the default);
`dictate bench compare A.json B.json` puts two runs side by side.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from dictate.help_style import PlainHelpGroup, plain_words
from dictate.options import ServerOption, TokenOption, VocabularyOption

DEFAULT_OUT_DIR = Path("bench-out")


class BenchGroup(PlainHelpGroup):
    """Sends anything that is not a subcommand (files, options, nothing) to the default `run` command."""

    default_command = "run"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click or typer's vendored click
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """`dictate bench --help` is the main form's help (`dictate bench [OPTIONS] [FILES]...`, every run
        option); its text names the `compare` subcommand."""
        run = self.commands[self.default_command]
        plain_words(run, ctx)
        run.format_help(ctx, formatter)


bench_app = typer.Typer(
    cls=BenchGroup,
    help="Measure latency and accuracy of a dictate service: `dictate bench FILES|manifest.tsv OPTIONS`, "
    "`dictate bench compare A.json B.json`.",
)


def _default_out(kind: str) -> Path:
    return DEFAULT_OUT_DIR / f"{kind}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"


@bench_app.command("run")
def run_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Audio files and/or manifest.tsv files (default: ../shared/audio/manifest.tsv)."),
    ] = None,
    server: ServerOption = None,
    token: TokenOption = None,
    model: Annotated[str | None, typer.Option(help="Model of the embedded server, or of --floor.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Streams at once (the sweep goes 1, 2, 4... N).")] = 1,
    sweep: Annotated[bool, typer.Option(help="Run every level 1, 2, 4... up to --concurrency, or only N.")] = True,
    levels: Annotated[
        str | None, typer.Option(help="Exact concurrency levels, comma-separated (e.g. 1,4): no sweep.")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Stream every clip this many times (per stream worker).")] = 1,
    out: Annotated[Path | None, typer.Option(help="The run JSON (default: bench-out/KIND-TIME.json).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Draw latency CDFs into this PNG.")] = None,
    floor: Annotated[
        bool,
        typer.Option("--floor", help="Transcribe the clips whole, offline, with the server's model: the floor."),
    ] = False,
    memory: Annotated[
        bool,
        typer.Option("--memory", help="Sample the server's RSS per level (embedded server, or --server-pid)."),
    ] = False,
    server_pid: Annotated[int | None, typer.Option(help="Pid of a --server on this machine, for --memory.")] = None,
    server_arg: Annotated[
        list[str] | None, typer.Option(help="Extra flag for the embedded `dictate serve` (repeatable).")
    ] = None,
    leading_silence: Annotated[float, typer.Option(min=0, help="Seconds of silence before each clip.")] = 1.0,
    trailing_silence: Annotated[float, typer.Option(min=0, help="Seconds of silence after each clip.")] = 3.0,
    max_final_latency: Annotated[
        float,
        typer.Option(help="A stream keeps up in real time if its final comes within this many s of end of speech."),
    ] = 3.0,
    final_timeout: Annotated[float, typer.Option(help="Seconds to wait for the server after the end message.")] = 30.0,
    include_derived: Annotated[
        bool, typer.Option(help="Keep manifest rows marked DERIVED (e.g. the 52 s concatenation).")
    ] = False,
    warmup: Annotated[bool, typer.Option(help="Stream the shortest clip once, unmeasured, before measuring.")] = True,
    pauses: Annotated[
        float | None,
        typer.Option(
            min=0.05,
            help="Stream each clip's thinking-pause variant: this many s of silence inside every sentence of 6+ "
            "words (needs the server extra: word timestamps of the server's model, cached).",
        ),
    ] = None,
    noise: Annotated[
        float | None,
        typer.Option(
            max=0,
            help="Room noise (pink) at this RMS level in dBFS under every stream: before the speech, in its pauses "
            "and under it (e.g. -50). With --floor, under each clip the offline pass hears.",
        ),
    ] = None,
    telephone: Annotated[
        bool,
        typer.Option(
            "--telephone",
            help="Stream every clip as a telephone line carries it (8 kHz, 300-3400 Hz); with --floor, the offline "
            "pass hears it so.",
        ),
    ] = False,
    bench_cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Cache of offline transcripts for --pauses [DICTATE_BENCH_CACHE_DIR; ~/.cache/dictate/bench].",
        ),
    ] = None,
    soak: Annotated[
        float | None,
        typer.Option(
            min=0.05,
            help="Soak: stream the clips in a loop for this many minutes, --concurrency at once; report per "
            "interval latency, errors and the server's RSS/threads/fds, and a drift verdict.",
        ),
    ] = None,
    upload_loops: Annotated[
        int,
        typer.Option(
            min=0,
            help="Soak: this many clients posting the clips to /v1/audio/transcriptions in a loop beside the "
            "streams (uploads done/refused/failed per interval).",
        ),
    ] = 0,
    settle: Annotated[
        float,
        typer.Option(
            min=0,
            help="Soak: after the last stream, wait this many seconds and read the server's RSS again (what it "
            "gives back once idle).",
        ),
    ] = 0.0,
    interval: Annotated[
        float | None, typer.Option(min=1, help="Soak report interval in s (default: 60, or a fifth of a short soak).")
    ] = None,
    bench_metrics_url: Annotated[
        str | None,
        typer.Option(
            "--metrics-url",
            help="The server's /metrics, for --soak and the revision counts (default: the --server's; set it for "
            "--metrics-port) "
            "[DICTATE_BENCH_METRICS_URL].",
        ),
    ] = None,
    formatted_offline: Annotated[
        bool,
        typer.Option(
            "--formatted-offline",
            help="Score the formatted WER of every clip against its offline text by the server's model, not "
            "the reference (always so with --pauses; needs the server extra).",
        ),
    ] = False,
    vocabulary: VocabularyOption = None,
) -> None:
    """Stream clips at real-time pace (1 s silence, clip, trailing silence) and measure latency and WER.

    Also: `dictate bench compare A.json B.json` puts two runs side by side (see `dictate bench compare --help`).
    """
    from dictate.bench.run import BenchOptions
    from dictate.options import client_settings
    from dictate.vocabulary import load_vocabulary

    settings = client_settings(
        server=server,
        token=token,
        model=model,
        vocabulary=vocabulary,
        bench_cache_dir=bench_cache_dir,
        bench_metrics_url=bench_metrics_url,
    )
    options = BenchOptions(
        inputs=list(files or []),
        manifest=settings.bench_manifest,
        server=settings.server,
        token=settings.token.get_secret_value() if settings.token else None,
        model=settings.model,
        concurrency=concurrency,
        sweep=sweep,
        repeat=repeat,
        leading_silence=leading_silence,
        trailing_silence=trailing_silence,
        final_timeout=final_timeout,
        max_final_latency=max_final_latency,
        include_derived=include_derived,
        warmup=warmup,
        memory=memory,
        server_pid=server_pid,
        server_args=list(server_arg or []),
        start_timeout=settings.embedded_start_timeout,
        explicit_levels=_parse_levels(levels),
        pauses=pauses,
        cache_dir=settings.bench_cache_dir,
        formatted_offline=formatted_offline,
        vocabulary=load_vocabulary(settings.vocabulary),
        noise_dbfs=noise,
        telephone=telephone,
        metrics_url=settings.bench_metrics_url,
    )
    if soak is not None:
        _soak(options, soak, interval, settings.bench_metrics_url, out or _default_out("soak"), upload_loops, settle)
        return
    report = _run_with_progress(options, floor)
    _finish(report, out or _default_out("floor" if floor else "stream"), plot)


def _soak(
    options: Any,
    minutes: float,
    interval: float | None,
    metrics_url: str | None,
    out: Path,
    upload_loops: int = 0,
    settle: float = 0.0,
) -> None:
    from rich.console import Console

    from dictate.bench.report import write_report
    from dictate.bench.run import run_soak_bench
    from dictate.bench.soak import soak_table

    streams = failures = 0

    def on_done(record: Any) -> None:
        nonlocal streams, failures
        streams += 1
        failures += 1 if record.failure else 0

    console = Console(stderr=True)
    with console.status(f"soaking for {minutes:g} min at N={options.concurrency}..."):
        report = run_soak_bench(options, minutes, interval, metrics_url, on_done, upload_loops, settle)
    write_report(report, out)
    Console().print(soak_table(report))
    Console().print(report["soak"]["verdict"]["summary"], markup=False, highlight=False)
    soaked = report["soak"]
    if upload_loops:
        Console().print(f"uploads: {soaked['uploads']}", markup=False, highlight=False)
    if settle:
        start, last, settled = (soaked["rss_mb_start"], soaked["rss_mb_after_last"], soaked["rss_mb_settled"])
        Console().print(f"RSS MB: start {start:.0f}, after the last stream {last:.0f}, {settle:g} s on {settled:.0f}")
    Console().print(f"wrote {out}")


def _parse_levels(text: str | None) -> tuple[int, ...]:
    from dictate.errors import ConfigError

    if not text:
        return ()
    try:
        levels = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"--levels takes integers like 1,2,4, got {text!r}") from exc
    if not levels or min(levels) < 1:
        raise ConfigError(f"--levels takes integers of at least 1, got {text!r}")
    return levels


def _run_with_progress(options: Any, floor: bool) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dictate.bench.run import run_bench, run_floor_bench

    console = Console(stderr=True)
    failures = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("preparing", total=None)

        def on_start(total: int) -> None:
            label = "offline passes" if floor else "streams"
            progress.update(task, total=total, description=label)

        def on_done(record: Any) -> None:
            nonlocal failures
            if getattr(record, "failure", None):
                failures += 1
            suffix = f" ({failures} failed)" if failures else ""
            level = getattr(record, "concurrency", 1)
            progress.update(task, advance=1, description=f"{'floor' if floor else f'N={level}'}{suffix}")

        if floor:
            return run_floor_bench(options, on_start, on_done)
        return run_bench(options, on_start, on_done)


def _finish(report: dict[str, Any], out: Path, plot: Path | None) -> None:
    from rich.console import Console

    from dictate.bench.report import (
        every_stream_failed,
        failure_lines,
        length_table,
        lost_lines,
        summary_table,
        write_report,
    )
    from dictate.errors import ConnectionFailedError

    write_report(report, out)
    console = Console()
    console.print(summary_table(report))
    lengths = length_table(report)
    if lengths is not None:
        console.print(lengths)
    for line in lost_lines(report) + failure_lines(report):
        console.print(line, markup=False, highlight=False)
    console.print(f"wrote {out}")
    if plot is not None:
        from dictate.bench.plot import plot_report

        plot_report(report, plot)
        console.print(f"wrote {plot}")
    reason = every_stream_failed(report) if report.get("kind") == "stream" else None
    if reason is not None:
        raise ConnectionFailedError(f"every stream failed: {reason}")


@bench_app.command("compare")
def compare_command(
    first: Annotated[Path, typer.Argument(help="Run A (JSON from `dictate bench`).")],
    second: Annotated[Path, typer.Argument(help="Run B; ratios are B/A.")],
) -> None:
    """Two bench runs side by side, level by level, with B/A ratios (over the clips both runs have)."""
    from rich.console import Console

    from dictate.bench.compare import comparable
    from dictate.bench.report import compare_table, load_report

    a, b, warnings = comparable(load_report(first), load_report(second))
    for warning in warnings:
        Console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}")
    Console().print(compare_table(a, b, first.stem, second.stem))
