"""DIMACS graphs (``.col`` colouring, ``.clq`` clique): ``c`` comments, ``p edge n m``, ``e u v``.

The problem line may say ``edge``, ``edges`` or ``col``; it must come once, before any
``e`` line. Nodes are 1-based in the file and relabelled ``0..n-1``; every node is
present even when isolated. Optional ``n i w`` lines give node ``i`` the attribute
``weight`` (other nodes get none).

Many published files list every edge twice, once per direction, and count either
the unique or the doubled edges in ``m``. So: ``e v u`` after ``e u v`` is dropped
silently, and ``m`` may equal either count. An exact repeat (same direction twice)
or a self-loop ``e u u`` is an error, as is any ``m`` other than the two counts.

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".col", delete=False) as f:
...     _ = f.write("c triangle\\np edge 3 6\\ne 1 2\\ne 2 1\\ne 2 3\\ne 3 2\\ne 1 3\\ne 3 1\\n")
>>> sorted(read_dimacs_graph(f.name).edges())
[(0, 1), (0, 2), (1, 2)]
>>> os.unlink(f.name)
"""

from __future__ import annotations

import networkx as nx

from qanneal.errors import InputError
from qanneal.formats._common import (
    MAX_BYTES,
    MAX_NODES,
    PathLike,
    open_text,
    parse_float,
    parse_int,
    snippet,
)

_FORMATS = ("edge", "edges", "col")


def read_dimacs_graph(path: PathLike, *, max_bytes: int = MAX_BYTES) -> nx.Graph:
    """Read a DIMACS ``.col``/``.clq`` file into an undirected graph on nodes ``0..n-1``."""
    graph: nx.Graph | None = None
    n = m = 0
    p_line = 0
    edge_lines = 0
    seen: dict[tuple[int, int], int] = {}  # (u, v) as written -> line
    weight_line: dict[int, int] = {}
    for lineno, raw in open_text(path, max_bytes=max_bytes):
        line = raw.strip()
        if not line or (line[0] == "c" and (len(line) == 1 or line[1].isspace())):
            continue
        tokens = line.split()
        kind = tokens[0]
        if kind == "p":
            if graph is not None:
                raise InputError(
                    f"second problem line (first on line {p_line}); expected exactly one 'p edge n m'",
                    file=path, line=lineno,
                )
            if len(tokens) != 4 or tokens[1].lower() not in _FORMATS:
                raise InputError(
                    f"expected 'p edge n m' (or 'p col n m'), got {snippet(line)}",
                    file=path, line=lineno,
                )
            n = parse_int(tokens[2], file=path, line=lineno, field="n", lo=1, hi=MAX_NODES,
                          what="a node count")
            m = parse_int(tokens[3], file=path, line=lineno, field="m", lo=0,
                          what="an edge count")
            p_line = lineno
            graph = nx.Graph()
            graph.add_nodes_from(range(n))
            continue
        if kind not in ("e", "n"):
            raise InputError(
                f"unknown line {snippet(line)}; expected 'c ...', 'p edge n m', 'e u v' or 'n i w'",
                file=path, line=lineno,
            )
        if graph is None:
            raise InputError(
                f"{kind!r} line before the problem line; expected 'p edge n m' first",
                file=path, line=lineno,
            )
        if kind == "n":
            if len(tokens) != 3:
                raise InputError(
                    f"expected 'n i w' with 1 <= i <= {n}, got {snippet(line)}",
                    file=path, line=lineno,
                )
            i = parse_int(tokens[1], file=path, line=lineno, field="i", lo=1, hi=n,
                          what="a node id")
            w = parse_float(tokens[2], file=path, line=lineno, field="w",
                            what="a finite node weight")
            if i in weight_line:
                raise InputError(
                    f"node {i} weighted twice (first on line {weight_line[i]})",
                    file=path, line=lineno,
                )
            weight_line[i] = lineno
            graph.nodes[i - 1]["weight"] = w
            continue
        if len(tokens) != 3:
            raise InputError(
                f"expected 'e u v' with 1 <= u, v <= {n}, got {snippet(line)}",
                file=path, line=lineno,
            )
        u, v = (
            parse_int(t, file=path, line=lineno, field=name, lo=1, hi=n, what="a node id")
            for t, name in zip(tokens[1:], ("u", "v"), strict=True)
        )
        if u == v:
            raise InputError(
                f"self-loop 'e {u} {v}'; edges must join two different nodes",
                file=path, line=lineno,
            )
        if (u, v) in seen:
            raise InputError(
                f"duplicate edge 'e {u} {v}' (already on line {seen[(u, v)]}); "
                "an edge may be listed once per direction",
                file=path, line=lineno,
            )
        seen[(u, v)] = lineno
        edge_lines += 1
        graph.add_edge(u - 1, v - 1)
    if graph is None:
        raise InputError("no problem line; expected 'p edge n m' before the edges", file=path)
    unique = graph.number_of_edges()
    if m not in (unique, edge_lines):
        counts = f"{unique}" if unique == edge_lines else f"{unique} unique ({edge_lines} listed)"
        raise InputError(
            f"problem line says m={m} edges but the file has {counts}",
            file=path, line=p_line, field="m",
        )
    return graph
