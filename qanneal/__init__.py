"""qanneal: real optimisation problems as QUBOs/CQMs, annealed, decoded and verified.

The Python API mirrors the CLI:

>>> import networkx as nx
>>> import qanneal
>>> problem = qanneal.problems.maxcut.maxcut_problem(nx.petersen_graph())
>>> result = qanneal.solve(problem, "sa", seed=1)
>>> result.objective, result.feasible
(12.0, True)

Every problem type's builder is in :mod:`qanneal.problems` (``qanneal.problems.tsp_problem``,
``portfolio_problem``, ...), imported on first use.
"""

from __future__ import annotations

from qanneal import problems
from qanneal.compare import compare as compare  # noqa: F401  (re-exported)
from qanneal.errors import BackendError, BackendUnavailable, InputError, QanError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.maxcut import maxcut_problem  # noqa: F401  (import registers module)
from qanneal.result import Result
from qanneal.solve import solve
from qanneal.spec import Spec, load, load_problem

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202  (PEP 562)
    # AnnealSampler imports numba on first use only: `import qanneal` stays light.
    if name == "AnnealSampler":
        from qanneal.anneal.sampler import AnnealSampler

        return AnnealSampler
    raise AttributeError(f"module 'qanneal' has no attribute {name!r}")


__all__ = [
    "AnnealSampler",
    "BackendError",
    "BackendUnavailable",
    "InputError",
    "MilpFormulation",
    "Problem",
    "QanError",
    "Result",
    "Spec",
    "compare",
    "load",
    "load_problem",
    "problems",
    "solve",
]
