"""Permutation flow-shop instances: Taillard's files and OR-Library ``flowshop1.txt``.

Taillard (``format="taillard"``; ``tai20_5.txt`` ... hold ten instances each): per
instance the caption line ``number of jobs, number of machines, initial seed, upper
bound and lower bound :``, a line ``n M seed UB LB``, the caption ``processing times :``
and then ``M`` rows of ``n`` times, one row per machine (the matrix is machines x jobs).

OR-Library (``format="orlib"``; ``flowshop1.txt``, contributed by Mattfeld and
Vaessens): free text up to the first line ``instance NAME``; then per instance
separator lines starting with ``+`` (also the closing ``+++ END OF DATA +++``), a
description line, a line ``n M`` and ``n`` lines of ``M`` pairs ``machine time``
(machines 0-based, in the order 0, 1, ..., M-1: a flow shop).
A file without ``instance`` lines is one instance (description optional).

Both readers return a list of instances, each ``{"name", "times", "upper_bound",
"lower_bound", "description"}`` with ``times[j][m]`` the time of job ``j`` on machine
``m`` (jobs x machines, whatever the file's layout). With ``format=None`` a Taillard
caption line means Taillard, else OR-Library.

>>> import tempfile, os
>>> text = ("number of jobs, number of machines, initial seed, upper bound and lower bound :\\n"
...         " 3 2 12345 20 18\\nprocessing times :\\n 5 3 7\\n 2 6 4\\n")
>>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
...     _ = f.write(text)
>>> read_flowshop(f.name)[0]["times"]
[[5, 2], [3, 6], [7, 4]]
>>> os.unlink(f.name)
"""

from __future__ import annotations

from typing import Any

from qanneal.errors import InputError
from qanneal.formats._common import MAX_BYTES, PathLike, open_text, parse_int, snippet

FORMATS = ("taillard", "orlib")
_CAPTION = "number of jobs, number of machines"


def read_flowshop(path: PathLike, format: str | None = None, *,
                  max_bytes: int = MAX_BYTES) -> list[dict[str, Any]]:
    """Read every instance of a flow-shop file (see the module docstring)."""
    if format is not None and format.lower() not in FORMATS:
        raise InputError(f"unknown flow-shop format {format!r}; expected one of "
                         f"{', '.join(FORMATS)} or None to detect", field="format")
    lines = [(lineno, raw.strip()) for lineno, raw in open_text(path, max_bytes=max_bytes)]
    if format is None:
        format = ("taillard" if any(t.lower().startswith(_CAPTION) for _, t in lines)
                  else "orlib")
    instances = (_taillard(path, lines) if format.lower() == "taillard"
                 else _orlib(path, lines))
    if not instances:
        raise InputError(f"no instance found; expected the {format} flow-shop layout",
                         file=path)
    return instances


def _ints(path: PathLike, lineno: int, text: str, field: str, what: str) -> list[int]:
    return [parse_int(t, file=path, line=lineno, field=field, lo=0, what=what)
            for t in text.split()]


def _taillard(path: PathLike, lines: list[tuple[int, str]]) -> list[dict[str, Any]]:
    rows = [(lineno, text) for lineno, text in lines if text]
    starts = [i for i, (_, text) in enumerate(rows) if text.lower().startswith(_CAPTION)]
    if not starts:
        raise InputError(f"no caption line '{_CAPTION}, ...'; "
                         "expected Taillard's layout", file=path)
    if starts[0] != 0:
        lineno, text = rows[0]
        raise InputError(f"unexpected {snippet(text)} before the first caption line",
                         file=path, line=lineno)
    instances = []
    for k, start in enumerate(starts):
        block = rows[start + 1:starts[k + 1] if k + 1 < len(starts) else len(rows)]
        caption_line = rows[start][0]
        if not block:
            raise InputError("caption line with no size line 'n M seed UB LB' after it",
                             file=path, line=caption_line)
        lineno, text = block[0]
        size = _ints(path, lineno, text, "size", "a non-negative integer")
        if len(size) < 2 or size[0] < 1 or size[1] < 1:
            raise InputError(f"expected 'n M seed upper lower' with n, M >= 1, got "
                             f"{snippet(text)}", file=path, line=lineno)
        n, m = size[0], size[1]
        body = block[1:]
        if body and body[0][1].lower().rstrip(": ").strip() == "processing times":
            body = body[1:]
        if len(body) != m:
            where = body[m][0] if len(body) > m else lineno
            raise InputError(f"instance {k + 1} has M={m} machines but {len(body)} rows "
                             f"of processing times", file=path, line=where)
        by_machine = []
        for row_line, row in body:
            times = _ints(path, row_line, row, "time", "a non-negative integer time")
            if len(times) != n:
                raise InputError(f"{len(times)} times in a machine row; expected n={n} "
                                 "(one per job)", file=path, line=row_line)
            by_machine.append(times)
        instances.append({
            "name": f"#{k + 1}", "description": None,
            "times": [list(col) for col in zip(*by_machine)],
            "upper_bound": size[3] if len(size) > 3 else None,
            "lower_bound": size[4] if len(size) > 4 else None,
        })
    return instances


def _orlib(path: PathLike, lines: list[tuple[int, str]]) -> list[dict[str, Any]]:
    marks = [i for i, (_, text) in enumerate(lines) if text.lower().startswith("instance ")]
    if not marks:
        return [_orlib_block(path, None, lines)]
    out = []
    for k, i in enumerate(marks):
        name = lines[i][1].split(None, 1)[1].strip()
        end = marks[k + 1] if k + 1 < len(marks) else len(lines)
        out.append(_orlib_block(path, name, lines[i + 1:end], lines[i][0]))
    return out


def _orlib_block(path: PathLike, name: str | None, lines: list[tuple[int, str]],
                 head: int | None = None) -> dict[str, Any]:
    rows = [(lineno, text) for lineno, text in lines if text and not text.startswith("+")]
    description = None
    size_at = None
    for i, (_, text) in enumerate(rows):
        tokens = text.split()
        if len(tokens) == 2 and all(t.isdigit() for t in tokens):
            size_at = i
            break
        if description is None:
            description = text
        elif name is None:
            # one bare instance: only a description may come before the size line
            raise InputError(f"expected the size line 'n M', got {snippet(text)}",
                             file=path, line=rows[i][0])
    what = f"instance {name}" if name else "the instance"
    if size_at is None:
        raise InputError(f"{what} has no size line 'n M'", file=path, line=head)
    lineno, text = rows[size_at]
    n, m = (parse_int(t, file=path, line=lineno, field=f, lo=1, what=w) for t, f, w in
            zip(text.split(), ("n", "M"), ("a positive number of jobs",
                                           "a positive number of machines")))
    body = rows[size_at + 1:]
    if len(body) != n:
        where = body[n][0] if len(body) > n else lineno
        raise InputError(f"{what} says n={n} jobs but has {len(body)} job lines",
                         file=path, line=where)
    times = []
    for job, (row_line, row) in enumerate(body):
        tokens = row.split()
        if len(tokens) != 2 * m:
            raise InputError(f"job {job} has {len(tokens)} numbers; expected M={m} pairs "
                             f"'machine time' ({2 * m} numbers)", file=path, line=row_line)
        machines = [parse_int(t, file=path, line=row_line, field="machine", lo=0, hi=m - 1,
                              what="a 0-based machine number") for t in tokens[0::2]]
        if machines != list(range(m)):
            raise InputError(f"job {job} visits machines {machines}; a flow shop visits "
                             f"0..{m - 1} in order (use the jobshop type otherwise)",
                             file=path, line=row_line)
        times.append([parse_int(t, file=path, line=row_line, field="time", lo=0,
                                what="a non-negative integer time") for t in tokens[1::2]])
    return {"name": name, "description": description, "times": times,
            "upper_bound": None, "lower_bound": None}
