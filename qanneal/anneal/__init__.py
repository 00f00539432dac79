"""qanneal's own annealing engine: numba kernels for SA, parallel tempering, multi-spin coding.

Layout of the package:

* :mod:`.layout` -- BQM -> Ising arrays (CSR / dense, integer-scaled when possible);
* :mod:`.schedules` -- the automatic beta range (the rule is documented there),
  geometric / linear schedules, integer acceptance tables;
* :mod:`.kernels` -- the per-read RNG and the Metropolis sweeps, batched over reads;
* :mod:`.pt` -- parallel tempering on the same sweeps;
* :mod:`.msc` -- 64 replicas per machine word, 8 words per SIMD vector (:mod:`.simd`),
  for +-c couplings without fields;
* :mod:`.engine` -- :func:`anneal`, which picks a kernel and runs batches.

The ``anneal`` backend (:mod:`qanneal.backends.anneal`) is a thin wrapper over
:func:`anneal`.

>>> import dimod
>>> triangle = dimod.BQM({}, {(0, 1): 1.0, (1, 2): 1.0, (0, 2): 1.0}, 0.0, "SPIN")
>>> float(anneal(triangle, seed=0, num_sweeps=50).sampleset.first.energy)
-1.0
"""

from qanneal.anneal.engine import DEFAULTS, AnnealResult, anneal

__all__ = ["DEFAULTS", "AnnealResult", "anneal"]
