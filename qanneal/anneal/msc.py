"""Multi-spin coding: 64 SA replicas per uint64 word, bitwise Metropolis.

Applies when ``h = 0`` and every coupling is ``+c`` or ``-c`` (unweighted max-cut, +-J
spin glasses); :meth:`IsingArrays.msc_applicable` decides. Bit ``r`` of ``x[i]`` is
replica ``r``'s spin ``i`` (1 means ``s = -1``). For variable ``i`` of degree ``d`` let
``U`` be the number of *unsatisfied* incident edges (``J_ij s_i s_j = +c``); flipping
``i`` changes the energy by ``2c (d - 2U)``.

Per attempt, ``U`` is counted for all 64 replicas at once with a bit-sliced counter
(bit ``b`` of the count in word ``c_b``, bits ``0..nb`` with ``2**nb`` > every degree);
edge ``(i, j)`` is unsatisfied in the replicas where ``x_i ^ x_j ^ m_ij`` is set
(``m_ij`` all ones for ``J_ij > 0``; when every mask is equal, as in max-cut, it is
folded into ``x_i`` once per spin). Metropolis accepts when
``u < exp(-2 beta c (d - 2U))``, i.e. when ``U >= t = floor((d - X) / 2) + 1`` with
``X = -ln(u) / (2 beta c)``: one integer threshold. The counter starts at
``2**nb - ceil(d/2)`` instead of 0, so its bit ``nb`` already is the usual test
``U >= ceil(d/2)`` (no uphill step), and any other threshold costs one constant
carry chain (``U + ceil(d/2) - t``) instead of a full comparison.

The replicas of a word do not each get their own uniform: that would cost 64 draws
per attempt. Multi-spin codes usually share one (Isakov et al., Comput. Phys. Commun.
192 (2015) 265), but then replicas that become equal stay equal for ever -- on a
60-spin graph 128 replicas collapsed to 32 distinct states. Here each attempt draws
two uniforms and a random 64-bit mask deals them to the replicas, so clones split
again; the replicas are still *correlated* restarts, which is fine for optimisation,
and a sweep costs ~``7 d`` word operations per 64 attempts. Several words (``GROUP``)
are swept spin by spin together so the CPU overlaps them; each keeps its own
generator, so results do not depend on the grouping or the thread count.

Tried and dropped: a coin per replica from 64-bit Bernoulli masks (binary digits of
``p`` compared with random words, Binomial count + positions for small ``p``). It
kept the quality but ran 1.7x slower: its data-dependent branches mispredict, while
random words are not the bottleneck (drawing them from a pre-filled buffer changed
nothing). The counting is: ~1.6 ns per edge per word here on Gset G1.

Energies are never taken from this kernel: the caller recomputes every returned
sample's energy with dimod.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from qanneal.anneal.kernels import draw53, draw64, seed_state

#: Largest degree the 8-bit counter (bits 0..7) handles; :func:`msc_supported` checks it.
MAX_DEGREE = 127
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ZERO = np.uint64(0)
_INV53 = 1.0 / 9007199254740992.0
#: Words (of 64 replicas) swept together, spin by spin; each keeps its own generator.
GROUP = 4


def msc_supported(degrees: np.ndarray) -> bool:
    """Whether the counter is wide enough for every variable's degree."""
    return degrees.size > 0 and int(degrees.max()) <= MAX_DEGREE


def edge_masks(data: np.ndarray) -> np.ndarray:
    """``m_ij``: all ones where ``J_ij > 0`` (antiferromagnetic: unsatisfied when equal)."""
    return np.where(data > 0, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0)).astype(np.uint64)


@njit(cache=True, inline="always")
def _pick(c0, c1, c2, c3, c4, c5, c6, c7, b):
    """Counter word ``b`` (``b`` is fixed for a run, so the branches always predict)."""
    if b == 2:
        return c2
    if b == 3:
        return c3
    if b == 4:
        return c4
    if b == 5:
        return c5
    if b == 6:
        return c6
    if b == 7:
        return c7
    return c1


@njit(cache=True, inline="always")
def _count(x, w, indices, masks, start, stop, xi, base, nb, use_masks):
    """Bit-sliced ``base + U`` (8 words, bits 0..``nb`` used), word ``w`` of ``x`` (n, W).

    ``use_masks`` is a literal at every call site: False when every edge mask equals
    ``masks[start]`` (max-cut), which drops one load and one XOR per edge.
    """
    c0 = _ZERO - np.uint64(base & 1)
    c1 = _ZERO - np.uint64((base >> 1) & 1)
    c2 = _ZERO - np.uint64((base >> 2) & 1)
    c3 = _ZERO - np.uint64((base >> 3) & 1)
    c4 = _ZERO - np.uint64((base >> 4) & 1)
    c5 = _ZERO - np.uint64((base >> 5) & 1)
    c6 = _ZERO - np.uint64((base >> 6) & 1)
    c7 = _ZERO - np.uint64((base >> 7) & 1)
    xm = xi ^ masks[0]
    p = start
    # Four edges at a time through two levels of carry-save (full) adders: ~6 word
    # operations per edge instead of a ripple through every counter bit.
    while p + 4 <= stop:
        if use_masks:
            e1 = xi ^ x[indices[p], w] ^ masks[p]
            e2 = xi ^ x[indices[p + 1], w] ^ masks[p + 1]
            e3 = xi ^ x[indices[p + 2], w] ^ masks[p + 2]
            e4 = xi ^ x[indices[p + 3], w] ^ masks[p + 3]
        else:
            e1 = xm ^ x[indices[p], w]
            e2 = xm ^ x[indices[p + 1], w]
            e3 = xm ^ x[indices[p + 2], w]
            e4 = xm ^ x[indices[p + 3], w]
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
        if nb >= 3:
            t2 = c3 & t
            c3 ^= t
            t = c4 & t2
            c4 ^= t2
            if nb >= 5:
                t2 = c5 & t
                c5 ^= t
                t = c6 & t2
                c6 ^= t2
                c7 ^= t
            else:
                c5 ^= t
        else:
            c3 ^= t
        p += 4
    while p < stop:  # the last 0-3 edges: plain ripple
        if use_masks:
            e = xi ^ x[indices[p], w] ^ masks[p]
        else:
            e = xm ^ x[indices[p], w]
        t = c0 & e
        c0 ^= e
        e = c1 & t
        c1 ^= t
        t = c2 & e
        c2 ^= e
        if nb >= 3:
            e = c3 & t
            c3 ^= t
            t = c4 & e
            c4 ^= e
            if nb >= 5:
                e = c5 & t
                c5 ^= t
                t = c6 & e
                c6 ^= e
                c7 ^= t
            else:
                c5 ^= t
        else:
            c3 ^= t
        p += 1
    return c0, c1, c2, c3, c4, c5, c6, c7


@njit(cache=True, inline="always")
def _top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, add):
    """Bit ``nb`` of (counter + the constant ``add``), i.e. where ``U + add >= ceil(d/2)``."""
    carry = _ZERO
    for b in range(nb):
        if b == 0:
            cb = c0
        elif b == 1:
            cb = c1
        elif b == 2:
            cb = c2
        elif b == 3:
            cb = c3
        elif b == 4:
            cb = c4
        elif b == 5:
            cb = c5
        else:
            cb = c6
        dm = _ZERO - np.uint64((add >> b) & 1)  # branch-free: add's bits are random
        carry = (cb & carry) | ((cb | carry) & dm)
    return _pick(c0, c1, c2, c3, c4, c5, c6, c7, nb) ^ carry


@njit(cache=True, inline="always")
def _threshold(d, r, inv2b):
    """Smallest unsatisfied count accepted for uniform ``(r + 1/2) / 2**53`` (>= 0)."""
    t = np.floor((d + np.log((r + 0.5) * _INV53) * inv2b) * 0.5) + 1.0
    return np.int64(max(t, 0.0))


@njit(cache=True, inline="always")
def _sweep(xg, indptr, indices, masks, beta, rngs, nb, use_masks):
    """One in-order sweep of the ``W`` words in ``xg`` ((n, W): word ``w`` is column w).

    Every word has its own generator ``rngs[w]`` and does exactly what it would do on
    its own; handling a few words per spin only lets the CPU overlap them (the edge
    loop's trip count then repeats, and a spin's W words share one cache line).
    """
    inv2b = 0.5 / beta
    p_odd = np.int64(np.exp(-2.0 * beta) * 9007199254740992.0)  # uphill step 2c (d odd)
    p_even = np.int64(np.exp(-4.0 * beta) * 9007199254740992.0)  # 4c (d even)
    top = np.int64(1) << nb
    for i in range(xg.shape[0]):
        start = indptr[i]
        stop = indptr[i + 1]
        d = stop - start
        half = (d + 1) >> 1  # U >= ceil(d/2): the flip does not raise the energy
        p_min = p_odd if d & 1 else p_even
        for w in range(xg.shape[1]):
            rng = rngs[w]
            # Two uniforms per attempt, dealt to the replicas by a random mask: replicas
            # that happen to be identical then split again instead of staying clones.
            rng, ra = draw53(rng)
            rng, rb = draw53(rng)
            # Below the smallest uphill step's acceptance the threshold is just
            # ceil(d/2): at low temperature that is nearly every attempt, and no log.
            ta = half if ra >= p_min else _threshold(d, ra, inv2b)
            tb = half if rb >= p_min else _threshold(d, rb, inv2b)
            xi = xg[i, w]
            if ta == 0 and tb == 0:  # even the worst flip is accepted everywhere
                xg[i, w] = ~xi
                rngs[w] = rng
                continue
            # The counter starts at 2**nb - ceil(d/2): its bit nb is "U >= ceil(d/2)".
            c0, c1, c2, c3, c4, c5, c6, c7 = _count(xg, w, indices, masks, start, stop,
                                                    xi, top - half, nb, use_masks)
            if ta == tb:
                if ta == half:
                    xg[i, w] = xi ^ _pick(c0, c1, c2, c3, c4, c5, c6, c7, nb)
                else:
                    xg[i, w] = xi ^ _top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, half - ta)
            else:
                rng, deal = draw64(rng)
                xg[i, w] = xi ^ (
                    (_top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, half - ta) & deal)
                    | (_top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, half - tb) & ~deal))
            rngs[w] = rng


@njit(cache=True)
def counter_bits(indptr) -> int:
    """``nb``: the counter uses bits 0..nb with ``2**nb`` > every degree (nb <= 7)."""
    nb = 1
    for i in range(indptr.shape[0] - 1):
        while (1 << nb) <= indptr[i + 1] - indptr[i]:
            nb += 1
    return nb


@njit(cache=True)
def uniform_masks(masks) -> bool:
    """Whether every edge has the same mask (max-cut: all couplings +c)."""
    for p in range(masks.shape[0]):
        if masks[p] != masks[0]:
            return False
    return True


@njit(cache=True)
def msc_sweep(x, indptr, indices, masks, beta, rng):
    """One in-order sweep over all variables for the 64 replicas in ``x`` (uint64 per spin)."""
    nb = counter_bits(indptr)
    xg = x.reshape((x.shape[0], 1))
    rngs = np.full(1, rng, dtype=np.uint64)
    if masks.shape[0] > 0 and uniform_masks(masks):
        _sweep(xg, indptr, indices, masks, beta, rngs, nb, False)
    else:
        _sweep(xg, indptr, indices, masks, beta, rngs, nb, True)
    return rngs[0]


@njit(cache=True, parallel=True)
def msc_anneal(indptr, indices, masks, betas, seeds, out_words) -> None:
    """SA on ``len(seeds)`` words of 64 replicas each; final states to ``out_words``.

    ``betas`` are in units where every |J| is 1 (stored units of an MSC problem).
    Words are swept :data:`GROUP` at a time; a word's result depends only on its seed.
    """
    n = out_words.shape[1]
    k = seeds.shape[0]
    nb = counter_bits(indptr)
    uniform = masks.shape[0] > 0 and uniform_masks(masks)
    for g in prange((k + GROUP - 1) // GROUP):
        lo = g * GROUP
        hi = min(lo + GROUP, k)
        xg = np.empty((n, hi - lo), dtype=np.uint64)
        rngs = np.empty(hi - lo, dtype=np.uint64)
        for w in range(hi - lo):
            rng = seed_state(seeds[lo + w])
            for i in range(n):
                rng, xg[i, w] = draw64(rng)
            rngs[w] = rng
        if uniform:
            for t in range(betas.shape[0]):
                _sweep(xg, indptr, indices, masks, betas[t], rngs, nb, False)
        else:
            for t in range(betas.shape[0]):
                _sweep(xg, indptr, indices, masks, betas[t], rngs, nb, True)
        for w in range(hi - lo):
            for i in range(n):
                out_words[lo + w, i] = xg[i, w]


def unpack(words: np.ndarray) -> np.ndarray:
    """(W, n) uint64 words -> (64 W, n) int8 spins (bit 1 -> -1).

    >>> unpack(np.array([[1, 0]], dtype=np.uint64))[:2].tolist()
    [[-1, 1], [1, 1]]
    """
    w, n = words.shape
    bits = (words[:, None, :] >> np.arange(64, dtype=np.uint64)[None, :, None]) & np.uint64(1)
    return (1 - 2 * bits.astype(np.int8)).reshape(64 * w, n)
