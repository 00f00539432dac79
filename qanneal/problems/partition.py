"""Balanced graph partitioning: split the nodes into ``k`` parts of near-equal size, cutting
as little edge weight as possible.

Balance (as METIS's imbalance tolerance): with ``balance`` = eps, every part has at
most ``ceil((1 + eps) n / k)`` nodes. With eps = 0 sizes differ by at most one.

CQM, ``k = 2``: one binary per node (its side); cut ``sum w (x_u + x_v - 2 x_u x_v)``;
both sides at most the bound (``balance[0]``: ``sum x >= n - max``, ``balance[1]``:
``sum x <= max``; one equality ``balance[1]`` when the sizes are forced).
``k > 2``: ``x[v,p]`` one-hot per node (``node[v]``), cut ``sum w (1 - sum_p x[u,p]
x[v,p])``, ``sum_v x[v,p] <= max`` per part (``balance[p]``; an equality when
``k max = n``). Objectives are built in bulk from numpy arrays. Native MILP: one-hot
assignment, an edge-cut variable ``z_e >= x[u,p] - x[v,p]`` per edge and part, the
size bounds, and node number i restricted to parts ``0..i`` (parts are
interchangeable).

(dimod's ``generators.graph_partition`` builds the one-hot CQM with exact balance only
and per-term Python loops; we need the tolerance and the two-sided k = 2 model.)

>>> import networkx as nx
>>> from qanneal import solve
>>> g = nx.barbell_graph(4, 0)      # two 4-cliques joined by one edge
>>> result = solve(partition_problem(g), "exact")
>>> part = result.solution
>>> result.objective, part[0] == part[3], part[3] == part[4]
(1.0, True, False)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import dimod
import networkx as nx
import numpy as np
from pydantic import Field

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import ProblemType, Strict
from qanneal.problems.graphs import (
    DIMACS_EXTENSIONS,
    GraphData,
    binary_exact,
    check_simple,
    edge_arrays,
    graph_from_data,
    number,
    preview,
    sort_nodes,
)
from qanneal.sizing import ModelSize


def size_bounds(n: int, k: int, balance: float) -> tuple[int, int]:
    """Smallest and largest possible part size for ``n`` nodes in ``k`` parts.

    The largest is ``ceil((1 + balance) n / k)``; the smallest is what is left when
    the other ``k - 1`` parts are as large as allowed.

    >>> size_bounds(10, 2, 0.0), size_bounds(11, 2, 0.0), size_bounds(10, 3, 0.2)
    ((5, 5), (5, 6), (2, 4))
    """
    # Rounded to 9 decimals first so that e.g. (1 + 0.1) * 10 / 2 is not 5.500000000000001.
    hi = min(math.ceil(round((1 + balance) * n / k, 9)), n)
    return max(n - (k - 1) * hi, 0), hi


def partition_problem(graph: nx.Graph, k: int = 2, *, balance: float = 0.0,
                      name: str | None = None, known_optimum: float | None = None) -> Problem:
    """Partition ``graph`` (edge attribute ``weight`` >= 0, default 1) into ``k`` parts.

    The solution maps each node to its part ``0..k-1``; a node the sample put in no
    part is ``None``, one in several parts a list of them.
    """
    check_simple(graph, what="partition")
    n = graph.number_of_nodes()
    if k < 2:
        raise InputError(f"k={k}; a partition needs at least 2 parts", field="options.k")
    if k > n:
        raise InputError(f"k={k} parts for {n} nodes; need k <= number of nodes",
                         field="options.k")
    if not 0 <= balance < 1:
        raise InputError(f"balance={balance}; expected 0 <= balance < 1", field="options.balance")
    nodes = list(graph.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    u, v, w = edge_arrays(graph, index)
    if len(w) and w.min() < 0:
        bad = int(np.argmin(w))
        raise InputError(f"edge ({nodes[u[bad]]!r}, {nodes[v[bad]]!r}) has weight {w[bad]}; "
                         "partition needs weights >= 0 (negative weights make it max-cut)",
                         field="data.edges")
    lo, hi = size_bounds(n, k, balance)
    degree = np.zeros(n)
    np.add.at(degree, u, w)
    np.add.at(degree, v, w)
    # Moving one node changes the cut by at most its weighted degree, so a weight above
    # the largest weighted degree keeps a balanced state below every state one move out
    # of balance (Lucas 2014, sec. 2.2: A/B >= min(2 max deg, n)/8 in spin terms). The
    # core's bound counts that degree three times for k = 2 (|linear| plus 2x the
    # quadratic biases of the x-form) and drowns the cut. For k > 2 the core's
    # per-node one-hot weight (1.1 x that node's degree) let sa leave light nodes in
    # two parts (0-6 of 50 reads feasible on G(30, 0.2), k = 3); one weight for all
    # nodes, from the heaviest, made 40-50 of 50 feasible with shorter cuts.
    bound = binary_exact(1.1 * float(degree.max())) if degree.max() > 0 else 1.0
    m = len(w)
    # CQM: the cut objective (k = 2: m terms; else m k), one-hot node rows of k and
    # balance rows over all n nodes. BQM: each balance row squares into n (n - 1) / 2
    # pairs (an inequality also gets ~log2(n) slack variables), each one-hot k (k - 1) / 2.
    slack = max(n, 2).bit_length()
    if k == 2:
        rows = 1 if lo == hi else 2
        cqm_size = ModelSize(n, m, rows * n, rows)
        bqm_size = ModelSize(n + (rows - 1) * 2 * slack,
                             m + rows * (n + slack) * (n + slack - 1) // 2)
    else:
        cqm_size = ModelSize(n * k, m * k, 2 * n * k, n + k)
        extra = 0 if k * hi == n else slack
        bqm_size = ModelSize(n * k + k * extra, m * k + n * k * (k - 1) // 2
                             + k * (n + extra) * (n + extra - 1) // 2)
    what = f"the partition model ({n} nodes, k={k})"
    fix = "use --backend milp, or a smaller graph"

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(what, cqm_size, fix)
        cqm = dimod.ConstrainedQuadraticModel()
        if k == 2:
            linear = np.zeros(n)
            np.add.at(linear, u, w)
            np.add.at(linear, v, w)
            objective = dimod.BinaryQuadraticModel.from_numpy_vectors(
                linear, (u, v, -2.0 * w), 0.0, "BINARY", variable_order=nodes)
            cqm.set_objective(objective)
            side = [(x, 1) for x in nodes]
            if lo == hi:
                cqm.add_constraint_from_iterable(side, "==", hi, label="balance[1]")
            else:
                cqm.add_constraint_from_iterable(side, ">=", n - hi, label="balance[0]")
                cqm.add_constraint_from_iterable(side, "<=", hi, label="balance[1]")
        else:
            labels = [part_label(x, p) for x in nodes for p in range(k)]
            # x[v,p] is variable v*k + p; an edge is uncut when both ends share a part.
            ui = (u[:, None] * k + np.arange(k)).ravel()
            vi = (v[:, None] * k + np.arange(k)).ravel()
            objective = dimod.BinaryQuadraticModel.from_numpy_vectors(
                np.zeros(n * k), (ui, vi, -np.repeat(w, k)), float(w.sum()), "BINARY",
                variable_order=labels)
            cqm.set_objective(objective)
            for x in nodes:
                cqm.add_constraint_from_iterable([(part_label(x, p), 1) for p in range(k)],
                                                 "==", 1, label=f"node[{x}]")
            for p in range(k):
                cqm.add_constraint_from_iterable([(part_label(x, p), 1) for x in nodes],
                                                 "==" if k * hi == n else "<=", hi,
                                                 label=f"balance[{p}]")
        return cqm

    def check_bqm_size() -> None:
        sizing.check_bqm(what, cqm_size, bqm_size, fix)

    penalties = {"balance": bound} if k == 2 else {"node": bound, "balance": bound}

    def decode(sample: Mapping[Hashable, int]) -> dict[Hashable, Any]:
        if k == 2:
            return {x: int(sample[x]) for x in nodes}
        out: dict[Hashable, Any] = {}
        for x in nodes:
            on = [p for p in range(k) if sample[part_label(x, p)]]
            out[x] = on[0] if len(on) == 1 else (None if not on else on)
        return out

    def verify(solution: Any) -> list[str]:
        return partition_violations(graph, solution, k, hi)

    def objective_value(solution: Mapping[Hashable, Any]) -> float:
        return cut_weight(graph, solution)

    def repair(solution: Mapping[Hashable, Any]) -> dict[Hashable, int]:
        return repair_partition(graph, solution, k, hi)

    def describe(solution: Mapping[Hashable, Any]) -> str:
        parts: dict[Any, list[Hashable]] = {}
        for x, p in solution.items():
            parts.setdefault(p if isinstance(p, int) else "?", []).append(x)
        lines = [f"part {p} ({len(xs)} nodes): {preview(sort_nodes(xs))}" for p, xs in
                 sorted(parts.items(), key=lambda kv: (kv[0] == "?", str(kv[0])))]
        lines.append(f"largest part allowed: {hi} nodes")
        try:
            lines.append(f"cut weight: {number(objective_value(solution))}")
        except ValueError:
            pass
        return "\n".join(lines)

    return Problem(kind="partition", cqm=build_cqm, decode=decode, verify=verify,
                   objective=objective_value, sense="min", name=name,
                   known_optimum=known_optimum,
                   milp=lambda: partition_milp(graph, k, hi), repair=repair,
                   describe=describe, penalties=penalties, data=graph,
                   check_bqm_size=check_bqm_size, options={"k": k, "balance": balance, "min_size": lo, "max_size": hi})


def part_label(v: Hashable, p: int) -> str:
    """Variable label of "node ``v`` is in part ``p``" (k > 2)."""
    return f"x[{v},{p}]"


def cut_weight(graph: nx.Graph, solution: Mapping[Hashable, Any]) -> float:
    """Total weight of edges whose ends are in different parts (every node needs one part)."""
    for x in graph:
        if not isinstance(solution.get(x), int):
            raise ValueError(f"node {x!r} is in no single part")
    return float(sum(w for a, b, w in graph.edges(data="weight", default=1.0)
                     if solution[a] != solution[b]))


def partition_violations(graph: nx.Graph, solution: Any, k: int, hi: int) -> list[str]:
    """What makes ``solution`` ({node: part}) not a partition into parts of <= ``hi`` nodes."""
    if not isinstance(solution, Mapping):
        return ["solution must map every node to a part"]
    problems = []
    missing = [x for x in graph if x not in solution or solution[x] is None]
    if missing:
        problems.append(f"{len(missing)} node(s) in no part, e.g. {missing[0]!r}")
    several = [x for x in graph if isinstance(solution.get(x), (list, tuple))]
    if several:
        problems.append(f"{len(several)} node(s) in several parts, e.g. {several[0]!r}: "
                        f"{list(solution[several[0]])}")
    unknown = [x for x in solution if x not in graph]
    if unknown:
        problems.append(f"{len(unknown)} unknown node(s), e.g. {unknown[0]!r}")
    bad = [x for x in graph if solution.get(x) is not None
           and not isinstance(solution.get(x), (list, tuple))
           and not (isinstance(solution[x], int) and 0 <= solution[x] < k)]
    if bad:
        problems.append(f"node {bad[0]!r} is in part {solution[bad[0]]!r}; parts are 0..{k - 1}")
    sizes = Counter(solution[x] for x in graph if isinstance(solution.get(x), int))
    off = [(p, sizes[p]) for p in range(k) if sizes[p] > hi]
    if off:
        p, size = off[0]
        problems.append(f"{len(off)} part(s) too large, e.g. part {p} has {size} nodes; at "
                        f"most {hi} allowed")
    return problems


def repair_partition(graph: nx.Graph, solution: Mapping[Hashable, Any], k: int,
                     hi: int) -> dict[Hashable, int]:
    """Give every node one part, then move nodes until no part has more than ``hi``.

    Unplaced nodes go to the part with room (one of their own candidates first) that
    cuts least; then, while a part is too big, the move of one of its nodes to a part
    with room that increases the cut least is made.

    >>> g = nx.path_graph(6)
    >>> repair_partition(g, {v: 0 for v in g}, 2, 3)
    {0: 1, 1: 1, 2: 1, 3: 0, 4: 0, 5: 0}
    """
    part: dict[Hashable, int] = {}
    pending = []
    for x in graph:
        p = solution.get(x) if isinstance(solution, Mapping) else None
        if isinstance(p, int) and 0 <= p < k:
            part[x] = p
        else:
            pending.append((x, [q for q in (p if isinstance(p, (list, tuple)) else [])
                                if isinstance(q, int) and 0 <= q < k]))

    def weight(a: Hashable, b: Hashable) -> float:
        w = graph[a][b].get("weight", 1.0)
        return 1.0 if w is None else float(w)

    def link(x: Hashable, p: int) -> float:  # weight from x to already placed nodes in p
        return sum(weight(x, y) for y in graph[x] if part.get(y) == p)

    sizes = Counter(part.values())
    for x, own in pending:
        room = [p for p in range(k) if sizes[p] < hi] or list(range(k))
        pool = [p for p in room if p in own] or room
        p = max(pool, key=lambda p: (link(x, p), -sizes[p], -p))
        part[x] = p
        sizes[p] += 1
    for _ in range(len(part) * k):  # each move fixes a unit of imbalance; bounded anyway
        over = [p for p in range(k) if sizes[p] > hi]
        if not over:
            break
        targets = [p for p in range(k) if sizes[p] < hi]
        best = None
        for order, (x, p) in enumerate(part.items()):
            if p not in over:
                continue
            here = link(x, p)
            for q in targets:
                if q != p:
                    key = (link(x, q) - here, -order)  # cut decrease, then first node
                    if best is None or key > best[0]:
                        best = (key, x, q)
        if best is None:
            break
        _, x, q = best
        sizes[part[x]] -= 1
        part[x] = q
        sizes[q] += 1
    return {x: part[x] for x in graph}


def partition_milp(graph: nx.Graph, k: int, hi: int) -> MilpFormulation:
    """Assignment MILP with edge-cut variables: ``min sum w_e z_e``.

    ``sum_p x[v,p] = 1``; ``sum_v x[v,p] <= hi``; ``z_e >= x[u,p] - x[v,p]`` for
    every edge e = (u, v) and part p (weights are >= 0, so ``z_e`` = 1 exactly when e
    is cut); node number i may only use parts ``0..i`` (the parts are interchangeable).
    """
    import pulp

    nodes = list(graph.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    lp = pulp.LpProblem("partition", pulp.LpMinimize)
    x = {(v, p): pulp.LpVariable(f"x_{index[v]}_{p}", cat="Binary")
         for v in nodes for p in range(min(k, index[v] + 1))}
    edges = list(graph.edges(data="weight", default=1.0))
    z = [pulp.LpVariable(f"z_{e}", lowBound=0, upBound=1) for e in range(len(edges))]
    lp += pulp.lpSum((1.0 if wt is None else float(wt)) * ze
                     for (_, _, wt), ze in zip(edges, z))
    for v in nodes:
        lp += pulp.lpSum(x[v, p] for p in range(k) if (v, p) in x) == 1
    for p in range(k):
        lp += pulp.lpSum(x[v, p] for v in nodes if (v, p) in x) <= hi
    for e, (a, b, _) in enumerate(edges):
        for p in range(k):
            xa, xb = x.get((a, p), 0), x.get((b, p), 0)
            if isinstance(xa, pulp.LpVariable) or isinstance(xb, pulp.LpVariable):
                lp += z[e] >= xa - xb
                lp += z[e] >= xb - xa

    def extract() -> dict[Hashable, Any]:
        out: dict[Hashable, Any] = {}
        for v in nodes:
            on = [p for p in range(k) if (v, p) in x and round(x[v, p].value() or 0.0)]
            out[v] = on[0] if len(on) == 1 else (None if not on else on)
        return out

    return MilpFormulation(lp=lp, extract=extract)


class PartitionOptions(Strict):
    """Options of balanced graph partitioning."""

    k: int = Field(2, ge=2, description="number of parts")
    balance: float = Field(0.0, ge=0, lt=1, description="imbalance tolerance eps: every part "
                                                         "has at most ceil((1+eps)n/k) nodes")


def _build(data: GraphData, options: PartitionOptions, base_dir: Path) -> Problem:
    graph, name = graph_from_data(data, base_dir)
    return partition_problem(graph, options.k, balance=options.balance, name=name)


PARTITION = ProblemType(
    name="partition",
    description="balanced k-way graph partitioning, minimum cut (inline, DIMACS or rudy)",
    data_model=GraphData,
    options_model=PartitionOptions,
    build=_build,
    extensions=DIMACS_EXTENSIONS,
)
