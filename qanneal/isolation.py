"""Third-party backends: run in a worker process, and their answers checked.

A plugin is code qanneal does not control. In-process, one that holds the GIL
(``sum(range(10**11))``) cannot be stopped by the watchdog thread nor by Ctrl-C, one
that calls ``os._exit`` ends the CLI with exit 0 and no output, one that segfaults
takes the CLI down with it. So :func:`qanneal.solve.run_backend` runs the backends
registered by another distribution than ``qanneal`` (:func:`wants_worker`) through
:func:`run_in_worker`: a forked child process (the model and the backend are
inherited, nothing is pickled on the way in) runs ``prepare`` and ``solve`` and sends
the :class:`RawAnswer` back. The parent waits with the watchdog's limit (time limit
plus :func:`~qanneal.watchdog.grace_for`), and

- past it, asks the backend to stop (``should_stop()`` sees a process-shared event),
  then kills the child: status ``timeout``, ``backend 'x' did not return within its
  time limit plus grace; stopped``;
- on Ctrl-C/SIGTERM (with or without a time limit), asks it to stop, keeps an answer
  that comes back within :data:`~qanneal.watchdog.INTERRUPT_GRACE_S`, else kills it;
- a child that dies without an answer is one line: ``backend 'x' crashed (signal 11)``,
  ``backend 'x' exited with code 3 without an answer``.

Built-in backends stay in-process (their compile step, anytime trace and stop events
are unchanged); so does everything inside a ``compare`` worker, which is a process the
pool already kills when it overruns (and daemonic processes may not have children).

Every answer of a backend not shipped with qanneal goes through
:func:`validate_answer` before decoding: wrong variables, values outside the vartype,
a ``solutions`` that is not a list are one line, ``backend 'x' returned an invalid
answer: ...``; NaN or wrong energies are recomputed from the model (``info`` says so).
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import math
import multiprocessing
import pickle
import signal
import time
from typing import Any

import dimod
import numpy as np

from qanneal.backends.base import Backend, RawAnswer
from qanneal.errors import BackendError, QanError, SolveInterrupted
from qanneal.watchdog import INTERRUPT_GRACE_S, grace_for

#: How long a stopped child gets to send back what it has before it is killed.
STOP_GRACE_S = 0.5


def _code_class(backend: Backend) -> type:
    """The class whose code runs: a wrapped dimod Sampler's own class, else the backend's."""
    return getattr(type(backend), "sampler_class", type(backend))


def distribution(backend: Backend) -> str | None:
    """The distribution registering ``backend``'s class (None: not registered)."""
    from qanneal.registry import backend_distribution

    return backend_distribution(_code_class(backend))


def is_builtin(backend: Backend) -> bool:
    """Whether ``backend`` ships with qanneal (registered by the ``qanneal``
    distribution, or an unregistered class of qanneal's own modules)."""
    dist = distribution(backend)
    if dist is None:
        return _code_class(backend).__module__.split(".")[0] == "qanneal"
    return dist == "qanneal"


def wants_worker(backend: Backend) -> bool:
    """Whether ``backend`` runs in a worker process: a plugin registered by another
    distribution, or a third-party dimod Sampler named by ``module:Class``, where
    ``fork`` exists, and not already inside a worker process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if multiprocessing.current_process().daemon:  # a compare worker: the pool isolates
        return False
    dist = distribution(backend)
    if dist is None:  # not registered: a dimod Sampler named as --backend module:Class
        return hasattr(type(backend), "sampler_class") and not is_builtin(backend)
    return dist != "qanneal"


# ---------------------------------------------------------------------- the child
def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent dies (a GIL-holding plugin must not
    outlive a CLI killed with SIGKILL). Best effort elsewhere."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _child(conn: Any, backend: Backend, model: Any, kwargs: dict[str, Any],
           stop: Any) -> None:
    # Ctrl-C reaches the whole process group: the parent decides (stop, then kill).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the CLI's handler raises; die instead
    faulthandler.disable()  # a crash is the parent's one line, not a C traceback
    _die_with_parent()
    backend.stop_event = stop
    options = {k: v for k, v in kwargs.items() if k not in ("seed", "time_limit")}
    try:
        compile_s = backend.prepare(model, **options)
        entered = time.perf_counter()  # CLOCK_MONOTONIC: the parent's clock too
        conn.send(("started", (float(compile_s or 0.0), entered)))
        raw = backend.solve(model, **kwargs)
        reached = getattr(backend.on_improvement, "reached_s", None)
        try:
            conn.send(("answer", (raw, reached)))
        except Exception as exc:  # pickling happens before anything is sent
            conn.send(("invalid", f"the answer cannot be sent back: "
                                  f"{type(exc).__name__}: {exc}"))
    except QanError as exc:
        conn.send(("raise", _portable(exc)))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _portable(exc: QanError) -> Any:
    """``exc`` if it survives pickling (an InputError keeps its field), else its line."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return exc.one_line()


# ---------------------------------------------------------------------- the parent
def _exit_message(code: int | None) -> str:
    if code is not None and code < 0:
        return f"crashed (signal {-code})"
    return f"exited with code {code} without an answer"


def _stop(proc: Any) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(1.0)
    if proc.is_alive():
        proc.kill()
        proc.join(1.0)


def run_in_worker(backend: Backend, model: Any, **kwargs: Any) -> RawAnswer:
    """``backend.prepare`` then ``backend.solve(model, **kwargs)`` in a forked child,
    stopped past the time limit plus grace or on Ctrl-C (see the module docstring).

    Returns what :func:`qanneal.solve.run_backend` returns (``info`` has ``compile_s``
    and ``backend_start_s``); raises :class:`BackendError` for a child that fails or
    dies, :class:`SolveInterrupted` (no answer) when Ctrl-C got nothing back.
    """
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    receiver, sender = ctx.Pipe(duplex=False)
    name = backend.name
    time_limit = kwargs.get("time_limit")
    allowed = None if time_limit is None else time_limit + grace_for(time_limit)
    called = time.perf_counter()
    proc = ctx.Process(target=_child, args=(sender, backend, model, kwargs, stop),
                       name=f"qanneal-backend-{name}", daemon=True)
    proc.start()
    sender.close()  # only the child holds its end: EOF here means the child is gone
    phase_start = called  # the limit applies to prepare, then again to solve
    started: tuple[float, float] | None = None
    interrupted = False
    message: tuple[str, Any] | None = None
    try:
        while message is None:
            try:
                remaining = None if allowed is None else phase_start + allowed - time.perf_counter()
                if remaining is not None and remaining <= 0:
                    stop.set()  # ask once, cooperatively, then stop it
                    if receiver.poll(STOP_GRACE_S):
                        message = _receive(receiver)
                        if message[0] == "started":
                            message = None
                    if message is None:
                        _stop(proc)
                        return RawAnswer(solutions=[], info={
                            "status": "timeout",
                            "timeout_note": f"backend {name!r} did not return within its "
                                            f"time limit plus grace; stopped after "
                                            f"{time.perf_counter() - called:.1f}s"})
                    break
                if receiver.poll(0.1 if remaining is None else min(0.1, remaining)):
                    kind, payload = _receive(receiver)
                    if kind == "started":
                        started = payload
                        phase_start = time.perf_counter()
                    else:
                        message = (kind, payload)
            except KeyboardInterrupt:
                interrupted = True
                stop.set()
                message = _wait_after_interrupt(receiver)
                if message is None:
                    raise SolveInterrupted(None) from None
    finally:
        _stop(proc)
        receiver.close()
    kind, payload = message
    if kind == "dead":
        raise BackendError(name, _exit_message(proc.exitcode), failed=False)
    if kind == "raise":
        raise payload if isinstance(payload, QanError) else QanError(str(payload))
    if kind == "error":
        raise BackendError(name, payload)
    if kind == "invalid":
        raise BackendError(name, f"returned an invalid answer: {payload}", failed=False)
    raw, reached = payload
    if reached is not None and backend.on_improvement is not None:
        backend.on_improvement.reached_s = reached  # the StopAt the child used
    if isinstance(raw, RawAnswer) and isinstance(raw.info, dict):
        if interrupted:
            raw.info["status"] = "interrupted"
        if started is not None:
            compile_s, entered = started
            if compile_s:
                raw.info["compile_s"] = compile_s
            raw.info["backend_start_s"] = max(0.0, entered - called - compile_s)
    return raw


def _receive(receiver: Any) -> tuple[str, Any]:
    try:
        return receiver.recv()
    except (EOFError, OSError):
        return ("dead", None)
    except Exception as exc:  # an answer that does not unpickle here
        return ("invalid", f"the answer cannot be read back: {type(exc).__name__}: {exc}")


def _wait_after_interrupt(receiver: Any) -> tuple[str, Any] | None:
    """After Ctrl-C: the child's answer if it sends one in time, else None."""
    deadline = time.perf_counter() + INTERRUPT_GRACE_S
    try:
        while (left := deadline - time.perf_counter()) > 0:
            if not receiver.poll(left):
                return None
            message = _receive(receiver)
            if message[0] != "started":
                return None if message[0] == "dead" else message
    except KeyboardInterrupt:  # a second Ctrl-C: no more waiting
        return None
    return None


# ---------------------------------------------------------------------- validation
#: Longest string a third-party backend's info or params keeps (then a marker).
MAX_INFO_CHARS = 10_000


def capped(value: Any, limit: int = MAX_INFO_CHARS) -> Any:
    """``value`` with every string inside it (keys too) cut to ``limit`` characters.

    >>> capped({"msg": "x" * 12, "n": [1, "ab"]}, limit=5)
    {'msg': 'xxxxx... [cut: 12 characters]', 'n': [1, 'ab']}
    """
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}... [cut: {len(value)} characters]"
    if isinstance(value, dict):
        return {capped(k, limit): capped(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [capped(v, limit) for v in value] if isinstance(value, list) else tuple(
            capped(v, limit) for v in value)
    return value


def validate_answer(name: str, raw: Any, model: Any) -> RawAnswer:
    """``raw`` checked against ``model`` before anything decodes it.

    Raises :class:`BackendError` (``returned an invalid answer: ...``) for the wrong
    type, a sampleset whose variables are not the model's or whose values are outside
    their vartype, a ``solutions`` that is not a list, non-dict info/params, a trace
    that is not ``[(seconds, answer), ...]``. Energies that are not finite or disagree
    with the model are recomputed from it; ``info["energies_recomputed"]`` says why.
    """
    def invalid(why: str) -> BackendError:
        return BackendError(name, f"returned an invalid answer: {why}", failed=False)

    if not isinstance(raw, RawAnswer):
        return raw  # run_backend's own "returned no samples or solutions"
    if not isinstance(raw.info, dict) or not isinstance(raw.params, dict):
        raise invalid("info and params must be dicts")
    # Everything written (r.json, compare's runs.jsonl and runs.csv) carries these:
    # a plugin's 5 MB string would be copied whole into every file.
    raw.info, raw.params = capped(raw.info), capped(raw.params)
    if not isinstance(raw.trace, list) or not all(
            isinstance(e, (tuple, list)) and len(e) == 2 and isinstance(e[0], (int, float))
            and math.isfinite(e[0]) for e in raw.trace):
        raise invalid("trace must be a list of (seconds, answer) pairs")
    if raw.solutions is not None and not isinstance(raw.solutions, list):
        raise invalid(f"solutions must be a list, got {type(raw.solutions).__name__}")
    ss = raw.sampleset
    if ss is None:
        return raw
    if not isinstance(ss, dimod.SampleSet):
        raise invalid(f"sampleset must be a dimod.SampleSet, got {type(ss).__name__}")
    if not isinstance(model, (dimod.BinaryQuadraticModel, dimod.ConstrainedQuadraticModel)):
        return raw  # a MILP formulation: its decoder checks its own variables
    ours, theirs = set(model.variables), set(ss.variables)
    if ours != theirs:
        missing, extra = list(ours - theirs)[:3], list(theirs - ours)[:3]
        raise invalid("variables differ from the model's"
                      + (f"; missing {missing}" if missing else "")
                      + (f"; unknown {extra}" if extra else ""))
    if not len(ss):
        return raw
    samples = np.asarray(ss.record.sample)
    for col, v in enumerate(ss.variables):
        bad = _outside(model, v, samples[:, col])
        if bad is not None:
            raise invalid(f"variable {v!r} has value {bad!r}, outside its vartype")
    energies = np.asarray(ss.record.energy, dtype=float)
    expected = _energies(model, ss)
    why = None
    if not np.all(np.isfinite(energies)):
        why = "not finite"
    elif not np.allclose(energies, expected, rtol=1e-6, atol=1e-6):
        why = f"disagreed with the model by up to {float(np.max(np.abs(energies - expected))):.6g}"
    if why is not None:
        raw.sampleset = dimod.SampleSet.from_samples(
            (samples, list(ss.variables)), vartype=ss.vartype, energy=expected,
            num_occurrences=ss.record.num_occurrences)
        raw.info["energies_recomputed"] = f"the backend's energies were {why}; " \
                                          "recomputed from the model"
    return raw


def _outside(model: Any, v: Any, column: np.ndarray) -> Any:
    """A value of ``column`` outside variable ``v``'s vartype (None: all fine)."""
    vartype = model.vartype(v) if isinstance(model, dimod.ConstrainedQuadraticModel) \
        else model.vartype
    if vartype is dimod.BINARY:
        ok = (column == 0) | (column == 1)
    elif vartype is dimod.SPIN:
        ok = (column == -1) | (column == 1)
    else:  # integer or real variables of a CQM: finite, within bounds
        lo, hi = model.lower_bound(v), model.upper_bound(v)
        ok = np.isfinite(column) & (column >= lo - 1e-9) & (column <= hi + 1e-9)
        if vartype is dimod.INTEGER:
            ok &= np.abs(column - np.round(column)) <= 1e-9
    if np.all(ok):
        return None
    bad = column[~ok][0]
    return bad.item() if hasattr(bad, "item") else bad


def _energies(model: Any, ss: dimod.SampleSet) -> np.ndarray:
    samples = (np.asarray(ss.record.sample), list(ss.variables))
    if isinstance(model, dimod.ConstrainedQuadraticModel):
        return np.asarray(model.objective.energies(samples), dtype=float)
    return np.asarray(model.energies(samples), dtype=float)
