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

import math
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import dimod
import networkx as nx
import numpy as np
from pydantic import field_validator

from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict, pick_format, resolve_path

Node = int | str
FORMATS = {".rud": "rudy", ".gset": "rudy"}


def _edge_arrays(graph: nx.Graph) -> tuple[list[Hashable], np.ndarray, np.ndarray, np.ndarray]:
    nodes = list(graph.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    edges = list(graph.edges(data="weight", default=1.0))
    u = np.fromiter((index[a] for a, _, _ in edges), dtype=np.int64, count=len(edges))
    v = np.fromiter((index[b] for _, b, _ in edges), dtype=np.int64, count=len(edges))
    w = np.fromiter((float(x) for *_, x in edges), dtype=np.float64, count=len(edges))
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
    # Minimise the negated cut: -sum w (x_u + x_v) + 2 sum w x_u x_v.
    bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (u, v, 2.0 * w), 0.0, "BINARY", variable_order=nodes)
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
        return (f"side A ({len(a)} nodes): {_preview(a)}\n"
                f"side B ({len(b)} nodes): {_preview(b)}\n"
                f"cut value: {_number(objective(solution))}")

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


def _preview(items: list[Any], limit: int = 20) -> str:
    shown = ", ".join(map(str, items[:limit]))
    return shown + (f", ... (+{len(items) - limit})" if len(items) > limit else "")


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


# ---------------------------------------------------------------------- registration
class MaxCutData(FileData):
    """``data:`` for max-cut: inline ``edges`` (``[u, v]`` or ``[u, v, weight]``) or a file."""

    edges: list[tuple[Node, Node] | tuple[Node, Node, float]] | None = None
    nodes: list[Node] | None = None

    @field_validator("edges")
    @classmethod
    def _edges_ok(cls, edges: list[tuple[Any, ...]] | None) -> list[tuple[Any, ...]] | None:
        if edges is None:
            return None
        if not edges:
            raise ValueError("the graph has no edges; give at least one [u, v] or [u, v, w]")
        seen = set()
        for k, edge in enumerate(edges):
            a, b = edge[0], edge[1]
            if a == b:
                raise ValueError(f"edge {k} [{a}, {b}] is a self-loop; a node cannot be cut "
                                 "from itself")
            key = frozenset((a, b))
            if key in seen:
                raise ValueError(f"edge {k} [{a}, {b}] is listed twice; merge the weights")
            seen.add(key)
            if len(edge) == 3 and not math.isfinite(edge[2]):
                raise ValueError(f"edge {k} has weight {edge[2]}; weights must be finite")
        return edges


class MaxCutOptions(Strict):
    """Max-cut takes no build options."""


def graph_from_data(data: MaxCutData, base_dir: Path) -> tuple[nx.Graph, str | None]:
    """The graph named by a max-cut ``data:`` section (inline or file), and its name."""
    if data.file is not None:
        if data.edges is not None:
            raise InputError("give either edges or file, not both", field="data")
        path = resolve_path(data.file, base_dir)
        pick_format(path, data.format, FORMATS)
        from qanneal.formats.rudy import read_rudy

        return read_rudy(path), path.stem
    if data.edges is None:
        raise InputError("give edges (a list of [u, v] or [u, v, weight]) or file",
                         field="data")
    graph = nx.Graph()
    graph.add_nodes_from(data.nodes or [])
    for edge in data.edges:
        graph.add_edge(edge[0], edge[1], weight=float(edge[2]) if len(edge) == 3 else 1.0)
    return graph, None


def _build(data: MaxCutData, options: MaxCutOptions, base_dir: Path) -> Problem:
    graph, name = graph_from_data(data, base_dir)
    if graph.number_of_edges() == 0:
        raise InputError("the graph has no edges; max-cut needs at least one", field="data")
    return maxcut_problem(graph, name=name)


MAXCUT = ProblemType(
    name="maxcut",
    description="weighted maximum cut of a graph (inline edges or rudy/Gset file)",
    data_model=MaxCutData,
    options_model=MaxCutOptions,
    build=_build,
    extensions=tuple(FORMATS),
)
