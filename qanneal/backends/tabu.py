"""``tabu``: tabu search from dwave-samplers (multistart, per-read timeout)."""

from __future__ import annotations

import time
from typing import Any

import dimod

from qanneal.backends.base import AnytimeTrace, Backend, RawAnswer, merge_options, seed_stream

#: A call's set-up (the sampler copies the BQM into a dense matrix) below this share of
#: a read's timeout is cheap enough to pay once per read.
CHEAP_SETUP = 0.1


class TabuBackend(Backend):
    """dwave-samplers' ``TabuSampler`` on the penalised BQM.

    ``time_limit`` is split evenly over the reads (``timeout`` per read, in ms).
    Tabu builds a dense n x n matrix, so memory grows as n squared.

    Anytime: the first read is a call of its own, which measures what a call's set-up
    costs; when that is under a tenth of a read's timeout every read is its own call
    (own seed derived from ``seed``), else the remaining reads go in one call. The best
    sample of each call that improves goes to ``RawAnswer.trace``, and a stop request
    (:meth:`Backend.should_stop`) or a spent ``time_limit`` is honoured between calls.
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
        kwargs = {k: v for k, v in params.items() if v is not None and k != "num_reads"}
        read_s = params["timeout"] / 1000
        sampler = TabuSampler()
        start = time.perf_counter()
        trace = AnytimeTrace(self, start)
        seeds = seed_stream(seed)
        batches: list[dimod.SampleSet] = []
        left, batch = params["num_reads"], 1
        while left > 0:
            t0 = time.perf_counter()
            batches.append(sampler.sample(model, num_reads=batch, seed=next(seeds), **kwargs))
            trace.add_sampleset(batches[-1])
            left -= batch
            now = time.perf_counter()
            if self.should_stop() or (time_limit is not None and now - start >= time_limit):
                break
            setup = max(0.0, (now - t0) - batch * read_s)
            batch = 1 if setup <= CHEAP_SETUP * read_s else left
            if time_limit is not None:  # no call that the budget cannot pay for
                batch = min(batch, int((time_limit - (now - start) - setup) / read_s))
                if batch < 1:
                    break
        sampleset = dimod.concatenate(batches) if len(batches) > 1 else batches[0]
        return RawAnswer(sampleset=sampleset, params=params, trace=trace.entries,
                         info={"calls": len(batches), "num_reads_total": len(sampleset)})
