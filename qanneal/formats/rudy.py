"""Rudy / Gset max-cut graphs: a line ``n m``, then ``m`` lines ``i j w`` (1-based nodes).

Blank lines and lines starting with ``#`` are skipped. Nodes are relabelled ``0..n-1``
and all ``n`` are present even when isolated. Self-loops and repeated edges (in either
direction) are rejected: max-cut has no use for a loop, and silently summing or
overwriting a repeated edge would change the instance without saying so.

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".rud", delete=False) as f:
...     _ = f.write("3 2\\n1 2 1\\n2 3 -1\\n")
>>> g = read_rudy(f.name)
>>> sorted(g.edges(data="weight"))
[(0, 1, 1.0), (1, 2, -1.0)]
>>> os.unlink(f.name)
"""

from __future__ import annotations

import networkx as nx

from qanneal.errors import InputError
from qanneal.formats._common import (
    MAX_BYTES,
    MAX_NODES,
    PathLike,
    format_number,
    open_text,
    parse_float,
    parse_int,
    snippet,
)


def read_rudy(path: PathLike, *, max_bytes: int = MAX_BYTES) -> nx.Graph:
    """Read a rudy/Gset file into an undirected graph with float edge attribute ``weight``."""
    graph: nx.Graph | None = None
    n = m = 0
    header_line = 0
    first_seen: dict[tuple[int, int], int] = {}
    for lineno, raw in open_text(path, max_bytes=max_bytes):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = line.split()
        if graph is None:
            if len(tokens) != 2:
                raise InputError(
                    f"expected header 'n m' (number of nodes and edges), got {snippet(line)}",
                    file=path,
                    line=lineno,
                )
            n = parse_int(tokens[0], file=path, line=lineno, field="n", lo=1, hi=MAX_NODES,
                          what="a node count")
            m = parse_int(tokens[1], file=path, line=lineno, field="m", lo=0,
                          what="an edge count")
            header_line = lineno
            graph = nx.Graph()
            graph.add_nodes_from(range(n))
            continue
        if len(first_seen) >= m:
            raise InputError(
                f"more edge lines than the header's m={m} (line {header_line}); "
                f"got extra {snippet(line)}",
                file=path,
                line=lineno,
            )
        if len(tokens) != 3:
            raise InputError(
                f"expected 'i j w' with 1 <= i, j <= {n}, got {snippet(line)}",
                file=path,
                line=lineno,
            )
        i, j = (
            parse_int(t, file=path, line=lineno, field=name, lo=1, hi=n, what="a node id")
            for t, name in zip(tokens[:2], ("i", "j"), strict=True)
        )
        w = parse_float(tokens[2], file=path, line=lineno, field="w", what="a finite weight")
        if i == j:
            raise InputError(
                f"self-loop {i} {i}; max-cut edges must join two different nodes",
                file=path,
                line=lineno,
            )
        key = (min(i, j), max(i, j))
        if key in first_seen:
            raise InputError(
                f"duplicate edge {i} {j} (already on line {first_seen[key]}); "
                "each edge may appear once",
                file=path,
                line=lineno,
            )
        first_seen[key] = lineno
        graph.add_edge(i - 1, j - 1, weight=w)
    if graph is None:
        raise InputError("empty file; expected a header 'n m' then m lines 'i j w'", file=path)
    if len(first_seen) < m:
        raise InputError(
            f"header promises m={m} edges but the file has {len(first_seen)} (truncated?)",
            file=path,
            line=header_line,
        )
    return graph


def write_rudy(graph: nx.Graph, path: PathLike) -> None:
    """Write ``graph`` in rudy format (weight attribute ``weight``, default 1).

    Nodes ``0..n-1`` keep their numbers (+1); any other labels are numbered in
    ``graph.nodes`` order. Directed graphs, multigraphs and self-loops are refused
    because :func:`read_rudy` would not give them back.
    """
    if graph.is_directed() or graph.is_multigraph():
        raise InputError("write_rudy needs an undirected simple nx.Graph", field="graph")
    nodes = list(graph.nodes)
    if set(nodes) == set(range(len(nodes))):
        nodes = list(range(len(nodes)))
    if not nodes:
        raise InputError("graph has no nodes; rudy needs n >= 1", field="graph")
    index = {v: k + 1 for k, v in enumerate(nodes)}
    lines = [f"{len(nodes)} {graph.number_of_edges()}"]
    for u, v, w in graph.edges(data="weight", default=1.0):
        if u == v:
            raise InputError(f"self-loop on node {u!r}; rudy graphs have none", field="graph")
        try:
            text = format_number(w)
        except (TypeError, ValueError):
            raise InputError(f"edge ({u!r}, {v!r}) weight {w!r} is not a number",
                             field="graph") from None
        if text in ("nan", "inf", "-inf"):
            raise InputError(f"edge ({u!r}, {v!r}) weight {w!r} is not finite", field="graph")
        lines.append(f"{index[u]} {index[v]} {text}")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
