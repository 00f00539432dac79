"""``qanneal schema``: the JSON schema of problem files (or of one problem type)."""

from __future__ import annotations

import click

from qanneal.cli import cli
from qanneal.cli.common import write_json
from qanneal.registry import load_problem_type
from qanneal.spec import schema


@cli.command("schema")
@click.option("--problem", "problem_type", metavar="TYPE",
              help="Only this problem type's data and options schemas.")
def schema_command(problem_type: str | None) -> None:
    """Print the JSON schema of problem files."""
    if problem_type:
        ptype = load_problem_type(problem_type)
        write_json({"problem": ptype.name, "description": ptype.description,
                    "data": ptype.data_model.model_json_schema(),
                    "options": ptype.options_model.model_json_schema()}, "-")
    else:
        write_json(schema(), "-")
