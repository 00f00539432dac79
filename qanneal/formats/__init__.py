"""Strict readers (and a few writers) for the benchmark file formats qanneal consumes.

Each reader takes a path and returns plain data (dicts, lists, numpy arrays, networkx
graphs), never problem objects. Every malformed input raises
:class:`qanneal.errors.InputError` with a one-line message naming the file, the line
or field, what was wrong and what is allowed; no ValueError, IndexError or
UnicodeDecodeError escapes. All of them read through :func:`open_text`.

=========================  =====================================  ==================
format                     reader                                 extensions
=========================  =====================================  ==================
rudy / Gset max-cut        :func:`read_rudy`, :func:`write_rudy`  .rud .gset
QUBO COO text              :func:`read_coo`, :func:`write_coo`    .coo .qubo
QOBLIB QUBO (.qs)          :func:`read_qs`, :func:`qs_to_bqm`     .qs
DIMACS graph               :func:`read_dimacs_graph`              .col .clq .gph .dimacs
TSPLIB                     :func:`read_tsplib`,                   .tsp .atsp
                           :func:`read_tsplib_tour`               (.tour)
job shop                   :func:`read_jobshop`                   .jss .jsp
portfolio CSV / OR-Lib     :func:`read_prices_csv`, ...           .csv
knapsack OR-Lib / D-Wave   :func:`read_mknap`,                    .txt .csv
                           :func:`read_knapsack_csv`
flow shop Taillard/OR-Lib  :func:`read_flowshop`                  .txt
=========================  =====================================  ==================

Any of them may be ``.gz`` or ``.xz`` compressed (``labs005.qs.xz``): :func:`open_text`
inflates it, refusing more than ``MAX_BYTES`` of decompressed data.
"""

from __future__ import annotations

from pathlib import Path

from qanneal.errors import InputError
from qanneal.formats._common import MAX_BYTES, data_suffix, open_text
from qanneal.formats.coo import read_coo, write_coo
from qanneal.formats.dimacs import read_dimacs_graph
from qanneal.formats.flowshop import read_flowshop
from qanneal.formats.jobshop import read_jobshop
from qanneal.formats.knapsack import read_knapsack_csv, read_mknap
from qanneal.formats.portfolio import (
    estimate_mean_cov,
    read_orlib_portfolio,
    read_prices_csv,
    read_returns_csv,
    returns_from_prices,
)
from qanneal.formats.qs import qs_to_bqm, read_qs
from qanneal.formats.rudy import read_rudy, write_rudy
from qanneal.formats.tsplib import read_tsplib, read_tsplib_tour

__all__ = [
    "MAX_BYTES",
    "detect_format",
    "estimate_mean_cov",
    "open_text",
    "read_coo",
    "read_dimacs_graph",
    "read_flowshop",
    "read_jobshop",
    "read_knapsack_csv",
    "read_mknap",
    "read_orlib_portfolio",
    "qs_to_bqm",
    "read_prices_csv",
    "read_qs",
    "read_returns_csv",
    "read_rudy",
    "read_tsplib",
    "read_tsplib_tour",
    "returns_from_prices",
    "write_coo",
    "write_rudy",
]

EXTENSIONS: dict[str, str] = {
    ".rud": "rudy",
    ".gset": "rudy",
    ".coo": "coo",
    ".qubo": "coo",
    ".qs": "qs",
    ".col": "dimacs",
    ".clq": "dimacs",
    ".gph": "dimacs",  # QOBLIB's graphs
    ".dimacs": "dimacs",
    ".tsp": "tsplib",
    ".atsp": "tsplib",
    ".jss": "jobshop",
    ".jsp": "jobshop",
    ".csv": "csv",
}


def detect_format(path: str | Path) -> str:
    """Format name for ``path`` from its extension (case-insensitive).

    >>> detect_format("graphs/G1.RUD")
    'rudy'
    """
    suffix = data_suffix(path)
    if suffix not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise InputError(
            f"cannot tell the format from extension {suffix or '(none)'!r}; known: {known}",
            file=path,
        )
    return EXTENSIONS[suffix]
