"""The plan of a comparison (one picklable :class:`RunSpec` per run) and its executors.

Every run is independent: a problem (shipped as a file path and rebuilt in the
worker, because a :class:`~qanneal.model.Problem` holds closures and does not pickle),
a backend, a repeat number and a seed derived from the comparison seed. The same
plan therefore gives the same answers on every executor:

- ``serial``: in this process (the only one that takes in-memory Problems; it cannot
  stop a run that overruns);
- ``local``: a pool of worker processes, one run each at a time; a run that overruns
  its deadline is stopped by killing its worker, which is then replaced;
- ``dask``: a Dask ``LocalCluster`` of single-threaded worker processes, or an
  existing scheduler (``tcp://HOST:PORT``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing
import os
import signal
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qanneal.backends.base import Backend
from qanneal.errors import InputError, QanError
from qanneal.model import PenaltySpec, Problem

#: Each worker runs one single-threaded run per core, so libraries must not start
#: their own thread pools on top (numba and OpenMP read these at import).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}

#: Run statuses the runner itself assigns (a completed run keeps the backend's status).
ERROR, TIMEOUT = "error", "timeout"

OnResult = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class ProblemRef:
    """A problem file and how to build it: what travels to a worker instead of a Problem."""

    path: str
    problem_type: str | None = None
    format: str | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def load_spec(self) -> Any:
        """The loaded :class:`qanneal.spec.Spec`, cached per process (repeats reuse it)."""
        key = (self.path, self.problem_type, self.format,
               json.dumps(self.options, sort_keys=True, default=str))
        if key not in _SPECS:
            from qanneal.spec import load_problem

            _SPECS[key] = load_problem(self.path, self.problem_type, format=self.format,
                                       options=dict(self.options) or None)
        return _SPECS[key]

    def load(self) -> Problem:
        """The built problem."""
        return self.load_spec().problem


_SPECS: dict[tuple[Any, ...], Any] = {}


@dataclass
class RunSpec:
    """One run of the plan; picklable when ``problem`` is a :class:`ProblemRef`."""

    index: int
    problem_index: int
    problem: ProblemRef | Problem
    problem_name: str
    problem_kind: str
    file: str | None
    backend: str | type[Backend] | Backend
    backend_name: str
    repeat: int
    seed: int
    time_limit: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    penalties: PenaltySpec = None
    deadline: float | None = None  # seconds from dispatch after which the run is stopped
    #: A proven optimum (tolerance applied) the run may stop at; set up to dispatch.
    stop_at: float | None = None

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.problem_index, self.backend_name, self.repeat)

    def describe(self) -> str:
        return f"{self.problem_name} x {self.backend_name} x repeat {self.repeat}"


def run_seed(seed: int, problem_index: int, backend: str, repeat: int) -> int:
    """The seed of one run: a 31-bit seed from (comparison seed, problem, backend, repeat).

    Independent of the executor and of the order runs happen to finish in.

    >>> run_seed(7, 0, "sa", 0) == run_seed(7, 0, "sa", 0)
    True
    >>> len({run_seed(7, 0, "sa", r) for r in range(100)})
    100
    """
    sequence = np.random.SeedSequence([seed, problem_index, zlib.crc32(backend.encode()),
                                       repeat])
    # 31 bits, like derive_seeds: dwave-samplers and others reject seeds of 2**31 and above.
    return int(sequence.generate_state(1, dtype=np.uint32)[0]) & 0x7FFFFFFF


# ---------------------------------------------------------------------- one run
def execute_run(spec: RunSpec) -> dict[str, Any]:
    """Run one spec and return its row; never raises for a failing backend or problem.

    A completed run is ``Result.to_dict()`` plus the run's coordinates and ``wall_s``
    (the wall time of the solve itself: model preparation, backend, decode, verify).
    A run that raised has status ``error`` and the one-line message in ``error``.
    """
    for key, value in THREAD_ENV.items():  # for workers this module did not start
        if key == "NUMBA_NUM_THREADS" and "numba" in sys.modules:
            # Too late to matter here, and harmful: numba re-reads the environment at
            # every later compilation and refuses a thread count changed after launch.
            continue
        os.environ.setdefault(key, value)
    from qanneal.solve import solve

    start = time.perf_counter()
    try:
        problem = spec.problem if isinstance(spec.problem, Problem) else spec.problem.load()
        backend = spec.backend() if isinstance(spec.backend, type) else spec.backend
        start = time.perf_counter()
        result = solve(problem, backend, seed=spec.seed, time_limit=spec.time_limit,
                       penalties=spec.penalties, stop_at=spec.stop_at, **spec.options)
        row = result.to_dict()
        row["error"] = None
    except QanError as exc:
        row = failed_row(spec, ERROR, exc.one_line())
    except Exception as exc:  # a bug in a plugin or problem must not end the comparison
        row = failed_row(spec, ERROR, one_line(f"{type(exc).__name__}: {exc}"))
    row["wall_s"] = time.perf_counter() - start
    return add_coordinates(row, spec)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def failed_row(spec: RunSpec, status: str, message: str,
               wall_s: float | None = None) -> dict[str, Any]:
    """The row of a run that produced no result (error, timeout, dead worker)."""
    row: dict[str, Any] = {
        "problem": spec.problem_kind, "backend": spec.backend_name, "objective": None,
        "feasible": False, "violations": [], "energy": None, "solution": None,
        "params": {"seed": spec.seed, "time_limit": spec.time_limit, **spec.options},
        "timing": {}, "name": spec.problem_name, "status": status, "seed": spec.seed,
        "num_samples": 0, "num_feasible": 0, "num_repaired": 0, "info": {},
        "source": spec.file, "gap": None, "error": message,
    }
    if wall_s is not None:
        row["wall_s"] = wall_s
    return add_coordinates(row, spec)


def add_coordinates(row: dict[str, Any], spec: RunSpec) -> dict[str, Any]:
    row.update(run=spec.index, problem_index=spec.problem_index, repeat=spec.repeat,
               seed=spec.seed, backend=spec.backend_name, file=spec.file)
    row.setdefault("name", spec.problem_name)
    return row


# ---------------------------------------------------------------------- executors
class SerialExecutor:
    """Runs in this process, one after the other (debugging, in-memory Problems).

    It cannot stop a run that overruns its deadline: a backend that ignores its
    time limit holds up the comparison.
    """

    name = "serial"
    slots = 1

    def run(self, specs: Sequence[RunSpec], on_result: OnResult) -> None:
        for spec in specs:
            on_result(execute_run(spec))


@contextlib.contextmanager
def _thread_env() -> Iterator[None]:
    """Set THREAD_ENV while child processes start (they copy the environment then)."""
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _worker_main(conn: Any) -> None:
    # Ctrl-C in a terminal reaches the whole process group; the parent decides what to
    # do with it (write what finished, stop us), so a worker must not die half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import qanneal.solve  # noqa: F401  (pay the import before the first run's clock starts)

    conn.send(("ready", os.getpid()))
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):
            return
        if spec is None:
            return
        conn.send(("done", execute_run(spec)))


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        with _thread_env():
            self.proc.start()
        child.close()  # only the child holds its end: EOF here means the child died
        self.ready = False
        self.spec: RunSpec | None = None
        self.started = 0.0

    def assign(self, spec: RunSpec) -> None:
        self.spec, self.started = spec, time.perf_counter()
        self.conn.send(spec)

    def overdue(self, now: float) -> bool:
        return (self.spec is not None and self.spec.deadline is not None
                and now - self.started > self.spec.deadline)

    def stop(self, graceful: bool) -> None:
        if graceful and self.proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(2)
        self.conn.close()


class ProcessExecutor:
    """A pool of worker processes, each running one run at a time.

    Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot stop one stuck task;
    here each worker has its own pipe, so an overdue run is stopped by killing just
    its worker (recorded as ``timeout``) and a fresh worker takes its place.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.slots = max(1, workers or default_workers())

    def run(self, specs: Sequence[RunSpec], on_result: OnResult) -> None:
        from multiprocessing.connection import wait

        # spawn: a clean interpreter per worker (no inherited locks or thread pools).
        ctx = multiprocessing.get_context("spawn")
        pending = deque(specs)
        pool = [_Worker(ctx) for _ in range(min(self.slots, len(pending)))]
        graceful = False
        try:
            while pending or any(w.spec is not None for w in pool):
                for w in pool:
                    if w.ready and w.spec is None and pending:
                        w.assign(pending.popleft())
                now = time.perf_counter()
                waits = [w.spec.deadline - (now - w.started) for w in pool
                         if w.spec is not None and w.spec.deadline is not None]
                timeout = max(0.0, min(waits)) + 0.01 if waits else None
                for conn in wait([w.conn for w in pool], timeout):
                    w = next(w for w in pool if w.conn is conn)
                    try:
                        kind, payload = conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(2)  # reap it, so its exit code is known
                        self._replace(pool, w, ctx, on_result, ERROR,
                                      f"worker process died (exit code {w.proc.exitcode})")
                        continue
                    if kind == "ready":
                        w.ready = True
                    else:
                        w.spec = None
                        on_result(payload)
                        if payload.get("status") == TIMEOUT:
                            # solve() abandoned a stuck backend thread that may still be
                            # burning a core: start the next run in a clean process.
                            self._replace(pool, w, ctx, on_result, TIMEOUT, "")
                now = time.perf_counter()
                for w in list(pool):
                    if w.overdue(now):
                        self._replace(pool, w, ctx, on_result, TIMEOUT,
                                      f"stopped after {now - w.started:.1f} s (deadline "
                                      f"{w.spec.deadline:.1f} s)")
            graceful = True
        finally:
            for w in pool:
                w.stop(graceful)

    def _replace(self, pool: list[_Worker], w: _Worker, ctx: Any, on_result: OnResult,
                 status: str, message: str) -> None:
        spec, elapsed = w.spec, time.perf_counter() - w.started
        w.stop(graceful=False)
        if not w.ready:  # died before its first run: respawning would loop forever
            raise QanError(f"a worker process failed to start (exit code {w.proc.exitcode}); "
                           "try --executor serial to see why")
        pool[pool.index(w)] = _Worker(ctx)
        if spec is not None:
            on_result(failed_row(spec, status, message, wall_s=elapsed))


class DaskExecutor:
    """Runs on Dask: a new ``LocalCluster`` or an existing scheduler at ``address``.

    At most ``slots`` runs are submitted at a time, so a run starts when it is
    submitted and its deadline can be measured from there. An overdue run is
    cancelled and recorded as ``timeout``; on our own LocalCluster its worker is
    restarted too (a thread cannot be stopped from outside).
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.address = address
        self.workers = workers
        self.name = address or "dask"
        self.slots = workers or default_workers()

    def run(self, specs: Sequence[RunSpec], on_result: OnResult) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("the dask executors need dask.distributed: "
                             "pip install 'dask[distributed]'", field="executor") from None
        cluster = None
        try:
            if self.address:
                try:
                    client = Client(self.address, timeout="10s")
                except (OSError, ValueError) as exc:  # TimeoutError is an OSError
                    raise InputError(f"cannot connect to the Dask scheduler at "
                                     f"{self.address}: {one_line(str(exc))}",
                                     field="executor") from None
                nthreads = sum(client.nthreads().values())
                self.slots = self.workers or max(1, nthreads)
            else:
                # silence_logs: restarting a worker that overran is expected, not a warning
                cluster = LocalCluster(n_workers=self.slots, processes=True,
                                       threads_per_worker=1, dashboard_address=None,
                                       env=dict(THREAD_ENV), silence_logs=logging.ERROR)
                client = Client(cluster)
            try:
                self._loop(client, specs, on_result, own_cluster=cluster is not None)
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    def _loop(self, client: Any, specs: Sequence[RunSpec], on_result: OnResult,
              own_cluster: bool) -> None:
        from distributed import wait

        pending = deque(specs)
        running: dict[Any, tuple[RunSpec, float]] = {}
        while pending or running:
            while pending and len(running) < self.slots:
                spec = pending.popleft()
                future = client.submit(execute_run, spec, pure=False,
                                       key=f"qanneal-run-{spec.index}-{spec.seed}")
                running[future] = (spec, time.perf_counter())
            now = time.perf_counter()
            waits = [s.deadline - (now - t0) for s, t0 in running.values()
                     if s.deadline is not None]
            timeout = max(0.0, min(waits)) + 0.01 if waits else None
            try:
                done = wait(list(running), timeout=timeout, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            for future in done:
                spec, t0 = running.pop(future)
                if future.status == "finished":
                    on_result(future.result())
                else:
                    exc = future.exception()
                    on_result(failed_row(spec, ERROR, one_line(f"{type(exc).__name__}: {exc}"),
                                         wall_s=time.perf_counter() - t0))
            now = time.perf_counter()
            for future, (spec, t0) in list(running.items()):
                if spec.deadline is not None and now - t0 > spec.deadline:
                    running.pop(future)
                    where = _processing_worker(client, future.key) if own_cluster else None
                    future.cancel()
                    if where:
                        with contextlib.suppress(Exception):
                            client.restart_workers([where], timeout=30)
                    on_result(failed_row(spec, TIMEOUT, f"stopped after {now - t0:.1f} s "
                                         f"(deadline {spec.deadline:.1f} s)", wall_s=now - t0))


def _processing_worker(client: Any, key: str) -> str | None:
    with contextlib.suppress(Exception):
        for worker, keys in client.processing().items():
            if key in keys:
                return worker
    return None


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_executor(executor: str, workers: int | None = None
                  ) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """``serial``, ``local``, ``dask`` or a scheduler address ``tcp://HOST:PORT``."""
    if executor == "serial":
        return SerialExecutor()
    if executor == "local":
        return ProcessExecutor(workers)
    if executor == "dask":
        return DaskExecutor(workers)
    if "://" in executor:
        return DaskExecutor(workers, address=executor)
    raise InputError(f"unknown executor {executor!r}; allowed: serial, local, dask, "
                     "tcp://HOST:PORT", field="executor")


def hard_deadline(time_limit: float | None, run_timeout: float | None,
                  grace: float | None) -> float | None:
    """When a run is stopped: ``run_timeout`` if given, else time limit plus grace.

    The default grace (10 s plus the budget) covers a worker's first problem build and
    solvers known to overrun short limits. Without a time limit runs are not stopped.

    >>> hard_deadline(2.0, None, None), hard_deadline(2.0, None, 1.0), hard_deadline(None, 5, None)
    (14.0, 3.0, 5)
    >>> hard_deadline(None, None, None) is None
    True
    """
    if run_timeout is not None:
        return run_timeout
    if time_limit is None or math.isinf(time_limit):
        return None
    return time_limit + (grace if grace is not None else 10.0 + time_limit)
