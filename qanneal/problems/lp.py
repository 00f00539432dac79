"""Any model in an LP file: binary/integer (and real) variables, linear or quadratic
objective and constraints, read by dimod's LP reader (``dimod.lp``).

The problem is the file's model as it stands (:func:`qanneal.problems.model.model_problem`):
the solution is ``{variable: value}`` under the file's names, the objective the file's
(``Maximize`` files are reported as maximisation problems), and ``verify`` checks every
variable's type and bounds and every constraint, naming the violated ones. ``.lp.gz``
and ``.lp.xz`` files are read too, within the data-file size limit (decompressed).

::

    qanneal solve model.lp -b milp
    qanneal solve model.lp.xz -b sa --time-limit 10

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "pick.lp").write_text(
...     "Maximize\\n obj: 3 x + 2 y + z\\nSubject To\\n c1: x + y + z <= 2\\nBinary\\n x y z\\nEnd\\n")
>>> from qanneal import solve
>>> result = solve(lp_problem(d / "pick.lp"), "exact")
>>> result.objective, result.solution, result.problem
(5.0, {'x': 1, 'y': 1, 'z': 0}, 'lp')
"""

from __future__ import annotations

import re
from pathlib import Path

import dimod
from pydantic import Field

from qanneal.errors import InputError
from qanneal.formats._common import MAX_BYTES, PathLike, open_text
from qanneal.model import Problem
from qanneal.problems.base import FileData, ProblemType, Strict, pick_format, resolve_path
from qanneal.problems.model import DEFAULT_TOLERANCE, model_problem

FORMATS = {".lp": "lp"}
_SENSE_RE = re.compile(r"\s*(max|min)", re.IGNORECASE)


def read_lp(path: PathLike, *, max_bytes: int = MAX_BYTES
            ) -> tuple[dimod.ConstrainedQuadraticModel, str]:
    """The CQM of an LP file and its sense (``"min"`` or ``"max"``).

    dimod's CQM always minimises, so a ``Maximize`` file's CQM holds the negated
    objective. Unreadable files are one :class:`~qanneal.errors.InputError` naming the
    file (dimod's message, first line).
    """
    text = "\n".join(line for _, line in open_text(path, max_bytes=max_bytes))
    sense = "min"
    for line in text.split("\n"):
        body = line.split("\\", 1)[0].strip()  # '\' starts a comment in LP files
        if body:
            match = _SENSE_RE.match(body)
            sense = match.group(1).lower() if match else "min"
            break
    try:
        cqm = dimod.lp.loads(text)
    except Exception as exc:  # dimod's reader raises ValueError, RuntimeError, ...
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot read the LP file: {message}", file=path) from None
    if not cqm.variables:
        raise InputError("the LP file declares no variables", file=path)
    return cqm, sense


def lp_problem(path: PathLike, *, name: str | None = None, known_optimum: float | None = None,
               tolerance: float = DEFAULT_TOLERANCE) -> Problem:
    """The model of the LP file ``path`` as a Problem (kind ``lp``)."""
    from qanneal.problems.qubo import file_stem

    cqm, sense = read_lp(path)
    return model_problem(cqm, name=name or file_stem(Path(path)), sense=sense,  # type: ignore[arg-type]
                         known_optimum=known_optimum, tolerance=tolerance, kind="lp",
                         copy=False)


class LpData(FileData):
    """``data:`` for an LP model: ``file`` (``.lp``, ``.lp.gz``, ``.lp.xz``)."""


class LpOptions(Strict):
    """How strictly answers are checked."""

    tolerance: float = Field(DEFAULT_TOLERANCE, ge=0, le=1,
                             description="a constraint is violated when off by more than "
                                         "this times max(1, |rhs|)")


def _build(data: LpData, options: LpOptions, base_dir: Path) -> Problem:
    if data.file is None:
        raise InputError("give the LP file: data: {file: model.lp}", field="data.file")
    path = resolve_path(data.file, base_dir)
    pick_format(path, data.format, FORMATS)
    return lp_problem(path, tolerance=options.tolerance)


LP = ProblemType(
    name="lp",
    description="any model in an LP file (binary/integer variables, linear or quadratic "
                "objective and constraints; dimod's LP reader)",
    data_model=LpData,
    options_model=LpOptions,
    build=_build,
    extensions=tuple(FORMATS),
)
