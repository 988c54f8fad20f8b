"""`dictate bench` command group. Keep this module light: heavy imports go inside the functions."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Measure latency and accuracy of a dictate service (placeholder: being built).")


@bench_app.callback(invoke_without_command=True)
def bench() -> None:
    """Benchmark (placeholder)."""
