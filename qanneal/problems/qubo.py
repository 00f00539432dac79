"""Raw QUBO / Ising: minimise given coefficients directly.

Inline ``terms`` (``[i, j, value]``; ``i == j`` is linear), a COO text file, or a
QOBLIB ``.qs`` file (:mod:`qanneal.formats.qs`: 1-based upper triangle of a symmetric Q,
off-diagonal entries counted twice, ``# ObjectiveOffset``); any of the files may be
``.gz`` or ``.xz`` compressed. Spin (Ising) input is converted to binary for the model
and decoded back to +-1.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, Literal

import dimod
from pydantic import field_validator

from qanneal.errors import InputError
from qanneal.model import Problem
from qanneal.problems.base import FileData, ProblemType, Strict, pick_format, resolve_path

Label = int | str
FORMATS = {".coo": "coo", ".qubo": "coo", ".qs": "qs"}


def qubo_problem(bqm: dimod.BinaryQuadraticModel, *, name: str | None = None,
                 known_optimum: float | None = None) -> Problem:
    """Minimise ``bqm`` as given (BINARY or SPIN); the solution is ``{variable: value}``.

    >>> import dimod
    >>> from qanneal import solve
    >>> bqm = dimod.BQM({"a": -1.0, "b": -0.5}, {("a", "b"): -2.0}, 0.0, "SPIN")
    >>> solve(qubo_problem(bqm), "exact").solution
    {'a': 1, 'b': 1}
    """
    if bqm.num_variables == 0:
        raise InputError("the QUBO has no variables; give at least one term", field="data")
    original = bqm.copy()
    binary = bqm.change_vartype("BINARY", inplace=False)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(binary)
    spin = original.vartype is dimod.SPIN
    allowed = {-1, 1} if spin else {0, 1}
    variables = list(original.variables)

    def decode(sample: Mapping[Hashable, int]) -> dict[Hashable, int]:
        return {v: (2 * int(sample[v]) - 1) if spin else int(sample[v]) for v in variables}

    def verify(solution: Mapping[Hashable, int]) -> list[str]:
        missing = [v for v in variables if v not in solution]
        bad = [v for v in variables if v in solution and solution[v] not in allowed]
        out = []
        if missing:
            out.append(f"{len(missing)} variable(s) unassigned, e.g. {missing[0]!r}")
        if bad:
            out.append(f"variable {bad[0]!r} = {solution[bad[0]]!r}; allowed {sorted(allowed)}")
        return out

    def objective(solution: Mapping[Hashable, int]) -> float:
        return float(original.energy(solution))

    def describe(solution: Mapping[Hashable, int]) -> str:
        ones = [v for v in variables if solution[v] == 1]
        return f"{len(ones)} of {len(variables)} variables at 1: " + ", ".join(
            map(str, ones[:30])) + (" ..." if len(ones) > 30 else "")

    return Problem(kind="qubo", cqm=cqm, decode=decode, verify=verify, objective=objective,
                   sense="min", name=name, known_optimum=known_optimum, describe=describe,
                   data=original)


class QuboData(FileData):
    """``data:`` for a raw QUBO: ``terms`` as ``[i, j, value]`` rows, or a COO or .qs file
    (``.gz``/``.xz`` compressed ones too)."""

    terms: list[tuple[Label, Label, float]] | None = None
    offset: float = 0.0
    vartype: Literal["BINARY", "SPIN"] = "BINARY"

    @field_validator("terms")
    @classmethod
    def _terms_ok(cls, terms: list[tuple[Any, Any, float]] | None
                  ) -> list[tuple[Any, Any, float]] | None:
        if terms is None:
            return None
        if not terms:
            raise ValueError("no terms; give at least one [i, j, value]")
        seen = set()
        for k, (i, j, value) in enumerate(terms):
            if not math.isfinite(value):
                raise ValueError(f"term {k} has value {value}; values must be finite")
            key = frozenset((i, j))
            if key in seen:
                raise ValueError(f"term {k} [{i}, {j}] is listed twice; add the values together")
            seen.add(key)
        return terms


class QuboOptions(Strict):
    """A raw QUBO takes no build options."""


def _build(data: QuboData, options: QuboOptions, base_dir: Path) -> Problem:
    if data.file is not None:
        if data.terms is not None:
            raise InputError("give either terms or file, not both", field="data")
        path = resolve_path(data.file, base_dir)
        if pick_format(path, data.format, FORMATS) == "qs":
            return _build_qs(path, data)
        from qanneal.formats.coo import read_coo

        coefficients, vartype = read_coo(path)
        if vartype is None:
            # No '# vartype=' header: data.vartype when given, else BINARY, said aloud
            # (a SPIN file read as BINARY is a different problem, silently).
            vartype = data.vartype
            if "vartype" not in data.model_fields_set:
                logging.getLogger("qanneal").warning(
                    "%s has no '# vartype=' header: read as BINARY (a QUBO); add "
                    "'# vartype=SPIN' for Ising coefficients", path.name)
        bqm = dimod.BinaryQuadraticModel(vartype)
        for (i, j), value in coefficients.items():
            if i == j:
                bqm.add_linear(i, value)
            else:
                bqm.add_quadratic(i, j, value)
        bqm.offset += data.offset
        return qubo_problem(bqm, name=file_stem(path))
    if data.terms is None:
        raise InputError("give terms (a list of [i, j, value]) or file", field="data")
    bqm = dimod.BinaryQuadraticModel(data.vartype)
    for i, j, value in data.terms:
        if i == j:
            bqm.add_linear(i, value)
        else:
            bqm.add_quadratic(i, j, value)
    bqm.offset += data.offset
    return qubo_problem(bqm)


def file_stem(path: Path) -> str:
    """A data file's name without its format and compression suffixes.

    >>> file_stem(Path("qs/labs005.qs.xz")), file_stem(Path("q.coo"))
    ('labs005', 'q')
    """
    name = path.name
    if Path(name).suffix.lower() in (".gz", ".xz"):
        name = name[: -len(Path(name).suffix)]
    return Path(name).stem


def _build_qs(path: Path, data: QuboData) -> Problem:
    """A QOBLIB ``.qs`` file: binary by definition (x'Qx over x in {0, 1})."""
    if data.vartype != "BINARY":
        raise InputError(".qs files are QUBOs over binary variables; drop vartype: SPIN",
                         field="data.vartype")
    from qanneal.formats.qs import qs_to_bqm, read_qs

    n, entries, offset = read_qs(path)
    # The header's n alone sizes the model (every variable is created, used or not):
    # a 3-line file claiming 10**7 variables took 5.3 GB and 39 s before this check.
    from qanneal import sizing
    sizing.check(f"{path.name} (n = {n})", sizing.ModelSize(variables=n, terms=len(entries)),
                 "give a smaller n in the header (only variables that appear need counting)")
    return qubo_problem(qs_to_bqm(n, entries, offset + data.offset), name=file_stem(path))


QUBO = ProblemType(
    name="qubo",
    description="raw QUBO or Ising coefficients (inline terms, COO or QOBLIB .qs file)",
    data_model=QuboData,
    options_model=QuboOptions,
    build=_build,
    extensions=tuple(FORMATS),
)
