"""``qanneal export FILE OUT``: write the model as a dimod file, a COO QUBO or an LP file."""

from __future__ import annotations

import click

from qanneal.cli import cli
from qanneal.cli.common import console, load_from_command_line
from qanneal.export import export


@cli.command("export", context_settings={"ignore_unknown_options": True,
                                          "allow_extra_args": True})
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--problem", "problem_type", metavar="TYPE", help="Problem type of a data file.")
@click.option("--format", "fmt", type=click.Choice(["cqm", "bqm", "coo", "lp"]),
              help="Export format (default: from OUT's extension: .cqm .bqm .coo .lp).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Problem build option.")
@click.option("--penalty", type=click.FloatRange(min=0, min_open=True),
              help="One penalty weight for every constraint (bqm/coo).")
@click.option("--linear", is_flag=True,
              help="LP only: write the McCormick MILP (no quadratic terms; HiGHS/CBC solve it).")
@click.pass_context
def export_command(ctx: click.Context, file: str, out: str, problem_type: str | None,
                   fmt: str | None, sets: tuple[str, ...], penalty: float | None,
                   linear: bool) -> None:
    """Export FILE's model to OUT (CQM/BQM in dimod's format, COO QUBO, or LP).

    LP names are LP-safe renderings of the model's labels (x[0,1] -> x(0,1));
    OUT.labels.json maps every LP name back to its label.
    """
    spec, _ = load_from_command_line(ctx, file, problem_type, None, sets)
    written = export(spec.problem, out, fmt, penalties=penalty, linear=linear)
    console().print("wrote " + ", ".join(str(p) for p in written))
