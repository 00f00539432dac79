"""Multi-spin coding: 64 SA replicas per uint64 word, bitwise Metropolis.

Applies when ``h = 0`` and every coupling is ``+c`` or ``-c`` (unweighted max-cut, +-J
spin glasses); :meth:`IsingArrays.msc_applicable` decides. Bit ``r`` of ``x[i]`` is
replica ``r``'s spin ``i`` (1 means ``s = -1``). For variable ``i`` of degree ``d`` let
``U`` be the number of *unsatisfied* incident edges (``J_ij s_i s_j = +c``); flipping
``i`` changes the energy by ``2c (d - 2U)``.

Per attempt, ``U`` is counted for all 64 replicas at once with a bit-sliced ripple
counter (bit ``b`` of the count in word ``c_b``); edge ``(i, j)`` is unsatisfied in the
replicas where ``x_i ^ x_j ^ m_ij`` is set (``m_ij`` all ones for ``J_ij > 0``).
Metropolis accepts when ``u < exp(-2 beta c (d - 2U))``, i.e. when
``U >= floor((d - X) / 2) + 1`` with ``X = -ln(u) / (2 beta c)``: one integer
threshold, compared bitwise with the counter.

The replicas of a word do not each get their own uniform: that would cost 64 draws
per attempt. Multi-spin codes usually share one (Isakov et al., Comput. Phys. Commun.
192 (2015) 265), but then replicas that become equal stay equal for ever -- on a
60-spin graph 128 replicas collapsed to 32 distinct states. Here each attempt draws
two uniforms and a random 64-bit mask deals them to the replicas, so clones split
again; the replicas are still *correlated* restarts, which is fine for optimisation,
and a sweep costs ~``7 d`` word operations per 64 attempts. Energies are never taken from this kernel: the caller recomputes
every returned sample's energy with dimod.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from qanneal.anneal.kernels import draw53, draw64, seed_state

#: Largest degree the 7-bit counter handles; :func:`msc_supported` checks it.
MAX_DEGREE = 127
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ZERO = np.uint64(0)
_INV53 = 1.0 / 9007199254740992.0


def msc_supported(degrees: np.ndarray) -> bool:
    """Whether the counter is wide enough for every variable's degree."""
    return degrees.size > 0 and int(degrees.max()) <= MAX_DEGREE


def edge_masks(data: np.ndarray) -> np.ndarray:
    """``m_ij``: all ones where ``J_ij > 0`` (antiferromagnetic: unsatisfied when equal)."""
    return np.where(data > 0, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0)).astype(np.uint64)


@njit(cache=True, inline="always")
def _at_least(c0, c1, c2, c3, c4, c5, c6, thr):
    """Bit mask of the replicas whose 7-bit sliced count is >= the constant ``thr``."""
    ge = _ZERO
    eq = _ALL
    for b in range(6, -1, -1):
        if b == 6:
            cb = c6
        elif b == 5:
            cb = c5
        elif b == 4:
            cb = c4
        elif b == 3:
            cb = c3
        elif b == 2:
            cb = c2
        elif b == 1:
            cb = c1
        else:
            cb = c0
        # Branch-free (the threshold's bits are random): where the bit is 1 the count
        # must have it too; where it is 0 a count with it set is already greater.
        m = _ZERO - np.uint64((thr >> b) & 1)
        ge |= eq & cb & ~m
        eq &= ~(cb ^ m)
    return ge | eq


@njit(cache=True, inline="always")
def _threshold(d, r, inv2b):
    """Smallest unsatisfied count accepted for uniform ``(r + 1/2) / 2**53`` (>= 0)."""
    t = np.floor((d + np.log((r + 0.5) * _INV53) * inv2b) * 0.5) + 1.0
    return np.int64(max(t, 0.0))


@njit(cache=True)
def msc_sweep(x, indptr, indices, masks, beta, rng):
    """One in-order sweep over all variables for the 64 replicas in ``x`` (uint64 per spin)."""
    inv2b = 0.5 / beta
    p_odd = np.int64(np.exp(-2.0 * beta) * 9007199254740992.0)  # uphill step 2c (d odd)
    p_even = np.int64(np.exp(-4.0 * beta) * 9007199254740992.0)  # 4c (d even)
    for i in range(x.shape[0]):
        start = indptr[i]
        stop = indptr[i + 1]
        d = stop - start
        # Two uniforms per attempt, dealt to the replicas by a random mask: replicas
        # that happen to be identical then split again instead of staying clones.
        rng, ra = draw53(rng)
        rng, rb = draw53(rng)
        half = (d + 1) >> 1  # U >= ceil(d/2): the flip does not raise the energy
        p_min = p_odd if d & 1 else p_even
        # Below the smallest uphill step's acceptance the threshold is just ceil(d/2):
        # at low temperature that is nearly every attempt, and it needs no log.
        ta = half if ra >= p_min else _threshold(d, ra, inv2b)
        tb = half if rb >= p_min else _threshold(d, rb, inv2b)
        xi = x[i]
        if ta == 0 and tb == 0:  # even the worst flip is accepted everywhere
            x[i] = ~xi
            continue
        c0 = _ZERO
        c1 = _ZERO
        c2 = _ZERO
        c3 = _ZERO
        c4 = _ZERO
        c5 = _ZERO
        c6 = _ZERO
        p = start
        # Four edges at a time through two levels of carry-save (full) adders: ~6 word
        # operations per edge instead of ~11 for a plain ripple through seven bits.
        while p + 4 <= stop:
            e1 = xi ^ x[indices[p]] ^ masks[p]
            e2 = xi ^ x[indices[p + 1]] ^ masks[p + 1]
            e3 = xi ^ x[indices[p + 2]] ^ masks[p + 2]
            e4 = xi ^ x[indices[p + 3]] ^ masks[p + 3]
            u = c0 ^ e1
            k1 = (c0 & e1) | (u & e2)
            c0 = u ^ e2
            u = c0 ^ e3
            k2 = (c0 & e3) | (u & e4)
            c0 = u ^ e4
            u = c1 ^ k1
            k3 = (c1 & k1) | (u & k2)
            c1 = u ^ k2
            t = c2 & k3
            c2 ^= k3
            t2 = c3 & t
            c3 ^= t
            t = c4 & t2
            c4 ^= t2
            t2 = c5 & t
            c5 ^= t
            c6 ^= t2  # d <= 127: bit 6 never carries out
            p += 4
        while p < stop:  # the last 0-3 edges: plain ripple
            e = xi ^ x[indices[p]] ^ masks[p]
            t = c0 & e
            c0 ^= e
            e = t
            t = c1 & e
            c1 ^= e
            if d > 3:  # loop-invariant: degree-3 graphs never reach bit 2
                e = t
                t = c2 & e
                c2 ^= e
                e = t
                t = c3 & e
                c3 ^= e
                e = t
                t = c4 & e
                c4 ^= e
                e = t
                t = c5 & e
                c5 ^= e
                c6 ^= t
            p += 1
        if ta == tb:
            x[i] = xi ^ _at_least(c0, c1, c2, c3, c4, c5, c6, ta)
        else:
            rng, deal = draw64(rng)
            x[i] = xi ^ ((_at_least(c0, c1, c2, c3, c4, c5, c6, ta) & deal)
                         | (_at_least(c0, c1, c2, c3, c4, c5, c6, tb) & ~deal))
    return rng


@njit(cache=True, parallel=True)
def msc_anneal(indptr, indices, masks, betas, seeds, out_words) -> None:
    """SA on ``len(seeds)`` words of 64 replicas each; final states to ``out_words``.

    ``betas`` are in units where every |J| is 1 (stored units of an MSC problem).
    """
    n = out_words.shape[1]
    for w in prange(seeds.shape[0]):
        rng = seed_state(seeds[w])
        x = out_words[w]
        for i in range(n):
            rng, x[i] = draw64(rng)
        for t in range(betas.shape[0]):
            rng = msc_sweep(x, indptr, indices, masks, betas[t], rng)


def unpack(words: np.ndarray) -> np.ndarray:
    """(W, n) uint64 words -> (64 W, n) int8 spins (bit 1 -> -1).

    >>> unpack(np.array([[1, 0]], dtype=np.uint64))[:2].tolist()
    [[-1, 1], [1, 1]]
    """
    w, n = words.shape
    bits = (words[:, None, :] >> np.arange(64, dtype=np.uint64)[None, :, None]) & np.uint64(1)
    return (1 - 2 * bits.astype(np.int8)).reshape(64 * w, n)
