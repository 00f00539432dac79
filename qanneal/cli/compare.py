"""``qanneal compare FILE...``: every backend on every problem, repeatedly, side by side."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from qanneal.cli import cli
from qanneal.cli.common import FiniteFloat, console, extra_flags, parse_assignments
from qanneal.compare import CompareInterrupted, compare
from qanneal.compare.api import Comparison
from qanneal.errors import InputError
from qanneal.validation import MAX_SECONDS


def _backend_options(pairs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``-o sa.num_reads=100`` -> ``{"sa": {"num_reads": 100}}``."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in parse_assignments(pairs, "--option").items():
        backend, dot, name = key.partition(".")
        if not dot or not backend or not name:
            raise InputError(f"expected BACKEND.KEY=VALUE (e.g. sa.num_reads=100), got {key!r}",
                             field="--option")
        out.setdefault(backend, {})[name] = value
    return out


def _target(value: str) -> str | float:
    try:
        return float(value)
    except ValueError:
        return value


@cli.command("compare", context_settings={"ignore_unknown_options": True,
                                           "allow_extra_args": True})
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-b", "--backends", metavar="A,B,...",
              help="Backends to compare (default: those the files name, else sa).")
@click.option("-n", "--repeats", type=click.IntRange(min=1), default=5, show_default=True,
              help="Runs per problem and backend, each with its own seed.")
@click.option("--time-budget", type=FiniteFloat(min=0, min_open=True, max=MAX_SECONDS),
              metavar="S",
              help="Equal wall-clock budget per run for every backend (annealers restart "
                   "until it is spent; the MILP gets it as its limit).")
@click.option("--target", default="auto", show_default=True, metavar="VALUE|best-known|best-found",
              help="What counts as success: a number, the files' known_optimum, or the best "
                   "verified answer of any run (auto: best-known where known, else best-found).")
@click.option("--rtol", type=FiniteFloat(min=0), default=1e-9, show_default=True,
              help="Relative tolerance for reaching the target.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write runs.csv/jsonl, summary.csv/json, PNG plots and report.html here.")
@click.option("--executor", default="local", show_default=True,
              metavar="local|serial|dask|tcp://HOST:PORT",
              help="Process pool, in-process, Dask LocalCluster, or an existing Dask scheduler.")
@click.option("-j", "--workers", type=click.IntRange(min=1), metavar="N",
              help="Parallel runs (default: the cores available).")
@click.option("--seed", type=click.IntRange(min=0), help="Comparison seed (runs derive theirs).")
@click.option("--run-timeout", type=FiniteFloat(min=0, min_open=True, max=MAX_SECONDS),
              metavar="S",
              help="Stop a run after S seconds (default: time limit plus grace, if any).")
@click.option("--grace", type=FiniteFloat(min=0, max=MAX_SECONDS), metavar="S",
              help="Seconds a run may exceed its time limit before it is stopped "
                   "(default 10 + the limit).")
@click.option("--problem", "problem_type", metavar="TYPE",
              help="Problem type of data files (e.g. maxcut for .rud files).")
@click.option("--format", "fmt", metavar="FORMAT", help="Data file format, if not from the extension.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Problem build option (repeatable).")
@click.option("-o", "--option", "backend_opts", multiple=True, metavar="BACKEND.KEY=VALUE",
              help="Backend option (repeatable), e.g. -o sa.num_reads=200.")
@click.option("--penalty", type=FiniteFloat(min=0, min_open=True),
              help="One penalty weight for every constraint (default: derived per constraint).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: when stderr is a terminal and CI is not set).")
@click.option("--early-stop/--no-early-stop", default=True, show_default=True,
              help="Stop a run once a verified answer reaches the target, when the target "
                   "is a proven optimum (the files' known_optimum, or one a MILP run proved).")
@click.pass_context
def compare_command(ctx: click.Context, files: tuple[str, ...], backends: str | None,
                    repeats: int, time_budget: float | None, target: str, rtol: float,
                    out_dir: str | None, executor: str, workers: int | None, seed: int | None,
                    run_timeout: float | None, grace: float | None, problem_type: str | None,
                    fmt: str | None, sets: tuple[str, ...], backend_opts: tuple[str, ...],
                    penalty: float | None, progress: bool | None, early_stop: bool) -> None:
    """Compare backends on FILE... (problem files, or data files with --problem).

    Every problem is solved by every backend --repeats times; the table shows the best,
    median and worst verified objective, feasibility, success probability p_s, median
    time to target (when a verified answer first reached it), TTS99, mean solve time
    per run and the gap to the target. Ctrl-C keeps what finished.
    """
    build_options = {**extra_flags(ctx.args), **parse_assignments(sets, "--set")}
    try:
        comparison = compare(
            list(files), backends, repeats=repeats, time_budget=time_budget,
            target=_target(target), rtol=rtol, seed=seed, out=out_dir, executor=executor,
            workers=workers, options=_backend_options(backend_opts), penalties=penalty,
            run_timeout=run_timeout, grace=grace, progress=progress,
            problem_type=problem_type, format=fmt, build_options=build_options or None,
            early_stop=early_stop)
    except CompareInterrupted as exc:
        _print(exc.comparison, out_dir)
        raise click.exceptions.Exit(130) from None
    _print(comparison, out_dir)


def _print(comparison: Comparison, out_dir: str | None) -> None:
    out, err = console(), console(stderr=True)
    if not out.is_terminal:  # a log or a pipe: no terminal width to fit, keep cells whole
        out = Console(file=out.file, highlight=False, width=180)  # the scrubbing stream
    out.print(comparison.table())
    if comparison.interrupted:
        err.print("[bold red]interrupted[/]")
    missing = comparison.missing_text()
    if missing:
        err.print(missing, markup=False)
    if out_dir and comparison.write_error is None:
        names = ", ".join(sorted(comparison.files))
        err.print(f"wrote {out_dir}: {names}", markup=False)
    if comparison.write_error is not None:  # after the table: the runs are not lost
        err.print(f"error: {comparison.write_error}", markup=False)
        raise click.exceptions.Exit(2)
