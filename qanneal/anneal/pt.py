"""Parallel tempering (replica exchange) on the same sweeps as SA.

One *run* holds ``R`` replicas at a fixed geometric ladder of betas. Each PT sweep is
one Metropolis sweep per replica at its temperature, then swap attempts between
neighbouring temperatures (even pairs on even sweeps, odd pairs on odd ones),
accepted with probability ``min(1, exp((beta_t - beta_{t+1}) (E_t - E_{t+1})))``.
Swaps exchange which replica sits at which temperature (a permutation), never the
spin arrays. The best state any replica reached (checked after every sweep) is the
run's answer. Independent runs go to different cores (``prange``), each with its own
generator, so results do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from qanneal.anneal.kernels import (
    draw53,
    energy_from_fields,
    fields_csr,
    int_fields,
    random_spins,
    seed_state,
    sweep_csr,
    sweep_csr_int,
)

_INV53 = 1.0 / 9007199254740992.0


def beta_ladder(beta_range: tuple[float, float], num_replicas: int) -> np.ndarray:
    """Geometric ladder from the hot to the cold end.

    >>> beta_ladder((0.1, 10.0), 3).tolist()
    [0.1, 1.0, 10.0]
    """
    if num_replicas == 1:
        return np.array([float(beta_range[1])])
    return np.geomspace(float(beta_range[0]), float(beta_range[1]), num_replicas)


@njit(cache=True, inline="always")
def _swap_round(perm, energies, ladder, parity, rng):
    swaps = 0
    for t in range(parity, ladder.shape[0] - 1, 2):
        a = perm[t]
        b = perm[t + 1]
        x = (ladder[t] - ladder[t + 1]) * (energies[a] - energies[b])
        ok = x >= 0.0
        if not ok:
            rng, r = draw53(rng)
            ok = r * _INV53 < np.exp(x)
        if ok:
            perm[t] = b
            perm[t + 1] = a
            swaps += 1
    return rng, swaps


@njit(cache=True, parallel=True)
def pt_csr(h, indptr, indices, data, ladder, num_sweeps, seeds, out_spins, out_energy,
           out_swaps) -> None:
    """``len(seeds)`` independent PT runs, real-valued CSR; best state of each run out."""
    n = h.shape[0]
    nrep = ladder.shape[0]
    for run in prange(seeds.shape[0]):
        rng = seed_state(seeds[run])
        spins = np.empty((nrep, n), dtype=np.int8)
        fields = np.empty((nrep, n), dtype=np.float64)
        energies = np.empty(nrep, dtype=np.float64)
        perm = np.arange(nrep)
        for k in range(nrep):
            rng = random_spins(spins[k], rng)
            fields_csr(spins[k], fields[k], h, indptr, indices, data)
            energies[k] = energy_from_fields(spins[k], fields[k], h)
        best = np.inf
        swaps = 0
        for sweep in range(num_sweeps):
            for t in range(nrep):
                k = perm[t]
                rng, de = sweep_csr(spins[k], fields[k], indptr, indices, data, ladder[t], rng)
                energies[k] += de
            rng, sw = _swap_round(perm, energies, ladder, sweep & 1, rng)
            swaps += sw
            for k in range(nrep):
                if energies[k] < best - 1e-9:
                    best = energies[k]
                    out_spins[run, :] = spins[k]
        out_energy[run] = best
        out_swaps[run] = swaps


@njit(cache=True, parallel=True)
def pt_csr_int(h, indptr, indices, data, ladder, table, num_sweeps, seeds, out_spins,
               out_energy, out_swaps) -> None:
    """As :func:`pt_csr` for integer h, J; ``table`` is (replicas, K) thresholds."""
    n = h.shape[0]
    nrep = ladder.shape[0]
    jint = data.astype(np.int32)
    for run in prange(seeds.shape[0]):
        rng = seed_state(seeds[run])
        spins = np.empty((nrep, n), dtype=np.int8)
        fields = np.empty((nrep, n), dtype=np.int32)
        energies = np.empty(nrep, dtype=np.float64)
        perm = np.arange(nrep)
        for k in range(nrep):
            rng = random_spins(spins[k], rng)
            fields[k] = int_fields(spins[k], h, indptr, indices, data)
            energies[k] = energy_from_fields(spins[k], fields[k], h)
        best = np.inf
        swaps = 0
        for sweep in range(num_sweeps):
            for t in range(nrep):
                k = perm[t]
                rng, de = sweep_csr_int(spins[k], fields[k], indptr, indices, jint, table[t],
                                        rng)
                energies[k] += de
            rng, sw = _swap_round(perm, energies, ladder, sweep & 1, rng)
            swaps += sw
            for k in range(nrep):
                if energies[k] < best:
                    best = energies[k]
                    out_spins[run, :] = spins[k]
        out_energy[run] = best
        out_swaps[run] = swaps
