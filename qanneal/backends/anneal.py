"""``anneal``: qanneal's own numba annealing engine (SA, parallel tempering, multi-spin coding).

A thin wrapper over :func:`qanneal.anneal.anneal`; everything about kernels, the
automatic temperature range and reproducibility is documented in
:mod:`qanneal.anneal`.
"""

from __future__ import annotations

from typing import Any

import dimod

from qanneal.anneal.engine import DEFAULTS
from qanneal.backends.base import Backend, RawAnswer


class AnnealBackend(Backend):
    """qanneal's annealer on the penalised BQM.

    Options: ``num_reads`` (16; PT: 4 independent runs; MSC anneals whole vectors of
    512 replicas and returns the ``num_reads`` best), ``num_sweeps`` (1000), ``beta_range``
    (automatic), ``beta_schedule_type`` (``geometric`` | ``linear``), ``method``
    (``sa`` | ``pt``), ``num_replicas`` (PT, ~0.75 sqrt(n) in 8..64), ``threads`` (all), ``layout``
    (``auto`` | ``csr`` | ``dense``), ``msc`` (``auto`` | ``True`` | ``False``),
    ``onehot`` (``auto`` | ``off``): with ``auto`` (SA) the exactly-one groups and
    permutation blocks of the CQM (:mod:`qanneal.onehot`) leave the penalty model and
    every read moves only inside them (:mod:`qanneal.anneal.onehot_kernel`); ``off``
    anneals the fully penalised QUBO; ``chain`` (0: off) and ``chain_share`` (0.25) add
    ejection chains to those moves (:func:`qanneal.anneal.onehot_kernel._chain`).
    With ``time_limit`` it runs batches of reads until the budget is used (at least
    one) and returns the ``num_reads`` best samples seen; the first SA batches anneal
    1/8, 1/4 and 1/2 of ``num_sweeps`` so a first answer comes early (``ramp``, True).

    >>> bqm = dimod.BQM({0: -1.0}, {(0, 1): 2.0}, 0.0, "BINARY")
    >>> answer = AnnealBackend().solve(bqm, seed=3, num_sweeps=10)
    >>> float(answer.sampleset.first.energy), answer.params["method"]
    (-1.0, 'sa')
    """

    name = "anneal"
    consumes = "bqm"
    description = "qanneal's numba annealer: SA / parallel tempering / multi-spin coding"
    defaults = DEFAULTS  # declared, so a problem file's options are checked at load
    onehot_moves = True

    _prepared: Any = None

    @classmethod
    def uses_onehot(cls, options: dict[str, Any]) -> bool:
        """One-hot moves unless ``onehot=off``, ``method=pt`` or ``msc=True`` (the moves are
        SA's); bad option values are left to the engine's checks."""
        from qanneal.anneal.engine import uses_onehot

        params = {**DEFAULTS, **options}
        if isinstance(params["msc"], str) and params["msc"].lower() == "true":
            params["msc"] = True
        return uses_onehot(True, params)

    def prepare(self, model: dimod.BinaryQuadraticModel, onehot_groups: Any = None,
                **options: Any) -> float:
        """Convert ``model`` and compile or load its kernel, before the clock starts."""
        from qanneal.anneal.engine import prepare

        self._prepared = prepare(model, onehot_groups, **options)
        return self._prepared.compile_s

    @classmethod
    def warm_up(cls, progress: Any = None) -> dict[str, float]:
        """Compile every kernel of the engine (see :mod:`qanneal.anneal.warmup`)."""
        from qanneal.anneal.warmup import warm_up

        return warm_up(progress=progress)

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, onehot_groups: Any = None,
              **options: Any) -> RawAnswer:
        from qanneal.anneal import anneal

        prepared, self._prepared = self._prepared, None
        result = anneal(model, seed=seed, time_limit=time_limit, should_stop=self.should_stop,
                        prepared=prepared, onehot_groups=onehot_groups, **options,
                        on_improvement=self.improved if self.on_improvement else None)
        variables = list(result.sampleset.variables)
        trace = [(t, dict(zip(variables, row.tolist()))) for t, row in result.trace]
        return RawAnswer(sampleset=result.sampleset, info=result.info, params=result.params,
                         trace=trace)
