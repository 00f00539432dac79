"""Helpers shared by CLI commands: KEY=VALUE options, the console, JSON output."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click
import yaml
from rich.console import Console

from qanneal.io import atomic_write_text, dumps


def parse_assignments(pairs: Iterable[str], option: str) -> dict[str, Any]:
    """``["k=3", "name=x"]`` -> ``{"k": 3, "name": "x"}`` (values read as YAML scalars)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def write_json(obj: Any, target: str) -> None:
    """Write ``obj`` as JSON to ``target`` (``-`` for stdout), atomically for files."""
    text = dumps(obj) + "\n"
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(target, text)


def extra_flags(args: list[str]) -> dict[str, Any]:
    """Problem options given as flags: ``["--k", "5", "--risk-aversion=2"]``.

    Dashes in names become underscores; a flag with no value is ``true``.
    """
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) < 3:
            raise click.UsageError(f"unexpected argument {arg!r}; problem options are "
                                   "written --name VALUE or --set name=VALUE")
        name, sep, value = arg[2:].partition("=")
        if not sep:
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            else:
                value = "true"
        out.update(parse_assignments([f"{name.replace('-', '_')}={value}"], arg))
        i += 1
    return out
