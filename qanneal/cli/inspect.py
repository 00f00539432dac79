"""``qanneal inspect FILE``: pre-solve diagnostics of the model an annealer would get."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from qanneal.cli import cli
from qanneal.cli.common import console, load_from_command_line, write_json
from qanneal.diagnostics import TOPOLOGIES, Diagnostics, format_bytes, inspect_problem


@cli.command("inspect", context_settings={"ignore_unknown_options": True,
                                           "allow_extra_args": True})
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--problem", "problem_type", metavar="TYPE",
              help="Problem type of a data file (e.g. maxcut for a .rud file).")
@click.option("--format", "fmt", metavar="FORMAT", help="Data file format, if not from the extension.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Problem build option (repeatable), e.g. --set k=5.")
@click.option("--penalty", type=click.FloatRange(min=0, min_open=True),
              help="One penalty weight for every constraint.")
@click.option("--penalty-mode", type=click.Choice(["default", "auto", "dimod"]),
              help="Penalty weights to inspect with (default: the file's).")
@click.option("--topology", type=click.Choice(list(TOPOLOGIES)), default="pegasus",
              show_default=True, help="QPU topology to check against.")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Try to embed into the topology with minorminer.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=5.0,
              show_default=True, metavar="S", help="Embedding search time limit.")
@click.option("--json", "json_out", metavar="OUT", help="Write the diagnostics as JSON ('-' = stdout).")
@click.pass_context
def inspect_command(ctx: click.Context, file: str, problem_type: str | None, fmt: str | None,
                    sets: tuple[str, ...], penalty: float | None, penalty_mode: str | None,
                    topology: str, embed: bool, timeout: float, json_out: str | None) -> None:
    """Size, coefficients, penalties and QPU fit of FILE's model, with warnings and fixes."""
    if penalty is not None and penalty_mode is not None:
        raise click.UsageError("give --penalty or --penalty-mode, not both")
    spec, _ = load_from_command_line(ctx, file, problem_type, fmt, sets)
    diag = inspect_problem(spec.problem, penalty if penalty is not None else penalty_mode,
                           topology=topology, embed=embed, timeout=timeout)
    if json_out:
        write_json(diag.to_dict(), json_out)
    if json_out != "-":
        print_diagnostics(diag)


def _g(x: float) -> str:
    return f"{x:.4g}"


def print_diagnostics(d: Diagnostics) -> None:
    """The diagnostics as a rich table, then the warnings with their fixes."""
    out = console()
    table = Table(title=f"{d.problem}" + (f" · {d.name}" if d.name else ""),
                  show_header=True, header_style="bold")
    table.add_column("property")
    table.add_column("value", overflow="fold")
    rows = [
        ("variables", f"{d.variables} ({d.original_variables} problem, "
                      f"{d.slack_variables} slack)"),
        ("linear terms", str(d.linear_terms)),
        ("quadratic terms", f"{d.quadratic_terms} (density {d.density:.3%})"),
        ("constraints", f"{d.constraints}" + (
            " in " + ", ".join(f"{g} ({c})" for g, c in d.constraint_groups.items())
            if d.constraint_groups else "")),
        ("penalty weights", d.penalty_mode),
    ]
    for group, w in d.penalties.items():
        value = _g(w) if isinstance(w, float) else f"{_g(w[0])} .. {_g(w[1])}"
        rows.append((f"  {group}", value))
    rows += [
        ("objective scale", f"largest bias {_g(d.objective_max_bias)}, largest one-flip "
                            f"change {_g(d.objective_flip_bound)}"),
        ("coefficients", f"|bias| {_g(d.min_abs_bias)} .. {_g(d.max_abs_bias)} "
                         f"(dynamic range {_g(d.dynamic_range)})"),
    ]
    if d.penalty_to_objective is not None:
        rows.append(("penalty / objective", f"{d.penalty_to_objective:.3g}x"))
    rows.append(("dense form", format_bytes(d.dense_bytes)))
    q = d.qpu
    rows.append(("QPU", f"{q['system']}: {q['qubits']} qubits, h {q['h_range']}, "
                        f"J {q['j_range']}, precision ~{q['usable_precision']}"))
    e = d.embedding
    if e is not None:
        if e.get("found"):
            rows.append(("embedding", f"found in {e['seconds']:.1f} s: {e['qubits_used']} "
                                      f"qubits, chains max {e['chain_max']}, mean "
                                      f"{e['chain_mean']:.2f}"))
        else:
            rows.append(("embedding", f"not found ({e['reason']})"))
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    if not d.warnings:
        out.print("[green]no warnings[/]")
    for w in d.warnings:
        out.print("[yellow]warning[/] " + escape(f"[{w.code}] {w.message}"))
        out.print(f"  fix: {w.fix}", markup=False)
