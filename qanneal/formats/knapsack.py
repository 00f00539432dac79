"""Knapsack instances: OR-Library multi-dimensional files and D-Wave's item CSV.

OR-Library ``mknap`` (``read_mknap``; ``mknap1.txt``, ``mknap2.txt`` and the Chu-Beasley
``mknapcb*.txt`` files share it): whitespace-separated numbers, line breaks carry no
meaning. First the number of problems ``K``; then for each problem ``n m opt`` (items,
capacity constraints, best-known value, 0 if unknown), the ``n`` item values, ``m``
rows of ``n`` weights (one row per constraint) and the ``m`` capacities. Every number
is checked against that layout: a short or overlong file is an error naming the
problem and field where the count went wrong.

D-Wave CSV (``read_knapsack_csv``; the layout of dwave-examples/knapsack ``data/*.csv``):
one item per line, ``cost,weight`` (cost is the item's value), no header. A first line
naming the columns (``cost,weight``, ``value,weight`` or ``weight,cost``/``weight,value``)
is accepted and tells the order. The capacity is not in the file; the problem type takes
it as an option (D-Wave's script uses 80% of the total weight).

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
...     _ = f.write("1\\n3 1 7\\n4 3 5\\n2 1 3\\n4\\n")
>>> read_mknap(f.name)[0]["values"], read_mknap(f.name)[0]["capacities"]
([4.0, 3.0, 5.0], [4.0])
>>> os.unlink(f.name)
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from qanneal.errors import InputError
from qanneal.formats._common import (
    MAX_BYTES,
    PathLike,
    open_text,
    parse_float,
    parse_int,
    snippet,
)

#: Column names a D-Wave CSV header may use for the item value.
_VALUE_NAMES = ("cost", "value", "profit")


class _Tokens:
    """Whitespace-separated tokens of a file, each with its line number."""

    def __init__(self, path: PathLike, max_bytes: int) -> None:
        self.path = path
        self._it: Iterator[tuple[int, str]] = (
            (lineno, tok) for lineno, raw in open_text(path, max_bytes=max_bytes)
            for tok in raw.split())
        self.line: int | None = None

    def next(self, what: str) -> tuple[int, str]:
        try:
            self.line, tok = next(self._it)
        except StopIteration:
            raise InputError(f"file ends where {what} was expected (truncated?)",
                             file=self.path, line=self.line) from None
        return self.line, tok

    def rest(self) -> tuple[int, str] | None:
        return next(self._it, None)


def read_mknap(path: PathLike, *, max_bytes: int = MAX_BYTES) -> list[dict[str, Any]]:
    """Read every problem of an OR-Library multi-dimensional knapsack file.

    Returns one dict per problem: ``values`` (n), ``weights`` (m rows of n),
    ``capacities`` (m), ``optimum`` (None when the file gives 0) and ``index`` (1-based).
    """
    tokens = _Tokens(path, max_bytes)
    line, tok = tokens.next("the number of problems K")
    k = parse_int(tok, file=path, line=line, field="K", lo=1,
                  what="a positive number of problems")
    problems = []
    for index in range(1, k + 1):
        where = f"problem {index} of {k}"
        n = _integer(tokens, "n", where, "a positive number of items")
        m = _integer(tokens, "m", where, "a positive number of capacity constraints")
        opt = _number(tokens, "opt", where, nonneg=False)
        values = [_number(tokens, "value", where, nonneg=False) for _ in range(n)]
        weights = [[_number(tokens, "weight", where, nonneg=True) for _ in range(n)]
                   for _ in range(m)]
        capacities = [_number(tokens, "capacity", where, nonneg=True) for _ in range(m)]
        problems.append({"index": index, "values": values, "weights": weights,
                         "capacities": capacities, "optimum": opt or None})
    extra = tokens.rest()
    if extra is not None:
        raise InputError(f"unexpected {snippet(extra[1])} after the last of K={k} problems "
                         "(is K right?)", file=path, line=extra[0])
    return problems


def _integer(tokens: _Tokens, field: str, where: str, what: str) -> int:
    line, tok = tokens.next(f"{field} of {where}")
    return parse_int(tok, file=tokens.path, line=line, field=field, lo=1, what=what)


def _number(tokens: _Tokens, field: str, where: str, *, nonneg: bool) -> float:
    line, tok = tokens.next(f"{field} of {where}")
    value = parse_float(tok, file=tokens.path, line=line, field=field)
    if nonneg and value < 0:
        raise InputError(f"{snippet(tok)} is negative in {where}; {field} must be >= 0",
                         file=tokens.path, line=line, field=field)
    return value


def read_knapsack_csv(path: PathLike, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read a D-Wave knapsack CSV: ``{"values": [...], "weights": [...]}`` (one per item)."""
    values: list[float] = []
    weights: list[float] = []
    order = (0, 1)  # (value column, weight column)
    first = True
    for lineno, raw in open_text(path, max_bytes=max_bytes):
        if not raw.strip():
            continue
        try:
            cells = [c.strip() for c in next(csv.reader([raw], strict=True))]
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc}); expected 'cost,weight' per line",
                             file=path, line=lineno) from None
        if len(cells) != 2:
            hint = (" (only ',' separates cells)" if len(cells) == 1
                    and any(s in cells[0] for s in ";\t ") else "")
            raise InputError(f"{len(cells)} cell(s); expected 2, 'cost,weight'{hint}",
                             file=path, line=lineno)
        if first:
            first = False
            names = [c.lower() for c in cells]
            if not any(_numeric(c) for c in cells):
                if names[1] == "weight" and names[0] in _VALUE_NAMES:
                    order = (0, 1)
                elif names[0] == "weight" and names[1] in _VALUE_NAMES:
                    order = (1, 0)
                else:
                    raise InputError(f"header {snippet(raw)} not understood; expected "
                                     "'cost,weight' (or no header)", file=path, line=lineno)
                continue
        value = parse_float(cells[order[0]], file=path, line=lineno, field="cost",
                            what="a finite item value")
        weight = parse_float(cells[order[1]], file=path, line=lineno, field="weight",
                             what="a finite item weight")
        if weight < 0:
            raise InputError(f"weight {snippet(cells[order[1]])} is negative; weights "
                             "must be >= 0", file=path, line=lineno, field="weight")
        values.append(value)
        weights.append(weight)
    if not values:
        raise InputError("no items; expected one 'cost,weight' line per item", file=path)
    return {"values": values, "weights": weights}


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
