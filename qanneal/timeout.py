"""Enforce a wall-clock budget on a solver subprocess from outside.

Solvers do not always honour their own time limit: CBC checks it only between phases
and spent 3-30 s in its root LP and heuristics on a 800-node max-cut given one second.
:func:`run_with_deadline` lets the solver stop itself first; past the deadline it asks
politely (SIGINT, which CBC treats as "stop and write the best solution"), and after
a grace period it kills the process.

>>> import sys
>>> run = run_with_deadline([sys.executable, "-c", "print('hi')"], deadline=None)
>>> run.returncode, run.output.strip(), run.killed
(0, 'hi', False)
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO


@dataclass
class ProcessRun:
    """How a subprocess ended: its return code, output, and whether we had to stop it."""

    returncode: int | None
    output: str
    elapsed_s: float
    interrupted: bool = False  # SIGINT sent because the deadline passed
    killed: bool = False  # SIGKILL sent because SIGINT did not stop it in time


def run_with_deadline(args: Sequence[str], *, deadline: float | None, grace: float = 1.0,
                      echo: TextIO | None = None,
                      stop: threading.Event | None = None, more_grace: float = 0.0,
                      worth_waiting: Callable[[str], bool] | None = None) -> ProcessRun:
    """Run ``args``, collecting stdout+stderr; stop it once ``deadline`` has passed.

    ``deadline`` is a ``time.perf_counter()`` value (None: wait for ever). At the
    deadline -- or as soon as ``stop`` is set by the caller -- the process gets SIGINT,
    ``grace`` seconds later SIGKILL. If by then ``worth_waiting(output so far)`` is true
    (e.g. the solver's log shows it holds a solution it will write once it stops), it
    gets ``more_grace`` seconds more before the SIGKILL. Output lines are copied to
    ``echo`` as they arrive (e.g. ``sys.stderr`` for a solver log).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")
    lines: list[str] = []

    def pump() -> None:  # a thread, so a chatty solver never blocks on a full pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo is not None:
                echo.write(line)
                echo.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    interrupted = killed = False
    try:
        while proc.poll() is None:
            now = time.perf_counter()
            if (deadline is not None and now >= deadline) or (stop is not None
                                                                and stop.is_set()):
                interrupted = proc.poll() is None
                break
            step = 0.05 if deadline is None else min(0.05, max(0.0, deadline - now))
            try:
                proc.wait(timeout=step)
            except subprocess.TimeoutExpired:
                pass
        if interrupted and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                if more_grace > 0 and worth_waiting is not None and worth_waiting(
                        "".join(lines)):
                    try:
                        proc.wait(timeout=more_grace)
                    except subprocess.TimeoutExpired:
                        pass
                if proc.poll() is None:
                    killed = True
                    proc.kill()
                    proc.wait()
    except BaseException:  # Ctrl-C in the caller: never leave the solver running
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    reader.join(timeout=5)
    return ProcessRun(returncode=proc.returncode, output="".join(lines),
                      elapsed_s=time.perf_counter() - start, interrupted=interrupted,
                      killed=killed)
