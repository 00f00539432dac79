"""``qanneal tune FILE``: calibrate penalty weights, and optionally write them back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml
from rich.table import Table

from qanneal.cli import cli
from qanneal.cli.common import console, extra_flags, parse_assignments, write_json
from qanneal.errors import InputError
from qanneal.io import atomic_write_text
from qanneal.penalties import (
    Calibration,
    calibrate,
    fixed_labels,
    group_labels,
    round_weight,
    set_penalties_block,
)
from qanneal.registry import DEFAULT_BACKEND
from qanneal.spec import YAML_SUFFIXES, load_problem


@cli.command("tune", context_settings={"ignore_unknown_options": True,
                                        "allow_extra_args": True})
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--problem", "problem_type", metavar="TYPE",
              help="Problem type of a data file (e.g. tsp for a .tsp file).")
@click.option("--format", "fmt", metavar="FORMAT", help="Data file format, if not from the extension.")
@click.option("-b", "--backend", metavar="NAME",
              help="BQM backend to calibrate for (default: the file's first, else sa).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for a reproducible calibration.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Wall-clock budget of each round's solve.")
@click.option("--max-rounds", type=click.IntRange(min=1), default=10, show_default=True,
              help="Most solve rounds.")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Total time for all rounds.")
@click.option("--all", "retune", is_flag=True,
              help="Also retune weights the file fixes to numbers (starting from them).")
@click.option("--write", is_flag=True, help="Write the tuned weights into FILE's penalties:.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Problem build option (repeatable), e.g. --set k=5.")
@click.option("-o", "--option", "backend_opts", multiple=True, metavar="KEY=VALUE",
              help="Backend option (repeatable), e.g. -o num_reads=200.")
@click.option("--json", "json_out", metavar="OUT", help="Write the calibration as JSON ('-' = stdout).")
@click.pass_context
def tune_command(ctx: click.Context, file: str, problem_type: str | None, fmt: str | None,
                 backend: str | None, seed: int | None, time_limit: float | None,
                 max_rounds: int, time_budget: float | None, retune: bool, write: bool,
                 sets: tuple[str, ...], backend_opts: tuple[str, ...],
                 json_out: str | None) -> None:
    """Calibrate FILE's penalty weights in a closed loop and show every round.

    Tunes the constraints whose weight is not fixed to a number (all of them with
    --all), one weight per constraint group. With --write the weights go into FILE's
    `penalties:` mapping, by group; the rest of the file is left as it was. Ctrl-C
    stops the calibration: the rounds so far are shown and nothing is written.
    """
    path = Path(file)
    if write and path.suffix.lower() not in YAML_SUFFIXES:
        raise InputError("--write needs a YAML problem file (weights go in its penalties:)",
                         file=path)
    build_options = {**extra_flags(ctx.args), **parse_assignments(sets, "--set")}
    spec = load_problem(path, problem_type, format=fmt, options=build_options or None)
    problem = spec.problem
    name = backend or next(iter(spec.backends), DEFAULT_BACKEND)
    options: dict[str, Any] = dict(spec.backends.get(name, {}))
    options.update(parse_assignments(backend_opts, "--option"))
    labels = [str(label) for label in problem.cqm.constraints]
    if not labels:
        raise InputError("the problem has no constraints, so no penalties to tune", file=path)
    # Only what the file itself fixes counts as fixed: a problem type's own default
    # weights are a starting guess like any other, and calibration starts from the bound.
    file_spec = _file_spec(path)
    fixed = set(fixed_labels(file_spec, labels))
    tune = labels if retune else [label for label in labels if label not in fixed]
    if not tune:
        raise InputError("every penalty weight is fixed to a number in the file; use --all "
                         "to retune them", file=path, field="penalties")
    current = problem.penalty_weights()
    start = {label: current[label] for label in tune if label in fixed}
    cal = calibrate(problem, name, tune=tune, start=start or None,
                    seed=seed if seed is not None else spec.seed,
                    time_limit=time_limit if time_limit is not None else spec.time_limit,
                    max_rounds=max_rounds, time_budget=time_budget, **options)
    written = None
    if write and not cal.interrupted:  # only a finished calibration goes into the file
        weights = _file_penalties(file_spec, cal, labels)
        text = path.read_text(encoding="utf-8")
        comment = (f"tuned by `qanneal tune` ({name}, {len(cal.trace)} rounds, "
                   f"best round {cal.best_round})")
        atomic_write_text(path, set_penalties_block(text, weights, comment), allow_inputs=True)
        written = weights
    if json_out:
        write_json({"backend": name, **cal.summary(), "weights": cal.weights,
                    "trace": cal.trace, "written": written}, json_out)
    if json_out != "-":
        print_calibration(cal, name)
        if written is not None:
            console().print(f"wrote penalties to {path}: "
                            + ", ".join(f"{k}: {v}" for k, v in written.items()), markup=False)
    if cal.interrupted:  # Ctrl-C/SIGTERM: the rounds so far are shown above, then 130
        console(stderr=True).print(
            "interrupted: the rounds so far are shown above"
            + ("; penalties not written (the calibration did not finish)" if write else ""),
            markup=False)
        raise SystemExit(130)


def _file_spec(path: Path) -> Any:
    """The ``penalties:`` a YAML problem file gives itself (None for data files)."""
    if path.suffix.lower() not in YAML_SUFFIXES:
        return None
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))  # already validated by load
    return doc.get("penalties") if isinstance(doc, Mapping) else None


def _file_penalties(spec: Any, cal: Calibration, labels: list[str]) -> dict[str, Any]:
    """The new ``penalties:`` mapping: the file's own entries that were not tuned, then
    one rounded weight per tuned group."""
    tuned = set(cal.group_weights)
    out: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        out.update({k: v for k, v in spec.items() if k not in tuned and k != "*"})
    untouched = [g for g in group_labels(labels) if g not in tuned and g not in out]
    if isinstance(spec, (int, float)) or (isinstance(spec, Mapping) and "*" in spec):
        star = spec if isinstance(spec, (int, float)) else spec["*"]
        out.update(dict.fromkeys(untouched, star))
    out.update({g: round_weight(w) for g, w in cal.group_weights.items()})
    return out


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def print_calibration(cal: Calibration, backend: str) -> None:
    """Every round as a table row, then the weights kept and why the loop stopped."""
    out = console()
    table = Table(title=f"penalty calibration ({backend})", header_style="bold")
    for col in ("round", "weights", "feasible", "best objective", "violated (by group)"):
        table.add_column(col, overflow="fold")
    for t in cal.trace:
        weights = ", ".join(f"{g}={_w(w)}" for g, w in t["weights"].items())
        rates = ", ".join(f"{g} {r:.0%}" for g, r in t["violation_rates"].items() if r)
        mark = " *" if t["round"] == cal.best_round else ""
        phase = " (scale)" if t.get("phase") == "scale" else ""
        table.add_row(f"{t['round']}{phase}{mark}", weights, f"{t['feasible_rate']:.0%}",
                      _num(t["best_objective"]), rates or "-")
    out.print(table)
    if not cal.trace:
        out.print(f"stopped: {cal.stopped} before any round finished")
        return
    out.print(f"kept round {cal.best_round} (*); stopped: {cal.stopped}; "
              f"{cal.num_samples} samples in {cal.seconds:.2f} s")
    out.print("weights: " + ", ".join(f"{g}={_w(w)}" for g, w in cal.group_weights.items()),
              markup=False)


def _w(w: Any) -> str:
    if isinstance(w, list):
        return f"{w[0]:.4g}..{w[1]:.4g}"
    return f"{w:.4g}"
