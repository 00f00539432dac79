"""``qanneal backends``: every registered backend, what it consumes, and whether it runs here."""

from __future__ import annotations

import click
from rich.table import Table

from qanneal.cli import cli
from qanneal.cli.common import console, write_json
from qanneal.registry import list_backends


@cli.command("backends")
@click.option("--json", "json_out", metavar="OUT", help="Write the list as JSON ('-' = stdout).")
def backends_command(json_out: str | None) -> None:
    """List backends: name, what they consume, available or not, and why not."""
    infos = list_backends()
    if json_out:
        write_json([i.to_dict() for i in infos], json_out)
        if json_out == "-":
            return
    table = Table(title="qanneal backends")
    for col in ("name", "consumes", "available", "reason / description", "from"):
        table.add_column(col)
    for info in infos:
        table.add_row(info.name, info.consumes,
                      "[green]yes[/]" if info.available else "[red]no[/]",
                      info.reason if not info.available else info.description,
                      info.distribution)
    console().print(table)
