"""Run a backend under a watchdog: a hard wall-clock limit and a clean Ctrl-C.

Backends are asked to honour ``time_limit`` themselves; this is the outside guarantee for
the ones that do not. The backend runs in a daemon thread while the caller waits:

- past ``time_limit`` plus a grace period, the run is recorded as timed out and the
  caller goes on (the abandoned thread cannot be killed; it dies with the process, and
  ``compare`` runs each run in a worker process it can terminate);
- on Ctrl-C the backend is asked to stop (``Backend.should_stop()`` turns true; anytime
  backends return what they have) and given a moment to do so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: How long a backend may overrun its own time limit before it is abandoned.
MIN_GRACE_S = 2.0
GRACE_FRACTION = 0.2
#: How long a backend gets to return its partial answer after Ctrl-C.
INTERRUPT_GRACE_S = 3.0


def grace_for(time_limit: float) -> float:
    """Allowed overrun past ``time_limit``: 20% of it, at least 2 s."""
    return max(MIN_GRACE_S, GRACE_FRACTION * time_limit)


@dataclass
class Outcome(Generic[T]):
    """What happened: the value, or that it timed out / was interrupted first."""

    value: T | None = None
    error: BaseException | None = None
    finished: bool = False
    timed_out: bool = False
    interrupted: bool = False
    elapsed_s: float = 0.0


def run_watched(fn: Callable[[], T], *, time_limit: float | None,
                stop: threading.Event) -> Outcome[T]:
    """Call ``fn`` in a daemon thread; never wait much past ``time_limit`` + grace.

    ``stop`` is set when the caller gives up (time limit or Ctrl-C), so a cooperative
    ``fn`` can return early with what it has.

    >>> out = run_watched(lambda: 42, time_limit=None, stop=threading.Event())
    >>> out.value, out.finished, out.timed_out
    (42, True, False)
    >>> ev = threading.Event()
    >>> out = run_watched(lambda: ev.wait(30), time_limit=0.01, stop=ev)  # cooperative
    >>> out.finished, out.value
    (True, True)
    """
    outcome: Outcome[T] = Outcome()
    done = threading.Event()

    def target() -> None:
        try:
            outcome.value = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.error = exc
        finally:
            outcome.finished = True
            done.set()

    start = time.perf_counter()
    worker = threading.Thread(target=target, name="qanneal-backend", daemon=True)
    worker.start()
    deadline = None if time_limit is None else start + time_limit + grace_for(time_limit)
    try:
        while not done.is_set():
            remaining = None if deadline is None else deadline - time.perf_counter()
            if remaining is not None and remaining <= 0:
                # Ask once more, cooperatively, then give up on it.
                stop.set()
                outcome.timed_out = not done.wait(0.5)
                break
            done.wait(0.1 if remaining is None else min(0.1, remaining))
    except KeyboardInterrupt:
        stop.set()
        outcome.interrupted = True
        done.wait(INTERRUPT_GRACE_S)
    outcome.elapsed_s = time.perf_counter() - start
    return outcome
