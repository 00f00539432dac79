"""Weighted max-cut: split a graph's nodes in two so the cut edges weigh the most.

QUBO: one binary per node (its side); the cut is ``sum_w w_uv (x_u + x_v - 2 x_u x_v)``,
built in bulk from numpy arrays. Native MILP: edge variables ``y_uv = x_u XOR x_v``
linearised, with the first node's side fixed to break the symmetry.

>>> import networkx as nx
>>> from qanneal import solve
>>> problem = maxcut_problem(nx.cycle_graph(6))
>>> result = solve(problem, "exact")
>>> result.objective
6.0
>>> sorted(map(len, result.solution["partition"]))
[3, 3]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import dimod
import networkx as nx
import numpy as np

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import ProblemType, Strict
from qanneal.problems.graphs import (
    GraphData,
    check_simple,
    edge_arrays,
    graph_from_data,
    number,
    preview,
)


def _edge_arrays(graph: nx.Graph) -> tuple[list[Hashable], np.ndarray, np.ndarray, np.ndarray]:
    nodes = list(graph.nodes)
    u, v, w = edge_arrays(graph, {n: i for i, n in enumerate(nodes)})
    return nodes, u, v, w


def cut_value(graph: nx.Graph, partition: Any) -> float:
    """Total weight of the edges between the two sides of ``partition``."""
    side = {v: 0 for v in partition[0]}
    side.update({v: 1 for v in partition[1]})
    return float(sum(w for a, b, w in graph.edges(data="weight", default=1.0)
                     if side[a] != side[b]))


def maxcut_problem(graph: nx.Graph, *, name: str | None = None,
                   known_optimum: float | None = None) -> Problem:
    """The max-cut problem on ``graph`` (edge attribute ``weight``, default 1)."""
    if graph.number_of_nodes() == 0:
        raise InputError("the graph has no nodes; give at least one edge", field="data")
    nodes, u, v, w = _edge_arrays(graph)
    linear = np.zeros(len(nodes))
    np.add.at(linear, u, -w)
    np.add.at(linear, v, -w)
    # Minimise the negated cut: -sum w (x_u + x_v) + 2 sum w x_u x_v. Each step is one
    # call into dimod (about a second each for 3M edges): the deadline between them.
    sizing.check_deadline("the max-cut model", 0.5)
    bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (u, v, 2.0 * w), 0.0, "BINARY", variable_order=nodes)
    sizing.check_deadline("the max-cut model", 0.75)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(bqm)
    node_set = set(nodes)

    def decode(sample: Mapping[Hashable, int]) -> dict[str, Any]:
        return {"partition": [[n for n in nodes if not sample[n]],
                              [n for n in nodes if sample[n]]]}

    def verify(solution: Mapping[str, Any]) -> list[str]:
        try:
            a, b = solution["partition"]
        except (KeyError, TypeError, ValueError):
            return ["solution must have 'partition': two lists of nodes"]
        problems = []
        both = set(a) & set(b)
        if both:
            problems.append(f"{len(both)} node(s) on both sides, e.g. {sorted(both, key=str)[0]!r}")
        missing = node_set - set(a) - set(b)
        if missing:
            problems.append(f"{len(missing)} node(s) on no side, e.g. {sorted(missing, key=str)[0]!r}")
        unknown = (set(a) | set(b)) - node_set
        if unknown:
            problems.append(f"unknown node(s), e.g. {sorted(unknown, key=str)[0]!r}")
        return problems

    def objective(solution: Mapping[str, Any]) -> float:
        return cut_value(graph, solution["partition"])

    def describe(solution: Mapping[str, Any]) -> str:
        a, b = solution["partition"]
        return (f"side A ({len(a)} nodes): {preview(a)}\n"
                f"side B ({len(b)} nodes): {preview(b)}\n"
                f"cut value: {number(objective(solution))}")

    return Problem(kind="maxcut", cqm=cqm, decode=decode, verify=verify,
                   objective=objective, sense="max", name=name,
                   known_optimum=known_optimum, milp=lambda: maxcut_milp(graph),
                   describe=describe, data=graph)


def maxcut_milp(graph: nx.Graph) -> MilpFormulation:
    """Edge-variable MILP: maximise sum w_uv y_uv with y_uv = x_u XOR x_v linearised.

    Positive weights only need the upper bounds on y, negative weights only the lower
    bounds; the first node is fixed to side 0 (the cut is symmetric).
    """
    import pulp

    nodes, u, v, w = _edge_arrays(graph)
    lp = pulp.LpProblem("maxcut", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x_{i}", cat="Binary") for i in range(len(nodes))]
    y = [pulp.LpVariable(f"y_{k}", lowBound=0, upBound=1) for k in range(len(w))]
    lp += pulp.lpSum(float(wk) * yk for wk, yk in zip(w, y))
    for k, (a, b, wk) in enumerate(zip(u.tolist(), v.tolist(), w.tolist())):
        if wk > 0:
            lp += y[k] <= x[a] + x[b]
            lp += y[k] <= 2 - x[a] - x[b]
        elif wk < 0:
            lp += y[k] >= x[a] - x[b]
            lp += y[k] >= x[b] - x[a]
    if x:
        lp += x[0] == 0

    def extract() -> dict[str, Any]:
        side = [round(xi.value() or 0.0) for xi in x]
        return {"partition": [[n for n, s in zip(nodes, side) if not s],
                              [n for n, s in zip(nodes, side) if s]]}

    return MilpFormulation(lp=lp, extract=extract)


# ---------------------------------------------------------------------- registration
class MaxCutOptions(Strict):
    """Max-cut takes no build options."""


def _build(data: GraphData, options: MaxCutOptions, base_dir: Path) -> Problem:
    graph, name = graph_from_data(data, base_dir)
    if graph.number_of_edges() == 0:
        raise InputError("the graph has no edges; max-cut needs at least one", field="data")
    check_simple(graph, what="max-cut")
    return maxcut_problem(graph, name=name)


MAXCUT = ProblemType(
    name="maxcut",
    description="weighted maximum cut of a graph (inline edges, rudy/Gset or DIMACS file)",
    data_model=GraphData,
    options_model=MaxCutOptions,
    build=_build,
    extensions=(".rud", ".gset"),
)
