"""Job-shop scheduling instances in OR-Library/JSPLIB or Taillard format.

OR-Library/JSPLIB (``format="orlib"``): ``#`` comment lines, a line ``J M``, then one
line per job with ``M`` pairs ``machine duration`` in technological order, machines
0-based.

Taillard (``format="taillard"``): a line ``J M`` (more numbers after it, such as seeds
and bounds, are ignored; a text line ``Nb of jobs, ...`` before it is skipped), then
``Times`` and ``J`` rows of ``M`` durations, then ``Machines`` and ``J`` rows of ``M``
machines, 1-based. The ``Times``/``Machines`` words may be absent.

D-Wave table (``format="dwave"``; dwave-examples/job-shop-scheduling-cqm ``input/*.txt``):
lines ``#Num of jobs: J`` and ``#Num of machines: M``, two caption lines (``task 0 ...``,
``job id machine dur ...``) and a ``----`` rule, then one row per job: its id (0..J-1)
and ``M`` pairs ``machine dur`` in order, machines 0-based.

With ``format=None`` the format is detected: a ``#Num of jobs:`` line means D-Wave's
table; the words Times/Machines mean Taillard;
otherwise a first job row of ``2M`` numbers means OR-Library and one of ``M`` numbers
means Taillard. Each job must visit every machine exactly once (the classical
job shop); durations are non-negative integers (zero allowed).

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".jss", delete=False) as f:
...     _ = f.write("# tiny\\n2 2\\n0 3 1 2\\n1 4 0 1\\n")
>>> read_jobshop(f.name)["jobs"]
[[(0, 3), (1, 2)], [(1, 4), (0, 1)]]
>>> os.unlink(f.name)
"""

from __future__ import annotations

import re
from typing import Any

from qanneal.errors import InputError
from qanneal.formats._common import MAX_BYTES, PathLike, open_text, parse_int, snippet

FORMATS = ("orlib", "taillard", "dwave")
_ALIASES = {"orlib": "orlib", "jsplib": "orlib", "or-library": "orlib", "taillard": "taillard",
            "dwave": "dwave", "d-wave": "dwave"}
_DWAVE_COUNT = re.compile(r"#\s*num(?:ber)?\s+of\s+(jobs|machines)\s*:\s*(\S*)\s*$",
                          re.IGNORECASE)


def read_jobshop(
    path: PathLike, format: str | None = None, *, max_bytes: int = MAX_BYTES
) -> dict[str, Any]:
    """Read a job-shop instance.

    Returns ``{"jobs": [[(machine, duration), ...], ...], "num_jobs": J,
    "num_machines": M, "format": "orlib" | "taillard" | "dwave"}`` with 0-based machines.
    """
    if format is not None:
        if format.lower() not in _ALIASES:
            raise InputError(f"unknown job-shop format {format!r}; expected one of "
                             f"{', '.join(FORMATS)} or None to detect", field="format")
        format = _ALIASES[format.lower()]
    lines = list(open_text(path, max_bytes=max_bytes))
    if format == "dwave" or (format is None and any(_DWAVE_COUNT.match(raw.strip())
                                                    for _, raw in lines)):
        return _read_dwave(path, lines)
    # Rows after the size line: (lineno, tokens, marker) with marker "times"/"machines"
    # for a block caption (tokens empty) and None for a row of numbers.
    rows: list[tuple[int, list[str], str | None]] = []
    markers: dict[str, int] = {}
    size: tuple[int, int, int] | None = None  # (J, M, lineno)
    size_extra = False
    for lineno, raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word = line.rstrip(":").strip().lower()
        if word in ("times", "machines"):
            if word in markers:
                raise InputError(f"second {word!r} block (first on line {markers[word]})",
                                 file=path, line=lineno)
            if size is None:
                raise InputError(f"{word!r} block before the size line 'J M'",
                                 file=path, line=lineno)
            markers[word] = lineno
            rows.append((lineno, [], word))
            continue
        tokens = line.split()
        if size is None:
            if line.lower().startswith("nb of jobs"):  # Taillard's column caption
                continue
            if len(tokens) < 2:
                raise InputError(
                    f"expected size line 'J M' (jobs, machines), got {snippet(line)}",
                    file=path, line=lineno,
                )
            j = parse_int(tokens[0], file=path, line=lineno, field="J", lo=1,
                          what="a positive number of jobs")
            m = parse_int(tokens[1], file=path, line=lineno, field="M", lo=1,
                          what="a positive number of machines")
            for t in tokens[2:]:  # Taillard seeds/bounds: must still be numbers
                parse_int(t, file=path, line=lineno, what="a number after 'J M'")
            size, size_extra = (j, m, lineno), len(tokens) > 2
            continue
        rows.append((lineno, tokens, None))
    if size is None:
        raise InputError("no size line; expected 'J M' then the jobs (empty file?)", file=path)
    num_jobs, num_machines, size_line = size
    data_rows = [(lineno, tokens) for lineno, tokens, marker in rows if marker is None]
    if format is None:
        if markers or size_extra:
            format = "taillard"
        elif data_rows and len(data_rows[0][1]) == num_machines and num_machines != 0:
            format = "taillard"
        else:
            format = "orlib"
    if format == "orlib":
        if markers:
            word, lineno = next(iter(markers.items()))
            raise InputError(f"{word!r} block in an OR-Library file; use format='taillard'",
                             file=path, line=lineno)
        if size_extra:
            raise InputError(
                "expected exactly 'J M' on the size line of an OR-Library file",
                file=path, line=size_line,
            )
        jobs = _orlib_jobs(path, data_rows, num_jobs, num_machines, size_line)
    else:
        jobs = _taillard_jobs(path, rows, num_jobs, num_machines, size_line)
    return {"jobs": jobs, "num_jobs": num_jobs, "num_machines": num_machines, "format": format}


def _check_job(path: PathLike, lineno: int, job: list[tuple[int, int]], job_no: int,
               base: int) -> None:
    """A job visits each machine at most once (with M operations: exactly once)."""
    first: dict[int, int] = {}
    for k, (machine, _) in enumerate(job):
        if machine in first:
            raise InputError(
                f"job {job_no} visits machine {machine + base} twice (operations "
                f"{first[machine] + 1} and {k + 1}); each job visits each machine once",
                file=path, line=lineno,
            )
        first[machine] = k


def _orlib_jobs(path: PathLike, rows: list[tuple[int, list[str]]], num_jobs: int,
                num_machines: int, size_line: int) -> list[list[tuple[int, int]]]:
    if len(rows) > num_jobs:
        lineno, tokens = rows[num_jobs]
        raise InputError(
            f"more job lines than J={num_jobs} (line {size_line}); got extra "
            f"{snippet(' '.join(tokens))}",
            file=path, line=lineno,
        )
    if len(rows) < num_jobs:
        raise InputError(
            f"size line says J={num_jobs} jobs but the file has {len(rows)} job lines (truncated?)",
            file=path, line=size_line, field="J",
        )
    jobs = []
    for job_no, (lineno, tokens) in enumerate(rows, start=1):
        if len(tokens) != 2 * num_machines:
            raise InputError(
                f"job {job_no} has {len(tokens)} numbers; expected M={num_machines} pairs "
                f"'machine duration' ({2 * num_machines} numbers)",
                file=path, line=lineno,
            )
        job = []
        for k in range(num_machines):
            machine = parse_int(tokens[2 * k], file=path, line=lineno, field="machine",
                                lo=0, hi=num_machines - 1, what="a 0-based machine number")
            duration = parse_int(tokens[2 * k + 1], file=path, line=lineno, field="duration",
                                 lo=0, what="a non-negative integer duration")
            job.append((machine, duration))
        _check_job(path, lineno, job, job_no, 0)
        jobs.append(job)
    return jobs


def _taillard_jobs(path: PathLike, rows: list[tuple[int, list[str], str | None]], num_jobs: int,
                   num_machines: int, size_line: int) -> list[list[tuple[int, int]]]:
    # Expected layout: [times] J rows, [machines] J rows; markers optional but if one
    # is present it must sit exactly where its block starts.
    expected = 2 * num_jobs
    blocks: dict[str, list[tuple[int, list[str]]]] = {"times": [], "machines": []}
    block = "times"
    for lineno, tokens, marker in rows:
        if marker is not None:
            if marker == "times" and (blocks["times"] or blocks["machines"]):
                raise InputError("'Times' must come before the duration rows",
                                 file=path, line=lineno)
            if marker == "machines" and (len(blocks["times"]) != num_jobs or blocks["machines"]):
                raise InputError(
                    f"'Machines' after {len(blocks['times'])} duration rows; "
                    f"expected J={num_jobs}",
                    file=path, line=lineno,
                )
            block = marker
            continue
        if block == "times" and len(blocks["times"]) == num_jobs:
            block = "machines"
        if len(blocks["machines"]) == num_jobs:
            raise InputError(
                f"more than 2*J={expected} rows (J={num_jobs} durations + J machines); "
                f"got extra {snippet(' '.join(tokens))}",
                file=path, line=lineno,
            )
        if len(tokens) != num_machines:
            raise InputError(
                f"expected M={num_machines} numbers per row, got {len(tokens)}",
                file=path, line=lineno,
            )
        blocks[block].append((lineno, tokens))
    got = len(blocks["times"]) + len(blocks["machines"])
    if got < expected:
        raise InputError(
            f"size line says J={num_jobs}, needing {expected} rows (durations, then "
            f"1-based machines) but the file has {got} (truncated?)",
            file=path, line=size_line, field="J",
        )
    jobs = []
    for job_no, ((t_line, t_tokens), (m_line, m_tokens)) in enumerate(
        zip(blocks["times"], blocks["machines"], strict=True), start=1
    ):
        durations = [
            parse_int(t, file=path, line=t_line, field="duration", lo=0,
                      what="a non-negative integer duration")
            for t in t_tokens
        ]
        machines = [
            parse_int(t, file=path, line=m_line, field="machine", lo=1, hi=num_machines,
                      what="a 1-based machine number")
            for t in m_tokens
        ]
        job = [(mach - 1, dur) for mach, dur in zip(machines, durations, strict=True)]
        _check_job(path, m_line, job, job_no, 1)
        jobs.append(job)
    return jobs


def _read_dwave(path: PathLike, lines: list[tuple[int, str]]) -> dict[str, Any]:
    """D-Wave's table layout (see the module docstring)."""
    counts: dict[str, tuple[int, int]] = {}
    rows: list[tuple[int, list[str]]] = []
    for lineno, raw in lines:
        line = raw.strip()
        if not line:
            continue
        match = _DWAVE_COUNT.match(line)
        if match:
            what, value = match.group(1).lower(), match.group(2)
            if what in counts:
                raise InputError(f"second '#Num of {what}' line (first on line "
                                 f"{counts[what][1]})", file=path, line=lineno)
            counts[what] = (parse_int(value, file=path, line=lineno, field=what, lo=1,
                                      what=f"a positive number of {what}"), lineno)
            continue
        tokens = line.split()
        if line.startswith("#") or set(line) <= set("- "):
            continue  # other comments, the ---- rule under the captions
        if not tokens[0].lstrip("+-").isdigit():
            if rows:
                raise InputError(f"expected a job row 'id machine dur ...', got "
                                 f"{snippet(line)}", file=path, line=lineno)
            continue  # the caption lines ('task 0 ...', 'job id machine dur ...')
        rows.append((lineno, tokens))
    for what in ("jobs", "machines"):
        if what not in counts:
            raise InputError(f"no '#Num of {what}: N' line; D-Wave's table starts with "
                             "'#Num of jobs:' and '#Num of machines:'", file=path)
    num_jobs, jobs_line = counts["jobs"]
    num_machines = counts["machines"][0]
    if len(rows) != num_jobs:
        where = rows[num_jobs][0] if len(rows) > num_jobs else jobs_line
        raise InputError(f"'#Num of jobs: {num_jobs}' but the table has {len(rows)} job rows",
                         file=path, line=where)
    jobs: list[list[tuple[int, int]] | None] = [None] * num_jobs
    for lineno, tokens in rows:
        if len(tokens) != 2 * num_machines + 1:
            raise InputError(f"{len(tokens)} numbers; expected the job id and "
                             f"M={num_machines} pairs 'machine dur' ({2 * num_machines + 1})",
                             file=path, line=lineno)
        job_id = parse_int(tokens[0], file=path, line=lineno, field="job id", lo=0,
                           hi=num_jobs - 1, what="a 0-based job id")
        if jobs[job_id] is not None:
            raise InputError(f"job id {job_id} appears twice", file=path, line=lineno)
        job = [(parse_int(m, file=path, line=lineno, field="machine", lo=0,
                          hi=num_machines - 1, what="a 0-based machine number"),
                parse_int(d, file=path, line=lineno, field="dur", lo=0,
                          what="a non-negative integer duration"))
               for m, d in zip(tokens[1::2], tokens[2::2])]
        _check_job(path, lineno, job, job_id, 0)
        jobs[job_id] = job
    return {"jobs": jobs, "num_jobs": num_jobs, "num_machines": num_machines,
            "format": "dwave"}
