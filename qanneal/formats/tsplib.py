"""TSPLIB 95 travelling-salesman files (``.tsp``/``.atsp``) and tours (``.tour``).

Supported: ``TYPE`` TSP or ATSP; ``EDGE_WEIGHT_TYPE`` EUC_2D, CEIL_2D, ATT and GEO
(from ``NODE_COORD_SECTION``) or EXPLICIT (``EDGE_WEIGHT_SECTION`` in FULL_MATRIX,
UPPER_ROW, LOWER_ROW, UPPER_DIAG_ROW, LOWER_DIAG_ROW or the equivalent ``*_COL``
forms; numbers may wrap across lines freely). Keys may be written ``KEY: v`` or
``KEY : v``; ``DISPLAY_DATA_SECTION`` is read past; text after ``EOF`` is ignored.
Distances follow the rounding rules of the TSPLIB 95 report (Reinelt) exactly, so
published optimal tour lengths are reproduced. Anything else (other sections,
other weight types, counts that do not match ``DIMENSION``) is an error.

>>> import tempfile, os
>>> text = "NAME: t\\nTYPE: TSP\\nDIMENSION: 3\\nEDGE_WEIGHT_TYPE: EUC_2D\\n"
>>> text += "NODE_COORD_SECTION\\n1 0 0\\n2 3 4\\n3 0 1.4\\nEOF\\n"
>>> with tempfile.NamedTemporaryFile("w", suffix=".tsp", delete=False) as f:
...     _ = f.write(text)
>>> read_tsplib(f.name)["distance"].tolist()
[[0, 5, 1], [5, 0, 4], [1, 4, 0]]
>>> os.unlink(f.name)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from qanneal.errors import InputError
from qanneal.formats._common import (
    MAX_BYTES,
    PathLike,
    open_text,
    parse_float,
    parse_int,
    snippet,
)

#: Largest DIMENSION accepted: the int64 distance matrix is 8*n*n bytes (800 MB here).
MAX_DIMENSION = 10_000

_KEYS = (
    "NAME", "TYPE", "COMMENT", "DIMENSION", "CAPACITY", "EDGE_WEIGHT_TYPE",
    "EDGE_WEIGHT_FORMAT", "EDGE_DATA_FORMAT", "NODE_COORD_TYPE", "DISPLAY_DATA_TYPE",
)
_SECTIONS = (
    "NODE_COORD_SECTION", "EDGE_WEIGHT_SECTION", "DISPLAY_DATA_SECTION", "TOUR_SECTION",
    "FIXED_EDGES_SECTION", "DEPOT_SECTION", "DEMAND_SECTION", "EDGE_DATA_SECTION",
)
_COORD_TYPES = ("EUC_2D", "CEIL_2D", "ATT", "GEO")
_WEIGHT_TYPES = (*_COORD_TYPES, "EXPLICIT")
# Column-wise triangles of a symmetric matrix list the same numbers in the same
# order as the opposite row-wise triangle, so they share one reader.
_FORMAT_ALIASES = {
    "UPPER_COL": "LOWER_ROW",
    "LOWER_COL": "UPPER_ROW",
    "UPPER_DIAG_COL": "LOWER_DIAG_ROW",
    "LOWER_DIAG_COL": "UPPER_DIAG_ROW",
}
_FORMATS = ("FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW",
            *_FORMAT_ALIASES)
_KEYWORD_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(:?)\s*(.*)$")

# TSPLIB 95 constants for GEO distances (deliberately not math.pi).
_GEO_PI = 3.141592
_GEO_RRR = 6378.388


class _Parsed:
    """Header values and raw section lines of one TSPLIB file."""

    def __init__(self, path: PathLike) -> None:
        self.path = path
        self.header: dict[str, tuple[str, int]] = {}  # key -> (value, lineno)
        self.sections: dict[str, tuple[int, list[tuple[int, list[str]]]]] = {}

    def get(self, key: str) -> str | None:
        return self.header[key][0] if key in self.header else None

    def line_of(self, key: str) -> int | None:
        return self.header[key][1] if key in self.header else None


def _parse(path: PathLike, max_bytes: int) -> _Parsed:
    parsed = _Parsed(path)
    current: list[tuple[int, list[str]]] | None = None
    for lineno, raw in open_text(path, max_bytes=max_bytes):
        line = raw.strip()
        if not line:
            continue
        match = _KEYWORD_RE.match(line)
        if match is None or not line[0].isalpha():
            if current is None:
                raise InputError(
                    f"data {snippet(line)} outside any section; expected 'KEY : value' "
                    "or a *_SECTION line first",
                    file=path, line=lineno,
                )
            current.append((lineno, line.split()))
            continue
        key, colon, rest = match.group(1).upper(), match.group(2), match.group(3).strip()
        if key == "EOF" and not rest:
            break
        if key in _SECTIONS:
            if rest:
                raise InputError(
                    f"unexpected {snippet(rest)} after {key}; data starts on the next line",
                    file=path, line=lineno,
                )
            if key in parsed.sections:
                raise InputError(
                    f"{key} given twice (first on line {parsed.sections[key][0]})",
                    file=path, line=lineno,
                )
            current = []
            parsed.sections[key] = (lineno, current)
            continue
        if key in _KEYS:
            if not colon:
                raise InputError(f"expected '{key} : value', got {snippet(line)}",
                                 file=path, line=lineno)
            if key in parsed.header:
                if key != "COMMENT":
                    raise InputError(
                        f"{key} given twice (first on line {parsed.header[key][1]})",
                        file=path, line=lineno,
                    )
                rest = parsed.header[key][0] + " " + rest
            parsed.header[key] = (rest, lineno)
            current = None
            continue
        raise InputError(
            f"unknown keyword {snippet(match.group(1))}; expected one of "
            f"{', '.join(_KEYS)}, a *_SECTION line or EOF",
            file=path, line=lineno,
        )
    if not parsed.header and not parsed.sections:
        raise InputError("no TSPLIB content (empty file?); expected 'KEY : value' lines and "
                         "sections", file=path)
    return parsed


def _required(parsed: _Parsed, key: str, allowed: tuple[str, ...] | None = None) -> str:
    value = parsed.get(key)
    if value is None:
        hint = f" ({', '.join(allowed)})" if allowed else ""
        raise InputError(f"missing required keyword {key}{hint}", file=parsed.path)
    word = value.split()[0].upper() if value.split() else ""
    if allowed is not None and word not in allowed:
        raise InputError(
            f"{snippet(value)} is not supported; expected one of {', '.join(allowed)}",
            file=parsed.path, line=parsed.line_of(key), field=key,
        )
    return word


def _dimension(parsed: _Parsed) -> int:
    value = parsed.get("DIMENSION")
    if value is None:
        raise InputError("missing required keyword DIMENSION (number of cities)",
                         file=parsed.path)
    n = parse_int(value.strip(), file=parsed.path, line=parsed.line_of("DIMENSION"),
                  field="DIMENSION", lo=1, what="a positive number of cities")
    return n


def _coords(parsed: _Parsed, n: int) -> np.ndarray:
    path = parsed.path
    if "NODE_COORD_SECTION" not in parsed.sections:
        raise InputError("missing NODE_COORD_SECTION, needed for coordinate distances",
                         file=path, field="EDGE_WEIGHT_TYPE")
    start, rows = parsed.sections["NODE_COORD_SECTION"]
    coords = np.zeros((n, 2))
    seen: dict[int, int] = {}
    for lineno, tokens in rows:
        if len(tokens) != 3:
            raise InputError(
                f"expected 'i x y' with 1 <= i <= {n}, got {snippet(' '.join(tokens))}",
                file=path, line=lineno, field="NODE_COORD_SECTION",
            )
        i = parse_int(tokens[0], file=path, line=lineno, field="NODE_COORD_SECTION",
                      lo=1, hi=n, what="a city number")
        if i in seen:
            raise InputError(f"city {i} given twice (first on line {seen[i]})",
                             file=path, line=lineno, field="NODE_COORD_SECTION")
        seen[i] = lineno
        coords[i - 1] = [
            parse_float(t, file=path, line=lineno, field="NODE_COORD_SECTION",
                        what="a finite coordinate")
            for t in tokens[1:]
        ]
    if len(seen) < n:
        missing = next(i for i in range(1, n + 1) if i not in seen)
        raise InputError(
            f"has {len(seen)} of DIMENSION={n} cities (city {missing} missing; truncated?)",
            file=path, line=start, field="NODE_COORD_SECTION",
        )
    return coords


def _nint(x: np.ndarray) -> np.ndarray:
    # TSPLIB's nint(x) is (int)(x + 0.5) on non-negative x.
    return np.floor(x + 0.5)


def coord_distances(coords: np.ndarray, edge_weight_type: str) -> np.ndarray:
    """Integer distance matrix for ``coords`` (n x 2) under a TSPLIB coordinate rule.

    >>> coord_distances(np.array([[0.0, 0.0], [10.0, 0.0]]), "ATT").tolist()
    [[0, 4], [4, 0]]
    """
    if edge_weight_type not in _COORD_TYPES:
        raise InputError(
            f"unsupported EDGE_WEIGHT_TYPE {edge_weight_type!r}; "
            f"expected one of {', '.join(_COORD_TYPES)}",
            field="EDGE_WEIGHT_TYPE",
        )
    n = len(coords)
    d = np.empty((n, n), dtype=np.int64)
    # Row blocks keep the float temporaries small next to the int64 result.
    block = max(1, 2**20 // max(n, 1))
    for lo in range(0, n, block):
        rows = _distance_rows(coords[lo : lo + block], coords, edge_weight_type)
        if not np.isfinite(rows).all() or rows.max(initial=0.0) >= 2.0**62:
            raise InputError(
                "coordinates too large: distances overflow a 64-bit integer",
                field="NODE_COORD_SECTION",
            )
        d[lo : lo + block] = rows
    np.fill_diagonal(d, 0)
    return d


def _distance_rows(a: np.ndarray, b: np.ndarray, edge_weight_type: str) -> np.ndarray:
    """Float (integral-valued) TSPLIB distances from each point of ``a`` to each of ``b``."""
    with np.errstate(all="ignore"):
        if edge_weight_type == "GEO":
            # Degrees.minutes -> radians; int() truncation of the degrees (not nint)
            # is what the published optima were computed with (TSPLIB FAQ).
            def rad(v: np.ndarray) -> np.ndarray:
                deg = np.trunc(v)
                return _GEO_PI * (deg + 5.0 * (v - deg) / 3.0) / 180.0

            lat_a, lon_a, lat_b, lon_b = rad(a[:, 0]), rad(a[:, 1]), rad(b[:, 0]), rad(b[:, 1])
            q1 = np.cos(lon_a[:, None] - lon_b[None, :])
            q2 = np.cos(lat_a[:, None] - lat_b[None, :])
            q3 = np.cos(lat_a[:, None] + lat_b[None, :])
            arg = np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0)
            return np.trunc(_GEO_RRR * np.arccos(arg) + 1.0)
        dx = a[:, 0, None] - b[None, :, 0]
        dy = a[:, 1, None] - b[None, :, 1]
        sq = dx * dx + dy * dy
        if edge_weight_type == "EUC_2D":
            return _nint(np.sqrt(sq))
        if edge_weight_type == "CEIL_2D":
            return np.ceil(np.sqrt(sq))
        # ATT: pseudo-Euclidean; round up whenever nint rounded down.
        r = np.sqrt(sq / 10.0)
        t = _nint(r)
        return np.where(t < r, t + 1.0, t)


def _explicit(parsed: _Parsed, n: int, problem_type: str) -> np.ndarray:
    path = parsed.path
    fmt = _required(parsed, "EDGE_WEIGHT_FORMAT", _FORMATS)
    if problem_type == "ATSP" and fmt != "FULL_MATRIX":
        raise InputError(
            f"{fmt} describes a symmetric matrix; TYPE: ATSP needs FULL_MATRIX",
            file=path, line=parsed.line_of("EDGE_WEIGHT_FORMAT"), field="EDGE_WEIGHT_FORMAT",
        )
    if "EDGE_WEIGHT_SECTION" not in parsed.sections:
        raise InputError("missing EDGE_WEIGHT_SECTION, needed for EDGE_WEIGHT_TYPE: EXPLICIT",
                         file=path)
    start, rows = parsed.sections["EDGE_WEIGHT_SECTION"]
    base = _FORMAT_ALIASES.get(fmt, fmt)
    if base == "FULL_MATRIX":
        need = n * n
    elif "DIAG" in base:
        need = n * (n + 1) // 2
    else:
        need = n * (n - 1) // 2
    # Count before allocating anything: a short file must not cost an n x n array.
    total = 0
    for lineno, tokens in rows:
        if total + len(tokens) > need:
            raise InputError(
                f"more than the {need} numbers {fmt} needs for DIMENSION={n}; "
                f"extra {snippet(tokens[need - total])}",
                file=path, line=lineno, field="EDGE_WEIGHT_SECTION",
            )
        total += len(tokens)
    if total < need:
        raise InputError(
            f"has {total} of the {need} numbers {fmt} needs for DIMENSION={n} (truncated?)",
            file=path, line=start, field="EDGE_WEIGHT_SECTION",
        )
    values = np.empty(need, dtype=np.int64)
    k = 0
    for lineno, tokens in rows:
        for t in tokens:
            value = parse_int(t, file=path, line=lineno, field="EDGE_WEIGHT_SECTION",
                              lo=0, what="a non-negative integer distance")
            if value >= 2**62:  # would overflow the int64 matrix (or a tour sum)
                raise InputError(f"distance {value} is too large; expected < 2**62",
                                 file=path, line=lineno, field="EDGE_WEIGHT_SECTION")
            values[k] = value
            k += 1
    index = None
    if base != "FULL_MATRIX":
        tri = np.triu_indices if base.startswith("UPPER") else np.tril_indices
        offset = 0 if "DIAG" in base else (1 if base.startswith("UPPER") else -1)
        index = tri(n, offset)
    if index is None:
        d = values.reshape(n, n)
        if problem_type == "TSP":
            bad = np.argwhere(d != d.T)
            if len(bad):
                i, j = bad[0]
                raise InputError(
                    f"matrix is not symmetric: d[{i + 1}][{j + 1}]={d[i, j]} but "
                    f"d[{j + 1}][{i + 1}]={d[j, i]}; use TYPE: ATSP for asymmetric distances",
                    file=path, line=start, field="EDGE_WEIGHT_SECTION",
                )
    else:
        d = np.zeros((n, n), dtype=np.int64)
        d[index] = values
        d = d + d.T
    if problem_type == "TSP":
        np.fill_diagonal(d, 0)
    return d


def read_tsplib(path: PathLike, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read a TSPLIB TSP/ATSP file.

    Returns a dict with ``name``, ``type`` ('TSP'/'ATSP'), ``dimension``, ``distance``
    (n x n int64; diagonal 0 for TSP, as given for ATSP), ``coords`` (n x 2 floats or
    None), ``edge_weight_type``, ``edge_weight_format`` (or None) and ``comment``.
    """
    parsed = _parse(path, max_bytes)
    problem_type = _required(parsed, "TYPE", ("TSP", "ATSP"))
    n = _dimension(parsed)
    if n > MAX_DIMENSION:
        raise InputError(
            f"{n} cities need a {8 * n * n / 1e9:.1f} GB distance matrix; "
            f"at most {MAX_DIMENSION} supported",
            file=path, line=parsed.line_of("DIMENSION"), field="DIMENSION",
        )
    weight_type = _required(parsed, "EDGE_WEIGHT_TYPE", _WEIGHT_TYPES)
    node_coord_type = parsed.get("NODE_COORD_TYPE")
    if node_coord_type is not None and node_coord_type.strip().upper() not in (
        "TWOD_COORDS", "NO_COORDS"
    ):
        raise InputError(
            f"{snippet(node_coord_type)} is not supported; expected TWOD_COORDS or NO_COORDS",
            file=path, line=parsed.line_of("NODE_COORD_TYPE"), field="NODE_COORD_TYPE",
        )
    for section, (lineno, _) in parsed.sections.items():
        if section not in ("NODE_COORD_SECTION", "EDGE_WEIGHT_SECTION", "DISPLAY_DATA_SECTION"):
            raise InputError(
                f"{section} is not supported in a TSP/ATSP file; expected NODE_COORD_SECTION, "
                "EDGE_WEIGHT_SECTION or DISPLAY_DATA_SECTION",
                file=path, line=lineno,
            )
    coords = None
    if weight_type == "EXPLICIT":
        if "NODE_COORD_SECTION" in parsed.sections:
            coords = _coords(parsed, n)
        distance = _explicit(parsed, n, problem_type)
    else:
        if "EDGE_WEIGHT_SECTION" in parsed.sections:
            raise InputError(
                f"EDGE_WEIGHT_SECTION given but EDGE_WEIGHT_TYPE is {weight_type}; "
                "use EDGE_WEIGHT_TYPE: EXPLICIT for a weight matrix",
                file=path, line=parsed.sections["EDGE_WEIGHT_SECTION"][0],
            )
        coords = _coords(parsed, n)
        try:
            distance = coord_distances(coords, weight_type)
        except InputError as exc:
            raise exc.at(file=path, line=parsed.sections["NODE_COORD_SECTION"][0]) from None
    fmt = parsed.get("EDGE_WEIGHT_FORMAT")
    return {
        "name": (parsed.get("NAME") or "").strip() or None,
        "type": problem_type,
        "dimension": n,
        "distance": distance,
        "coords": coords,
        "edge_weight_type": weight_type,
        "edge_weight_format": fmt.strip().upper() if fmt else None,
        "comment": (parsed.get("COMMENT") or "").strip() or None,
    }


def read_tsplib_tour(path: PathLike, *, max_bytes: int = MAX_BYTES) -> list[int]:
    """Read a TSPLIB tour file; return the cities in tour order, 0-based.

    ``TOUR_SECTION`` lists 1-based cities (wrapping across lines is fine) and ends with
    ``-1``. Every city ``1..n`` must appear once, ``n`` being ``DIMENSION`` if given.
    """
    parsed = _parse(path, max_bytes)
    tour_type = parsed.get("TYPE")
    if tour_type is not None and tour_type.strip().upper() != "TOUR":
        raise InputError(f"{snippet(tour_type)} is not a tour; expected TYPE : TOUR",
                         file=path, line=parsed.line_of("TYPE"), field="TYPE")
    n = _dimension(parsed) if parsed.get("DIMENSION") is not None else None
    if "TOUR_SECTION" not in parsed.sections:
        raise InputError("missing TOUR_SECTION", file=path)
    start, rows = parsed.sections["TOUR_SECTION"]
    tour: list[int] = []
    seen: dict[int, int] = {}
    ended = False
    for lineno, tokens in rows:
        for t in tokens:
            if ended:
                raise InputError(
                    f"{snippet(t)} after the terminating -1; only one tour per file is supported",
                    file=path, line=lineno, field="TOUR_SECTION",
                )
            if t == "-1":
                ended = True
                continue
            city = parse_int(t, file=path, line=lineno, field="TOUR_SECTION", lo=1, hi=n,
                             what="a 1-based city number")
            if city in seen:
                raise InputError(f"city {city} visited twice (first on line {seen[city]})",
                                 file=path, line=lineno, field="TOUR_SECTION")
            seen[city] = lineno
            tour.append(city - 1)
    if not ended:
        raise InputError("not terminated by -1 (truncated?)", file=path, line=start,
                         field="TOUR_SECTION")
    if not tour:
        raise InputError("empty tour; expected city numbers then -1", file=path, line=start,
                         field="TOUR_SECTION")
    size = n if n is not None else len(tour)
    if len(tour) != size:
        raise InputError(f"tour has {len(tour)} cities but DIMENSION={size}",
                         file=path, line=start, field="TOUR_SECTION")
    if max(tour) >= size:  # only possible without DIMENSION: distinct but not 1..len
        visited = set(tour)
        missing = next(c for c in range(size) if c not in visited)
        raise InputError(f"city {missing + 1} missing; a tour of {size} cities visits 1..{size}",
                         file=path, line=start, field="TOUR_SECTION")
    return tour
