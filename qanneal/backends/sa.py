"""``sa``: simulated annealing from dwave-samplers, the default backend."""

from __future__ import annotations

import time
from typing import Any

import dimod

from qanneal.backends.base import Backend, RawAnswer, derive_seeds, merge_options


class SimulatedAnnealingBackend(Backend):
    """dwave-samplers' ``SimulatedAnnealingSampler`` on the penalised BQM.

    With ``time_limit`` it is anytime: batches of ``num_reads`` reads, each batch with a
    fresh seed derived from ``seed``, until the budget is spent (at least one batch).
    """

    name = "sa"
    consumes = "bqm"
    description = "simulated annealing (dwave-samplers)"
    defaults: dict[str, Any] = {
        "num_reads": 50,
        "num_sweeps": 1000,
        "beta_range": None,
        "beta_schedule_type": "geometric",
    }

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        from dwave.samplers import SimulatedAnnealingSampler

        params = merge_options(self.name, self.defaults, options)
        kwargs = {k: v for k, v in params.items() if v is not None}
        sampler = SimulatedAnnealingSampler()
        start = time.perf_counter()
        batches: list[dimod.SampleSet] = []
        seeds = iter(derive_seeds(seed, 10_000))
        while True:
            batches.append(sampler.sample(model, seed=next(seeds), **kwargs))
            elapsed = time.perf_counter() - start
            if (time_limit is None or elapsed >= time_limit or len(batches) >= 10_000
                    or self.should_stop()):
                break
            per_batch = elapsed / len(batches)
            if elapsed + per_batch > time_limit * 1.05:  # the next batch would overrun
                break
        sampleset = dimod.concatenate(batches) if len(batches) > 1 else batches[0]
        if params["beta_range"] is None:
            params["beta_range"] = list(batches[0].info.get("beta_range", []))
        return RawAnswer(sampleset=sampleset, params=params,
                         info={"batches": len(batches), "num_reads_total": len(sampleset)})
