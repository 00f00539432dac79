"""Permutation flow shop: every job visits machines 0..M-1 in order, all machines see the
jobs in one common order; find the order with the smallest makespan.

``times[j][m]`` is job ``j``'s processing time on machine ``m``. For an order ``pi`` the
completion times follow ``C[p, m] = max(C[p-1, m], C[p, m-1]) + times[pi_p][m]`` and the
makespan is ``C[n-1, M-1]``; ``objective`` and ``verify`` always use this true makespan.

QUBO (position encoding, as for the TSP): ``x[j, p]`` = job ``j`` is at position ``p``,
with ``job[j]`` (each job at one position) and ``position[p]`` (one job per position)
one-hot constraints. The makespan is not a quadratic function of ``x``, so the objective
is a **surrogate**, the makespan written as the time the last machine is busy plus the
time it waits:

    head(first job) + sum_j times[j][M-1] + sum_p gap[pi_p, pi_{p+1}]

``head(j)`` (the time ``j`` needs before it reaches the last machine) is linear in
``x[j, 0]``; ``gap[j, k]`` is the last machine's idle time between ``j`` and ``k`` when
the two run alone, one after the other (``C2(j,k) - C1(j) - times[k][M-1]`` from the
two-job schedule), a product ``x[j, p] x[k, p+1]``. The surrogate is exact for one or two
jobs and for M = 1; with more jobs the real idle time before ``k`` also depends on the
jobs before ``j`` (queues on earlier machines can absorb or create waiting), so the
surrogate's best order is a good order, not always an optimal one. Measured by
enumeration on 200 random 6-job, 4-machine instances (times 1..99): the true makespan
of the surrogate's best order is 3.3% above the optimum on average, 17.5% at worst,
optimal in 28% of them (NEH: 0.9% on average). Variants tried and dropped: adding the
idle time of the other machines (no better) and Widmer & Hertz's distance (11% above).
This is the TSP-like view of flow shops used by heuristics since Gupta (1968) and
Widmer & Hertz (1989), with an idle-time distance; the MILP gives the true optimum.

Penalties: as for the TSP, moving one job out of a valid order breaks one ``job`` and
one ``position`` constraint and changes the surrogate by at most twice its largest
term, so ``1.1 x`` the largest ``head``/``gap`` per constraint keeps such states worse.

The solution is ``{"order": slots, "makespan", "schedule"}``: ``order[p]`` is the job at
position ``p`` (``None`` if none, a list if several: ``verify`` reports both, ``repair``
fixes them), ``schedule`` the Gantt rows (``--gantt`` draws them). ``repair`` keeps
the first place of each job in slot order and inserts missing jobs where they raise the
makespan least (the NEH insertion step). :func:`neh` (Nawaz, Enscore & Ham 1983)
gives the MILP its upper bound. Native MILP: the position-based model (Wagner 1959
style): ``z[j, p]`` assignment binaries, completion times ``C[p, m] >= C[p, m-1] +
sum_j times[j][m] z[j, p]`` and ``>= C[p-1, m] + ...``, makespan ``C[n-1, M-1]``,
bounded by Taillard's lower bound and the NEH makespan.

>>> from qanneal import solve
>>> times = [[3, 2], [1, 4], [2, 2]]
>>> result = solve(flowshop_problem(times), "milp")
>>> result.solution["order"], result.objective
([1, 2, 0], 9.0)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dimod
import numpy as np
from pydantic import Field, field_validator

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict, resolve_path
from qanneal.problems.graphs import binary_exact, number, preview
from qanneal.problems.slots import permutation_violations, slot_items

FILE_FORMATS = ("taillard", "orlib")
#: Penalty weight per constraint, in units of the surrogate's largest term (see docstring).
PENALTY_FACTOR = 1.1
#: Bytes per (job, job, position) triple while the objective is built: three int64
#: index grids, the mask, the gathered gaps and the kept copies.
MESH_BYTES = 64


# ---------------------------------------------------------------------- instance facts
def check_times(times: Any) -> np.ndarray:
    """``times`` as a float (jobs x machines) array; finite, non-negative, not empty."""
    try:
        p = np.asarray(times, dtype=float)
    except (TypeError, ValueError):
        raise InputError("times must be a list of rows of numbers, one row per job",
                         field="data.times") from None
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        raise InputError(f"times has shape {p.shape}; expected one row of machine times "
                         "per job, every row as long", field="data.times")
    if not np.isfinite(p).all() or (p < 0).any():
        raise InputError("times must be finite and >= 0", field="data.times")
    return p


def completion_times(p: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """``C[q, m]``: when the ``q``-th job of ``order`` finishes on machine ``m``."""
    c = np.zeros((len(order), p.shape[1]))
    for q, j in enumerate(order):
        prev = c[q - 1] if q else np.zeros(p.shape[1])
        ready = 0.0
        for m in range(p.shape[1]):
            ready = max(ready, prev[m]) + p[j, m]
            c[q, m] = ready
    return c


def makespan(p: np.ndarray, order: Sequence[int]) -> float:
    """The makespan of ``order`` (0 for an empty order)."""
    return float(completion_times(p, order)[-1, -1]) if len(order) else 0.0


def lower_bound(p: np.ndarray) -> float:
    """Taillard's bound: the longest job, or a machine's load plus the shortest time any
    job needs before and after it.

    >>> lower_bound(np.array([[3, 2], [1, 4], [2, 2]]))
    9.0
    """
    before = np.cumsum(p, axis=1) - p
    after = p.sum(axis=1, keepdims=True) - np.cumsum(p, axis=1)
    machine = p.sum(axis=0) + before.min(axis=0) + after.min(axis=0)
    return float(max(machine.max(), p.sum(axis=1).max()))


def best_insertion(p: np.ndarray, order: list[int], job: int) -> list[int]:
    """``order`` with ``job`` inserted where the partial makespan is smallest (first such).

    Taillard's acceleration: the heads of every prefix, the tails of every suffix and
    the inserted job's completions give all ``len(order) + 1`` makespans in O(n m)
    array work, instead of one full schedule per place (NEH was O(n^4 m) in Python:
    400 jobs took 46 s, 1500 jobs would take hours).

    >>> best_insertion(np.array([[3, 2], [1, 4], [2, 2]]), [1, 0], 2)
    [1, 2, 0]
    """
    if not order:
        return [job]
    q = p[order]
    heads = _heads(q)  # (L+1, m): the first i jobs' completions, row 0 = nothing
    tails = _heads(q[::-1, ::-1])[::-1, ::-1]  # row i: jobs i.. to the end, row L = 0
    done = np.zeros(len(order) + 1)
    spans = np.zeros(len(order) + 1)
    for m in range(p.shape[1]):  # the job after the first i jobs, on machine m
        done = np.maximum(done, heads[:, m]) + p[job, m]
        spans = np.maximum(spans, done + tails[:, m])
    # The first place of the least makespan; ties within rounding count as ties (the
    # sums here and a full schedule's round differently in the last bits).
    best = spans.min()
    i = int(np.flatnonzero(spans <= best + 1e-12 * abs(best))[0])
    return order[:i] + [job] + order[i:]


def _heads(q: np.ndarray) -> np.ndarray:
    """``e[i, m]``: when the first ``i`` rows of ``q`` (jobs x machines) finish on
    machine ``m``; row 0 is zeros. Along the jobs, ``e_i = max(e_{i-1}, b_i) + a_i`` is
    solved at once: ``e_i = S_i + max_{k<=i}(b_k - S_{k-1})`` (``S``: prefix sums of a)."""
    e = np.zeros((q.shape[0] + 1, q.shape[1]))
    for m in range(q.shape[1]):
        below = e[1:, m - 1] if m else np.zeros(q.shape[0])
        total = np.cumsum(q[:, m])
        e[1:, m] = total + np.maximum.accumulate(below - (total - q[:, m]))
    return e


def neh(p: np.ndarray) -> tuple[list[int], float]:
    """The NEH heuristic: jobs by decreasing total time, each inserted at its best place.

    >>> neh(np.array([[3, 2], [1, 4], [2, 2]]))
    ([1, 2, 0], 9.0)
    """
    order: list[int] = []
    for j in sorted(range(p.shape[0]), key=lambda j: (-p[j].sum(), j)):
        sizing.check_deadline("the NEH start", len(order) / p.shape[0])
        order = best_insertion(p, order, j)
    return order, makespan(p, order)


def surrogate_terms(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``head[j]`` and ``gap[j, k]`` of the QUBO surrogate (see the module docstring)."""
    n, m = p.shape
    head = p[:, :-1].sum(axis=1)
    # The two-job makespan of every pair (j first, k second) at once, machine by
    # machine, in the same order of operations as completion_times (n = 1500: 15 s of
    # Python loops before).
    first = np.cumsum(p, axis=1)  # job j alone
    ready = np.zeros((n, n))
    for machine in range(m):
        ready = np.maximum(ready, first[:, machine, None]) + p[None, :, machine]
    gap = ready - p.sum(axis=1)[:, None] - p[None, :, m - 1]
    np.fill_diagonal(gap, 0.0)
    return head, gap


def surrogate(p: np.ndarray, order: Sequence[int]) -> float:
    """The surrogate makespan of a full order (what the CQM objective measures)."""
    head, gap = surrogate_terms(p)
    return float(head[order[0]] + p[:, -1].sum()
                 + sum(gap[a, b] for a, b in zip(order, order[1:])))


# ---------------------------------------------------------------------- answers
def order_violations(slots: Any, n: int) -> list[str]:
    """What makes ``slots`` not a permutation of the jobs ``0..n-1``."""
    return permutation_violations(
        slots, range(n), what="order", noun="job", plural="jobs", counted="job(s)",
        verb="placed", not_a_list="'order' must list the job at each position",
        is_known=lambda j: _is_job(j, n), name=lambda j: f"job {j}",
        unknown_hint=f" (jobs are 0..{n - 1})")


def _is_job(j: Any, n: int) -> bool:
    return isinstance(j, (int, np.integer)) and not isinstance(j, bool) and 0 <= j < n


def first_places(slots: Sequence[Any], n: int) -> list[int]:
    """Known jobs in slot order, each at its first place (a slot's jobs by number)."""
    out: list[int] = []
    for s in slots:
        for j in sorted(j for j in slot_items(s) if _is_job(j, n)):
            if j not in out:
                out.append(int(j))
    return out


def schedule_rows(p: np.ndarray, order: Sequence[int]) -> list[dict[str, Any]]:
    """Gantt rows (job, op, machine, start, end) of ``order``, by start time."""
    c = completion_times(p, order)
    rows = [{"job": f"J{j}", "op": f"J{j}", "machine": f"M{m}",
             "start": _num(c[q, m] - p[j, m]), "end": _num(c[q, m])}
            for q, j in enumerate(order) for m in range(p.shape[1])]
    return sorted(rows, key=lambda r: (r["start"], r["machine"]))


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def make_solution(p: np.ndarray, slots: Sequence[Any]) -> dict[str, Any]:
    """The solution dict: ``order`` as given, plus ``makespan`` and ``schedule`` when the
    order is a permutation (None and [] otherwise)."""
    slots = [s if s is None else [int(j) for j in s] if isinstance(s, (list, tuple))
             else int(s) for s in slots]
    if order_violations(slots, p.shape[0]):
        return {"order": slots, "makespan": None, "schedule": []}
    return {"order": slots, "makespan": _num(makespan(p, slots)),
            "schedule": schedule_rows(p, slots)}


def repair_order(p: np.ndarray, slots: Sequence[Any]) -> list[int]:
    """A permutation from any slots: first places kept, missing jobs inserted NEH-style
    (longest total time first, each where the makespan grows least).

    >>> repair_order(np.array([[3, 2], [1, 4], [2, 2]]), [[0, 1], None, 0])
    [2, 0, 1]
    """
    order = first_places(slots, p.shape[0])
    missing = [j for j in range(p.shape[0]) if j not in order]
    for j in sorted(missing, key=lambda j: (-p[j].sum(), j)):
        order = best_insertion(p, order, j)
    return order


# ---------------------------------------------------------------------- the problem
def var(job: int, position: int) -> tuple[int, int]:
    """Variable label of "job ``job`` is at position ``position``"."""
    return (job, position)


def flowshop_problem(times: Any, *, name: str | None = None,
                     known_optimum: float | None = None) -> Problem:
    """The permutation flow shop on ``times[j][m]`` (jobs x machines)."""
    p = check_times(times)
    n, m = p.shape
    head, gap = surrogate_terms(p)
    # n^2 position variables and n^3 objective terms: the CQM is built when a backend
    # asks for it (milp never does), sized first (1500 jobs asked numpy for 25 GiB).
    size = sizing.ModelSize(variables=n * n, terms=n * (n - 1) * max(n - 1, 0),
                            linear=2 * n * n, constraints=2 * n)

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(f"the flow-shop model ({n} jobs)",
                     size.bytes + MESH_BYTES * n * n * n,
                     "use --backend milp, or fewer jobs",
                     counts=f"{sizing.amount(size.variables)} variables, "
                            f"{sizing.amount(size.terms)} terms")
        labels = [var(j, q) for j in range(n) for q in range(n)]
        linear = np.zeros(n * n)
        linear[np.arange(n) * n] = head  # x[j, 0]
        a, b, q = np.meshgrid(np.arange(n), np.arange(n), np.arange(n - 1), indexing="ij")
        keep = (a != b) & (gap[a, b] != 0)
        a, b, q = a[keep], b[keep], q[keep]
        sizing.check_deadline("the flow-shop model", 0.5)
        objective = dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear, (a * n + q, b * n + q + 1, gap[a, b]), float(p[:, -1].sum()), "BINARY",
            variable_order=labels)
        cqm = dimod.ConstrainedQuadraticModel()
        cqm.set_objective(objective)
        for j in range(n):
            cqm.add_constraint_from_iterable([(var(j, q), 1) for q in range(n)], "==", 1,
                                             label=f"job[{j}]")
        for q in range(n):
            cqm.add_constraint_from_iterable([(var(j, q), 1) for j in range(n)], "==", 1,
                                             label=f"position[{q}]")
        return cqm
    largest = max(float(head.max()), float(gap.max()))
    weight = binary_exact(PENALTY_FACTOR * largest) if largest > 0 else 1.0
    upper_order, upper = neh(p)
    lb = lower_bound(p)

    def decode(sample: Mapping[Hashable, int]) -> dict[str, Any]:
        slots: list[Any] = []
        for q in range(n):
            here = [j for j in range(n) if sample[var(j, q)]]
            slots.append(here[0] if len(here) == 1 else (None if not here else here))
        return make_solution(p, slots)

    def verify(solution: Any) -> list[str]:
        if not isinstance(solution, Mapping) or "order" not in solution:
            return ["solution must have 'order': the job at each position"]
        return order_violations(solution["order"], n)

    def objective_value(solution: Mapping[str, Any]) -> float:
        # A broken order is scored by its jobs' first places (verify reports the rest).
        return makespan(p, first_places(solution["order"], n))

    def repair(solution: Mapping[str, Any]) -> dict[str, Any]:
        return make_solution(p, repair_order(p, solution.get("order", [])))

    def describe(solution: Mapping[str, Any]) -> str:
        shown = ["?" if s is None else "/".join(map(str, s)) if isinstance(s, list)
                 else str(s) for s in solution.get("order", [])]
        span = solution.get("makespan")
        return (f"order ({n} jobs, {m} machines): {preview(shown, 30)}\n"
                f"makespan: {'-' if span is None else number(span)} "
                f"(lower bound {number(lb)}, NEH {number(upper)})")

    return Problem(kind="flowshop", cqm=build_cqm, decode=decode, verify=verify,
                   objective=objective_value, sense="min", name=name,
                   known_optimum=known_optimum, milp=lambda: flowshop_milp(p, upper),
                   repair=repair, describe=describe, data=p,
                   penalties={"job": weight, "position": weight},
                   options={"jobs": n, "machines": m, "lower_bound": _num(lb),
                            "neh_makespan": _num(upper), "neh_order": upper_order,
                            # the CQM's optimum need not be the true optimum (docstring)
                            "surrogate_objective": True})


def flowshop_milp(p: np.ndarray, upper: float | None = None) -> MilpFormulation:
    """Position-based MILP: assignment ``z[j, q]``, completion times ``C[q, m]``."""
    import pulp

    p = check_times(p)
    n, m = p.shape
    if upper is None:
        upper = neh(p)[1]
    # Solvers' feasibility tolerances are absolute (~1e-6): with times of 1e-6 a
    # completion-time row could be violated by a whole time unit, and HiGHS called an
    # order of makespan 2.4e-5 'optimal' at 2.3e-5. Rows use times scaled by a power of
    # two (exact) that brings the largest into [1, 2); the objective is unscaled.
    largest = float(p.max())
    unit = math.ldexp(1.0, 1 - math.frexp(largest)[1]) if 0 < largest < 1 else 1.0
    sizing.check(f"the flow-shop MILP ({n} jobs)",
                 sizing.pulp_size(n * n + n * m + 1, 2 * n * n + 2 * n * m * (n + 2)),
                 "give fewer jobs", counts=f"{sizing.amount(n * n)} assignment variables")
    lp = pulp.LpProblem("flowshop", pulp.LpMinimize)
    z: dict[tuple[int, int], Any] = {}
    for j in range(n):  # 2.25M PuLP variables for 1500 jobs take ~12 s: look at the clock
        sizing.check_deadline(f"the flow-shop MILP ({n} jobs)", j / n / 2)
        z.update({(j, q): pulp.LpVariable(f"z_{j}_{q}", cat="Binary") for q in range(n)})
    c = {(q, k): pulp.LpVariable(f"C_{q}_{k}", lowBound=0, upBound=upper * unit)
         for q in range(n) for k in range(m)}
    cmax = pulp.LpVariable("Cmax", lowBound=lower_bound(p) * unit, upBound=upper * unit)
    lp += cmax * (1.0 / unit)
    for j in range(n):
        lp += pulp.lpSum(z[j, q] for q in range(n)) == 1, f"job_{j}"
    for q in range(n):
        sizing.check_deadline(f"the flow-shop MILP ({n} jobs)", 0.5 + q / n / 2)
        lp += pulp.lpSum(z[j, q] for j in range(n)) == 1, f"position_{q}"
        for k in range(m):
            work = pulp.lpSum(float(p[j, k]) * unit * z[j, q] for j in range(n))
            lp += c[q, k] >= (c[q, k - 1] if k else 0) + work, f"machine_{q}_{k}"
            if q:
                lp += c[q, k] >= c[q - 1, k] + work, f"queue_{q}_{k}"
    lp += cmax >= c[n - 1, m - 1], "makespan"

    def extract() -> dict[str, Any]:
        slots: list[Any] = []
        for q in range(n):
            here = [j for j in range(n) if round(z[j, q].value() or 0.0)]
            slots.append(here[0] if len(here) == 1 else (None if not here else here))
        return make_solution(p, slots)

    return MilpFormulation(lp=lp, extract=extract)


# ---------------------------------------------------------------------- registration
class FlowShopData(FileData):
    """``data:`` for flow shop: ``times`` (one row per job: its time on each machine, in
    machine order) or a file: Taillard's format or OR-Library ``flowshop1.txt``
    (detected; or set ``format: taillard|orlib``)."""

    times: list[list[float]] | None = Field(
        None, description="times[j][m]: job j's processing time on machine m")

    @field_validator("times")
    @classmethod
    def _rectangular(cls, times: list[list[float]] | None) -> list[list[float]] | None:
        if times is None:
            return None
        if not times or not times[0]:
            raise ValueError("no jobs; give one row of machine times per job")
        bad = [j for j, row in enumerate(times) if len(row) != len(times[0])]
        if bad:
            raise ValueError(f"job {bad[0]} has {len(times[bad[0]])} times but job 0 has "
                             f"{len(times[0])}; every job visits every machine")
        if any(t < 0 for row in times for t in row):
            raise ValueError("processing times must be >= 0")
        return times


class FlowShopOptions(Strict):
    """Build options for flow shop."""

    instance: int | str | None = Field(
        None, description="which instance of a multi-instance file: 1-based number, or "
                          "name (OR-Library, e.g. car1)")


def _build(data: FlowShopData, options: FlowShopOptions, base_dir: Path) -> Problem:
    if data.file is None:
        if data.times is None:
            raise InputError("give times (one row of machine times per job) or file",
                             field="data")
        if options.instance is not None:
            raise InputError("instance applies to data files only", field="options.instance")
        return flowshop_problem(data.times)
    if data.times is not None:
        raise InputError("give either times or file, not both", field="data")
    from qanneal.formats.flowshop import read_flowshop

    path = resolve_path(data.file, base_dir)
    if data.format is not None and data.format not in FILE_FORMATS:
        raise InputError(f"unknown format {data.format!r}; allowed: "
                         f"{', '.join(FILE_FORMATS)} (or leave it out to detect)",
                         field="data.format")
    instances = read_flowshop(path, data.format)
    chosen = _pick_instance(instances, options.instance, path.name)
    k = instances.index(chosen) + 1
    label = chosen["name"] if chosen["name"] and not chosen["name"].startswith("#") else f"#{k}"
    name = path.stem + (f"#{label.lstrip('#')}" if len(instances) > 1 else "")
    known = None
    if chosen["upper_bound"] is not None and chosen["upper_bound"] == chosen["lower_bound"]:
        known = float(chosen["upper_bound"])  # Taillard's bounds meet: the optimum
    return flowshop_problem(chosen["times"], name=name, known_optimum=known)


def _pick_instance(instances: list[dict[str, Any]], which: int | str | None,
                   filename: str) -> dict[str, Any]:
    names = [i["name"] for i in instances if i["name"] and not i["name"].startswith("#")]
    if which is None:
        if len(instances) == 1:
            return instances[0]
        listed = f" ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})" if names else ""
        raise InputError(f"{filename} holds {len(instances)} instances{listed}; choose one "
                         f"with instance (1..{len(instances)} or a name; --instance K)",
                         field="options.instance")
    if isinstance(which, str) and not which.isdigit():
        for inst in instances:
            if inst["name"] == which:
                return inst
        raise InputError(f"no instance named {which!r} in {filename}; names: "
                         f"{', '.join(names) or '(none: use a number)'}",
                         field="options.instance")
    k = int(which)
    if not 1 <= k <= len(instances):
        raise InputError(f"{filename} holds {len(instances)} instance(s); instance must be "
                         f"1..{len(instances)}", field="options.instance")
    return instances[k - 1]


FLOWSHOP = ProblemType(
    name="flowshop",
    description="permutation flow shop, minimise makespan (inline times, Taillard or "
                "OR-Library flowshop1 file)",
    data_model=FlowShopData,
    options_model=FlowShopOptions,
    build=_build,
    extensions=(".fsp",),
)
