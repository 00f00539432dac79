"""Weighted maximum independent set: the heaviest set of nodes with no edge inside.

CQM: one binary per node, maximise ``sum w_v x_v`` subject to ``x_u + x_v <= 1`` per
edge (label ``edge[u,v]``); the core turns each into the slack-free pairwise penalty
``x_u x_v``, whose default weight ``1.1 max(w_u, w_v)`` makes dropping either end
strictly better than keeping both. Native MILP: the same node variables and edge
constraints. (dwave-graphs' ``maximum_weighted_independent_set`` builds a BQM with one
global Lagrange multiplier; we need a CQM with per-edge constraint labels instead.)

>>> import networkx as nx
>>> from qanneal import solve
>>> problem = independent_set_problem(nx.path_graph(5))
>>> result = solve(problem, "exact")
>>> result.solution, result.objective
([0, 2, 4], 3.0)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import ProblemType, Strict
from qanneal.problems.graphs import (
    DIMACS_EXTENSIONS,
    GraphData,
    graph_from_data,
    node_weights,
    sort_nodes,
)
from qanneal.problems.node_sets import node_set_milp, node_set_problem


def independent_set_problem(graph: nx.Graph, *, name: str | None = None,
                            known_optimum: float | None = None) -> Problem:
    """Maximum-weight independent set of ``graph`` (node attribute ``weight``, default 1)."""
    return node_set_problem("independent_set", graph, rule="<=", what="independent set",
                            broken="inside the set", repair=repair_independent_set, name=name,
                            known_optimum=known_optimum)


def repair_independent_set(graph: nx.Graph, solution: Any,
                           weights: Mapping[Hashable, float] | None = None) -> list[Hashable]:
    """Make ``solution`` independent, then maximal.

    Drops an end of every edge inside the set, lightest node first (ties: the node in
    most such edges), then adds outside nodes with no neighbour in the set, heaviest
    first.

    >>> repair_independent_set(nx.path_graph(4), [0, 1, 2, 3])
    [0, 3]
    """
    weights = weights if weights is not None else node_weights(graph)
    chosen = {v for v in solution if v in graph}
    conflicts = {v: sum(1 for u in graph[v] if u in chosen) for v in chosen}
    while True:
        bad = [v for v in chosen if conflicts[v]]
        if not bad:
            break
        drop = min(bad, key=lambda v: (weights[v], -conflicts[v], str(v)))
        chosen.discard(drop)
        for u in graph[drop]:
            if u in chosen:
                conflicts[u] -= 1
    order = sorted((v for v in graph if v not in chosen), key=lambda v: (-weights[v], str(v)))
    for v in order:
        if weights[v] > 0 and not any(u in chosen for u in graph[v]):
            chosen.add(v)
    return sort_nodes(chosen)


def independent_set_milp(graph: nx.Graph) -> MilpFormulation:
    """``max sum w_v x_v`` s.t. ``x_u + x_v <= 1`` for every edge, ``x`` binary."""
    return node_set_milp("independent_set", graph, "<=")


class IndependentSetOptions(Strict):
    """Independent set takes no build options (node weights come with the data)."""


def _build(data: GraphData, options: IndependentSetOptions, base_dir: Path) -> Problem:
    graph, name = graph_from_data(data, base_dir)
    return independent_set_problem(graph, name=name)


INDEPENDENT_SET = ProblemType(
    name="independent_set",
    description="weighted maximum independent set (inline graph, DIMACS .col/.clq or rudy)",
    data_model=GraphData,
    options_model=IndependentSetOptions,
    build=_build,
    extensions=DIMACS_EXTENSIONS,
)
