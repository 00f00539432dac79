"""Graph colouring: give every node one of ``k`` colours, neighbours different.

Two modes. ``min`` (default): use as few colours as possible, at most ``k`` (default:
the number a greedy largest-first colouring needs, so a feasible answer exists).
``decide``: is there a proper ``k``-colouring? (no objective; the checker decides.)

CQM: ``x[v,c]`` = node v has colour c, one-hot per node (``node[v]``), ``x[u,c] +
x[v,c] <= 1`` per edge and colour (``edge[u,v,c]``, a slack-free pairwise penalty);
in ``min`` mode also ``y[c]`` = colour c is used, ``x[v,c] <= y[c]`` (``use[v,c]``),
objective ``sum_c y[c]``. Native MILP: the textbook assignment model with
``x[u,c] + x[v,c] <= y[c]`` and the symmetry breaking ``y[c] >= y[c+1]``.
(dimod's ``generators.min_vertex_coloring``, behind dwave-graphs' colouring, builds a
BQM directly, term by term, with fixed fractional colour costs and no constraint
labels; we need a CQM whose constraint groups the core penalises and users override.)

>>> import networkx as nx
>>> from qanneal import solve
>>> problem = coloring_problem(nx.cycle_graph(5), k=3)
>>> import pulp
>>> formulation = problem.milp()
>>> _ = formulation.lp.solve(pulp.PULP_CBC_CMD(msg=False))
>>> colouring = formulation.extract()
>>> problem.verify(colouring), problem.objective(colouring)
([], 3.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, Literal

import dimod
import networkx as nx
from pydantic import Field

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import ProblemType, Strict
from qanneal.problems.graphs import (
    DIMACS_EXTENSIONS,
    GraphData,
    check_simple,
    graph_from_data,
    preview,
    sort_nodes,
)
from qanneal.sizing import ModelSize

Mode = Literal["min", "decide"]

#: Penalty weight per constraint group in ``min`` mode, against an objective that
#: counts colours (1 each). A conflict, an uncoloured node or a used-but-unpaid colour
#: can at best save the one colour it frees, so any weight > 1 makes every infeasible
#: state worse than repairing it; 2 leaves a margin. (The core's one-flip bound gives
#: ``node`` and ``edge`` weight 1 here, which ties: a conflict would cost exactly the
#: colour it saves.)
MIN_MODE_PENALTIES = {"node": 2.0, "edge": 2.0, "use": 2.0}


def greedy_colors(graph: nx.Graph) -> int:
    """Colours a greedy largest-first colouring needs: an upper bound on the chromatic number."""
    colouring = nx.greedy_color(graph, strategy="largest_first")
    return max(colouring.values(), default=-1) + 1


def coloring_problem(graph: nx.Graph, k: int | None = None, *, mode: Mode = "min",
                     name: str | None = None, known_optimum: float | None = None) -> Problem:
    """Colour ``graph`` with at most ``k`` colours (fewest in ``min`` mode).

    The solution is ``{node: colour}`` with colours ``0..k-1``; a node the sample left
    uncoloured is ``None``, one it gave several colours a list of them.
    """
    check_simple(graph, what="colouring")
    if k is None:
        k = greedy_colors(graph) if mode == "min" else None
        if k is None:
            raise InputError("decide mode needs k, the number of colours to decide",
                             field="options.k")
    if k < 1:
        raise InputError(f"k={k}; need at least one colour", field="options.k")
    nodes = list(graph.nodes)
    colours = range(k)
    n, m, use = len(nodes), graph.number_of_edges(), mode == "min"
    # CQM: x[v,c] (and y[c]); node[v] rows of k, edge[u,v,c] and use[v,c] rows of 2.
    cqm_size = ModelSize(n * k + use * k, 0, n * k + 2 * m * k + use * 2 * n * k,
                         n + m * k + use * n * k)
    # BQM: each one-hot node[v] expands to k (k - 1) / 2 pairs, each edge row to one
    # pair, each use row (x - y <= 0) to three with one slack variable.
    bqm_size = ModelSize(n * k + use * (k + n * k), n * k * (k - 1) // 2 + m * k
                         + use * 3 * n * k)
    what = f"the colouring model ({n} nodes, k={k} colours)"
    fix = f"give a smaller --k (the greedy colouring needs {greedy_colors(graph)})"
    if milp_bytes(n, m, k) <= sizing.memory_limit()[0]:
        fix += " or use --backend milp"

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(what, cqm_size, fix)
        cqm = dimod.ConstrainedQuadraticModel()
        objective = dimod.BinaryQuadraticModel("BINARY")
        objective.add_linear_from((x_label(v, c), 0.0) for v in nodes for c in colours)
        if mode == "min":
            objective.add_linear_from((y_label(c), 1.0) for c in colours)
        cqm.set_objective(objective)
        for v in nodes:
            cqm.add_constraint_from_iterable([(x_label(v, c), 1) for c in colours], "==", 1,
                                             label=f"node[{v}]")
        for u, v in graph.edges:
            sizing.check_deadline(what)
            for c in colours:
                cqm.add_constraint_from_iterable([(x_label(u, c), 1), (x_label(v, c), 1)],
                                                 "<=", 1, label=f"edge[{u},{v},{c}]")
        if mode == "min":
            for v in nodes:
                sizing.check_deadline(what)
                for c in colours:
                    cqm.add_constraint_from_iterable([(x_label(v, c), 1), (y_label(c), -1)],
                                                     "<=", 0, label=f"use[{v},{c}]")
        return cqm

    def check_bqm_size() -> None:
        sizing.check_bqm(what, cqm_size, bqm_size, fix)

    def decode(sample: Mapping[Hashable, int]) -> dict[Hashable, Any]:
        out: dict[Hashable, Any] = {}
        for v in nodes:
            on = [c for c in colours if sample[x_label(v, c)]]
            out[v] = on[0] if len(on) == 1 else (None if not on else on)
        return out

    def verify(solution: Any) -> list[str]:
        return coloring_violations(graph, solution, k)

    def objective_value(solution: Mapping[Hashable, Any]) -> float:
        return float(len({c for c in solution.values() if isinstance(c, int)}))

    def repair(solution: Mapping[Hashable, Any]) -> dict[Hashable, int]:
        return repair_coloring(graph, solution, k)

    def describe(solution: Mapping[Hashable, Any]) -> str:
        classes: dict[Any, list[Hashable]] = {}
        for v, c in solution.items():
            classes.setdefault(c if isinstance(c, int) else "?", []).append(v)
        lines = [f"colour {c}: {preview(sort_nodes(vs))}" for c, vs in
                 sorted(classes.items(), key=lambda kv: (kv[0] == "?", str(kv[0])))]
        used = int(objective_value(solution))
        lines.append(f"colours used: {used} of at most {k}")
        return "\n".join(lines)

    groups = {"node"} | ({"edge"} if m else set()) | ({"use"} if use else set())
    # decide mode has no objective: any positive weight makes feasible states the
    # ground states; 1 keeps the biases integral (see graphs.binary_exact).
    penalties = {g: (MIN_MODE_PENALTIES[g] if mode == "min" else 1.0) for g in groups}
    return Problem(kind="coloring", cqm=build_cqm, decode=decode, verify=verify,
                   objective=objective_value, sense="min", name=name,
                   known_optimum=known_optimum,
                   milp=lambda: coloring_milp(graph, k, mode=mode), repair=repair,
                   describe=describe, penalties=penalties, data=graph,
                   check_bqm_size=check_bqm_size, options={"k": k, "mode": mode})


def x_label(v: Hashable, c: int) -> str:
    """Variable label of "node ``v`` has colour ``c``"."""
    return f"x[{v},{c}]"


def y_label(c: int) -> str:
    """Variable label of "colour ``c`` is used"."""
    return f"y[{c}]"


def coloring_violations(graph: nx.Graph, solution: Any, k: int) -> list[str]:
    """What makes ``solution`` ({node: colour}) not a proper colouring with colours 0..k-1."""
    if not isinstance(solution, Mapping):
        return ["solution must map every node to a colour"]
    problems = []
    missing = [v for v in graph if v not in solution]
    if missing:
        problems.append(f"{len(missing)} node(s) without an entry, e.g. {missing[0]!r}")
    unknown = [v for v in solution if v not in graph]
    if unknown:
        problems.append(f"{len(unknown)} unknown node(s), e.g. {unknown[0]!r}")
    uncoloured = [v for v in graph if v in solution and solution[v] is None]
    if uncoloured:
        problems.append(f"{len(uncoloured)} node(s) without a colour, e.g. {uncoloured[0]!r}")
    several = [v for v in graph if isinstance(solution.get(v), (list, tuple))]
    if several:
        v = several[0]
        problems.append(f"{len(several)} node(s) with several colours, e.g. {v!r}: "
                        f"{list(solution[v])}")
    bad = [v for v in graph if v in solution and solution[v] is not None
           and not isinstance(solution[v], (list, tuple))
           and not (isinstance(solution[v], int) and 0 <= solution[v] < k)]
    if bad:
        problems.append(f"node {bad[0]!r} has colour {solution[bad[0]]!r}; colours are "
                        f"0..{k - 1}")
    clashes = [(u, v) for u, v in graph.edges
               if isinstance(solution.get(u), int) and solution.get(u) == solution.get(v)]
    if clashes:
        u, v = clashes[0]
        problems.append(f"{len(clashes)} edge(s) with both ends the same colour, e.g. "
                        f"({u!r}, {v!r}) both {solution[u]}")
    return problems


def repair_coloring(graph: nx.Graph, solution: Mapping[Hashable, Any], k: int
                    ) -> dict[Hashable, int]:
    """Resolve conflicts greedily, keeping as much of ``solution`` as possible.

    Nodes with a valid single colour keep it unless they clash; then, most-constrained
    node first, every clashing, uncoloured or multi-coloured node takes the least-used
    colour no neighbour has (preferring colours already in use, and among a node's own
    candidate colours first); a new colour is opened only if ``k`` allows. A node no
    colour fits keeps the least-conflicting one (the result then still fails verify).

    >>> repair_coloring(nx.complete_graph(3), {0: 0, 1: 0, 2: None}, 3)
    {0: 0, 1: 2, 2: 1}
    """
    colour: dict[Hashable, int] = {}
    pending: list[Hashable] = []
    candidates: dict[Hashable, list[int]] = {}
    for v in graph:
        c = solution.get(v) if isinstance(solution, Mapping) else None
        if isinstance(c, int) and 0 <= c < k:
            colour[v] = c
        else:
            candidates[v] = [x for x in (c if isinstance(c, (list, tuple)) else [])
                             if isinstance(x, int) and 0 <= x < k]
            pending.append(v)
    # Uncolour one end of every clash: the end with more clashes (it frees most).
    while True:
        clash_count = Counter()
        for u, v in graph.edges:
            if u in colour and v in colour and colour[u] == colour[v]:
                clash_count[u] += 1
                clash_count[v] += 1
        if not clash_count:
            break
        worst = max(clash_count, key=lambda v: (clash_count[v], graph.degree(v), str(v)))
        candidates[worst] = [colour.pop(worst)]
        pending.append(worst)
    usage = Counter(colour.values())
    while pending:
        # Most constrained first: the pending node seeing the most distinct colours.
        v = max(pending, key=lambda v: (len({colour[u] for u in graph[v] if u in colour}),
                                        graph.degree(v), str(v)))
        pending.remove(v)
        taken = {colour[u] for u in graph[v] if u in colour}
        free = [c for c in range(k) if c not in taken]
        if free:
            own = [c for c in free if c in candidates.get(v, [])]
            used = [c for c in free if usage[c] > 0]
            pool = own or used or free
            pick = min(pool, key=lambda c: (usage[c] == 0, usage[c], c))
        else:
            clashes = Counter(colour[u] for u in graph[v] if u in colour)
            pick = min(range(k), key=lambda c: (clashes[c], c))
        colour[v] = pick
        usage[pick] += 1
    return {v: colour[v] for v in graph}


def milp_bytes(n: int, m: int, k: int) -> int:
    """Bytes the assignment MILP of ``n`` nodes, ``m`` edges and ``k`` colours takes."""
    return sizing.pulp_size(n * k + k, n * k + 3 * m * k + 3 * k)


def coloring_milp(graph: nx.Graph, k: int, *, mode: Mode = "min") -> MilpFormulation:
    """Assignment MILP: ``x[v,c]``, ``y[c]``; min ``sum y`` (min mode) with symmetry breaking.

    ``sum_c x[v,c] = 1``; ``x[u,c] + x[v,c] <= y[c]`` per edge (``x[v,c] <= y[c]`` for
    isolated nodes); ``y[c] >= y[c+1]`` so colours are used in order. In decide mode
    ``y`` is fixed to 1 and there is no objective.
    """
    import pulp

    nodes = list(graph.nodes)
    n, m = len(nodes), graph.number_of_edges()
    sizing.check(f"the colouring MILP ({n} nodes, k={k})", milp_bytes(n, m, k),
                 "give a smaller --k", counts=f"{sizing.amount(n * k + k)} variables, "
                 f"{sizing.amount(m * k)} edge rows")
    index = {v: i for i, v in enumerate(nodes)}
    lp = pulp.LpProblem("coloring", pulp.LpMinimize)
    x = {(v, c): pulp.LpVariable(f"x_{index[v]}_{c}", cat="Binary")
         for v in nodes for c in range(k)}
    if mode == "min":
        y = [pulp.LpVariable(f"y_{c}", cat="Binary") for c in range(k)]
        lp += pulp.lpSum(y)
        for c in range(k - 1):
            lp += y[c] >= y[c + 1]
    else:
        y = [1] * k
        lp += pulp.lpSum([])
    for v in nodes:
        lp += pulp.lpSum(x[v, c] for c in range(k)) == 1
        if graph.degree(v) == 0:
            for c in range(k):
                if mode == "min":
                    lp += x[v, c] <= y[c]
    for u, v in graph.edges:
        for c in range(k):
            lp += x[u, c] + x[v, c] <= y[c]

    def extract() -> dict[Hashable, Any]:
        out: dict[Hashable, Any] = {}
        for v in nodes:
            on = [c for c in range(k) if round(x[v, c].value() or 0.0)]
            out[v] = on[0] if len(on) == 1 else (None if not on else on)
        return out

    return MilpFormulation(lp=lp, extract=extract, certifies_objective=mode == "min")


class ColoringOptions(Strict):
    """Options of graph colouring."""

    k: int | None = Field(None, ge=1, description="number of colours allowed (default: what "
                                                  "a greedy colouring needs; required for "
                                                  "decide)")
    mode: Mode = Field("min", description="min: fewest colours up to k; decide: any proper "
                                          "k-colouring")


def _build(data: GraphData, options: ColoringOptions, base_dir: Path) -> Problem:
    graph, name = graph_from_data(data, base_dir)
    return coloring_problem(graph, options.k, mode=options.mode, name=name)


COLORING = ProblemType(
    name="coloring",
    description="graph colouring: fewest colours up to k, or decide k (inline or DIMACS .col)",
    data_model=GraphData,
    options_model=ColoringOptions,
    build=_build,
    extensions=DIMACS_EXTENSIONS,
)
