"""``sa``: simulated annealing from dwave-samplers, the default backend."""

from __future__ import annotations

import time
from typing import Any

import dimod

from qanneal.backends.base import (
    AnytimeTrace,
    Backend,
    RawAnswer,
    merge_options,
    seed_stream,
)


class SimulatedAnnealingBackend(Backend):
    """dwave-samplers' ``SimulatedAnnealingSampler`` on the penalised BQM.

    With ``time_limit`` it is anytime: batches of up to ``num_reads`` reads, each batch
    with a fresh seed derived from ``seed``, until the budget is spent. The first batch
    is a single read that measures what a read costs; a single read cannot be cut
    short, so ``num_sweeps`` bounds the overrun. The best sample of each batch that
    improves on the best so far goes to ``RawAnswer.trace``.
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
        _check_memory(params, model.num_variables)
        kwargs = {k: v for k, v in params.items() if v is not None}
        sampler = SimulatedAnnealingSampler()
        start = time.perf_counter()
        batches: list[dimod.SampleSet] = []
        trace = AnytimeTrace(self, start)
        seeds = seed_stream(seed)
        num_reads = params["num_reads"]
        # Under a budget, a one-read probe measures the cost of a read first, so no
        # batch overruns the budget by more than one read (a read cannot be cut short).
        batch = 1 if time_limit is not None else num_reads
        while True:
            batches.append(sampler.sample(model, seed=next(seeds),
                                          **{**kwargs, "num_reads": batch}))
            trace.add_sampleset(batches[-1])
            elapsed = time.perf_counter() - start
            if time_limit is None or elapsed >= time_limit or self.should_stop():
                break
            per_read = elapsed / sum(len(b) for b in batches)
            affordable = int((time_limit - elapsed) / per_read)
            if affordable < 1:
                break
            batch = min(num_reads, affordable)
        sampleset = dimod.concatenate(batches) if len(batches) > 1 else batches[0]
        if params["beta_range"] is None:
            params["beta_range"] = list(batches[0].info.get("beta_range", []))
        return RawAnswer(sampleset=sampleset, params=params,
                         info={"batches": len(batches), "num_reads_total": len(sampleset)},
                         trace=trace.entries)


def _check_memory(params: dict[str, Any], n: int) -> None:
    """Refuse what dwave-samplers would allocate past the memory limit, before it does:
    one float64 beta per sweep and the reads' int8 states (``num_sweeps=1e9`` took 9 GB
    before failing). Values it would reject anyway are left to its own message."""
    from qanneal import sizing

    sweeps, reads = params.get("num_sweeps"), params.get("num_reads")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
               for v in (sweeps, reads)):
        return
    sizing.check(f"sa with {reads} reads of {sweeps} sweeps", 8 * sweeps + 2 * reads * (n + 8),
                 "give fewer num_sweeps or num_reads",
                 counts=f"{sizing.amount(sweeps)} sweeps, {sizing.amount(reads)} reads")
