"""QUBO/Ising coefficients in COO text: one ``i j value`` per line, 0-based variables.

``i == j`` is a linear term. ``#`` starts a comment (whole line or trailing). A header
comment ``# vartype=BINARY`` or ``# vartype=SPIN`` (as written by dimod's COO
serialiser) gives the variable type; without it the type is reported as ``None`` so the
caller decides. Keys are returned as ``(min(i, j), max(i, j))``. A pair given twice,
in either order, is rejected: dimod would add the two values, other tools keep the
last, and the file does not say which was meant.

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".coo", delete=False) as f:
...     _ = f.write("# vartype=SPIN\\n0 0 -1\\n1 0 0.5\\n")
>>> read_coo(f.name)
({(0, 0): -1.0, (0, 1): 0.5}, 'SPIN')
>>> os.unlink(f.name)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from qanneal.errors import InputError
from qanneal.formats._common import (
    MAX_BYTES,
    PathLike,
    format_number,
    open_text,
    parse_float,
    parse_int,
    snippet,
)

VARTYPES = ("BINARY", "SPIN")
_VARTYPE_RE = re.compile(r"#\s*vartype\s*[=:]\s*(\S*)\s*$", re.IGNORECASE)


def read_coo(
    path: PathLike, *, max_bytes: int = MAX_BYTES
) -> tuple[dict[tuple[int, int], float], str | None]:
    """Read a COO file; return ``(coefficients, vartype)`` with vartype BINARY, SPIN or None."""
    coeffs: dict[tuple[int, int], float] = {}
    first_seen: dict[tuple[int, int], int] = {}
    vartype: str | None = None
    vartype_line = 0
    for lineno, raw in open_text(path, max_bytes=max_bytes):
        line = raw.strip()
        if line.startswith("#"):
            match = _VARTYPE_RE.match(line)
            if match:
                value = match.group(1).upper()
                if value not in VARTYPES:
                    raise InputError(
                        f"unknown vartype {snippet(match.group(1))}; expected BINARY or SPIN",
                        file=path, line=lineno, field="vartype",
                    )
                if vartype is not None and value != vartype:
                    raise InputError(
                        f"vartype {value} contradicts vartype {vartype} on line {vartype_line}",
                        file=path, line=lineno, field="vartype",
                    )
                vartype, vartype_line = value, lineno
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        tokens = line.split()
        if len(tokens) != 3:
            raise InputError(
                f"expected 'i j value' (0-based integer variables, a number), got {snippet(line)}",
                file=path, line=lineno,
            )
        i, j = (
            parse_int(t, file=path, line=lineno, field=name, lo=0,
                      what="a 0-based variable index")
            for t, name in zip(tokens[:2], ("i", "j"), strict=True)
        )
        value = parse_float(tokens[2], file=path, line=lineno, field="value",
                            what="a finite coefficient")
        key = (min(i, j), max(i, j))
        if key in first_seen:
            raise InputError(
                f"duplicate entry for ({i}, {j}) (already on line {first_seen[key]}); "
                "each pair may appear once, in either order",
                file=path, line=lineno,
            )
        first_seen[key] = lineno
        coeffs[key] = value
    if not coeffs:
        raise InputError("no coefficients; expected lines 'i j value' (empty problem)", file=path)
    return coeffs, vartype


def write_coo(
    coeffs: Mapping[tuple[int, int], float], path: PathLike, vartype: str | None = None
) -> None:
    """Write ``coeffs`` as COO text, sorted by pair, with a ``# vartype=`` header if given."""
    if vartype is not None and vartype.upper() not in VARTYPES:
        raise InputError(f"unknown vartype {vartype!r}; expected BINARY or SPIN", field="vartype")
    rows: dict[tuple[int, int], float] = {}
    for key, value in coeffs.items():
        try:
            i, j = (int(k) for k in key)
        except (TypeError, ValueError):
            raise InputError(f"key {key!r} is not a pair of integers", field="coeffs") from None
        if i < 0 or j < 0 or (i, j) != tuple(key):
            raise InputError(f"key {key!r} must be two non-negative integers", field="coeffs")
        norm = (min(i, j), max(i, j))
        if norm in rows:
            raise InputError(f"pair {norm} given twice (as (i, j) and (j, i))", field="coeffs")
        if not math.isfinite(float(value)):
            raise InputError(f"coefficient {key!r} = {value!r} is not finite", field="coeffs")
        rows[norm] = float(value)
    lines = [f"# vartype={vartype.upper()}"] if vartype is not None else []
    lines += [f"{i} {j} {format_number(v)}" for (i, j), v in sorted(rows.items())]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
