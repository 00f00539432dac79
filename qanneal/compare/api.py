"""``qanneal.compare``: solve problems with several backends, repeatedly, and compare.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "tri.yaml").write_text("problem: maxcut\\ndata:\\n  edges: [[0, 1], [1, 2], [0, 2]]\\n")
>>> c = compare([d / "tri.yaml"], ["exact", "sa"], repeats=2, seed=1, executor="serial")
>>> [(r["backend"], r["best"], r["p_success"]) for r in c.summary]
[('exact', 2.0, 1.0), ('sa', 2.0, 1.0)]

Problems given as files run on any executor (each worker rebuilds them from the
path). Problems built in code (``Problem`` objects, and dimod BQMs/CQMs, wrapped by
:func:`~qanneal.problems.model.model_problem`) do not pickle, so they always run
on the in-process ``serial`` executor (with a warning if another was asked for).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import secrets
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dimod

from qanneal.backends.base import Backend
from qanneal.compare import metrics, report
from qanneal.compare.runner import (
    ProblemRef,
    RunSpec,
    hard_deadline,
    make_executor,
    run_seed,
)
from qanneal.compare.summary import (
    TARGET_KINDS,
    annotate_runs,
    missing_runs,
    resolve_targets,
    summarise,
    verified_objective,
)
from qanneal.errors import InputError, OutputError, UnknownNameError
from qanneal.io import dir_lock
from qanneal.model import PenaltySpec, Problem
from qanneal.problems.model import MODEL_TYPES, model_problem
from qanneal.spec import Spec
from qanneal.validation import seconds

ProblemLike = (str | os.PathLike | Problem | Spec | dimod.BinaryQuadraticModel
               | dimod.QuadraticModel | dimod.ConstrainedQuadraticModel)
BackendLike = str | type[Backend] | Backend
#: The summary files are rewritten at most this often while runs finish (seconds).
REWRITE_EVERY = 2.0


class CompareInterrupted(KeyboardInterrupt):
    """Ctrl-C during a comparison; ``.comparison`` holds the runs that finished."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__("comparison interrupted")
        self.comparison = comparison


@dataclass
class Comparison:
    """The runs of a comparison and what they add up to.

    ``runs``: one dict per finished run (``Result.to_dict()`` plus ``run``,
    ``problem_index``, ``repeat``, ``seed``, ``wall_s``, ``error``); ``summary``: one
    dict per problem x backend; ``missing``: planned runs that did not run.
    """

    problems: list[dict[str, Any]]
    backends: list[dict[str, Any]]
    planned_keys: list[tuple[int, str, int]]
    seed: int
    target: str | float = "auto"
    rtol: float = metrics.RTOL
    confidence: float = 0.99
    settings: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    files: dict[str, Path] = field(default_factory=dict)
    #: The first output that could not be written (``cannot write PATH: reason``); the
    #: runs went on and are all here.
    write_error: str | None = None

    @property
    def planned(self) -> int:
        return len(self.planned_keys)

    @property
    def finished(self) -> int:
        return len(self.runs)

    @property
    def targets(self) -> list[tuple[float | None, str]]:
        return resolve_targets(self.problems, self.runs, self.target)

    @property
    def summary(self) -> list[dict[str, Any]]:
        planned: dict[tuple[int, str], int] = {}
        for index, name, _ in self.planned_keys:
            planned[index, name] = planned.get((index, name), 0) + 1
        return summarise(self.runs, self.problems, self.backends, self.targets, planned,
                         self.rtol, self.confidence)

    @property
    def missing(self) -> list[dict[str, Any]]:
        return [{"problem_index": i, "problem": self.problems[i]["name"], "backend": b,
                 "repeat": r} for i, b, r in missing_runs(self.planned_keys, self.runs)]

    def annotated_runs(self) -> list[dict[str, Any]]:
        """Runs sorted by plan order, with target, gap to it and whether it was reached."""
        runs = sorted(self.runs, key=lambda r: r.get("run", 0))
        return annotate_runs(runs, self.problems, self.targets, self.rtol)

    def missing_text(self) -> str:
        """Which problem x backend x repeat did not run, in one line."""
        groups: dict[tuple[str, str], list[int]] = {}
        for m in self.missing:
            groups.setdefault((str(m["problem"]), m["backend"]), []).append(m["repeat"])
        if not groups:
            return ""
        parts = [f"{p} x {b} x repeat{'s' if len(r) > 1 else ''} {_ranges(r)}"
                 for (p, b), r in groups.items()]
        return f"{len(self.missing)} of {self.planned} runs did not run: " + "; ".join(parts)

    def to_summary_dict(self) -> dict[str, Any]:
        """What summary.json holds."""
        from qanneal.result import versions

        return {"seed": self.seed, "planned": self.planned, "finished": self.finished,
                "interrupted": self.interrupted, "complete": not self.missing,
                "settings": self.settings, "problems": self.problems,
                "backends": self.backends, "targets": [
                    {"problem_index": i, "value": v, "kind": k}
                    for i, (v, k) in enumerate(self.targets)],
                "summary": self.summary, "missing": self.missing, "versions": versions()}

    def to_dataframe(self, which: str = "runs") -> Any:
        """``runs`` (one row per run) or ``summary`` as a pandas DataFrame."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe needs pandas: pip install pandas") from None
        if which == "runs":
            rows = [report.flatten(r, skip={"solution", "versions"})
                    for r in self.annotated_runs()]
        elif which == "summary":
            rows = [report.flatten(r) for r in self.summary]
        else:
            raise InputError(f"unknown table {which!r}; allowed: runs, summary", field="which")
        return pd.DataFrame(rows)

    def table(self) -> Any:
        """The rich table the command prints."""
        return report.summary_table(self)


def _ranges(values: Sequence[int]) -> str:
    """Integers as compact ranges.

    >>> _ranges([0, 1, 2, 5, 7, 8])
    '0-2, 5, 7-8'
    """
    values = sorted(values)
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(v) if v == start else f"{start}-{v}")
            start = None
    return ", ".join(out)


# ---------------------------------------------------------------------- inputs
@dataclass
class _Entry:
    problem: Problem
    ref: ProblemRef | Problem
    backends: dict[str, dict[str, Any]]
    time_limit: float | None
    file: str | None


def _load_problems(problems: ProblemLike | Sequence[ProblemLike], problem_type: str | None,
                   format: str | None, build_options: Mapping[str, Any] | None) -> list[_Entry]:
    if isinstance(problems, (str, os.PathLike, Problem, Spec, *MODEL_TYPES)):
        problems = [problems]
    entries = []
    for item in problems:
        if isinstance(item, MODEL_TYPES):  # a dimod model built in code: wrapped as is
            item = model_problem(item)
        if isinstance(item, Problem):
            entries.append(_Entry(item, item, {}, None, item.source))
        elif isinstance(item, Spec):
            entries.append(_Entry(item.problem, item.problem, item.backends, item.time_limit,
                                  str(item.path) if item.path else None))
        elif isinstance(item, (str, os.PathLike)):
            ref = ProblemRef(str(Path(item).resolve()), problem_type, format,
                             tuple(sorted((build_options or {}).items())))
            spec = ref.load_spec()
            entries.append(_Entry(spec.problem, ref, spec.backends, spec.time_limit, str(item)))
        else:
            raise InputError(f"expected a problem file path, Problem, Spec or dimod model, got "
                             f"{type(item).__name__}", field="problems")
    if not entries:
        raise InputError("no problems given; name at least one problem file", field="problems")
    return entries


def _backend_list(backends: Any, entries: Sequence[_Entry]) -> list[tuple[str, BackendLike,
                                                                           dict[str, Any]]]:
    """(name, backend, options) triples; unknown names fail before anything runs."""
    from qanneal.registry import DEFAULT_BACKEND, backend_names, is_class_path

    if backends is None:
        names: dict[str, None] = {}
        for e in entries:
            names.update(dict.fromkeys(e.backends))
        backends = list(names) or [DEFAULT_BACKEND]
    if isinstance(backends, str):
        backends = [b.strip() for b in backends.split(",") if b.strip()]
    items: list[tuple[BackendLike, dict[str, Any]]]
    if isinstance(backends, Mapping):
        items = [(b, dict(o or {})) for b, o in backends.items()]
    else:
        items = [(b, {}) for b in backends]
    if not items:
        raise InputError("no backends given", field="backends")
    known = backend_names()
    out: list[tuple[str, BackendLike, dict[str, Any]]] = []
    for backend, opts in items:
        if isinstance(backend, str):
            if backend not in known and not is_class_path(backend):  # module:Class
                raise UnknownNameError("backend", backend, known, field="backends")
            name = backend
        elif isinstance(backend, Backend) or (isinstance(backend, type)
                                              and issubclass(backend, Backend)):
            name = backend.name
        else:
            raise InputError(f"expected a backend name or Backend, got {backend!r}",
                             field="backends")
        if any(name == n for n, _, _ in out):
            raise InputError(f"backend {name!r} is listed twice", field="backends")
        out.append((name, backend, opts))
    return out


def _availability(name: str, backend: BackendLike, options: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """Whether a backend can run here (with these options), and why not."""
    from qanneal.errors import BackendError
    from qanneal.registry import load_backend

    try:
        cls = load_backend(backend) if isinstance(backend, str) else _backend_class(backend)
    except BackendError as exc:  # a plugin that fails to import is listed, not fatal
        return {"name": name, "available": False, "reason": exc.one_line(), "consumes": "?",
                "description": ""}
    # available_for(options) where the backend has it (e.g. a simulated QPU needs no token)
    check = getattr(cls, "available_for", None)
    try:
        ok, reason = check(dict(options)) if check is not None else cls.available()
    except Exception as exc:
        ok, reason = False, f"availability check raised {type(exc).__name__}: {exc}"
    return {"name": name, "available": bool(ok), "reason": reason or "",
            "consumes": cls.consumes, "description": cls.description}


def _backend_class(backend: BackendLike) -> type[Backend] | None:
    from qanneal.registry import load_backend

    if isinstance(backend, str):
        return load_backend(backend)
    return backend if isinstance(backend, type) else type(backend)


def _check_target(target: Any, entries: Sequence[_Entry]) -> str | float:
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        return _finite_target(float(target))
    if isinstance(target, str) and target not in TARGET_KINDS:
        try:
            return _finite_target(float(target))
        except InputError:
            raise
        except ValueError:
            raise InputError(f"expected a number, {', '.join(TARGET_KINDS)}; got {target!r}",
                             field="target") from None
    if target not in TARGET_KINDS:
        raise InputError(f"expected a number or one of {', '.join(TARGET_KINDS)}",
                         field="target")
    if target == "best-known":
        for e in entries:
            if e.problem.known_optimum is None:
                raise InputError("--target best-known needs known_optimum: in every problem "
                                 "file; this one has none (use best-found or a number)",
                                 file=e.file, field="known_optimum")
    return target


def _finite_target(value: float) -> float:
    # NaN would be accepted silently (no run ever reaches it), inf likewise.
    if not math.isfinite(value):
        raise InputError(f"expected a finite number or one of {', '.join(TARGET_KINDS)}; "
                         f"got {value}", field="target")
    return value


def _known_stop(problem: Problem, target: str | float, rtol: float) -> float | None:
    """What a run may stop at when the target is the problem's known optimum, else None.

    The target must be the known optimum itself (``auto``/``best-known``, or a number
    equal to it): stopping at a lesser target would cut the quality columns short.
    """
    known, sense = problem.known_optimum, problem.sense
    if known is None or target == "best-found":
        return None
    if isinstance(target, str) or (metrics.reached(target, known, sense, rtol)
                                   and metrics.reached(known, target, sense, rtol)):
        return metrics.threshold(float(known), sense, rtol)
    return None


def _proven_stop(row: Mapping[str, Any], problem: Mapping[str, Any], target: str | float,
                 rtol: float) -> float | None:
    """What later runs may stop at once ``row`` proved an optimum, else None.

    A proof is a run with status ``optimal`` (a MILP's certificate, or ``exact``'s
    enumeration) whose answer was verified feasible, on the problem's own objective: a
    linearised model or a CQM only proves the problem's optimum when the CQM objective
    is not a surrogate (``options.surrogate_objective``). It stops later runs when the
    target will be that optimum: ``best-found`` (nothing beats a proven optimum) or a
    number equal to it.

    >>> row = {"status": "optimal", "feasible": True, "objective": 46.0, "info": {}}
    >>> _proven_stop(row, {"sense": "max"}, "best-found", 0.0)
    46.0
    >>> _proven_stop(row, {"sense": "max"}, 40.0, 0.0) is None
    True
    >>> _proven_stop(row, {"sense": "max", "surrogate_objective": True}, "auto", 0.0) is None
    True
    """
    objective = verified_objective(row)
    if row.get("status") != "optimal" or objective is None:
        return None
    if problem.get("surrogate_objective") and (row.get("info") or {}).get(
            "formulation") != "native":
        return None
    sense = problem.get("sense", "min")
    if isinstance(target, str):
        return metrics.threshold(objective, sense, rtol)
    if metrics.reached(objective, target, sense, rtol) and metrics.reached(target, objective,
                                                                            sense, rtol):
        return metrics.threshold(float(target), sense, rtol)
    return None


def _can_prove(backend: BackendLike) -> bool:
    """Backends whose runs may end with a proof of optimality (MILP solvers, ``exact``)."""
    cls = _backend_class(backend)
    return cls is not None and (cls.consumes == "milp" or cls.name == "exact")


def _picklable(spec: RunSpec) -> bool:
    try:
        pickle.dumps(spec)
    except Exception:
        return False
    return True


# ---------------------------------------------------------------------- compare
def compare(problems: ProblemLike | Sequence[ProblemLike],
            backends: str | Sequence[BackendLike] | Mapping[str, Mapping[str, Any]] | None = None,
            *, repeats: int = 5, time_budget: float | None = None,
            target: str | float = "auto", rtol: float = metrics.RTOL, seed: int | None = None,
            out: str | os.PathLike | None = None, executor: str = "local",
            workers: int | None = None, options: Mapping[str, Mapping[str, Any]] | None = None,
            penalties: PenaltySpec = None, run_timeout: float | None = None,
            grace: float | None = None, progress: bool | None = None,
            problem_type: str | None = None, format: str | None = None,
            build_options: Mapping[str, Any] | None = None, confidence: float = 0.99,
            on_run: Callable[[dict[str, Any]], None] | None = None,
            early_stop: bool = True) -> Comparison:
    """Run every problem with every backend ``repeats`` times and compare the answers.

    ``backends``: names (``"sa,tabu"`` or a list), Backend classes/instances, or a
    mapping name -> options; default: the backends the problem files name, else sa.
    ``options``: backend name -> options, over the problem file's own. ``time_budget``
    gives every run the same wall-clock budget (annealers restart until it is spent;
    a MILP gets it as its time limit). ``target``: a number, ``best-known`` (the files'
    ``known_optimum``), ``best-found`` (the best verified answer of any run) or
    ``auto`` (best-known where available, else best-found). ``executor``: ``local``
    (process pool of ``workers``), ``serial``, ``dask`` (a new LocalCluster) or
    ``tcp://HOST:PORT`` (an existing Dask scheduler). With ``out``, every file is
    written there (runs.jsonl line by line as runs finish). ``on_run`` is called with
    each run's row as it finishes.

    ``early_stop``: when the target is a proven optimum -- the file's ``known_optimum``
    (target ``auto``/``best-known``, or a number equal to it), or an optimum a MILP or
    ``exact`` run of this comparison proved (target ``best-found``/``auto`` without a
    known optimum, or a number equal to it) -- a run stops as soon as one of its
    answers, verified, reaches it (``solve(stop_at=...)``). For the second kind the
    proving backends' runs of such problems go first, so every other run knows the
    optimum when it starts.

    Ctrl-C raises :class:`CompareInterrupted` after writing what finished; its
    ``.comparison`` holds those runs.
    """
    if not isinstance(repeats, int) or repeats < 1:
        raise InputError(f"expected a positive integer, got {repeats!r}", field="repeats")
    time_budget = seconds(time_budget, "time_budget")  # nan, inf, True, "soon": one line
    run_timeout = seconds(run_timeout, "run_timeout")
    grace = seconds(grace, "grace", allow_zero=True)
    entries = _load_problems(problems, problem_type, format, build_options)
    chosen = _backend_list(backends, entries)
    target = _check_target(target, entries)
    options = {k: dict(v) for k, v in (options or {}).items()}
    unknown = [k for k in options if k not in {n for n, _, _ in chosen}]
    if unknown:
        raise InputError(f"options for backend {unknown[0]!r}, which is not compared",
                         field="options")
    if seed is None:  # always record a seed, so the comparison can be replayed
        seed = secrets.randbits(32)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"expected a non-negative integer, got {seed!r}", field="seed")
    infos = [_availability(name, backend, {**entries[0].backends.get(name, {}), **opts,
                                           **options.get(name, {})})
             for name, backend, opts in chosen]
    stops = [_known_stop(e.problem, target, rtol) if early_stop else None for e in entries]

    specs: list[RunSpec] = []
    for repeat in range(repeats):  # repeat outermost: a partial run covers every backend
        for p, entry in enumerate(entries):
            for (name, backend, opts), info in zip(chosen, infos):
                if not info["available"]:
                    continue
                run_opts = {**entry.backends.get(name, {}), **opts, **options.get(name, {})}
                cls = _backend_class(backend)
                if "threads" in (getattr(cls, "defaults", None) or {}) \
                        and "threads" not in run_opts:
                    run_opts["threads"] = 1  # one run per core: no oversubscription
                limit = time_budget if time_budget is not None else entry.time_limit
                specs.append(RunSpec(
                    index=len(specs), problem_index=p, problem=entry.ref,
                    problem_name=str(entry.problem.name or f"problem {p}"),
                    problem_kind=entry.problem.kind, file=entry.file, backend=backend,
                    backend_name=name, repeat=repeat, seed=run_seed(seed, p, name, repeat),
                    time_limit=limit, options=run_opts, penalties=penalties,
                    deadline=hard_deadline(limit, run_timeout, grace), stop_at=stops[p]))

    if executor != "serial" and specs:
        samples = {(s.problem_index, s.backend_name): s for s in specs}.values()
        if not all(_picklable(s) for s in samples):
            warnings.warn("problems or backends built in code cannot be sent to worker "
                          "processes; running on the serial executor (pass problem files "
                          "to run in parallel)", stacklevel=2)
            executor = "serial"
    # Compile what backends compile on first use once, here, before any run's deadline
    # (workers then load it from the on-disk cache): a compile must never be a timeout.
    for (_, backend, _), info in zip(chosen, infos):
        warm_up = getattr(_backend_class(backend), "warm_up", None) if info["available"] \
            else None
        if warm_up is not None:
            warm_up()
    runner = make_executor(executor, workers)

    comparison = Comparison(
        problems=[{"index": i, "name": str(e.problem.name or f"problem {i}"),
                   "kind": e.problem.kind, "file": e.file, "sense": e.problem.sense,
                   "known_optimum": e.problem.known_optimum,
                   "surrogate_objective": bool(e.problem.options.get("surrogate_objective")),
                   "num_variables": e.problem.num_variables} for i, e in enumerate(entries)],
        backends=infos, planned_keys=[s.key for s in specs], seed=seed, target=target,
        rtol=rtol, confidence=confidence,
        settings={"executor": executor, "workers": getattr(runner, "slots", 1),
                  "repeats": repeats, "time_budget": time_budget, "target": target,
                  "rtol": rtol, "confidence": confidence, "seed": seed,
                  "run_timeout": run_timeout, "grace": grace, "options": options,
                  "early_stop": early_stop,
                  "penalties": penalties, "argv": sys.argv if out else None})
    # Problems whose target a proof may settle: their proving runs go first (phase 1).
    unsettled = {p for p, stop in enumerate(stops) if early_stop and stop is None
                 and target != "best-known"}
    first = [s for s in specs if s.problem_index in unsettled and _can_prove(s.backend)]
    rest = [s for s in specs if not (s.problem_index in unsettled and _can_prove(s.backend))]

    def on_proof(row: dict[str, Any]) -> None:
        index = row.get("problem_index")
        if index not in unsettled:
            return
        stop = _proven_stop(row, comparison.problems[index], target, rtol)
        if stop is not None:
            unsettled.discard(index)
            for spec in rest:  # not dispatched yet: they carry it to their worker
                if spec.problem_index == index:
                    spec.stop_at = stop

    phases = [first, rest] if first and rest else [specs]
    # One comparison at a time writes into a folder: two would interleave runs.jsonl.
    with dir_lock(out) if out is not None else contextlib.nullcontext():
        _run(comparison, runner, phases, Path(out) if out is not None else None, progress,
             on_run, on_proof if first and rest else None)
    if comparison.interrupted:
        raise CompareInterrupted(comparison)
    return comparison


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return sys.stderr.isatty() and not os.environ.get("CI")


def _run(comparison: Comparison, runner: Any, phases: Sequence[Sequence[RunSpec]],
         out: Path | None, progress: bool | None,
         on_run: Callable[[dict[str, Any]], None] | None,
         on_proof: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Run the phases one after the other (a phase's runs in parallel)."""
    from contextlib import nullcontext

    specs = [s for phase in phases for s in phase]

    log = report.RunLog(out / "runs.jsonl") if out is not None else None
    bar: Any = None
    last_write = time.monotonic()

    def on_result(row: dict[str, Any]) -> None:
        nonlocal last_write
        if on_proof is not None:
            on_proof(row)
        comparison.runs.append(row)
        if log is not None and comparison.write_error is None:
            _writing(comparison, log.append, row)
            if time.monotonic() - last_write > REWRITE_EVERY:
                _writing(comparison, report.write_tables, comparison, out)
                last_write = time.monotonic()
        if bar is not None:
            bar.advance(task)
        if on_run is not None:
            on_run(row)

    context: Any = nullcontext()
    if _show_progress(progress) and specs:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        context = bar = Progress(TextColumn("compare"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=True)
        task = bar.add_task("runs", total=len(specs))
    try:
        with context:
            for phase in phases:
                runner.run(phase, on_result)
    except KeyboardInterrupt:
        comparison.interrupted = True
    except Exception:  # the executor itself failed (e.g. a lost scheduler): keep what finished
        if out is not None and comparison.runs:
            _write_all(comparison, out)
        raise
    finally:
        if log is not None:
            log.close()
    if out is not None:
        _write_all(comparison, out)


def _writing(comparison: Comparison, write: Callable[..., Any], *args: Any) -> Any:
    """Call a writer; a failed write (a full disk) is recorded, never the end of the
    comparison: the runs go on, the table is shown, then the error."""
    try:
        return write(*args)
    except OutputError as exc:
        if comparison.write_error is None:
            comparison.write_error = exc.one_line()
        return None


def _write_all(comparison: Comparison, out: Path) -> None:
    files = _writing(comparison, report.write_all, comparison, out)
    comparison.files = {"runs.jsonl": out / "runs.jsonl", **(files or {})}
