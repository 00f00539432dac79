"""``qanneal solve FILE``: solve one problem file (or data file) and print the verified answer."""

from __future__ import annotations

import math
from typing import Any

import click
from rich.markup import escape

from qanneal.cli import cli
from qanneal.cli.common import (
    FiniteFloat,
    console,
    load_from_command_line,
    parse_assignments,
    write_json,
)
from qanneal.errors import InputError, SolveInterrupted, escape_controls, printable
from qanneal.registry import DEFAULT_BACKEND
from qanneal.result import Result
from qanneal.solve import solve
from qanneal.spec import load_problem
from qanneal.validation import MAX_SECONDS


@cli.command("solve", context_settings={"ignore_unknown_options": True,
                                         "allow_extra_args": True})
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--problem", "problem_type", metavar="TYPE",
              help="Problem type of a data file (e.g. maxcut for a .rud file).")
@click.option("--format", "fmt", metavar="FORMAT", help="Data file format, if not from the extension.")
@click.option("-b", "--backend", metavar="NAME",
              help="Backend to use (default: the file's first backend, else sa).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for a reproducible run.")
@click.option("--time-limit", type=FiniteFloat(min=0, min_open=True, max=MAX_SECONDS),
              metavar="S",
              help="Wall-clock budget in seconds.")
@click.option("--json", "json_out", metavar="OUT", help="Write the result as JSON ('-' = stdout).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Problem build option (repeatable), e.g. --set k=5.")
@click.option("-o", "--option", "backend_opts", multiple=True, metavar="KEY=VALUE",
              help="Backend option (repeatable), e.g. -o num_reads=200.")
@click.option("--penalty", type=FiniteFloat(min=0, min_open=True),
              help="One penalty weight for every constraint (default: derived per constraint).")
@click.option("--penalty-mode", type=click.Choice(["default", "auto", "dimod"]),
              help="Penalty weights: the static bound (default), calibrated in a closed "
                   "loop (auto), or dimod's default multiplier (dimod).")
@click.option("--inequalities", type=click.Choice(["slack", "unbalanced", "auto"]),
              help="How inequalities become penalties: slack variables (dimod), unbalanced "
                   "penalisation (no slack), or auto (unbalanced where the slack would need "
                   "5+ bits); default: the file's inequalities:, else auto.")
@click.option("--replay", "replay_json", metavar="RESULT_JSON",
              type=click.Path(dir_okay=False),
              help="Rerun the run recorded in a --json result and say if it reproduced.")
@click.option("--sweep", "sweep_spec", metavar="NAME=a:b:n",
              help="Solve once per value of a build option (a:b:n evenly spaced, or v1,v2,...).")
@click.option("--plot", "plot_out", metavar="PNG",
              help="With --sweep: plot the results (portfolio: the efficient frontier).")
@click.option("--gantt", "gantt_out", metavar="PNG",
              help="Scheduling problems: draw the schedule as a Gantt chart.")
@click.option("--polish/--no-polish", default=False,
              help="Steepest-descent polish of annealer samples.")
@click.option("--repair/--no-repair", default=False,
              help="Repair infeasible answers (problem-aware), reported separately.")
@click.pass_context
def solve_command(ctx: click.Context, file: str | None, problem_type: str | None, fmt: str | None, backend: str | None,
                  seed: int | None, time_limit: float | None, json_out: str | None,
                  sets: tuple[str, ...], backend_opts: tuple[str, ...], penalty: float | None,
                  penalty_mode: str | None, inequalities: str | None, replay_json: str | None,
                  sweep_spec: str | None, plot_out: str | None, gantt_out: str | None,
                  polish: bool, repair: bool) -> None:
    """Solve FILE (a problem file, or a data file with --problem) and print the answer.

    Problem build options can also be given as flags: `--k 5` is `--set k=5`.
    `--replay RESULT_JSON` reruns a recorded run instead (FILE, if given, is the
    run's problem file: needed when it lies outside the result's folder).
    """
    if replay_json is not None:
        # FILE with --replay: the run's problem file, named here (a result file alone
        # may only point inside its own folder: it may come from anyone).
        _replay(replay_json, json_out, file)
        return
    if file is None:
        raise click.UsageError("give a problem FILE to solve, or --replay RESULT_JSON")
    if penalty is not None and penalty_mode is not None:
        raise click.UsageError("give --penalty or --penalty-mode, not both")
    # Reading and building count against the time limit (a sweep's own builds do not:
    # this first load only checks the file).
    spec, build_options = load_from_command_line(ctx, file, problem_type, fmt, sets,
                                                 time_limit=None if sweep_spec
                                                 else time_limit, timed=not sweep_spec)
    if inequalities is not None:
        if sweep_spec:
            raise click.UsageError("--inequalities does not go with --sweep; put "
                                   "inequalities: in the problem file")
        spec.problem.inequalities = inequalities
    name = backend or next(iter(spec.backends), DEFAULT_BACKEND)
    options: dict[str, Any] = dict(spec.backends.get(name, {}))
    options.update(parse_assignments(backend_opts, "--option"))
    if plot_out and not sweep_spec:
        raise click.UsageError("--plot goes with --sweep (use --gantt for a schedule)")
    if sweep_spec:
        _sweep(file, problem_type, sweep_spec, name, build_options, json_out, plot_out,
               seed=seed if seed is not None else spec.seed,
               time_limit=time_limit if time_limit is not None else spec.time_limit,
               penalties=penalty if penalty is not None else penalty_mode,
               polish_samples=polish, repair=repair, **options)
        return
    try:
        result = solve(spec.problem, name,
                       seed=seed if seed is not None else spec.seed,
                       time_limit=time_limit if time_limit is not None else spec.time_limit,
                       penalties=penalty if penalty is not None else penalty_mode,
                       polish_samples=polish, repair=repair, **options)
    except InputError as exc:
        if exc.field in spec.backends.get(name, {}):  # the bad option came from the file
            raise InputError(exc.message, file=spec.path,
                             field=f"backends.{name}.{exc.field}") from None
        raise
    except SolveInterrupted as exc:
        if exc.result is None:
            raise
        # Ctrl-C: what was found so far is verified, shown and written, then exit 130.
        if json_out != "-":
            print_result(exc.result, spec.problem.describe)
        console(stderr=True).print("interrupted: the best answer found so far is shown above")
        if json_out:
            write_json(exc.result.to_dict(), json_out)
        raise SystemExit(130) from None
    # The answer is shown before it is written: a write that fails (a full disk, a bad
    # path) is one line after it, not the loss of a finished run.
    if json_out != "-":
        print_result(result, spec.problem.describe)
    if json_out:
        write_json(result.to_dict(), json_out)
    if gantt_out and result.solution is not None:
        from qanneal.plots import gantt

        if not isinstance(result.solution, dict) or "schedule" not in result.solution:
            raise InputError("--gantt needs a scheduling problem (jobshop or machines)",
                             field="--gantt")
        console(stderr=json_out == "-").print(f"Gantt chart: {gantt(result.solution, gantt_out)}")
    if result.solution is None:  # timed out, or nothing came back: say so in the exit code
        raise SystemExit(1)


def _sweep(file: str, problem_type: str | None, sweep_spec: str, backend: str,
           build_options: dict[str, Any], json_out: str | None, plot_out: str | None,
           **solve_kwargs: Any) -> None:
    """One solve per value of a build option: a table, JSON list and optional plot."""
    from rich.table import Table

    from qanneal.sweep import parse_sweep, run_sweep

    name, values = parse_sweep(sweep_spec)
    source = file if problem_type is None else _typed_source(file, problem_type)
    results = run_sweep(source, backend, name, values, options=build_options, **solve_kwargs)
    table = Table(title=f"sweep of {name} ({backend})")
    extra = [k for k in ("expected_return", "volatility", "sharpe")
             if any(isinstance(r.solution, dict) and k in r.solution for r in results)]
    for col in (name, "objective", "feasible", *extra):
        table.add_column(col)
    for value, r in zip(values, results):
        sol = r.solution if isinstance(r.solution, dict) else {}
        table.add_row(f"{value:g}", _fmt(r.objective), "yes" if r.feasible else "no",
                      *[_fmt(sol.get(k)) for k in extra])
    out = console(stderr=json_out == "-")
    out.print(table)
    if json_out:  # after the table: a failed write must not hide the results
        write_json([r.to_dict() for r in results], json_out)
    if plot_out:
        from qanneal.plots import frontier, frontier_points

        try:
            out.print(f"plot: {frontier(results, plot_out, label=name)}")
        except ValueError as exc:
            raise InputError(f"cannot plot this sweep: {exc}", field="--plot") from None
        points = frontier_points(results, name)
        unproven = sum(not p["proven"] for p in points)
        dominated = [f"{p['value']:g}" for p in points if p["dominated"]]
        if unproven:
            out.print(f"{unproven} of {len(points)} points not proven optimal"
                      + (f"; dominated, off the frontier line: {name} = {', '.join(dominated)}"
                         if dominated else "") + " (--backend milp proves each point)")


def _typed_source(file: str, problem_type: str) -> Any:

    return lambda **options: load_problem(file, problem_type, options=options).problem


def _replay(path: str, json_out: str | None, problem_file: str | None = None) -> None:
    from qanneal.manifest import replay

    result, reproduced, differences = replay(path, problem_file)
    out = console(stderr=json_out == "-")
    if json_out != "-":
        print_result(result)
    out.print("reproduced: " + ("[green]yes[/]" if reproduced else "[red]no[/]"))
    for line in differences:
        out.print(f"  - {escape_controls(line)}", markup=False)
    if json_out:
        write_json(result.to_dict(), json_out)
    if not reproduced:
        raise click.exceptions.Exit(1)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def print_result(result: Result, describe: Any = None) -> None:
    """Readable summary: the answer in problem terms, objective, feasibility, timings."""
    out = console()
    # Names and labels come from input files: escaped, so no control character (an ANSI
    # sequence, a line break forging an 'error:' line) and no rich markup reaches the
    # terminal as such.
    title = f"{result.problem}" + (f" · {printable(result.name, 200)}" if result.name else "")
    out.print(f"[bold]{escape(title)}[/] solved by [bold]{escape(str(result.backend))}[/] "
              f"(seed {result.seed})")
    if result.solution is not None and describe is not None:
        out.print(escape_controls(describe(result.solution)), markup=False)
    sense = "maximise" if result.sense == "max" else "minimise"
    line = f"objective: [bold]{_fmt(result.objective)}[/] ({sense})"
    if result.known_optimum is not None:
        gap = result.gap
        line += f", known optimum {_fmt(result.known_optimum)}"
        if gap is not None and math.isfinite(gap):
            line += f", gap {gap:.3%}"
    out.print(line)
    if result.feasible:
        out.print(f"feasible: [green]yes[/] ({result.num_feasible}/{result.num_samples} "
                  "samples feasible" + (f", {result.num_repaired} repaired" if result.num_repaired
                                        else "") + ")")
    elif result.solution is None:
        out.print(f"[red]no answer[/] (status: {result.status})")
        if result.info.get("timeout_note"):
            out.print(escape_controls(result.info["timeout_note"]), markup=False)
    else:
        out.print(f"feasible: [red]no[/] ({len(result.violations)} violation(s))")
        for v in result.violations[:10]:
            out.print(f"  - {printable(v, 500)}", markup=False)
    if result.status not in ("ok", "") and result.solution is not None:
        out.print(f"status: {result.status}")
    if result.energy is not None:
        out.print(f"energy: {_fmt(result.energy)}")
    details = backend_details(result.info)
    if details:
        out.print("backend: " + " · ".join(details), markup=False)
    t = result.timing
    out.print(f"timing: build {t['build_s']:.3f}s · solve {t['solve_s']:.3f}s · "
              f"decode {t['decode_s']:.3f}s · total {t['total_s']:.3f}s"
              + (f" · calibrate {t['calibrate_s']:.3f}s" if "calibrate_s" in t else "")
              + (f" · compile {t['compile_s']:.3f}s" if t.get("compile_s") else ""))


#: Backend-reported figures worth a line in the summary (all are in --json too).
DETAIL_KEYS = {
    "bound": "bound {}", "gap": "MILP gap {}", "milp_objective": "MILP objective {}",
    "chain_break_fraction": "chain breaks {}", "qpu_access_time_s": "QPU access {} s",
    "restarts": "restarts {}", "batches": "batches {}", "kernel": "kernel {}",
    "attempts_per_s": "{} attempts/s",
}


def backend_details(info: dict[str, Any]) -> list[str]:
    """Short 'name value' strings for the figures a backend reported.

    A plugin puts what it likes in its info: each value is cut to 60 characters and
    escaped (a 5 MB string, a line break forging an 'error:' line, an ANSI sequence).
    """
    out = []
    for key, template in DETAIL_KEYS.items():
        value = info.get(key)
        if value is None or isinstance(value, (dict, list)):
            continue
        if key == "gap" and isinstance(value, float):
            out.append(template.format(f"{value:.2%}"))
        else:
            out.append(template.format(printable(
                _fmt(value) if isinstance(value, float) else value, 60)))
    embedding = info.get("embedding")
    if isinstance(embedding, dict) and "physical_qubits" in embedding:
        out.append(f"embedding {printable(embedding['physical_qubits'], 20)} qubits, "
                   f"longest chain {printable(embedding.get('max_chain_length', '?'), 20)}")
    return out
