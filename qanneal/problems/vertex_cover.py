"""Weighted minimum vertex cover: the lightest set of nodes touching every edge.

CQM: one binary per node, minimise ``sum w_v x_v`` subject to ``x_u + x_v >= 1`` per
edge (label ``edge[u,v]``), which the core penalises as ``(1 - x_u)(1 - x_v)`` (no
slack); the default weight ``1.1 max(w_u, w_v)`` makes it cheaper to add an end than
to leave the edge uncovered. Native MILP: the same node
variables and edge constraints. (dwave-graphs' ``min_weighted_vertex_cover`` builds
a BQM with one global multiplier; we need a CQM with per-edge labels instead.)

>>> import networkx as nx
>>> from qanneal import solve
>>> problem = vertex_cover_problem(nx.star_graph(4))
>>> result = solve(problem, "exact")
>>> result.solution, result.objective
([0], 1.0)
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


def vertex_cover_problem(graph: nx.Graph, *, name: str | None = None,
                         known_optimum: float | None = None) -> Problem:
    """Minimum-weight vertex cover of ``graph`` (node attribute ``weight``, default 1)."""
    return node_set_problem("vertex_cover", graph, rule=">=", what="vertex cover",
                            broken="not covered", repair=repair_vertex_cover, name=name,
                            known_optimum=known_optimum)


def repair_vertex_cover(graph: nx.Graph, solution: Any,
                        weights: Mapping[Hashable, float] | None = None) -> list[Hashable]:
    """Make ``solution`` a cover, then drop nodes it does not need.

    Adds, while an edge is uncovered, the node covering the most uncovered edges per
    unit weight; then removes, heaviest first, every node whose neighbours are all in
    the cover.

    >>> repair_vertex_cover(nx.path_graph(3), [])
    [1]
    >>> repair_vertex_cover(nx.star_graph(3), [0, 1, 2])
    [0]
    """
    weights = weights if weights is not None else node_weights(graph)
    cover = {v for v in solution if v in graph}
    uncovered = {v: sum(1 for u in graph[v] if u not in cover) for v in graph if v not in cover}
    while any(uncovered.values()):
        def gain(v: Hashable) -> tuple[float, str]:
            w = weights[v]
            return (uncovered[v] / w if w > 0 else float("inf"), str(v))

        pick = max((v for v, n in uncovered.items() if n), key=gain)
        cover.add(pick)
        del uncovered[pick]
        for u in graph[pick]:
            if u in uncovered:
                uncovered[u] -= 1
    for v in sorted(cover, key=lambda v: (-weights[v], str(v))):
        if all(u in cover for u in graph[v]):
            cover.discard(v)
    return sort_nodes(cover)


def vertex_cover_milp(graph: nx.Graph) -> MilpFormulation:
    """``min sum w_v x_v`` s.t. ``x_u + x_v >= 1`` for every edge, ``x`` binary."""
    return node_set_milp("vertex_cover", graph, ">=")


class VertexCoverOptions(Strict):
    """Vertex cover takes no build options (node weights come with the data)."""


def _build(data: GraphData, options: VertexCoverOptions, base_dir: Path) -> Problem:
    graph, name = graph_from_data(data, base_dir)
    return vertex_cover_problem(graph, name=name)


VERTEX_COVER = ProblemType(
    name="vertex_cover",
    description="weighted minimum vertex cover (inline graph, DIMACS .col/.clq or rudy)",
    data_model=GraphData,
    options_model=VertexCoverOptions,
    build=_build,
    extensions=DIMACS_EXTENSIONS,
)
