"""The Result of one solve: one object, the same shape for every backend.

``Result.to_dict()`` is the ``--json`` output and the row format of comparisons.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from qanneal.io import jsonable

#: Packages whose versions every result records.
VERSIONED = ("qanneal", "dimod", "dwave-samplers", "dwave-system", "numpy", "numba",
             "pulp", "highspy", "networkx")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Python, platform and the versions of the packages a result depends on."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


@dataclass
class Result:
    """The verified answer of one run.

    ``objective`` is in problem terms and the problem's own sense; ``feasible`` and
    ``violations`` come from the problem's independent checker; ``energy`` is the
    model's energy (BQM with penalties for annealers, None where no model energy
    applies). ``info`` holds what the backend itself reported (solver status, bound,
    QPU access time ...). ``num_feasible`` counts samples feasible as sampled;
    ``num_repaired`` those made feasible by the problem's repair (then verified).
    ``sampleset`` keeps the final solve's samples (a dimod ``SampleSet`` of the model
    the backend consumed; ``None`` where the backend answered in problem terms, as the
    native MILP does); it is for Python use and not part of ``to_dict()``/``--json``.
    """

    problem: str
    backend: str
    objective: float | None
    feasible: bool
    violations: list[str]
    energy: float | None
    solution: Any
    params: dict[str, Any]
    timing: dict[str, float]
    name: str | None = None
    sense: str = "min"
    known_optimum: float | None = None
    status: str = "ok"
    seed: int | None = None
    num_samples: int = 0
    num_feasible: int = 0
    num_repaired: int = 0
    penalties: dict[str, float] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=versions)
    source: str | None = None
    #: How to reproduce this run (:mod:`qanneal.manifest`): inputs' hashes, versions,
    #: platform, backend, options, seed, penalties used, timings.
    manifest: dict[str, Any] | None = None
    #: The backend's samples (not serialised; see the class docstring).
    sampleset: Any = field(default=None, repr=False, compare=False)

    @property
    def gap(self) -> float | None:
        """Relative gap to the known optimum (0 = optimal), when one is known."""
        if self.known_optimum is None or self.objective is None or not self.feasible:
            return None
        scale = max(abs(self.known_optimum), 1e-12)
        diff = (self.objective - self.known_optimum if self.sense == "min"
                else self.known_optimum - self.objective)
        return diff / scale

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (the ``--json`` output)."""
        # asdict() would deep-copy the sampleset only for it to be dropped: skip it.
        d = asdict(replace(self, sampleset=None))
        del d["sampleset"]
        d["gap"] = self.gap
        return jsonable(d)
