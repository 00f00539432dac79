"""Graph input shared by the graph problem types (coloring, independent set, cover, partition).

A ``data:`` section gives a graph inline (``edges`` as ``[u, v]`` or ``[u, v, weight]``,
optional ``nodes`` as a list of names or a mapping name -> node weight) or as a file:
DIMACS ``.col``/``.clq`` (node weights from ``n i w`` lines) or rudy ``.rud``/``.gset``
(edge weights). The result is a plain :class:`networkx.Graph` with node/edge attribute
``weight`` where given, so every builder also takes any networkx graph directly.

>>> from qanneal.problems.graphs import GraphData, graph_from_data
>>> from pathlib import Path
>>> g, name = graph_from_data(GraphData(edges=[[0, 1], [1, 2, 2.5]], nodes={3: 4.0}), Path("."))
>>> sorted(g.nodes(data="weight"))
[(0, None), (1, None), (2, None), (3, 4.0)]
>>> g[1][2]["weight"]
2.5
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pydantic import field_validator

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.problems.base import FileData, pick_format, resolve_path

Node = int | str

#: Graph file formats every graph type reads (by extension). Only the DIMACS ones are
#: claimed as ``extensions`` for ``qanneal solve FILE`` auto-detection: ``.rud`` stays
#: max-cut's, so a rudy file needs ``--problem`` here.
FORMATS = {".col": "dimacs", ".clq": "dimacs", ".gph": "dimacs", ".rud": "rudy",
           ".gset": "rudy"}  # .gph: QOBLIB's DIMACS graphs
DIMACS_EXTENSIONS = (".col", ".clq")


class GraphData(FileData):
    """``data:`` for a graph: inline ``edges`` (+ optional ``nodes``) or a DIMACS/rudy file."""

    edges: list[tuple[Node, Node] | tuple[Node, Node, float]] | None = None
    nodes: list[Node] | dict[Node, float] | None = None

    @field_validator("edges")
    @classmethod
    def _edges_ok(cls, edges: list[tuple[Any, ...]] | None) -> list[tuple[Any, ...]] | None:
        if edges is None:
            return None
        seen: set[frozenset[Any]] = set()
        for k, edge in enumerate(edges):
            a, b = edge[0], edge[1]
            if a == b:
                raise ValueError(f"edge {k} [{a}, {b}] is a self-loop; edges join two "
                                 "different nodes")
            key = frozenset((a, b))
            if key in seen:
                raise ValueError(f"edge {k} [{a}, {b}] is listed twice; list each edge once")
            seen.add(key)
            if len(edge) == 3 and not math.isfinite(edge[2]):
                raise ValueError(f"edge {k} has weight {edge[2]}; weights must be finite")
        return edges

    @field_validator("nodes")
    @classmethod
    def _nodes_ok(cls, nodes: Any) -> Any:
        if isinstance(nodes, dict):
            for node, weight in nodes.items():
                if not math.isfinite(weight):
                    raise ValueError(f"node {node!r} has weight {weight}; weights must be finite")
        elif isinstance(nodes, list) and len(set(nodes)) != len(nodes):
            raise ValueError("a node is listed twice; list each node once")
        return nodes


def graph_from_data(data: GraphData, base_dir: Path) -> tuple[nx.Graph, str | None]:
    """The graph named by a ``data:`` section (inline or file), and a name for it."""
    if data.file is not None:
        if data.edges is not None or data.nodes is not None:
            raise InputError("give either edges/nodes or file, not both", field="data")
        path = resolve_path(data.file, base_dir)
        fmt = pick_format(path, data.format, FORMATS)
        if fmt == "dimacs":
            from qanneal.formats.dimacs import read_dimacs_graph

            return read_dimacs_graph(path), path.stem
        from qanneal.formats.rudy import read_rudy

        return read_rudy(path), path.stem
    if data.edges is None and data.nodes is None:
        raise InputError("give edges (a list of [u, v] or [u, v, weight]) and/or nodes, "
                         "or file", field="data")
    graph = nx.Graph()
    if isinstance(data.nodes, dict):
        graph.add_nodes_from((v, {"weight": float(w)}) for v, w in data.nodes.items())
    else:
        graph.add_nodes_from(data.nodes or [])
    for edge in data.edges or []:
        if len(edge) == 3:
            graph.add_edge(edge[0], edge[1], weight=float(edge[2]))
        else:
            graph.add_edge(edge[0], edge[1])
    return graph, None


def check_simple(graph: nx.Graph, *, what: str) -> None:
    """Refuse graphs the graph types cannot take: empty, directed, multi or self-loops."""
    if graph.is_directed() or graph.is_multigraph():
        raise InputError(f"{what} needs a simple undirected graph (nx.Graph)", field="data")
    if graph.number_of_nodes() == 0:
        raise InputError("the graph has no nodes", field="data")
    loop = next(iter(nx.selfloop_edges(graph)), None)
    if loop is not None:
        raise InputError(f"self-loop at node {loop[0]!r}; edges join two different nodes",
                         field="data")


def node_weights(graph: nx.Graph, *, nonnegative: bool = True) -> dict[Hashable, float]:
    """Each node's ``weight`` attribute (default 1), checked finite (and >= 0)."""
    weights = {}
    for v, w in graph.nodes(data="weight", default=1.0):
        w = 1.0 if w is None else float(w)
        if not math.isfinite(w) or (nonnegative and w < 0):
            raise InputError(f"node {v!r} has weight {w}; node weights must be finite and "
                             ">= 0", field="data.nodes")
        weights[v] = w
    return weights


def edge_arrays(graph: nx.Graph, index: dict[Hashable, int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges as index arrays ``u, v`` and weights ``w`` (attribute ``weight``, default 1).

    In chunks, with a look at the build deadline between them: 3M edges take seconds.
    """
    edges = iter(graph.edges(data="weight", default=1.0))
    count = graph.number_of_edges()
    u = np.empty(count, dtype=np.int64)
    v = np.empty(count, dtype=np.int64)
    w = np.empty(count, dtype=np.float64)
    for start in range(0, count, EDGE_CHUNK):
        sizing.check_deadline("the edge list", start / count)
        chunk = list(itertools.islice(edges, EDGE_CHUNK))
        stop = start + len(chunk)
        u[start:stop] = [index[a] for a, _, _ in chunk]
        v[start:stop] = [index[b] for _, b, _ in chunk]
        w[start:stop] = [1.0 if x is None else float(x) for *_, x in chunk]
    return u, v, w


#: Edges converted between two looks at the build deadline (:func:`edge_arrays`).
EDGE_CHUNK = 1 << 16


def sort_nodes(nodes: Iterable[Hashable]) -> list[Hashable]:
    """Nodes in a stable, readable order (numbers before names) for JSON output."""
    return sorted(nodes, key=lambda v: (not isinstance(v, (int, float)), str(v) if not
                                        isinstance(v, (int, float)) else v))


def preview(items: Iterable[Any], limit: int = 20) -> str:
    """``a, b, c, ... (+n)``: a list shortened for the CLI summary."""
    items = list(items)
    shown = ", ".join(map(str, items[:limit]))
    return shown + (f", ... (+{len(items) - limit})" if len(items) > limit else "")


def number(x: float) -> str:
    """A number without a needless ``.0``."""
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def binary_exact(weight: float) -> float:
    """``weight`` rounded up to a multiple of 1/8, so it is exact in binary floating point.

    Why: a weight such as 8.8 (= 1.1 x 8) is not, and sums of its multiples leave
    ~1e-15 residues in the BQM's biases; dwave-samplers' default beta range reads the
    smallest of them as an energy gap and anneals to beta ~1e14, a quench (seen on a
    16-node bisection: cut 11 instead of the optimal 9). Multiples of 1/8 add exactly.

    >>> binary_exact(8.8), binary_exact(1029.6), binary_exact(3.0)
    (8.875, 1029.625, 3.0)
    """
    return math.ceil(weight * 8) / 8
