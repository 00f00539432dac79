"""Parameter sweeps: solve one problem for a range of values of one build option.

``--sweep risk_aversion=0.5:10:8`` traces a portfolio's efficient frontier: the
problem is rebuilt for every value (the option overridden), solved, and the results
are returned in order, each recording its value in ``params['sweep']``.

>>> parse_sweep("risk_aversion=0.5:2:4")
('risk_aversion', [0.5, 1.0, 1.5, 2.0])
>>> parse_sweep("k=2,3,5")
('k', [2, 3, 5])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qanneal.errors import InputError
from qanneal.model import Problem
from qanneal.result import Result


def _number(text: str, spec: str) -> int | float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number in sweep {spec!r}; write NAME=a:b:n "
                         "or NAME=v1,v2,...", field="sweep") from None
    if not np.isfinite(value):
        raise InputError(f"{text!r} is not finite in sweep {spec!r}", field="sweep")
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value


#: Most points a sweep takes (each is a whole solve; 1e9 points once asked for 24 GB).
MAX_POINTS = 10_000


def parse_sweep(spec: str) -> tuple[str, list[int | float]]:
    """``NAME=a:b:n`` (n values evenly spaced from a to b) or ``NAME=v1,v2,...``.

    >>> parse_sweep("risk_aversion=0:1:3")
    ('risk_aversion', [0.0, 0.5, 1.0])
    """
    name, sep, body = spec.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name or not body.strip():
        raise InputError(f"expected NAME=a:b:n or NAME=v1,v2,..., got {spec!r}", field="sweep")
    if ":" in body:
        parts = body.split(":")
        if len(parts) != 3:
            raise InputError(f"expected a:b:n (start, stop, count), got {body!r}",
                             field="sweep")
        start, stop = (_number(p.strip(), spec) for p in parts[:2])
        count = _number(parts[2].strip(), spec)
        if not isinstance(count, int) or count < 1:
            raise InputError(f"the count n in a:b:n must be a whole number >= 1, got "
                             f"{parts[2].strip()!r}", field="sweep")
        if count > MAX_POINTS:  # every point is a whole solve: refuse before allocating
            raise InputError(f"a sweep of {count} points is more than {MAX_POINTS} solves; "
                             "give a smaller n in a:b:n", field="sweep")
        values = np.linspace(start, stop, count).tolist()
        return name, [round(v, 12) for v in values]
    values = [_number(p.strip(), spec) for p in body.split(",") if p.strip()]
    if len(values) > MAX_POINTS:
        raise InputError(f"a sweep of {len(values)} points is more than {MAX_POINTS} solves",
                         field="sweep")
    return name, values


def run_sweep(source: str | Path | Callable[..., Problem], backend: str, name: str,
              values: Sequence[Any], *, options: dict[str, Any] | None = None,
              **solve_kwargs: Any) -> list[Result]:
    """Solve once per value of build option ``name``; results in the order of ``values``.

    ``source`` is a problem file (its ``options:`` overridden by ``options`` and then
    ``name=value``; its seed and time limit apply unless given in ``solve_kwargs``) or a
    factory called as ``factory(**options, name=value)`` that returns a Problem.
    """
    from qanneal.solve import solve

    results = []
    for value in values:
        overrides = {**(options or {}), name: value}
        kwargs = dict(solve_kwargs)
        if callable(source):
            problem = source(**overrides)
        else:
            from qanneal.spec import load_problem

            spec = load_problem(source, options=overrides)
            problem = spec.problem
            kwargs.setdefault("seed", spec.seed)
            kwargs.setdefault("time_limit", spec.time_limit)
        result = solve(problem, backend, **kwargs)
        result.params["sweep"] = {name: value}
        results.append(result)
    return results
