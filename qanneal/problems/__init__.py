"""Problem types. One module per type; each registers through the ``qanneal.problems`` entry points.

Every type's builder is reachable from here, named ``<type>_problem`` and imported on
first use (importing every type up front would add ~80 ms to ``import qanneal``):

>>> from qanneal.problems import tsp_problem, portfolio_problem
>>> tsp_problem([[0, 2, 9], [2, 0, 6], [9, 6, 0]]).kind
'tsp'
>>> import qanneal.problems
>>> "jobshop_problem" in qanneal.problems.__all__ and "maxcut" in qanneal.problems.__all__
True
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

#: Modules of this package that hold helpers, not a problem type.
_HELPERS = frozenset({"base", "graphs", "node_sets", "slots"})


def _type_modules() -> list[str]:
    """The problem-type modules of this package (a directory listing; nothing imported)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if m.name not in _HELPERS and not m.name.startswith("_"))


def __getattr__(name: str) -> Any:
    # PEP 562: `qanneal.problems.tsp_problem` imports qanneal.problems.tsp on first use.
    if name == "__all__":
        return [*_type_modules(), *(f"{m}_problem" for m in _type_modules())]
    module = name[:-len("_problem")] if name.endswith("_problem") else None
    if module in _type_modules():
        builder = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = builder  # later look-ups skip this hook
        return builder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
