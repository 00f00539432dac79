"""``sa``: simulated annealing from dwave-samplers, the default backend.

A registration of ``dwave.samplers.SimulatedAnnealingSampler`` through the generic
sampler wrapper (:mod:`qanneal.backends.sampler`), with qanneal's defaults and a memory
check before the first call.
"""

from __future__ import annotations

from typing import Any

import dimod

from qanneal.backends.sampler import SamplerBackend


class SimulatedAnnealingBackend(SamplerBackend):
    """dwave-samplers' ``SimulatedAnnealingSampler`` on the penalised BQM.

    With ``time_limit`` it is anytime: batches of up to ``num_reads`` reads, each batch
    with a fresh seed derived from ``seed``, until the budget is spent. The first batch
    is a single read that measures what a read costs; the sampler's
    ``interrupt_function`` ends a batch between reads at the deadline, and a single read
    cannot be cut short, so ``num_sweeps`` bounds the overrun. The best sample of each
    batch that improves on the best so far goes to ``RawAnswer.trace``.
    """

    name = "sa"
    description = "simulated annealing (dwave-samplers)"
    sampler_path = "dwave.samplers:SimulatedAnnealingSampler"
    defaults: dict[str, Any] = {
        "num_reads": 50,
        "num_sweeps": 1000,
        "beta_range": None,
        "beta_schedule_type": "geometric",
    }

    @classmethod
    def check_options(cls, params: dict[str, Any], model: dimod.BinaryQuadraticModel) -> None:
        _check_memory(params, model.num_variables)


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
