"""0-1 knapsack, one or several capacity constraints: the most valuable set of items that fits.

Item ``i`` has value ``v_i`` and, for every capacity constraint ``k``, a weight
``w_ki >= 0``; the chosen items' weights must stay within ``C_k`` in every dimension
(one constraint is the classical knapsack, several the multi-dimensional one of the
OR-Library ``mknap`` files).

CQM: one binary per item, objective ``-sum v_i x_i`` (maximise the value), and one
``capacity[k]``: ``sum_i w_ki x_i <= C_k`` per dimension. By default (``inequalities:
auto``, :mod:`qanneal.inequalities`) a capacity whose slack would need 5 or more bits
(``C >= 16``) becomes an unbalanced penalty ``-l1 h + l2 h^2`` with ``h = C - sum w x``:
no slack variable, ``l1`` from the LP relaxation's dual. ``inequalities: slack`` keeps
dimod's form ``(sum w x + slack - C)^2`` with a binary-expanded slack (about ``log2 C``
bits per dimension; it needs integer weights and capacities, while unbalanced takes
any), weighted by the core's one-flip bound (``1.1 max v`` over the constraint's items,
divided by the squared gcd of the weights). Native MILP: the same linear model in PuLP.

Slack-encoded capacities are a known weak spot of penalty QUBOs: the slack bits'
coefficients (up to ``C/2``) make the penalty's energy scale dwarf the objective, and
single flips rarely move between good packings. Measured with ``sa`` at its defaults
(seed 7) and slack: 163 of 185 (knapsack-small), 244 of 291 (knapsack-mknap), 2727 of
3068 (knapsack-dwave), always feasible; ``penalties: auto`` reached 183, 273 and 2739.
Unbalanced penalisation at 10 s reaches 0.05-0.8% of the optimum on 100- to 500-item
instances where slack stays 10-32% below (BENCHMARKS.md, "Inequalities: slack vs
unbalanced penalisation"); it does not forbid overloads, so samples are verified (and
``repair`` fixes overloaded ones on request) as always.

The solution is ``{"items": [...]}`` (the chosen items, by name, in item order) with
the derived ``value`` and ``load`` (the weight used per dimension). ``repair`` drops the
chosen item with the worst value per unit of capacity from an overloaded dimension
until everything fits, then adds the best-ratio items that still fit.

>>> from qanneal import solve
>>> problem = knapsack_problem([10, 7, 6], [[5, 4, 3]], [7])
>>> result = solve(problem, "exact")
>>> result.solution["items"], result.objective
([1, 2], 13.0)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dimod
import numpy as np
from pydantic import Field, PositiveInt, model_validator

from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict, pick_format, resolve_path
from qanneal.problems.graphs import number, preview

FORMATS = {".csv": "dwave-csv", ".txt": "orlib", ".mknap": "orlib"}
#: Capacity as a fraction of the total weight when none is given (D-Wave's example: 80%).
DEFAULT_CAPACITY_FRACTION = 0.8


class Knapsack:
    """Checked instance data: ``values`` (n,), ``weights`` (m, n), ``capacities`` (m,)."""

    def __init__(self, values: Sequence[float], weights: Sequence[float] | Sequence[Sequence[float]],
                 capacities: float | Sequence[float], items: Sequence[Hashable] | None = None
                 ) -> None:
        v = np.asarray(values, dtype=float)
        w = np.asarray(weights, dtype=float)
        if w.ndim == 1:
            w = w[None, :]
        c = np.atleast_1d(np.asarray(capacities, dtype=float))
        if v.ndim != 1 or not len(v):
            raise InputError("no items; give one value per item", field="data.values")
        n = len(v)
        if w.ndim != 2 or w.shape[1] != n:
            raise InputError(f"weights have shape {w.shape}; expected {n} weights per "
                             f"capacity constraint (one per item)", field="data.weights")
        if c.ndim != 1 or len(c) != w.shape[0]:
            raise InputError(f"{len(c)} capacities for {w.shape[0]} weight rows; give one "
                             "capacity per row of weights", field="data.capacity")
        for arr, name in ((v, "values"), (w, "weights"), (c, "capacity")):
            if not np.isfinite(arr).all():
                raise InputError("must be finite numbers", field=f"data.{name}")
        if (w < 0).any():
            raise InputError("weights must be >= 0", field="data.weights")
        if (c < 0).any():
            raise InputError("capacities must be >= 0", field="data.capacity")
        names = list(range(n)) if items is None else list(items)
        if len(names) != n or len(set(names)) != n:
            raise InputError(f"{len(names)} item names for {n} items; give one distinct "
                             "name per item", field="data.items")
        self.values, self.weights, self.capacities, self.items = v, w, c, names
        self.index = {name: i for i, name in enumerate(names)}

    @property
    def n(self) -> int:
        return len(self.values)

    def load(self, chosen: Sequence[int]) -> np.ndarray:
        """Weight used per dimension by the item indices ``chosen``."""
        return self.weights[:, list(chosen)].sum(axis=1)

    def ratio(self) -> np.ndarray:
        """Value per unit of capacity: ``v_i / sum_k w_ki / C_k`` (inf for weightless
        items, -inf for items that can never fit)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.weights > 0, self.weights / self.capacities[:, None], 0.0)
            size = share.sum(axis=0)
            ratio = np.where(size > 0, self.values / size, np.inf)
        never = (self.weights > self.capacities[:, None]).any(axis=0)
        return np.where(never, -np.inf, ratio)


# ---------------------------------------------------------------------- the problem
def knapsack_problem(values: Sequence[float], weights: Sequence[float] | Sequence[Sequence[float]],
                     capacities: float | Sequence[float], *,
                     items: Sequence[Hashable] | None = None, name: str | None = None,
                     known_optimum: float | None = None) -> Problem:
    """The 0-1 knapsack: ``weights`` is one row per capacity (or a flat list for one)."""
    ks = Knapsack(values, weights, capacities, items)
    n = ks.n
    cqm = dimod.ConstrainedQuadraticModel()
    objective = dimod.BinaryQuadraticModel("BINARY")
    objective.add_linear_from((i, -float(ks.values[i])) for i in range(n))
    cqm.set_objective(objective)
    for k, row in enumerate(ks.weights):
        terms = [(i, float(w)) for i, w in enumerate(row) if w != 0]
        if terms:  # an all-zero row always holds; dimod would add an empty constraint
            cqm.add_constraint_from_iterable(terms, "<=", float(ks.capacities[k]),
                                             label=f"capacity[{k}]")

    def decode(sample: Mapping[Hashable, int]) -> dict[str, Any]:
        return make_solution(ks, [i for i in range(n) if sample[i]])

    def verify(solution: Any) -> list[str]:
        return knapsack_violations(ks, solution)

    def objective_value(solution: Mapping[str, Any]) -> float:
        return float(ks.values[_indices(ks, solution["items"])].sum())

    def repair(solution: Mapping[str, Any]) -> dict[str, Any]:
        return make_solution(ks, repair_knapsack(ks, _indices(ks, solution.get("items", []))))

    def describe(solution: Mapping[str, Any]) -> str:
        chosen = solution.get("items", [])
        load = ", ".join(f"{number(a)}/{number(c)}" for a, c in
                         zip(solution.get("load", []), ks.capacities))
        return (f"items ({len(chosen)} of {n}): {preview(chosen)}\n"
                f"value: {number(solution.get('value', 0))}\nload: {load}")

    return Problem(kind="knapsack", cqm=cqm, decode=decode, verify=verify,
                   objective=objective_value, sense="max", name=name,
                   known_optimum=known_optimum, milp=lambda: knapsack_milp(ks),
                   repair=repair, describe=describe, data=ks,
                   options={"items": n, "constraints": len(ks.capacities),
                            "capacity": [number(c) for c in ks.capacities]})


def _indices(ks: Knapsack, names: Any) -> list[int]:
    """Known item names as indices, each once, in item order."""
    return sorted({ks.index[v] for v in names if _hashable(v) and v in ks.index})


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def make_solution(ks: Knapsack, chosen: Sequence[int]) -> dict[str, Any]:
    """The solution dict for item indices ``chosen``: names, value and load."""
    chosen = sorted(set(int(i) for i in chosen))
    return {"items": [ks.items[i] for i in chosen],
            "value": float(ks.values[chosen].sum()),
            "load": [float(x) for x in ks.load(chosen)]}


def knapsack_violations(ks: Knapsack, solution: Any) -> list[str]:
    """What makes ``solution`` not a packing: bad form, unknown or repeated items, overload.

    Loads are recomputed from the items; the solution's own ``load`` is not trusted.
    """
    if not isinstance(solution, Mapping) or not isinstance(solution.get("items"), (list, tuple)):
        return ["solution must have 'items': the list of chosen items"]
    items = solution["items"]
    problems = []
    unknown = [v for v in items if not _hashable(v) or v not in ks.index]
    if unknown:
        problems.append(f"{len(unknown)} unknown item(s), e.g. {unknown[0]!r}")
    known = [v for v in items if v not in unknown]
    if len(set(known)) != len(known):
        problems.append("an item is listed more than once")
    load = ks.load(_indices(ks, known))
    tol = 1e-9 * max(1.0, float(np.abs(ks.capacities).max()))
    for k, (used, cap) in enumerate(zip(load, ks.capacities)):
        if used > cap + tol:
            problems.append(f"capacity[{k}]: load {number(used)} exceeds {number(cap)}")
    return problems


def repair_knapsack(ks: Knapsack, chosen: Sequence[int]) -> list[int]:
    """A packing (item indices) from any set of items.

    While a dimension is overloaded, drops the chosen item with the lowest value per
    unit of capacity (:meth:`Knapsack.ratio`) among those using that dimension; then
    adds unchosen items of positive value, best ratio first, whenever they fit.

    >>> ks = Knapsack([10, 7, 6, 1], [[5, 4, 3, 1]], [7])
    >>> repair_knapsack(ks, [0, 1, 2])   # drops 1 (7/4), then 2 (ties 0, less value)
    [0, 3]
    >>> repair_knapsack(ks, [1])
    [1, 2]
    """
    ratio = ks.ratio()
    keep = set(int(i) for i in chosen)
    load = ks.load(sorted(keep))
    tol = 1e-9 * max(1.0, float(np.abs(ks.capacities).max()))
    while True:
        over = np.flatnonzero(load > ks.capacities + tol)
        if not len(over):
            break
        culprits = [i for i in keep if (ks.weights[over, i] > 0).any()]
        drop = min(culprits, key=lambda i: (ratio[i], ks.values[i], -i))
        keep.discard(drop)
        load = load - ks.weights[:, drop]
    for i in sorted(range(ks.n), key=lambda i: (-ratio[i], -ks.values[i], i)):
        if i in keep or ks.values[i] <= 0:
            continue
        if (load + ks.weights[:, i] <= ks.capacities + tol).all():
            keep.add(i)
            load = load + ks.weights[:, i]
    return sorted(keep)


def knapsack_milp(ks: Knapsack) -> MilpFormulation:
    """``max sum v_i x_i`` s.t. ``sum_i w_ki x_i <= C_k`` for every ``k``, ``x`` binary."""
    import pulp

    lp = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x_{i}", cat="Binary") for i in range(ks.n)]
    lp += pulp.lpSum(float(v) * xi for v, xi in zip(ks.values, x))
    for k, row in enumerate(ks.weights):
        # Solvers' feasibility tolerances are absolute (~1e-6): with weights of 1e-6
        # HiGHS packed an item too many and called it 'optimal'. A row whose numbers
        # are all below 1 is multiplied by the power of two (exact) that brings its
        # largest into [1, 2).
        largest = max(float(np.abs(row).max()), abs(float(ks.capacities[k])))
        unit = math.ldexp(1.0, 1 - math.frexp(largest)[1]) if 0 < largest < 1 else 1.0
        lp += (pulp.lpSum(float(w) * unit * xi for w, xi in zip(row, x) if w)
               <= float(ks.capacities[k]) * unit), f"capacity_{k}"

    def extract() -> dict[str, Any]:
        return make_solution(ks, [i for i, xi in enumerate(x) if round(xi.value() or 0.0)])

    return MilpFormulation(lp=lp, extract=extract)


def brute_force(ks: Knapsack) -> tuple[list[int], float]:
    """The optimum by enumeration (tests and tiny instances; refuses n > 22)."""
    if ks.n > 22:
        raise ValueError(f"{ks.n} items is too many to enumerate")
    best: tuple[list[int], float] = ([], 0.0)
    for mask in range(1 << ks.n):
        chosen = [i for i in range(ks.n) if mask >> i & 1]
        if (ks.load(chosen) <= ks.capacities + 1e-9).all():
            value = float(ks.values[chosen].sum())
            if value > best[1]:
                best = (chosen, value)
    return best


# ---------------------------------------------------------------------- registration
class KnapsackData(FileData):
    """``data:`` for knapsack: inline ``values``, ``weights`` and ``capacity``, or a file:
    an OR-Library mknap file (``format: orlib``, .txt) or a D-Wave item CSV
    (``format: dwave-csv``, .csv: one ``cost,weight`` line per item)."""

    values: list[float] | None = Field(None, description="item values (maximised)")
    weights: list[float] | list[list[float]] | None = Field(
        None, description="one weight per item, or one row of weights per capacity")
    capacity: float | list[float] | None = Field(
        None, description="capacity, or one per row of weights (default: "
                          "capacity_fraction of the total weight)")
    items: list[int | str] | None = Field(None, description="item names (default 0..n-1)")

    @model_validator(mode="after")
    def _one_source(self) -> KnapsackData:
        inline = [k for k in ("values", "weights") if getattr(self, k) is not None]
        if self.file is not None and inline:
            raise ValueError(f"give either file or inline {' and '.join(inline)}, not both")
        if self.file is None and len(inline) != 2:
            raise ValueError("give values and weights (inline), or file")
        return self


class KnapsackOptions(Strict):
    """Build options for knapsack."""

    capacity: float | list[float] | None = Field(
        None, description="capacity per constraint; overrides the data's")
    capacity_fraction: float | None = Field(
        None, gt=0, le=1, description="capacity as this fraction of each row's total weight "
                                      "(rounded down); 0.8 when no capacity is given")
    instance: PositiveInt | None = Field(
        None, description="which problem of a multi-problem OR-Library file (1-based)")


def _build(data: KnapsackData, options: KnapsackOptions, base_dir: Path) -> Problem:
    name = None
    known: float | None = None
    capacity: Any = data.capacity
    if data.file is not None:
        path = resolve_path(data.file, base_dir)
        fmt = pick_format(path, data.format, FORMATS)
        if fmt == "orlib":
            from qanneal.formats.knapsack import read_mknap

            problems = read_mknap(path)
            index = options.instance
            if index is None and len(problems) > 1:
                raise InputError(f"{path.name} holds {len(problems)} problems; choose one "
                                 f"with instance (1..{len(problems)}; --instance K)",
                                 field="options.instance")
            index = index or 1
            if index > len(problems):
                raise InputError(f"{path.name} holds {len(problems)} problem(s); instance "
                                 f"must be 1..{len(problems)}", field="options.instance")
            chosen = problems[index - 1]
            values, weights, capacity = (chosen["values"], chosen["weights"],
                                         chosen["capacities"])
            known = chosen["optimum"]
            name = path.stem + (f"#{index}" if len(problems) > 1 else "")
        else:
            from qanneal.formats.knapsack import read_knapsack_csv

            table = read_knapsack_csv(path)
            values, weights = table["values"], table["weights"]
            name = path.stem
        if options.instance is not None and fmt != "orlib":
            raise InputError("instance applies to OR-Library files only",
                             field="options.instance")
    else:
        if options.instance is not None:
            raise InputError("instance applies to OR-Library files only",
                             field="options.instance")
        values, weights = data.values, data.weights
    rows = np.atleast_2d(np.asarray(weights, dtype=float))
    if options.capacity is not None or options.capacity_fraction is not None:
        known = None  # the file's best-known value is for its own capacities
    if options.capacity is not None:
        capacity = options.capacity
    elif options.capacity_fraction is not None or capacity is None:
        fraction = options.capacity_fraction or DEFAULT_CAPACITY_FRACTION
        capacity = [float(math.floor(fraction * row.sum())) for row in rows]
    if np.ndim(capacity) == 0 and rows.shape[0] > 1:
        raise InputError(f"one capacity for {rows.shape[0]} weight rows; give one per row",
                         field="options.capacity" if options.capacity is not None
                         else "data.capacity")
    return knapsack_problem(values, rows, capacity, items=data.items, name=name,
                            known_optimum=known)


KNAPSACK = ProblemType(
    name="knapsack",
    description="0-1 knapsack, one or several capacities, maximise value (inline, "
                "OR-Library mknap file or D-Wave item CSV)",
    data_model=KnapsackData,
    options_model=KnapsackOptions,
    build=_build,
)
