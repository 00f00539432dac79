"""Helpers shared by CLI commands: KEY=VALUE options, the console, JSON output."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click
import yaml
from rich.console import Console

from qanneal.errors import InputError, did_you_mean
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


@contextmanager
def flag_errors(ctx: click.Context, flags: dict[str, Any],
                sets: dict[str, Any] | None = None) -> Iterator[None]:
    """Word a build-option error caused on the command line as a command-line error.

    Flags a command does not know are read as problem build options (``--k 5``), so a
    mistyped command option (``--out`` for ``--json``) or a wrong ``--set`` key used to
    come back as an unknown key of the *file's* options section, at a line of the file.
    This names the flag (or ``--set``) and, for flags, the command's own options.
    """
    try:
        yield
    except InputError as exc:
        field = exc.field or ""
        key = field.removeprefix("options.")
        from_set = sets is not None and key in sets
        if not field.startswith("options.") or not (key in flags or from_set) \
                or not exc.message.startswith("unknown key"):
            raise
        detail = exc.message.removeprefix("unknown key")  # " (did you mean 'k'?); allowed: .."
        hint, _, allowed = detail.partition("; ")
        allowed = allowed.replace("this section takes no keys", "it takes none") or "it takes none"
        if from_set:
            raise InputError(f"not a build option of this problem{hint}; {allowed}",
                             field=f"--set {key}") from None
        flag = "--" + key.replace("_", "-")
        close = hint.strip(" ()").removeprefix("did you mean ").rstrip("?").strip("'")
        if close:
            hint = f" (did you mean --{close.replace('_', '-')}?)"
        else:
            own = sorted(o for p in ctx.command.params for o in p.opts if o.startswith("--"))
            # Output flags of other tools: spelling alone would not lead to --json.
            wanted = "--json" if flag in ("--out", "--output") and "--out" not in own else flag
            hint = did_you_mean(wanted, own)
        raise InputError(f"no such option{hint}; nor a build option of this problem "
                         f"({allowed}); see --help", field=flag) from None
