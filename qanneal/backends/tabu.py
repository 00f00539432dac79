"""``tabu``: tabu search from dwave-samplers (multistart, per-read timeout)."""

from __future__ import annotations

from typing import Any

import dimod

from qanneal.backends.base import Backend, RawAnswer, merge_options


class TabuBackend(Backend):
    """dwave-samplers' ``TabuSampler`` on the penalised BQM.

    ``time_limit`` is split evenly over the reads (``timeout`` per read, in ms).
    Tabu builds a dense n x n matrix, so memory grows as n squared.
    """

    name = "tabu"
    consumes = "bqm"
    description = "tabu search (dwave-samplers)"
    defaults: dict[str, Any] = {"num_reads": 10, "timeout": 20, "tenure": None,
                                "num_restarts": None}
    dense_matrix = True  # refused up front when n x n doubles would not fit in memory

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        from dwave.samplers import TabuSampler

        params = merge_options(self.name, self.defaults, options)
        if time_limit is not None and "timeout" not in options:
            params["timeout"] = max(1, int(time_limit * 1000 / params["num_reads"]))
        kwargs = {k: v for k, v in params.items() if v is not None}
        if seed is not None:
            kwargs["seed"] = seed % 2**32
        sampleset = TabuSampler().sample(model, **kwargs)
        return RawAnswer(sampleset=sampleset, params=params)
