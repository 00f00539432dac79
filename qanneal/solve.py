"""One solve, end to end: model for the backend, run it, decode, verify, pick the best.

This is the single data path every entry point uses (CLI, Python API, compare):

    Problem --(to_bqm / cqm / milp)--> backend --> raw answer --> decode --> verify --> Result
"""

from __future__ import annotations

import copy
import math
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dimod

from qanneal import sizing
from qanneal.backends.base import Backend, RawAnswer
from qanneal.errors import (
    BackendError,
    InputError,
    QanError,
    SolveInterrupted,
    TooLargeError,
)
from qanneal.isolation import is_builtin, run_in_worker, validate_answer, wants_worker
from qanneal.manifest import run_manifest
from qanneal.model import Evaluation, PenaltySpec, Problem
from qanneal.onehot import OneHotGroups
from qanneal.registry import DEFAULT_BACKEND, get_backend
from qanneal.result import Result
from qanneal.validation import seconds as checked_seconds
from qanneal.validation import short_repr
from qanneal.watchdog import run_watched


def prepare_model(problem: Problem, backend: Backend, penalties: PenaltySpec = None,
                  groups: OneHotGroups | None = None) -> tuple[Any, dict[str, float] | None]:
    """The model ``backend`` consumes, and the penalty weights used (BQM only).

    ``groups`` (from :func:`onehot_groups_for`): constraints the backend keeps satisfied
    itself, left out of the penalised BQM.
    """
    if backend.consumes == "bqm":
        bqm, weights = problem.to_bqm(penalties, exclude=groups.labels if groups else ())
        _check_size(backend, bqm.num_variables)
        return bqm, weights
    if backend.consumes == "cqm":
        _check_size(backend, len(problem.cqm.variables))
        return problem.cqm, None
    if backend.consumes == "milp":
        if problem.milp is not None:
            return problem.milp(), None
        from qanneal.linearise import linearise_cqm  # only MILP backends need it
        return linearise_cqm(problem), None
    raise BackendError(backend.name, f"consumes {backend.consumes!r}; expected bqm, cqm or milp")


def onehot_groups_for(problem: Problem, backend: Backend,
                      options: dict[str, Any]) -> OneHotGroups | None:
    """The one-hot groups and permutation blocks ``backend`` keeps satisfied by its own
    moves in a run with ``options`` (the ``anneal`` engine unless ``onehot=off``), or
    None. Every other backend (sa, tabu, qpu, hybrid...) gets the penalised QUBO."""
    if backend.consumes != "bqm" or not backend.uses_onehot(options):
        return None
    from qanneal.onehot import find_groups

    return find_groups(problem.cqm) or None


def _check_size(backend: Backend, n: int) -> None:
    """Refuse a model a backend cannot take, before anything big is allocated."""
    if backend.max_variables is not None and n > backend.max_variables:
        raise TooLargeError(
            f"backend {backend.name!r} accepts at most {backend.max_variables} variables; "
            f"this model has {n} (choose another backend, e.g. sa)")
    if backend.dense_matrix:
        need = 8 * n * n
        limit = physical_memory() // 2
        if need > limit:
            raise TooLargeError(
                f"backend {backend.name!r} builds a dense {n} x {n} matrix: about "
                f"{need / 2**30:.1f} GiB, more than half of this machine's "
                f"{2 * limit / 2**30:.0f} GiB (choose a sparse backend, e.g. sa or anneal)")


def physical_memory() -> int:
    """Bytes of physical memory on this machine (a large default if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


#: The least budget a backend is handed when converting its model used up the rest (an
#: anytime backend then returns its first batch; the watchdog's grace still applies).
MIN_SOLVE_S = 0.01


def run_backend(backend: Backend, model: Any, **kwargs: Any) -> RawAnswer:
    """Call ``backend.solve`` under the watchdog (:mod:`qanneal.watchdog`).

    Anything the backend raises that is not ours becomes one line naming it. A backend
    that overruns ``time_limit`` by more than the grace period is abandoned and the
    answer is empty with status ``timeout``; on Ctrl-C the backend is asked to stop and
    whatever it returns is marked ``interrupted`` (no answer: :class:`SolveInterrupted`).
    The backend's :meth:`~Backend.prepare` runs first: the compiling or loading it
    reports is outside the limit (``info["compile_s"]``), the rest of its time (model
    conversion, ``info["convert_s"]``) comes out of the backend's time limit. ``info["backend_start_s"]`` is how long after
    this call (compilation left out) the backend's ``solve`` began: the offset from the
    backend's own clock, which its trace times use, to the caller's.

    A backend registered by another distribution than qanneal (a plugin) runs in a
    worker process instead (:mod:`qanneal.isolation`: stopped at its limit, a crash is
    one line), and the answer of any backend not shipped with qanneal is validated
    against ``model`` before it is returned (:func:`~qanneal.isolation.validate_answer`).
    """
    if wants_worker(backend):  # a plugin: in a process that can be stopped and can crash
        raw = run_in_worker(backend, model, **kwargs)
        if not isinstance(raw, RawAnswer) or (raw.sampleset is None and raw.solutions is None):
            raise BackendError(backend.name, "returned no samples or solutions")
        return validate_answer(backend.name, raw, model)
    called = time.perf_counter()
    # One-off work (compiling kernels) first, outside the time limit and the watchdog.
    options = {k: v for k, v in kwargs.items() if k not in ("seed", "time_limit")}
    try:
        compile_s = backend.prepare(model, **options)
    except (QanError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a plugin bug must be reported, never crash the caller
        raise BackendError(backend.name, f"{type(exc).__name__}: {exc}") from exc
    # What prepare did besides compiling (converting the model: 7.7 s on a time-indexed
    # la01 with one-hot groups) is the run's own work: it comes out of the budget.
    converted_s = max(0.0, time.perf_counter() - called - compile_s)
    if kwargs.get("time_limit") is not None and converted_s > 0:
        kwargs = {**kwargs, "time_limit": max(kwargs["time_limit"] - converted_s,
                                              MIN_SOLVE_S)}
    stop = threading.Event()
    backend.stop_event = stop
    entered: list[float] = []

    def call() -> RawAnswer:
        entered.append(time.perf_counter())
        return backend.solve(model, **kwargs)

    outcome = run_watched(call, time_limit=kwargs.get("time_limit"), stop=stop)
    if outcome.error is not None:
        exc = outcome.error
        if isinstance(exc, (QanError, KeyboardInterrupt)):
            raise exc
        if not isinstance(exc, Exception):
            raise exc
        # a plugin bug must be reported, never crash the caller
        raise BackendError(backend.name, f"{type(exc).__name__}: {exc}") from exc
    if not outcome.finished:
        if outcome.interrupted:
            raise SolveInterrupted(None)
        return RawAnswer(solutions=[], info={
            "status": "timeout",
            "timeout_note": f"stopped after {outcome.elapsed_s:.1f}s: the backend did not "
                            "return within its time limit plus grace"})
    raw = outcome.value
    if not isinstance(raw, RawAnswer) or (raw.sampleset is None and raw.solutions is None):
        raise BackendError(backend.name, "returned no samples or solutions")
    if not is_builtin(backend):  # checked before anything decodes it
        raw = validate_answer(backend.name, raw, model)
    if outcome.interrupted:
        raw.info["status"] = "interrupted"
    if compile_s:
        raw.info["compile_s"] = compile_s
    if converted_s >= 0.01:
        raw.info["convert_s"] = converted_s
    if entered:
        raw.info["backend_start_s"] = max(0.0, entered[0] - called - compile_s)
    return raw


def _finite_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _no_time_left(time_limit: float, spent: float) -> None:
    """Refuse a run whose reading and building used its whole time limit."""
    raise TooLargeError(
        f"reading and building the model took {spent:.1f} s, the whole time limit of "
        f"{time_limit:g} s; nothing is left to solve (give a larger --time-limit, or make "
        "the model smaller)")


def polish(bqm: dimod.BinaryQuadraticModel, sampleset: dimod.SampleSet) -> dimod.SampleSet:
    """Steepest descent from every sample (dwave-samplers): a cheap local clean-up."""
    from dwave.samplers import SteepestDescentSolver

    return SteepestDescentSolver().sample(bqm, initial_states=sampleset)


def polish_kept(problem: Problem, bqm: dimod.BinaryQuadraticModel,
                weights: Mapping[str, float], groups: OneHotGroups | None,
                sampleset: dimod.SampleSet) -> dimod.SampleSet:
    """:func:`polish` the samples of a run on ``bqm`` (made with ``weights``). When the
    sampler kept one-hot ``groups`` by its own moves, ``bqm`` has no penalty for them and
    a single-flip descent on it would leave them: it descends on the fully penalised
    model instead."""
    return polish(problem.to_bqm(weights)[0] if groups else bqm, sampleset)


def evaluate_answer(problem: Problem, raw: RawAnswer,
                    repair: bool = False) -> tuple[list[Evaluation], int]:
    """Decode and verify every distinct answer; returns evaluations and repaired count.

    With ``repair``, each infeasible answer goes through the problem's ``repair`` and
    the repaired answer is verified again by the problem's checker; it replaces the
    original only if that check passes, and is marked ``repaired`` (a repair that
    raises leaves the answer as sampled). The count is in sample occurrences.
    """
    evaluations: list[Evaluation] = []
    if raw.sampleset is not None:
        ss = raw.sampleset.aggregate()
        variables = list(ss.variables)
        for row, energy, count in zip(ss.record.sample, ss.record.energy,
                                      ss.record.num_occurrences):
            sample = dict(zip(variables, row.tolist()))
            ev = problem.evaluate(sample)
            ev.energy = float(energy)
            ev.occurrences = int(count)
            evaluations.append(ev)
    else:
        evaluations = [problem.check(sol) for sol in raw.solutions or []]
    repaired = 0
    if repair and problem.repair is not None:
        for i, ev in enumerate(evaluations):
            if ev.feasible:
                continue
            try:
                fixed = problem.check(problem.repair(ev.solution))
            except Exception:  # a failed repair must not lose the sampled answer
                continue
            if fixed.feasible:
                fixed.energy, fixed.occurrences = None, ev.occurrences
                fixed.repaired = True
                evaluations[i] = fixed
                repaired += ev.occurrences
    return evaluations, repaired


#: At most this many trace answers are decoded and verified per run (thinned evenly,
#: the first and last kept): a long trace must not make decoding cost more than solving.
MAX_TRACE = 200


def thin(entries: Sequence[Any], limit: int = MAX_TRACE) -> list[Any]:
    """At most ``limit`` evenly spaced entries, the first and the last always kept.

    >>> thin(list(range(10)), 4), thin([1, 2], 4), thin(list(range(5)), 1)
    ([0, 3, 6, 9], [1, 2], [4])
    """
    if len(entries) <= limit:
        return list(entries)
    if limit < 2:
        return list(entries[-1:])
    step = (len(entries) - 1) / (limit - 1)
    return [entries[round(i * step)] for i in range(limit)]


def _verify(problem: Problem, answer: Any, sampled: bool) -> Evaluation | None:
    """The problem's own verdict on one answer (None if it cannot even be decoded)."""
    try:
        return problem.evaluate(answer) if sampled else problem.check(answer)
    except Exception:  # a trace answer too broken to decode is no answer at all
        return None


def _counts(ev: Evaluation | None) -> bool:
    return ev is not None and ev.feasible and not math.isnan(ev.objective)


def verified_trace(problem: Problem, trace: Sequence[tuple[float, Any]], sampled: bool,
                   final: Evaluation | None, end_s: float) -> list[list[float]]:
    """The run's anytime curve in verified objectives: ``[[seconds, objective], ...]``.

    Each trace answer (a sample of the model's variables when ``sampled``, else a
    solution in problem terms) is decoded and verified by the problem itself; only
    feasible answers whose objective improves on the previous kept one stay, so a
    low-energy infeasible sample never counts. The ``final`` best answer ends the curve
    at ``end_s`` (the run's solve time: conservative) when it is better than the last
    point, so the curve always reaches the run's result. At most :data:`MAX_TRACE`
    answers are verified.

    >>> from qanneal.problems.maxcut import maxcut_problem
    >>> import networkx as nx
    >>> p = maxcut_problem(nx.cycle_graph(4))
    >>> trace = [(0.1, {0: 0, 1: 0, 2: 0, 3: 0}), (0.2, {0: 0, 1: 1, 2: 0, 3: 0}),
    ...          (0.3, {0: 0, 1: 1, 2: 0, 3: 1})]
    >>> verified_trace(p, trace, True, None, 1.0)
    [[0.1, 0.0], [0.2, 2.0], [0.3, 4.0]]
    """
    curve: list[list[float]] = []
    for seconds, answer in thin(trace):
        ev = _verify(problem, answer, sampled)
        if _counts(ev) and (not curve or problem.better(ev.objective, curve[-1][1])):
            curve.append([float(seconds), float(ev.objective)])
    if _counts(final) and (not curve or problem.better(final.objective, curve[-1][1])):
        curve.append([float(end_s), float(final.objective)])
    return curve


class StopAt:
    """Stops a run once one of its answers, verified, reaches ``stop_at``.

    Installed as the backend's :attr:`~qanneal.backends.base.Backend.on_improvement`:
    each answer an anytime backend reports is decoded and verified by the problem (in
    the backend's thread, so it counts as solve time) and, once one is feasible with an
    objective at least as good as ``stop_at`` in the problem's sense, the run's stop
    event is set; the backend sees it at its next ``should_stop()``. ``reached_s`` is
    when (seconds since the backend's solve began), None until then.
    """

    def __init__(self, problem: Problem, backend: Backend, stop_at: float,
                 sampled: bool) -> None:
        self.problem, self.backend, self.stop_at = problem, backend, stop_at
        self.sampled = sampled
        self.reached_s: float | None = None

    def __call__(self, seconds: float, answer: Any) -> None:
        if self.reached_s is not None:
            return
        ev = _verify(self.problem, answer, self.sampled)
        if _counts(ev) and not self.problem.better(self.stop_at, ev.objective):
            self.reached_s = float(seconds)
            if self.backend.stop_event is not None:
                self.backend.stop_event.set()


def pick_best(problem: Problem, evaluations: Iterable[Evaluation]) -> Evaluation | None:
    """Best feasible answer by objective (energy breaks ties); else the least violated."""
    best: Evaluation | None = None
    for ev in evaluations:
        if best is None or _preferred(problem, ev, best):
            best = ev
    return best


def _preferred(problem: Problem, a: Evaluation, b: Evaluation) -> bool:
    if a.feasible != b.feasible:
        return a.feasible
    if not a.feasible and len(a.violations) != len(b.violations):
        return len(a.violations) < len(b.violations)
    if problem.better(a.objective, b.objective):
        return True
    if problem.better(b.objective, a.objective):
        return False
    ea = math.inf if a.energy is None else a.energy
    eb = math.inf if b.energy is None else b.energy
    return ea < eb


#: How far (relative to |bound|, at least 1e-9) a verified objective may sit from a
#: solver's proven bound for its ``optimal`` to stand.
CERTIFICATE_RTOL = 1e-6


def _checked_status(problem: Problem, raw_info: dict[str, Any], best: Evaluation | None,
                    info: dict[str, Any]) -> str:
    """The run's status, with a solver's ``optimal`` kept only if the answer bears it out.

    A MILP's certificate is about its own model; the answer is decoded and verified
    independently. If the verified answer is infeasible, or its objective is worse than
    the proven bound (a formulation or tolerance bug), ``optimal`` becomes ``feasible``
    (or ``unverified``) and ``info["certificate_mismatch"]`` says why.
    """
    status = str(raw_info.get("status", "ok" if best is not None else "no answer"))
    bound = raw_info.get("bound")
    if status != "optimal" or best is None or bound is None \
            or not raw_info.get("certifies_objective", True):
        return status
    if not best.feasible:
        info["certificate_mismatch"] = "the solver's optimal answer fails verification"
        return "unverified"
    tol = max(1e-9, CERTIFICATE_RTOL * abs(float(bound)))
    worse = (best.objective - bound if problem.sense == "min" else bound - best.objective)
    if worse > tol:
        info["certificate_mismatch"] = (
            f"verified objective {best.objective!r} is worse than the proven bound "
            f"{bound!r}: optimality not certified")
        return "feasible"
    return status


def solve(problem: Problem | dimod.BinaryQuadraticModel | dimod.QuadraticModel
          | dimod.ConstrainedQuadraticModel, backend: str | Backend = DEFAULT_BACKEND, *,
          seed: int | None = None, time_limit: float | None = None,
          penalties: PenaltySpec = None, polish_samples: bool = False, repair: bool = False,
          stop_at: float | None = None, **options: Any) -> Result:
    """Solve ``problem`` with ``backend`` and return the verified best answer.

    ``problem`` may also be a dimod model (BQM, QM or CQM), wrapped by
    :func:`qanneal.problems.model.model_problem`: its solution is the sample, verified
    by the model's own constraints.

    ``info["verified_trace"]`` is the run's anytime curve of verified objectives
    (:func:`verified_trace`), on the clock of ``timing["solve_s"]``. With ``stop_at`` (an
    objective, e.g. a proven optimum) an anytime backend stops as soon as one of its
    answers, verified, is at least that good (:class:`StopAt`; ``info["stop_at"]``, and
    ``info["stop_reached_s"]`` when it was reached). Backends that report nothing as
    they go (``Backend.improved``) run to their end.

    >>> from qanneal.problems.maxcut import maxcut_problem
    >>> import networkx as nx
    >>> result = solve(maxcut_problem(nx.cycle_graph(4)), "exact")
    >>> result.objective, result.feasible
    (4.0, True)
    """
    # Arguments from code are checked as strictly as the CLI's: nan, inf, True, "soon"
    # are one InputError here, not an error deep in a backend.
    time_limit = checked_seconds(time_limit, "time_limit")
    if stop_at is not None and not _finite_number(stop_at):
        raise InputError(f"expected a finite number, got {short_repr(stop_at)}",
                         field="stop_at")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InputError(f"expected a non-negative integer, got {short_repr(seed)}",
                         field="seed")
    if not isinstance(problem, Problem):  # a dimod model built anywhere
        from qanneal.problems.model import as_problem

        problem = as_problem(problem)
    if seed is None:  # always record a seed, so every run can be replayed
        seed = secrets.randbits(32)
    instance = get_backend(backend, options) if isinstance(backend, str) else backend
    # The clock starts after the backend is loaded: importing its module (numba for
    # anneal, ~0.4 s) is neither building nor solving, and must not eat a short budget.
    start = time.perf_counter()
    # Building counts against the time limit: the (lazy) model is built under a
    # deadline that stops a builder's loops, and the backend gets what is left.
    left = None if time_limit is None else time_limit - problem.build_s - (
        time.perf_counter() - start)
    if left is not None and left <= 0:  # reading and building the problem took it all
        _no_time_left(time_limit, problem.build_s + time.perf_counter() - start)
    with sizing.deadline(left, f"the time limit ({time_limit} s)"):
        calibration = None
        if instance.consumes == "bqm":
            from qanneal.penalties import (  # imports this module
                calibrate,
                final_solve_limit,
                split_budget,
                wants_calibration,
            )

            if wants_calibration(problem, penalties):  # penalties: auto -> closed-loop weights
                # time_limit is the whole solve's budget: calibration gets a share of it.
                round_limit, budget = (None, None) if time_limit is None else split_budget(
                    time_limit)
                calibration = calibrate(problem, instance, penalties=penalties, seed=seed,
                                        time_limit=round_limit, time_budget=budget,
                                        polish_samples=polish_samples, **options)
        calibrated = time.perf_counter()
        solve_limit = time_limit
        if calibration is not None and time_limit is not None:
            solve_limit = final_solve_limit(time_limit, calibrated - start)
        groups = onehot_groups_for(problem, instance, options)
        model, weights = prepare_model(
            problem, instance, penalties if calibration is None else calibration.weights,
            groups=groups)
    prepared = time.perf_counter()
    if time_limit is not None and calibration is None:
        solve_limit = time_limit - problem.build_s - (prepared - start)
        if solve_limit <= 0:
            _no_time_left(time_limit, problem.build_s + prepared - start)
    # Only around the final solve (calibration rounds run whole); set on every solve,
    # because a Backend instance may be reused.
    early = None if stop_at is None else StopAt(problem, instance, stop_at,
                                                sampled=instance.consumes != "milp")
    instance.on_improvement = early
    if calibration is not None and calibration.interrupted:
        # Ctrl-C during calibration: no final solve; the rounds' best answer is the result.
        raw = RawAnswer(solutions=[], info={"status": "interrupted"})
    else:
        raw = run_backend(instance, model, seed=seed, time_limit=solve_limit, **options,
                          **({"onehot_groups": groups} if groups else {}))
    instance.on_improvement = None
    if polish_samples and raw.sampleset is not None and isinstance(model, dimod.BQM):
        raw.sampleset = polish_kept(problem, model, weights, groups, raw.sampleset)
        raw.params["polish"] = True
    solved = time.perf_counter()
    try:
        evaluations, repaired = evaluate_answer(problem, raw, repair=repair)
    except QanError:
        raise
    except Exception as exc:  # a plugin's solutions the problem cannot even decode
        if is_builtin(instance):
            raise
        raise BackendError(instance.name, f"returned an invalid answer: the problem cannot "
                                          f"decode it ({type(exc).__name__}: {exc})",
                           failed=False) from None
    best = pick_best(problem, evaluations)
    from_round = None
    if calibration is not None and calibration.best_answer is not None:
        # A calibration round's verified answer counts too: it was paid for. Its
        # energy is on another round's model, so none is reported for it.
        kept = pick_best(problem, [ev for ev in (best, calibration.best_answer) if ev])
        if kept is not best:
            best, from_round = copy.copy(kept), calibration.best_answer_round
            best.energy = None
    decoded = time.perf_counter()
    compile_s = float(raw.info.get("compile_s", 0.0))
    timing = {
        "build_s": problem.build_s + (prepared - calibrated) + (
            calibrated - start if calibration is None else 0.0),
        # Compiling or loading a backend's kernels is not solving: reported apart.
        "compile_s": compile_s,
        "solve_s": solved - prepared - compile_s,
        "decode_s": decoded - solved,
    }
    if calibration is not None:
        timing["calibrate_s"] = calibrated - start
    timing["total_s"] = sum(timing.values())
    num_samples = sum(ev.occurrences for ev in evaluations)
    # Feasible as sampled; repaired answers are counted apart, so comparisons stay honest.
    num_feasible = sum(ev.occurrences for ev in evaluations if ev.feasible and not ev.repaired)
    params = dict(raw.params)
    params.setdefault("seed", seed)
    if time_limit is not None:
        params.setdefault("time_limit", time_limit)
    info = {k: v for k, v in raw.info.items() if k != "status"}
    if calibration is not None:
        info["penalty_trace"] = calibration.trace
        info["penalty_calibration"] = calibration.summary()
        if time_limit is not None:
            info["penalty_calibration"]["solve_time_limit"] = solve_limit
        if from_round is not None:
            info["best_from_calibration_round"] = from_round
    if best is not None and best.repaired:
        info["best_repaired"] = True
    # The samples behind the trace stay here: only their verified objectives go on, on
    # the clock of solve_s (the backend's own clock starts when its solve is called).
    offset = float(raw.info.get("backend_start_s", 0.0))
    info["verified_trace"] = verified_trace(
        problem, [(t + offset, answer) for t, answer in raw.trace], raw.sampleset is not None,
        best, timing["solve_s"])
    if early is not None:
        info["stop_at"] = stop_at
        if early.reached_s is not None:
            info["stop_reached_s"] = early.reached_s + offset
    result = Result(
        problem=problem.kind,
        name=problem.name,
        backend=instance.name,
        objective=None if best is None or math.isnan(best.objective) else best.objective,
        feasible=bool(best is not None and best.feasible),
        violations=[] if best is None else best.violations,
        energy=None if best is None else best.energy,
        solution=None if best is None else best.solution,
        params=params,
        timing=timing,
        sense=problem.sense,
        known_optimum=problem.known_optimum,
        status=_checked_status(problem, raw.info, best, info),
        seed=seed,
        num_samples=num_samples,
        num_feasible=num_feasible,
        num_repaired=repaired,
        penalties=weights,
        info=info,
        source=problem.source,
        sampleset=raw.sampleset,  # None for answers in problem terms (native MILP)
        manifest=run_manifest(problem, instance.name, options=options, seed=seed,
                              time_limit=time_limit, penalties=penalties, weights=weights,
                              polish=polish_samples, repair=repair, params=params,
                              timing=timing),
    )
    if result.status == "interrupted":  # Ctrl-C: hand the best answer so far to the caller
        raise SolveInterrupted(result)
    return result
