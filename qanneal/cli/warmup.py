"""``qanneal warmup``: compile, once per machine, what backends compile on first use.

The ``anneal`` engine's numba kernels compile on their first call (~25 s of CPU for all
of them on a fresh install) and are cached on disk afterwards. The README's set-up
(``make demo``) runs this command, so a user's first run only loads them.
"""

from __future__ import annotations

import time

import click

from qanneal.backends.base import Backend
from qanneal.cli import cli
from qanneal.cli.common import console
from qanneal.errors import InputError, QanError
from qanneal.registry import backend_names, load_backend


@cli.command("warmup")
@click.option("--backend", "-b", "names", multiple=True, metavar="NAME",
              help="Only these backends (default: every installed one).")
def warmup_command(names: tuple[str, ...]) -> None:
    """Compile every backend's kernels now, so no run has to (cached on disk)."""
    known = backend_names()
    for name in names:
        if name not in known:
            raise InputError(f"unknown backend {name!r}; installed: {', '.join(known)}",
                             field="--backend")
    out = console()
    start = time.perf_counter()

    def progress(part: str, seconds: float, compiled: bool) -> None:
        verb = "compiled" if compiled else "loaded from cache"
        out.print(f"  {part}: {verb} in {seconds:.1f}s", markup=False)

    idle = []
    for name in names or known:
        try:
            cls = load_backend(name)
        except QanError as exc:  # a broken plugin must not stop the others' warm-up
            out.print(f"{name}: skipped ({exc.one_line()})", markup=False)
            continue
        if cls.warm_up.__func__ is Backend.warm_up.__func__:  # inherited: nothing to do
            idle.append(name)
            continue
        out.print(f"{name}:", markup=False)
        cls.warm_up(progress=progress)
    if idle:
        out.print(f"nothing to compile: {', '.join(idle)}", markup=False)
    out.print(f"warm-up done in {time.perf_counter() - start:.1f}s", markup=False)
