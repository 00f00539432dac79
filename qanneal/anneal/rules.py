"""dwave-samplers' other update rules: random visiting order and Gibbs (heat-bath) moves.

``dwave.samplers.SimulatedAnnealingSampler`` offers ``randomize_order=True`` (each of
the ``n`` updates of a sweep picks a variable uniformly at random, with replacement)
and ``proposal_acceptance_criteria="Gibbs"`` (a flip costing ``dE`` is taken with
probability ``1 / (1 + exp(beta * dE))`` whatever its sign, instead of Metropolis'
``min(1, exp(-beta * dE))``). :class:`qanneal.AnnealSampler` takes both through this
module.

Why a separate kernel rather than flags in :mod:`.kernels`: the fast kernels are built
around in-order Metropolis -- integer threshold tables index ``exp(-beta * dE)`` for
uphill steps only, a downhill step is taken without a draw, the dense sweep walks rows
in order, and multi-spin coding flips 64 replicas in lockstep -- and a branch on the
rule inside their inner loop would cost every ordinary run. Here one plain CSR kernel
with the two rules as run-time flags (one compilation, ~1.3 CPU s cold) serves all three
non-default combinations; it is slower per attempt (an ``exp`` per Gibbs attempt, a
random index per random-order attempt) and is used only when those options are asked.

Reads keep the engine's per-read SplitMix64 generators (:mod:`.kernels`), seeded the
same way, so a seed gives the same samples whatever the thread count.
"""

from __future__ import annotations

import time
from typing import Any

import dimod
import numpy as np
from numba import njit, prange

from qanneal.anneal.kernels import (
    _INV53,
    MAX_EXPONENT,
    draw53,
    draw64,
    energy_from_fields,
    fields_csr,
    seed_state,
    start_spins,
)
from qanneal.errors import InputError

#: The kernel's name in ``info["kernel"]`` and in :mod:`.warmup`.
KERNEL = "sa-csr-rules"
#: dwave-samplers' names for the acceptance rules.
CRITERIA = ("Metropolis", "Gibbs")


@njit(cache=True)
def _sweep(s, f, indptr, indices, data, beta, randomize, gibbs, rng):
    """``n`` single-flip updates at ``beta``; returns the generator state."""
    n = s.shape[0]
    nn = np.uint64(n)
    for k in range(n):
        if randomize:
            rng, w = draw64(rng)
            i = np.int64(w % nn)  # modulo bias < n / 2**64: negligible
        else:
            i = k
        si = s[i]
        de = -2.0 * si * f[i]
        x = beta * de
        if gibbs:
            if x != x:  # beta = inf and dE = 0: the limit of 1/(1+exp(beta dE)) is 1/2
                x = 0.0
            if x >= MAX_EXPONENT:  # p < 2**-53: never beats 53 random bits
                continue
            if x > -MAX_EXPONENT:  # else p > 1 - 2**-53: always taken
                rng, r = draw53(rng)
                if r * _INV53 * (1.0 + np.exp(x)) >= 1.0:
                    continue
        elif de > 0.0:  # Metropolis: downhill and level steps are always taken
            if x >= MAX_EXPONENT:
                continue
            rng, r = draw53(rng)
            if r * _INV53 >= np.exp(-x):
                continue
        s[i] = -si
        d2 = 2.0 * si
        for p in range(indptr[i], indptr[i + 1]):
            f[indices[p]] -= d2 * data[p]
    return rng


@njit(cache=True, parallel=True)
def anneal_rules(h, indptr, indices, data, betas, randomize, gibbs, seeds, init,
                 out_spins, out_energy) -> None:
    """Independent SA reads (one per seed) over ``betas`` (stored units), CSR.

    As :func:`qanneal.anneal.kernels.anneal_csr` (``init`` rows or random starts, same
    seeding), with the visiting order and acceptance rule chosen by the flags.
    """
    n = h.shape[0]
    for r in prange(seeds.shape[0]):
        rng = seed_state(seeds[r])
        s = out_spins[r]
        f = np.empty(n, dtype=np.float64)
        rng = start_spins(s, init, r, rng)
        fields_csr(s, f, h, indptr, indices, data)
        for t in range(betas.shape[0]):
            rng = _sweep(s, f, indptr, indices, data, betas[t], randomize, gibbs, rng)
        out_energy[r] = energy_from_fields(s, f, h)


class RulesRunner:
    """The engine's SA runner with :func:`anneal_rules` as its kernel.

    Everything but the kernel call (schedules, attempt counts, reads per batch) is the
    engine runner's own, so batches, time limits, seeds and interrupts behave as with
    the fast kernels.
    """

    kernel = KERNEL
    layout = "csr"
    tsize = 0

    def __init__(self, base: Any, randomize: bool, gibbs: bool):
        if base.method != "sa" or base.use_msc:
            raise InputError("randomize_order and Gibbs updates are for SA without "
                             "multi-spin coding (method: sa, msc: auto or false)",
                             field="proposal_acceptance_criteria")
        self._base = base
        self.randomize = bool(randomize)
        self.gibbs = bool(gibbs)

    def __getattr__(self, name: str) -> Any:  # only for what is not set here
        if name == "_base":
            raise AttributeError(name)
        return getattr(self._base, name)

    def run(self, seeds: np.ndarray, sweeps: int, init: np.ndarray | None = None
            ) -> tuple[np.ndarray, None, dict[str, Any]]:
        a = self._base.arrays
        n = a.num_variables
        betas, _ = self._base.schedule(sweeps)
        if init is None:
            init = np.empty((0, n), dtype=np.int8)
        spins = np.empty((len(seeds), n), dtype=np.int8)
        energy = np.empty(len(seeds), dtype=np.float64)
        anneal_rules(a.h, a.indptr, a.indices, a.data, np.ascontiguousarray(betas),
                     self.randomize, self.gibbs, seeds, init, spins, energy)
        return spins, None, {}


def check_rules(randomize_order: Any, proposal_acceptance_criteria: Any) -> tuple[bool, bool]:
    """``(randomize, gibbs)`` from dwave's two options, or a ``ValueError``/``TypeError``.

    >>> check_rules(False, "Gibbs")
    (False, True)
    """
    if not isinstance(randomize_order, (bool, np.bool_)):
        raise TypeError(f"'randomize_order' should be True or False, got {randomize_order!r}")
    if proposal_acceptance_criteria not in CRITERIA:
        raise ValueError("'proposal_acceptance_criteria' should be 'Metropolis' or 'Gibbs', "
                         f"got {proposal_acceptance_criteria!r}")
    return bool(randomize_order), proposal_acceptance_criteria == "Gibbs"


def prepare_rules(bqm: dimod.BinaryQuadraticModel, randomize: bool, gibbs: bool,
                  onehot_groups: Any = None, initial_states: bool = False,
                  **options: Any) -> Any:
    """:func:`qanneal.anneal.engine.prepare` with :class:`RulesRunner` as the runner,
    its kernel compiled or loaded (the time is added to ``compile_s``).

    The engine's prepare picks and loads its fast kernel first (a cached load, or part
    of ``qanneal warmup``); the rules kernel then replaces it. Multi-spin coding is
    left out (``msc='auto'`` becomes ``False``); one-hot moves and parallel tempering
    are refused.
    """
    from qanneal.anneal.engine import prepare
    from qanneal.anneal.warmup import announce_compile  # imports this module

    if options.get("msc", "auto") is True or str(options.get("msc")).lower() == "true":
        raise InputError("randomize_order and Gibbs updates do not run under multi-spin "
                         "coding; leave msc at auto", field="msc")
    if options.get("method", "sa") != "sa":
        raise InputError("randomize_order and Gibbs updates are for SA (method: sa)",
                         field="method")
    if onehot_groups and options.get("onehot", "auto") not in ("off", False):
        raise InputError("randomize_order and Gibbs updates do not take one-hot moves; "
                         "pass onehot: off", field="onehot")
    options = {**options, "msc": False}
    prepared = prepare(bqm, onehot_groups, initial_states, **options)
    if prepared.runner is None:  # empty model: nothing to anneal
        return prepared
    runner = RulesRunner(prepared.runner, randomize, gibbs)
    announce_compile(KERNEL)
    t0 = time.perf_counter()
    runner.run(np.zeros(1, dtype=np.uint64), 1)  # compile or load: one discarded sweep
    prepared.compile_s += time.perf_counter() - t0
    prepared.runner = runner
    return prepared
