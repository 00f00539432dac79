"""Identical parallel machines: schedule jobs on ``m`` machines.

Jobs have integer durations and optionally release times, due dates and weights.
Objective (option ``objective``): ``makespan`` (latest end) or
``weighted_tardiness`` (``sum w_j max(0, end_j - due_j)``).

QUBO, two formulations, chosen by the objective:

* Makespan without release times: *assignment*. A binary ``x[j, m]`` puts job ``j``
  on machine ``m`` (one-hot per job, constraint ``assign``); the objective is the sum
  of squared machine loads ``sum_m (sum_j p_j x[j, m])**2``. It is a surrogate: for two
  machines its minimum is exactly the minimum makespan (the loads' sum is fixed); for
  more machines it balances the loads, which usually but not always minimises the
  largest one. Jobs on a machine then run back to back (order does not matter).
* Weighted tardiness, or makespan with release times: *time-indexed*. A binary
  ``x[j, m, t]`` starts job ``j`` on machine ``m`` at time ``t`` with
  ``release_j <= t <= horizon - p_j``; ``one_start`` per job, and ``no_overlap``
  conflict constraints for two jobs on one machine at once (penalised linearly, see
  :func:`qanneal.model.is_conflict_constraint`). Tardiness is exactly linear in
  ``x``; makespan uses the late-finish penalty of :mod:`qanneal.problems.jobshop`.
  The objective is scaled below 1 / 1.1 and every constraint gets weight 1, so
  feasibility always wins. The horizon (option ``horizon``) defaults to the largest
  makespan of a few list schedules (LPT, EDD, WSPT, release order): the QUBO then
  only searches schedules ending by it; give a larger horizon to widen the search.

Decoding reads the machine and start of every job (the earliest start if several
bits are on); for the assignment formulation jobs run back to back on their machine.
``verify`` checks the schedule itself (every job on one machine, not before its
release, no two jobs of a machine overlapping) and ``objective`` recomputes the
makespan or weighted tardiness from it. Native MILP: ``C >= load_m`` with assignment
binaries for plain makespan; otherwise the aggregated time-indexed model (start
binaries up to the safe horizon ``max release + sum of durations``, at most ``m`` jobs
running at any time; machines assigned afterwards by interval colouring).

>>> from qanneal import solve
>>> problem = machines_problem([3, 3, 2, 2, 2], 2)
>>> result = solve(problem, "exact")
>>> result.objective, result.feasible
(6.0, True)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import dimod
import numpy as np
from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.model import DEFAULT_PENALTY_MARGIN, MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict
from qanneal.problems.jobshop import count_clashes, late_finish_weights
from qanneal.sizing import ModelSize

Objective = Literal["makespan", "weighted_tardiness"]
RULES = ("LPT", "EDD", "WSPT", "release")


# ---------------------------------------------------------------------- instance
class Instance:
    """Plain arrays describing the jobs; ``names`` label them in solutions."""

    def __init__(self, durations: Sequence[int], num_machines: int, *,
                 release: Sequence[int] | None = None, due: Sequence[int] | None = None,
                 weights: Sequence[float] | None = None,
                 names: Sequence[str] | None = None) -> None:
        n = len(durations)
        self.p = np.asarray(durations, dtype=np.int64)
        self.r = np.zeros(n, np.int64) if release is None else np.asarray(release, np.int64)
        self.d = None if due is None else np.asarray(due, dtype=np.int64)
        self.w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        self.m = int(num_machines)
        self.names = list(names) if names is not None else [f"J{j}" for j in range(n)]
        if n == 0:
            raise InputError("no jobs; give at least one", field="data.jobs")
        if self.m < 1:
            raise InputError("need at least one machine", field="data.machines")
        if (self.p < 0).any() or (self.r < 0).any():
            raise InputError("durations and release times must be >= 0", field="data.jobs")
        if len(set(self.names)) != n:
            raise InputError("job names must be unique", field="data.jobs")

    @property
    def n(self) -> int:
        return len(self.p)

    def safe_horizon(self) -> int:
        """No job of a semi-active schedule ends later than this."""
        return int(self.r.max() + self.p.sum())

    def lower_bound(self) -> int:
        """Makespan lower bound: a job's release plus duration, or the average load."""
        return int(max((self.r + self.p).max(),
                       self.r.min() + math.ceil(self.p.sum() / self.m)))


def schedule_cost(inst: Instance, ends: np.ndarray, objective: str) -> float:
    """The makespan or weighted tardiness of end times ``ends``."""
    if objective == "makespan":
        return float(ends.max())
    assert inst.d is not None
    return float(np.sum(inst.w * np.maximum(ends - inst.d, 0)))


def list_schedule(inst: Instance, order: Sequence[int],
                  machine_of: Sequence[int | None] | None = None
                  ) -> tuple[list[int], list[int]]:
    """Place jobs in ``order``, each on its given machine or else the one free first,
    as early as its release and the machine allow: ``(machines, starts)``.

    >>> inst = Instance([3, 2, 2], 2)
    >>> list_schedule(inst, [0, 1, 2])
    ([0, 1, 1], [0, 0, 2])
    """
    free = [0] * inst.m
    machines, starts = [0] * inst.n, [0] * inst.n
    for j in order:
        given = None if machine_of is None else machine_of[j]
        m = given if given is not None else min(
            range(inst.m), key=lambda k: (max(free[k], inst.r[j]), k))
        # A zero-length job occupies no machine time: only its release delays it.
        s = max(free[m], int(inst.r[j])) if inst.p[j] > 0 else int(inst.r[j])
        machines[j], starts[j] = m, s
        if inst.p[j] > 0:
            free[m] = s + int(inst.p[j])
    return machines, starts


def dispatch(inst: Instance, rule: str) -> tuple[list[int], list[int]]:
    """A list schedule by priority ``rule``: LPT, EDD, WSPT or release order."""
    jobs = range(inst.n)
    key = {
        "LPT": lambda j: (inst.r[j] > 0, -inst.p[j], j),
        "EDD": lambda j: (inst.d[j] if inst.d is not None else 0, inst.r[j], j),
        "WSPT": lambda j: (-inst.w[j] / max(inst.p[j], 1e-9), j),
        "release": lambda j: (inst.r[j], -inst.p[j], j),
    }[rule]
    return list_schedule(inst, sorted(jobs, key=key))


# ---------------------------------------------------------------------- solutions
def make_solution(inst: Instance, machines: Sequence[int | None],
                  starts: Sequence[int | None]) -> dict[str, Any]:
    """Solution dict: ``assignment`` and ``starts`` (checked), plus derived fields."""
    sol: dict[str, Any] = {
        "assignment": {inst.names[j]: None if m is None else int(m)
                       for j, m in enumerate(machines)},
        "starts": {inst.names[j]: None if s is None else int(s) for j, s in enumerate(starts)},
    }
    complete = all(m is not None for m in machines) and all(s is not None for s in starts)
    ends = np.array([s + p for s, p in zip(starts, inst.p)]) if complete else None
    sol["makespan"] = None if ends is None else int(ends.max())
    if inst.d is not None:
        sol["weighted_tardiness"] = None if ends is None else schedule_cost(
            inst, ends, "weighted_tardiness")
    sol["schedule"] = sorted(
        ({"job": inst.names[j], "machine": None if machines[j] is None else f"M{machines[j]}",
          "start": starts[j], "end": None if starts[j] is None else starts[j] + int(inst.p[j])}
         for j in range(inst.n)),
        key=lambda r: (r["machine"] is None, r["machine"] or "", r["start"] or 0))
    return sol


def _read(inst: Instance, solution: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    a, s = solution["assignment"], solution["starts"]
    return [a.get(name) for name in inst.names], [s.get(name) for name in inst.names]


def schedule_violations(inst: Instance, solution: Any) -> list[str]:
    """Why ``solution`` is not a valid schedule of ``inst`` (empty when it is)."""
    if (not isinstance(solution, Mapping) or not isinstance(solution.get("assignment"), Mapping)
            or not isinstance(solution.get("starts"), Mapping)):
        return ["solution must have 'assignment' and 'starts': job -> machine / start"]
    out = []
    unknown = (set(solution["assignment"]) | set(solution["starts"])) - set(inst.names)
    if unknown:
        out.append(f"unknown job(s), e.g. {sorted(map(str, unknown))[0]!r}")
    machines, starts = _read(inst, solution)
    busy: dict[int, list[tuple[int, int, str]]] = {}
    for j, (m, s) in enumerate(zip(machines, starts)):
        name = inst.names[j]
        if m is None or s is None:
            out.append(f"job {name} is not scheduled")
            continue
        if not _is_int(m) or not 0 <= m < inst.m:
            out.append(f"job {name} is on machine {m!r}; machines are 0..{inst.m - 1}")
            continue
        if not _is_int(s) or s < inst.r[j]:
            out.append(f"job {name} starts at {s!r}, before its release {inst.r[j]}")
            continue
        if inst.p[j] > 0:
            busy.setdefault(int(m), []).append((int(s), int(s + inst.p[j]), name))
    for m, intervals in sorted(busy.items()):
        intervals.sort()
        for (_, e1, a), (s2, _, b) in zip(intervals, intervals[1:]):
            if s2 < e1:
                out.append(f"machine M{m}: {b} starts at {s2} while {a} runs until {e1}")
    return out


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def repair_schedule(inst: Instance, solution: Mapping[str, Any]) -> dict[str, Any]:
    """Unassigned jobs go to the least-loaded machine; each machine's jobs are then
    re-timed in their decoded order (missing starts last, by release) as early as
    releases allow. A feasible schedule is never made worse."""
    machines, starts = _read(inst, solution)
    load = [0] * inst.m
    for j, m in enumerate(machines):
        if _is_int(m) and 0 <= m < inst.m:
            load[m] += int(inst.p[j])
        else:
            machines[j] = None
    for j in sorted(range(inst.n), key=lambda j: -inst.p[j]):
        if machines[j] is None:
            m = min(range(inst.m), key=lambda k: (load[k], k))
            machines[j] = m
            load[m] += int(inst.p[j])
    order = sorted(range(inst.n), key=lambda j: (
        starts[j] is None or not _is_int(starts[j]),
        starts[j] if _is_int(starts[j]) else inst.r[j], j))
    machines, new_starts = list_schedule(inst, order, machines)
    return make_solution(inst, machines, new_starts)


# ---------------------------------------------------------------------- the QUBO
def machines_problem(durations: Sequence[int], num_machines: int, *,
                     release: Sequence[int] | None = None, due: Sequence[int] | None = None,
                     weights: Sequence[float] | None = None,
                     names: Sequence[str] | None = None, objective: Objective = "makespan",
                     horizon: int | None = None, name: str | None = None,
                     known_optimum: float | None = None) -> Problem:
    """Identical parallel machines (see the module docstring for the formulations)."""
    inst = Instance(durations, num_machines, release=release, due=due, weights=weights,
                    names=names)
    if objective not in ("makespan", "weighted_tardiness"):
        raise InputError(f"unknown objective {objective!r}; use makespan or "
                         "weighted_tardiness", field="objective")
    if objective == "weighted_tardiness" and inst.d is None:
        raise InputError("weighted_tardiness needs a due date for every job",
                         field="data.jobs")
    heuristics = [dispatch(inst, rule) for rule in RULES]

    def cost(sched: tuple[list[int], list[int]]) -> float:
        return schedule_cost(inst, np.asarray(sched[1]) + inst.p, objective)

    best = min(heuristics, key=cost)
    time_indexed = objective == "weighted_tardiness" or bool((inst.r > 0).any())
    if time_indexed:
        if horizon is None:
            horizon = max(int((np.asarray(s) + inst.p).max()) for _, s in heuristics)
        elif horizon > 2**40:
            raise InputError(f"horizon {horizon} is beyond any model that could be built "
                             "(at most 2**40)", field="horizon")
        elif horizon < int((inst.r + inst.p).max()):
            raise InputError(f"horizon {horizon} is earlier than some job can end "
                             f"(release + duration = {int((inst.r + inst.p).max())})",
                             field="horizon")
        cqm, decode_bits, penalties, check_bqm_size = _time_indexed(inst, objective,
                                                                     int(horizon))
    else:
        check_bqm_size = None
        cqm, decode_bits, penalties = _assignment(inst)

    def decode(sample: Mapping[Hashable, int]) -> dict[str, Any]:
        machines, starts = decode_bits(sample)
        return make_solution(inst, machines, starts)

    def verify(solution: Any) -> list[str]:
        return schedule_violations(inst, solution)

    def objective_fn(solution: Mapping[str, Any]) -> float:
        _, starts = _read(inst, solution)
        return schedule_cost(inst, np.asarray(starts) + inst.p, objective)

    def describe(solution: Mapping[str, Any]) -> str:
        lines = [f"{'machine':<8} {'job':<12} {'start':>6} {'end':>6}"]
        for row in solution.get("schedule", []):
            lines.append(f"{row['machine'] or '-':<8} {row['job']:<12} "
                         f"{'-' if row['start'] is None else row['start']:>6} "
                         f"{'-' if row['end'] is None else row['end']:>6}")
        lines.append(f"makespan: {solution.get('makespan')}")
        if "weighted_tardiness" in solution:
            lines.append(f"weighted tardiness: {solution['weighted_tardiness']}")
        return "\n".join(lines)

    return Problem(
        kind="machines", cqm=cqm, decode=decode, verify=verify, objective=objective_fn,
        sense="min", name=name, known_optimum=known_optimum,
        milp=lambda: machines_milp(inst, objective), repair=lambda s: repair_schedule(inst, s),
        describe=describe, data=inst, penalties=penalties, check_bqm_size=check_bqm_size,
        options={"objective": objective, "horizon": horizon,
                 "formulation": "time-indexed" if time_indexed else "assignment",
                 "heuristic": make_solution(inst, *best)})


def _assignment(inst: Instance) -> tuple[Any, Any, None]:
    """The assignment model, lazily: ``(build_cqm, decode_bits, None)``."""
    n, m = inst.n, inst.m
    # The squared loads couple every pair of jobs on every machine: m n (n - 1) / 2 terms.
    size = ModelSize(n * m, m * n * (n - 1) // 2, n * m, n)

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(f"the machines assignment QUBO ({n} jobs, {m} machines)", size,
                     "use --backend milp, or fewer jobs")
        labels: list[Hashable] = [(j, k) for j in range(n) for k in range(m)]
        p = inst.p.astype(float)
        # sum_m (sum_j p_j x_jm)^2 = sum p_j^2 x_jm + 2 sum_{j<i} p_j p_i x_jm x_im
        linear = np.repeat(p**2, m)
        ja, jb = np.triu_indices(n, 1)
        rows = (ja[:, None] * m + np.arange(m)).ravel()
        cols = (jb[:, None] * m + np.arange(m)).ravel()
        bias = np.repeat(2 * p[ja] * p[jb], m)
        scale = max(p.sum() ** 2, 1.0)  # keep coefficients O(1) for readable energies
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear / scale, (rows, cols, bias / scale), 0.0, "BINARY", variable_order=labels)
        cqm = dimod.ConstrainedQuadraticModel()
        cqm.set_objective(bqm)
        for j in range(n):
            cqm.add_constraint_from_iterable([((j, k), 1) for k in range(m)], "==", 1,
                                             label=f"assign[{j}]")
        return cqm

    def decode_bits(sample: Mapping[Hashable, int]) -> tuple[list[Any], list[Any]]:
        machines: list[int | None] = []
        for j in range(n):
            on = [k for k in range(m) if sample[(j, k)]]
            machines.append(on[0] if on else None)
        starts: list[int | None] = [None] * n
        free = [0] * m
        for j in range(n):  # back to back in job order
            if machines[j] is not None:
                starts[j] = free[machines[j]]
                free[machines[j]] += int(inst.p[j])
        return machines, starts

    return build_cqm, decode_bits, None


def _time_indexed(inst: Instance, objective: str, horizon: int
                  ) -> tuple[Any, Any, dict[str, float] | None, Any]:
    """The time-indexed model, lazily: ``(build_cqm, decode_bits, penalties,
    check_bqm_size)``. Windows and sizes are computed here; the CQM only when built."""
    n, m = inst.n, inst.m
    est = inst.r
    lst = horizon - inst.p
    width = lst - est + 1  # starts per machine window
    size = width * m  # per job: m windows of starts
    base = np.concatenate([[0], np.cumsum(size)[:-1]])
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)
             if inst.p[a] > 0 and inst.p[b] > 0]
    terms = entries = rows = 0
    for a, b in pairs:
        c = count_clashes(int(est[a]), int(lst[a]), int(est[b]), int(lst[b]),
                          -(int(inst.p[b]) - 1), int(inst.p[a]) - 1)
        if c:
            terms, entries, rows = terms + m * c, entries + m * int(width[a] + width[b]), rows + m
    variables = int(size.sum())
    cqm_size = ModelSize(variables, terms, entries + variables, rows + n)
    bqm_size = ModelSize(variables, terms + sum(int(w) * (int(w) - 1) // 2 for w in size))
    what = f"the time-indexed machines QUBO (horizon {horizon})"
    fix = "give a smaller --horizon, or use --backend milp"

    def check_bqm_size() -> None:
        sizing.check_bqm(what, cqm_size, bqm_size, fix)

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(what, cqm_size, fix)
        labels: list[Hashable] = [(j, k, int(t)) for j in range(n) for k in range(m)
                                  for t in range(est[j], lst[j] + 1)]
        ends = np.concatenate([np.tile(np.arange(est[j], lst[j] + 1) + inst.p[j], m)
                               for j in range(n)])
        if objective == "weighted_tardiness":
            assert inst.d is not None
            owner = np.repeat(np.arange(n), size)
            linear = inst.w[owner] * np.maximum(ends - inst.d[owner], 0)
        else:
            linear, _ = late_finish_weights(ends, inst.lower_bound(), horizon, n)
        top = sum(float(linear[base[j]:base[j] + size[j]].max(initial=0.0)) for j in range(n))
        if top > 0:  # whole objective below 1/1.1, so weight 1 makes feasibility win
            linear = linear / (top * DEFAULT_PENALTY_MARGIN)
        cqm = dimod.ConstrainedQuadraticModel()
        cqm.set_objective(dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear, ([], [], []), 0.0, "BINARY", variable_order=labels))
        for j in range(n):
            cqm.add_constraint_from_iterable(
                [(labels[base[j] + i], 1) for i in range(size[j])], "==", 1,
                label=f"one_start[{j}]")
        for done, (a, b) in enumerate(pairs):
            sizing.check_deadline(what, done / len(pairs))
            ta = np.arange(est[a], lst[a] + 1)[:, None]
            tb = np.arange(est[b], lst[b] + 1)[None, :]
            ia, ib = np.nonzero((ta < tb + inst.p[b]) & (tb < ta + inst.p[a]))
            if not len(ia):
                continue
            for k in range(m):
                va = labels[base[a] + k * width[a]:base[a] + (k + 1) * width[a]]
                vb = labels[base[b] + k * width[b]:base[b] + (k + 1) * width[b]]
                qm = dimod.BinaryQuadraticModel.from_numpy_vectors(
                    np.zeros(len(va) + len(vb)), (ia, ib + len(va), np.ones(len(ia))), 0.0,
                    "BINARY", variable_order=va + vb)
                cqm.add_constraint_from_model(qm, "==", 0, label=f"no_overlap[{a},{b},{k}]",
                                              copy=False)
        return cqm

    def decode_bits(sample: Mapping[Hashable, int]) -> tuple[list[Any], list[Any]]:
        machines: list[int | None] = [None] * n
        starts: list[int | None] = [None] * n
        for j in range(n):
            # several bits on: the earliest start (then lowest machine)
            on = [(t, k) for t in range(est[j], lst[j] + 1) for k in range(m)
                  if sample[(j, k, t)]]
            if on:
                starts[j], machines[j] = int(on[0][0]), int(on[0][1])
        return machines, starts

    # Makespan: the late-finish weights are tiny next to one violation, and weight 1
    # keeps feasibility first globally. Tardiness: the core's per-constraint default
    # (measured: optimum 8 vs 16 with weight 1 on an 8-job instance, same SA budget).
    return (build_cqm, decode_bits, ({"*": 1.0} if objective == "makespan" else None),
            check_bqm_size)


# ---------------------------------------------------------------------- MILP
def machines_milp(inst: Instance, objective: str = "makespan") -> MilpFormulation:
    """Native MILP: ``C >= load_m`` (plain makespan) or a time-indexed model."""
    import pulp

    n, m = inst.n, inst.m
    if objective == "makespan" and not (inst.r > 0).any():
        lp = pulp.LpProblem("machines", pulp.LpMinimize)
        x = [[pulp.LpVariable(f"x_{j}_{k}", cat="Binary") for k in range(m)]
             for j in range(n)]
        for j in range(n):
            lp += pulp.lpSum(x[j]) == 1, f"assign_{j}"
        # Machines are interchangeable: put the longest job on machine 0.
        lp += x[int(np.argmax(inst.p))][0] == 1, "symmetry"
        cmax = pulp.LpVariable("Cmax", lowBound=inst.lower_bound(), upBound=inst.safe_horizon())
        lp += cmax
        for k in range(m):
            lp += cmax >= pulp.lpSum(int(inst.p[j]) * x[j][k] for j in range(n)), f"load_{k}"

        def extract() -> dict[str, Any]:
            machines = [max(range(m), key=lambda k: x[j][k].value() or 0.0) for j in range(n)]
            order = sorted(range(n), key=lambda j: (machines[j], j))
            return make_solution(inst, *list_schedule(inst, order, machines))

        return MilpFormulation(lp=lp, extract=extract)
    # Time-indexed MILP (strong LP bound, unlike big-M disjunctions, which took CBC
    # 17-85 s on 8 jobs): x[j, t] starts job j at t; at every t at most m jobs run.
    # Machines are identical, so they are assigned afterwards (interval colouring).
    horizon = inst.safe_horizon()  # no semi-active schedule ends later
    starts = np.maximum(horizon - inst.p - inst.r + 1, 0)
    sizing.check(f"the time-indexed machines MILP (horizon {horizon})",
                 sizing.pulp_size(int(starts.sum()), int((starts * (inst.p + 2)).sum())),
                 "give fewer jobs or coarser durations",
                 counts=f"{int(starts.sum()):,} start variables")
    x_t = {(j, t): pulp.LpVariable(f"z_{j}_{t}", cat="Binary")
           for j in range(n) for t in range(int(inst.r[j]), horizon - int(inst.p[j]) + 1)}
    lp = pulp.LpProblem("machines", pulp.LpMinimize)
    for j in range(n):
        lp += pulp.lpSum(v for (jj, _), v in x_t.items() if jj == j) == 1, f"start_{j}"
    running: dict[int, list[Any]] = {}
    for (j, t), v in x_t.items():
        for u in range(t, t + int(inst.p[j])):
            running.setdefault(u, []).append(v)
    for u, members in sorted(running.items()):
        if len(members) > m:
            lp += pulp.lpSum(members) <= m, f"capacity_{u}"
    if objective == "makespan":
        cmax = pulp.LpVariable("Cmax", lowBound=inst.lower_bound(), upBound=horizon)
        lp += cmax
        for j in range(n):
            lp += cmax >= pulp.lpSum((t + int(inst.p[j])) * v for (jj, t), v in x_t.items()
                                     if jj == j), f"end_{j}"
    else:
        assert inst.d is not None
        lp += pulp.lpSum(float(inst.w[j]) * max(0, t + int(inst.p[j]) - int(inst.d[j])) * v
                         for (j, t), v in x_t.items())

    def extract_time_indexed() -> dict[str, Any]:
        starts = [0] * n
        for (j, t), v in x_t.items():
            if (v.value() or 0.0) > 0.5:
                starts[j] = t
        return make_solution(inst, assign_machines(inst, starts), starts)

    return MilpFormulation(lp=lp, extract=extract_time_indexed)


def assign_machines(inst: Instance, starts: Sequence[int]) -> list[int]:
    """Machines for given start times, first free machine in start order (interval
    colouring: uses at most as many machines as jobs ever run at once).

    >>> assign_machines(Instance([2, 2, 1], 2), [0, 1, 2])
    [0, 1, 0]
    """
    free = [0] * inst.m
    machines = [0] * inst.n
    for j in sorted(range(inst.n), key=lambda j: (starts[j], j)):
        k = min(range(inst.m), key=lambda k: (free[k] > starts[j], k))
        machines[j] = k
        if inst.p[j] > 0:
            free[k] = starts[j] + int(inst.p[j])
    return machines


# ---------------------------------------------------------------------- registration
class JobSpec(Strict):
    """One job: ``duration`` and optional ``name``, ``release``, ``due``, ``weight``."""

    name: str | None = None
    duration: NonNegativeInt
    release: NonNegativeInt = 0
    due: NonNegativeInt | None = None
    weight: PositiveFloat = 1.0


class MachinesData(FileData):
    """``data:`` for parallel machines: ``machines`` (how many) and ``jobs``."""

    machines: PositiveInt = Field(description="number of identical machines")
    jobs: list[JobSpec] = Field(min_length=1, description="the jobs to schedule")

    @model_validator(mode="after")
    def _check(self) -> MachinesData:
        if self.file is not None:
            raise ValueError("machines reads inline data only (machines, jobs); no file")
        dues = [j.due is None for j in self.jobs]
        if any(dues) and not all(dues):
            raise ValueError("give a due date for every job or for none")
        if not any(j.duration for j in self.jobs):
            raise ValueError("every duration is 0; nothing to schedule")
        return self


class MachinesOptions(Strict):
    """Build options for parallel machines."""

    objective: Objective = "makespan"
    horizon: PositiveInt | None = None


def _build(data: MachinesData, options: MachinesOptions, base_dir: Path) -> Problem:
    jobs = data.jobs
    has_due = jobs[0].due is not None
    return machines_problem(
        [j.duration for j in jobs], data.machines,
        release=[j.release for j in jobs],
        due=[j.due for j in jobs] if has_due else None,  # type: ignore[misc]
        weights=[j.weight for j in jobs],
        names=[j.name or f"J{i}" for i, j in enumerate(jobs)],
        objective=options.objective, horizon=options.horizon)


MACHINES = ProblemType(
    name="machines",
    description="identical parallel machines: makespan or weighted tardiness (inline jobs)",
    data_model=MachinesData,
    options_model=MachinesOptions,
    build=_build,
)
