"""Travelling salesperson, symmetric or asymmetric: the shortest closed tour of all cities.

Input: a TSPLIB ``.tsp``/``.atsp`` file (distances rounded as TSPLIB specifies), an
inline ``matrix`` (``matrix[i][j]`` = distance from i to j), inline ``coords`` with a
TSPLIB ``metric``, a networkx graph (complete, edge attribute ``weight``; a DiGraph for
asymmetric distances) or a numpy matrix.

CQM: ``x[c,t]`` = city c is visited at position t; one position per city
(``city[c]``) and one city per position (``position[t]``); objective ``sum_t
sum_{a != b} d[a,b] x[a,t] x[b,t+1]`` (positions cyclic), built in one
``BinaryQuadraticModel.from_numpy_vectors`` call (dimod's ``generators.
traveling_salesperson`` adds the n^3 terms one Python call at a time and uses one
global multiplier). Native MILP: Miller-Tucker-Zemlin with the Desrochers-Laporte
lifting, valid for asymmetric distances.

Penalties: from a feasible tour, taking a city out of its slot (or putting a second
city in one) breaks one ``city`` and one ``position`` constraint and changes the tour
length by at most ``2 max d``, so any weight above ``max d`` per constraint keeps every
such state worse than the tour; we use ``1.1 max d`` (the core's usual 10% margin).
The core's generic one-flip bound (the sum of a variable's row and column of d) is
about n/2 times larger here and flattens the landscape: on random 8-12 city instances
sa found tours 10-40% longer with it, and no more feasible ones (all were feasible
with 1.1, 1.5, 2 and 3 x max d; shorter tours came with the smaller weights).

>>> import numpy as np
>>> from qanneal import solve
>>> d = np.array([[0, 1, 5, 5], [5, 0, 1, 5], [5, 5, 0, 1], [1, 5, 5, 0]])  # asymmetric
>>> result = solve(tsp_problem(d), "exact")
>>> result.solution, result.objective
([0, 1, 2, 3], 4.0)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import dimod
import networkx as nx
import numpy as np
from pydantic import Field, field_validator, model_validator

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict, pick_format, resolve_path
from qanneal.problems.graphs import binary_exact, number, preview
from qanneal.problems.slots import permutation_violations, slot_items
from qanneal.sizing import ModelSize

FORMATS = {".tsp": "tsplib", ".atsp": "tsplib"}
#: Penalty weight per ``city``/``position`` constraint, in units of the largest distance.
PENALTY_FACTOR = 1.1

Metric = Literal["EUC_2D", "CEIL_2D", "ATT", "GEO", "euclidean"]


def distance_matrix(distances: Any) -> tuple[np.ndarray, list[Hashable]]:
    """A square float matrix and the city names from a matrix or a networkx graph."""
    if isinstance(distances, nx.Graph):
        cities = list(distances.nodes)
        n = len(cities)
        missing = n * (n - 1) - (distances.number_of_edges() * (1 if distances.is_directed()
                                                               else 2))
        if missing > 0:
            raise InputError(f"the graph is not complete ({missing} arc(s) missing); give a "
                             "distance for every pair of cities", field="data")
        d = nx.to_numpy_array(distances, nodelist=cities, weight="weight", nonedge=np.nan)
        np.fill_diagonal(d, 0.0)
        return d, cities
    d = np.asarray(distances, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise InputError(f"the distance matrix is {d.shape}; expected n x n",
                         field="data.matrix")
    return d, list(range(d.shape[0]))


def tsp_problem(distances: Any, *, cities: Sequence[Hashable] | None = None,
                name: str | None = None, known_optimum: float | None = None) -> Problem:
    """The TSP on a distance matrix (array-like, ``d[i][j]`` from i to j) or a networkx graph.

    The solution is the tour as a list of city names (the first city first). A sample
    that puts no city or several cities at a position decodes to ``None`` or a list of
    cities at that slot, which ``verify`` reports and ``repair`` fixes.
    """
    d, names = distance_matrix(distances)
    if cities is not None:
        names = list(cities)
        if len(names) != d.shape[0] or len(set(names)) != len(names):
            raise InputError(f"{len(names)} city names for {d.shape[0]} cities; give one "
                             "distinct name per city", field="data.cities")
    n = d.shape[0]
    if n < 3:
        raise InputError(f"{n} cities; a tour needs at least 3", field="data")
    off = ~np.eye(n, dtype=bool)
    if not np.isfinite(d[off]).all():
        raise InputError("distances must be finite numbers", field="data")
    if (d[off] < 0).any():
        raise InputError("distances must be >= 0", field="data")
    np.fill_diagonal(d, 0.0)
    symmetric = bool(np.array_equal(d, d.T))
    position = {c: i for i, c in enumerate(names)}

    cqm_size, bqm_size = qubo_size(n)
    what = f"the TSP QUBO ({n} cities)"
    fix = (f"use --backend milp (MTZ, n^2 variables) or at most {largest_qubo(bqm=True)} "
           "cities")

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(what, cqm_size, fix)
        cqm = dimod.ConstrainedQuadraticModel()
        cqm.set_objective(tsp_objective(d))
        for c in range(n):
            sizing.check_deadline(what)
            cqm.add_constraint_from_iterable([(var(c, t), 1) for t in range(n)], "==", 1,
                                             label=f"city[{names[c]}]")
        for t in range(n):
            sizing.check_deadline(what)
            cqm.add_constraint_from_iterable([(var(c, t), 1) for c in range(n)], "==", 1,
                                             label=f"position[{t}]")
        return cqm

    def check_bqm_size() -> None:
        sizing.check_bqm(what, cqm_size, bqm_size, fix)

    weight = binary_exact(PENALTY_FACTOR * float(d.max())) if d.max() > 0 else 1.0

    def decode(sample: Mapping[Hashable, int]) -> list[Any]:
        slots: list[Any] = []
        for t in range(n):
            here = [names[c] for c in range(n) if sample[var(c, t)]]
            slots.append(here[0] if len(here) == 1 else (None if not here else here))
        return rotate_to_start(slots, names[0])

    def verify(solution: Any) -> list[str]:
        return tour_violations(solution, names)

    def objective(solution: Sequence[Hashable]) -> float:
        return tour_length(d, [position[c] for c in solution])

    def repair(solution: Sequence[Any]) -> list[Hashable]:
        order = repair_tour(d, [_slot_indices(s, position) for s in solution])
        return rotate_to_start([names[i] for i in order], names[0])

    def describe(solution: Sequence[Any]) -> str:
        shown = [("?" if s is None else "/".join(map(str, s)) if isinstance(s, list) else s)
                 for s in solution]
        text = f"tour ({len(solution)} of {n} cities): {preview([*shown, shown[0]], 30)}"
        if not tour_violations(solution, names):
            text += f"\nlength: {number(objective(solution))}"
        return text

    return Problem(kind="tsp", cqm=build_cqm, decode=decode, verify=verify, objective=objective,
                   sense="min", name=name, known_optimum=known_optimum,
                   milp=lambda: tsp_milp(d, names), repair=repair, describe=describe,
                   penalties={"city": weight, "position": weight}, data=d,
                   check_bqm_size=check_bqm_size,
                   options={"cities": n, "symmetric": symmetric})


def var(city: int, t: int) -> tuple[int, int]:
    """Variable label of "city number ``city`` is visited at position ``t``"."""
    return (city, t)


def tsp_objective(d: np.ndarray) -> dimod.BinaryQuadraticModel:
    """The tour length as a BQM over ``(city, position)``: n^2 (n - 1) terms.

    The index vectors are the n (n - 1) city pairs shifted per position (int32, 16
    bytes a term; no n x n x n grid, which took 7.5 GiB of int64 at n = 1000 before
    the terms were even filtered); the caller checks the size first (:func:`qubo_size`).
    """
    n = d.shape[0]
    a, b = np.nonzero(~np.eye(n, dtype=bool) & (d != 0))
    a, b = a.astype(np.int32) * n, b.astype(np.int32) * n
    bias = d[a // n, b // n]
    labels = [var(c, s) for c in range(n) for s in range(n)]
    # Variable (c, s) has index c * n + s; a at t is followed by b at t + 1 (cyclic).
    rows = np.concatenate([a + t for t in range(n)])
    cols = np.concatenate([b + (t + 1) % n for t in range(n)])
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        np.zeros(n * n), (rows, cols, np.tile(bias, n)), 0.0, "BINARY",
        variable_order=labels)


def qubo_size(n: int) -> tuple[ModelSize, ModelSize]:
    """Sizes of the CQM (objective n^2 (n - 1) terms, 2n one-hot rows of n) and of the
    penalised BQM (the objective plus n^2 (n - 1) one-hot pairs) for ``n`` cities."""
    objective = n * n * (n - 1)
    return (ModelSize(n * n, objective, 2 * n * n, 2 * n),
            ModelSize(n * n, objective + n * n * (n - 1)))


def largest_qubo(*, bqm: bool = True) -> int:
    """The most cities whose QUBO (with its CQM, when ``bqm``) fits the memory limit."""
    limit = sizing.memory_limit()[0]
    n = 3
    while True:
        cqm_size, bqm_size = qubo_size(n + 1)
        if (cqm_size + bqm_size if bqm else cqm_size).bytes > limit:
            return n
        n += 1


def rotate_to_start(slots: list[Any], start: Hashable) -> list[Any]:
    """Rotate a (possibly broken) tour so ``start`` comes first, when it is in one slot."""
    at = [i for i, s in enumerate(slots) if s == start]
    return slots[at[0]:] + slots[:at[0]] if len(at) == 1 else slots


def tour_length(d: np.ndarray, order: Sequence[int]) -> float:
    """Length of the closed tour visiting city indices ``order`` in turn."""
    idx = np.asarray(order, dtype=np.int64)
    return float(d[idx, np.roll(idx, -1)].sum())


def tour_violations(solution: Any, cities: Sequence[Hashable]) -> list[str]:
    """What makes ``solution`` not a Hamiltonian cycle over ``cities`` (each exactly once)."""
    known = set(cities)
    return permutation_violations(
        solution, cities, what="tour", noun="city", plural="cities", counted="city(ies)",
        verb="visited", not_a_list="solution must be a list of cities (the tour)",
        is_known=known.__contains__)


def _slot_indices(slot: Any, position: Mapping[Hashable, int]) -> list[int]:
    return [position[c] for c in slot_items(slot) if c in position]


def repair_tour(d: np.ndarray, slots: Sequence[Sequence[int]]) -> list[int]:
    """A valid tour (city indices) from slots of 0, 1 or several cities each.

    Keeps the first visit of every city in slot order (a slot with several cities keeps
    them in the order that extends the tour most cheaply), drops repeats, then puts
    each missing city where it lengthens the tour least (cheapest insertion).

    >>> d = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]])
    >>> repair_tour(d, [[0], [], [2], [2], [1, 3]])
    [0, 2, 1, 3]
    """
    n = d.shape[0]
    tour: list[int] = []
    seen: set[int] = set()
    for slot in slots:
        new = [c for c in dict.fromkeys(slot) if c not in seen]
        while new:  # several cities in one slot: nearest to the tour's end first
            last = tour[-1] if tour else None
            c = min(new, key=lambda c: (0.0 if last is None else d[last, c], c))
            new.remove(c)
            tour.append(c)
            seen.add(c)
    for c in range(n):
        if c in seen:
            continue
        if len(tour) < 2:
            tour.append(c)
        else:
            idx = np.asarray(tour)
            nxt = np.roll(idx, -1)
            cost = d[idx, c] + d[c, nxt] - d[idx, nxt]
            tour.insert(int(np.argmin(cost)) + 1, c)
        seen.add(c)
    return tour


def tsp_milp(d: np.ndarray, cities: Sequence[Hashable] | None = None) -> MilpFormulation:
    """Miller-Tucker-Zemlin MILP (asymmetric distances allowed).

    ``x[i,j]`` = the tour goes from i to j; one arc out of and one into every city;
    order variables ``1 <= u[i] <= n-1`` for cities other than the first, and the
    Desrochers-Laporte lifted subtour constraints ``u[i] - u[j] + (n-1) x[i,j] +
    (n-3) x[j,i] <= n-2``; 2-cycles ``x[i,j] + x[j,i] <= 1`` are cut for n > 3. The
    answer is read back by following arcs from the first city.
    """
    import pulp

    n = d.shape[0]
    names = list(cities) if cities is not None else list(range(n))
    variables = n * (n - 1) + n - 1
    coefficients = n * (n - 1) * 4 + 4 * (n - 1) * (n - 2) + (n * (n - 1) if n > 3 else 0)
    sizing.check(f"the MTZ MILP ({n} cities)", sizing.pulp_size(variables, coefficients),
                 "give a smaller instance", counts=f"{sizing.amount(variables)} variables, "
                 f"{sizing.amount(coefficients)} coefficients")
    lp = pulp.LpProblem("tsp", pulp.LpMinimize)
    arcs = [(i, j) for i in range(n) for j in range(n) if i != j]
    x: dict[tuple[int, int], Any] = {}
    for i, j in arcs:
        if not j:  # once per row: the deadline check is cheap but not free
            sizing.check_deadline(f"the MTZ MILP ({n} cities)")
        x[i, j] = pulp.LpVariable(f"x_{i}_{j}", cat="Binary")
    u = {i: pulp.LpVariable(f"u_{i}", lowBound=1, upBound=n - 1) for i in range(1, n)}
    lp += pulp.lpSum(float(d[i, j]) * x[i, j] for i, j in arcs)
    for i in range(n):
        sizing.check_deadline(f"the MTZ MILP ({n} cities)")
        lp += pulp.lpSum(x[i, j] for j in range(n) if j != i) == 1
        lp += pulp.lpSum(x[j, i] for j in range(n) if j != i) == 1
    for i in range(1, n):
        sizing.check_deadline(f"the MTZ MILP ({n} cities)", i / n)
        for j in range(1, n):
            if i != j:
                lp += u[i] - u[j] + (n - 1) * x[i, j] + (n - 3) * x[j, i] <= n - 2
    if n > 3:
        for i in range(n):
            for j in range(i + 1, n):
                lp += x[i, j] + x[j, i] <= 1

    def extract() -> list[Any]:
        succ = {i: j for (i, j), var_ in x.items() if round(var_.value() or 0.0)}
        tour = [0]
        while len(tour) < n and succ.get(tour[-1]) not in (None, 0):
            tour.append(succ[tour[-1]])
        return [names[i] for i in tour]

    return MilpFormulation(lp=lp, extract=extract)


# ---------------------------------------------------------------------- registration
class TspData(FileData):
    """``data:`` for the TSP: a TSPLIB file, an inline ``matrix``, or inline ``coords``."""

    matrix: list[list[float]] | None = None
    coords: list[tuple[float, float]] | None = None
    metric: Metric = Field("EUC_2D", description="distance for coords: TSPLIB EUC_2D "
                                                 "(rounded), CEIL_2D, ATT, GEO, or "
                                                 "euclidean (unrounded)")
    cities: list[int | str] | None = Field(None, description="city names (default 0..n-1; "
                                                              "TSPLIB files: 1..n)")

    @field_validator("cities")
    @classmethod
    def _distinct(cls, cities: list[Any] | None) -> list[Any] | None:
        if cities is not None and len(set(cities)) != len(cities):
            raise ValueError("a city name is listed twice; names must be distinct")
        return cities

    @model_validator(mode="after")
    def _one_source(self) -> TspData:
        given = [k for k in ("file", "matrix", "coords") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give exactly one of file, matrix, coords (got {', '.join(given)})")
        return self


class TspOptions(Strict):
    """The TSP takes no build options."""


def _build(data: TspData, options: TspOptions, base_dir: Path) -> Problem:
    if data.file is not None:
        path = resolve_path(data.file, base_dir)
        pick_format(path, data.format, FORMATS)
        from qanneal.formats.tsplib import read_tsplib

        tsp = read_tsplib(path)
        n = tsp["dimension"]
        cities = data.cities or list(range(1, n + 1))  # TSPLIB numbers cities from 1
        return tsp_problem(tsp["distance"], cities=cities, name=tsp["name"] or path.stem)
    if data.matrix is not None:
        rows = data.matrix
        if any(len(r) != len(rows) for r in rows):
            bad = next(i for i, r in enumerate(rows) if len(r) != len(rows))
            raise InputError(f"row {bad} has {len(rows[bad])} entries; a {len(rows)}-city "
                             f"matrix needs {len(rows)} per row", field=f"data.matrix.{bad}")
        return tsp_problem(np.array(rows, dtype=float), cities=data.cities)
    if data.coords is not None:
        coords = np.array(data.coords, dtype=float)
        if not np.isfinite(coords).all():
            raise InputError("coordinates must be finite numbers", field="data.coords")
        if data.metric == "euclidean":
            diff = coords[:, None, :] - coords[None, :, :]
            d = np.sqrt((diff ** 2).sum(axis=-1))
        else:
            from qanneal.formats.tsplib import coord_distances

            d = coord_distances(coords, data.metric).astype(float)
        return tsp_problem(d, cities=data.cities)
    raise InputError("give file (TSPLIB .tsp/.atsp), matrix (n rows of n distances) or "
                     "coords (n [x, y] pairs)", field="data")


TSP = ProblemType(
    name="tsp",
    description="travelling salesperson, symmetric or asymmetric (TSPLIB, matrix or coords)",
    data_model=TspData,
    options_model=TspOptions,
    build=_build,
    extensions=tuple(FORMATS),
)
