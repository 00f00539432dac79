"""Helpers shared by CLI commands: KEY=VALUE options, the console, JSON output."""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Iterable
from typing import Any

import click
import yaml
from rich.console import Console

from qanneal.errors import InputError, OutputError, UnknownKeyError, did_you_mean, printable
from qanneal.io import atomic_write_text, dumps
from qanneal.redact import ScrubbingStream
from qanneal.safeyaml import YamlLimitError, load_yaml
from qanneal.spec import Spec, load_problem


def parse_assignments(pairs: Iterable[str], option: str) -> dict[str, Any]:
    """``["k=3", "name=x"]`` -> ``{"k": 3, "name": "x"}`` (values read as YAML scalars)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {printable(pair, 80)}",
                                     param_hint=option)
        try:
            # The problem files' YAML, with their limits: an alias bomb or 5000 nested
            # brackets here is refused like one in a file.
            out[key.strip()] = load_yaml(raw) if raw.strip() else ""
        except YamlLimitError as exc:
            raise InputError(exc.problem or "refused", field=f"{option} {key.strip()}") from None
        except yaml.YAMLError:
            out[key.strip()] = raw  # not YAML: the text itself (e.g. a name with ': ')
    return out


class FiniteFloat(click.FloatRange):
    """A float option that refuses NaN and infinities (click's FloatRange takes both:
    ``--time-limit nan`` passed every bound, then failed far away)."""

    name = "finite float"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        # Finiteness first: 'inf' would otherwise fail the range with a message that
        # does not say how to ask for no limit.
        number = click.FLOAT.convert(value, param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"{printable(value, 40)} is not a finite number"
                      + ("; leave the option out for no limit" if number > 0 else ""),
                      param, ctx)
        return super().convert(value, param, ctx)


def console(stderr: bool = False) -> Console:
    """The console every command prints through: known secrets are scrubbed
    (:mod:`qanneal.redact`) from whatever a result or a plugin put in the text."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=None if stream is None else ScrubbingStream(stream),  # type: ignore[arg-type]
                   highlight=False, soft_wrap=True)


def write_json(obj: Any, target: str) -> None:
    """Write ``obj`` as JSON to ``target`` (``-`` for stdout), atomically for files.

    Raises :class:`OutputError` (one line) when it cannot: see :mod:`qanneal.io` for
    what is never written over (devices, symlinks, the run's input files).
    """
    text = dumps(obj) + "\n"
    if target == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except AttributeError:  # sys.stdout is None: the shell closed it (>&-)
            raise OutputError("stdout", "it is closed") from None
        except (OSError, ValueError) as exc:
            raise OutputError("stdout", getattr(exc, "strerror", None) or str(exc)) from None
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


def load_from_command_line(ctx: click.Context, file: str, problem_type: str | None,
                           fmt: str | None, sets: Iterable[str], *,
                           time_limit: float | None = None,
                           timed: bool = False) -> tuple[Spec, dict[str, Any]]:
    """Load FILE with the build options of the command line: ``(spec, build options)``.

    ``time_limit``/``timed``: reading and building count against the run's time limit
    (see :func:`qanneal.spec.load`); only commands that solve pass them.

    Flags a command does not know are build options (``--k 5``), as are ``--set k=5``.
    An unknown one would otherwise come back as an unknown key of the *file's* options
    section at a line of the file; it is named as the flag, or the ``--set`` key, instead.
    """
    flags = extra_flags(ctx.args)
    set_options = parse_assignments(sets, "--set")
    options = {**flags, **set_options}
    try:
        return load_problem(file, problem_type, format=fmt, options=options or None,
                            time_limit=time_limit, timed=timed), options
    except UnknownKeyError as exc:
        key = (exc.field or "").removeprefix("options.")
        if exc.field != f"options.{key}" or key not in options:
            raise
        allowed = f"allowed: {', '.join(exc.allowed)}" if exc.allowed else "it takes none"
        if key in set_options:
            raise InputError(f"not a build option of this problem"
                             f"{did_you_mean(key, exc.allowed)}; {allowed}",
                             field=f"--set {key}") from None
        flag = "--" + key.replace("_", "-")
        close = difflib.get_close_matches(key, exc.allowed, n=1)
        if close:
            hint = f" (did you mean --{close[0].replace('_', '-')}?)"
        else:
            own = sorted(o for p in ctx.command.params for o in p.opts if o.startswith("--"))
            # Output flags of other tools: spelling alone would not lead to --json.
            hint = did_you_mean("--json" if flag in ("--out", "--output") else flag, own)
        raise InputError(f"no such option{hint}; nor a build option of this problem "
                         f"({allowed}); see --help", field=flag) from None
