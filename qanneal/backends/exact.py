"""``exact``: exhaustive enumeration with dimod's exact solvers (small problems only)."""

from __future__ import annotations

from typing import Any

import dimod

from qanneal.backends.base import Backend, RawAnswer, merge_options


class ExactBackend(Backend):
    """Proves the optimum by enumerating all 2**n assignments of the CQM.

    It consumes the CQM, not the penalised BQM, so its answer never depends on penalty
    weights: unconstrained models go through ``dimod.ExactSolver``, constrained ones
    through ``dimod.ExactCQMSolver`` (which checks every constraint). Models over
    ``max_variables`` are refused before anything is allocated: 2**24 assignments
    already take ~15 s and ~0.5 GB.
    """

    name = "exact"
    consumes = "cqm"
    description = "exhaustive enumeration (dimod ExactSolver / ExactCQMSolver), <= 24 variables"
    max_variables = 24
    defaults: dict[str, Any] = {"num_best": 10}

    def solve(self, model: dimod.ConstrainedQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        params = merge_options(self.name, self.defaults, options)
        if not model.constraints and all(
                model.vartype(v) is dimod.BINARY for v in model.variables):
            bqm = dimod.BinaryQuadraticModel(model.objective.linear,
                                             model.objective.quadratic,
                                             model.objective.offset, "BINARY")
            for v in model.variables:
                bqm.add_variable(v)
            sampleset = dimod.ExactSolver().sample(bqm)
        else:
            sampleset = dimod.ExactCQMSolver().sample_cqm(model)
            feasible = sampleset.filter(lambda d: d.is_feasible)
            sampleset = feasible if len(feasible) else sampleset
        status = "optimal" if len(sampleset) else "infeasible"
        return RawAnswer(sampleset=sampleset.truncate(params["num_best"]),
                         params=params, info={"status": status})
