"""Multi-spin coding: 64 SA replicas per uint64 word, eight words per SIMD vector.

Applies when ``h = 0`` and every coupling is ``+c`` or ``-c`` (unweighted max-cut, +-J
spin glasses); :meth:`IsingArrays.msc_applicable` decides. Bit ``r`` of word ``w`` of
``x[i]`` is replica ``64 w + r``'s spin ``i`` (1 means ``s = -1``). For variable ``i``
of degree ``d`` let ``U`` be the number of *unsatisfied* incident edges
(``J_ij s_i s_j = +c``); flipping ``i`` changes the energy by ``2c (d - 2U)``.

Counting. Per attempt ``U`` is counted for all 512 replicas of a vector at once with
a bit-sliced counter (bit ``b`` of the count in vector ``c_b``): edge ``(i, j)`` is
unsatisfied where ``x_i ^ x_j ^ m_ij`` is set (``m_ij`` all ones for ``J_ij > 0``),
and four edges at a time go through two levels of carry-save adders. Every edge list
is padded to a multiple of four with *self-edges* (``j = i``, mask all ones: each adds
exactly 1 everywhere, which the counter's start value takes back), so there is no
remainder loop, and variables are swept in order of their number of blocks, so the
block loop's trip count almost never changes (both were measured branch-miss costs).

Acceptance. Metropolis accepts when ``u < exp(-2 beta c (d - 2U))``, i.e. when ``U`` is
at least an integer threshold ``t``; ``t = ceil(d/2)`` (no uphill step) unless ``u`` is
below the smallest uphill step's acceptance ``p1``. The counter starts at
``2**nb - ceil(d/2) - pad``, so its bit ``nb`` already is the test ``U >= ceil(d/2)``,
and another threshold costs one constant carry chain. The replicas of a word do not
each get their own uniform (64 draws per attempt); each attempt draws two uniforms per
word and a random mask deals them to the replicas, so replicas that became identical
split again (sharing one uniform, Isakov et al., CPC 192 (2015) 265, collapsed 128
replicas to 32 distinct states on a 60-spin graph). When ``p1`` is small (cold sweeps)
the uniforms are not drawn at all: the attempts at which ``u < p1`` are found by
geometric skips, so a cold attempt for all 512 replicas is a comparison with the next
such attempt. Otherwise all eight words draw at once (SplitMix64 on the vector, each
draw split into the two 32-bit uniforms) and count their thresholds in vector form.
Thresholds always come from a per-sweep table instead of a logarithm.

Energies. The sweeps keep no energy. After the last sweep the same counter, started at
0 and summed over all variables into a wide bit-sliced accumulator, gives every
replica's number of unsatisfied edges, hence its energy (:func:`msc_anneal` returns
them; the engine checks the best one against dimod's on every call).

Compilation. numba's IR-level inlining (``inline="always"``) copies a callee's whole
body into every call site before typing, and the sweep, its carry chains and the final
count used to be inlined that way at eleven sites: the cold compile took ~78 s. Now
only the small per-attempt helpers are inlined at IR level; ``_sweep``, ``_top_plus``
and ``_padded_sums`` are ordinary functions (LLVM still inlines what pays), called once
each with a run-time ``use_masks``: ~10 s of CPU cold, the same attempts/s (G(800,0.02)
max-cut and +-J, measured with process time side by side).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from qanneal.anneal.kernels import _SM_GAMMA, _SM_MUL1, _SM_MUL2, draw53, draw64, seed_state
from qanneal.anneal.simd import LANES, add, less, load_row, mul, neg, shl, shr, splat, store_row

#: Largest degree the 8-bit counter (bits 0..7) handles; :func:`msc_supported` checks it.
MAX_DEGREE = 127
#: Edges per carry-save block; edge lists are padded to a multiple of it.
BLOCK = 4
#: Below this acceptance of the smallest uphill step, uniforms are skipped geometrically
#: (measured: faster than drawing for all eight words only below about 1%).
SKIP_BELOW = 0.01
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ZERO = np.uint64(0)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV53 = 1.0 / 9007199254740992.0
_ONE53 = 9007199254740992.0


def msc_supported(degrees: np.ndarray) -> bool:
    """Whether the counter is wide enough for every variable's degree."""
    return degrees.size > 0 and int(degrees.max()) <= MAX_DEGREE


def edge_masks(data: np.ndarray) -> np.ndarray:
    """``m_ij``: all ones where ``J_ij > 0`` (antiferromagnetic: unsatisfied when equal)."""
    return np.where(data > 0, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0)).astype(np.uint64)


@njit(cache=True)
def uniform_masks(masks) -> bool:
    """Whether every edge has the same mask (max-cut: all couplings +c)."""
    for p in range(masks.shape[0]):
        if masks[p] != masks[0]:
            return False
    return True


def padded_layout(indptr, indices, masks):
    """Sweep order and padded CSR: see :func:`_padded_layout`.

    The stable sort is numpy's (outside numba): numba's mergesort alone cost ~2 s of
    the kernel's cold compile.
    """
    blocks = np.maximum((np.diff(indptr) + BLOCK - 1) // BLOCK, 1).astype(np.int64)
    return _padded_layout(indptr, indices, masks, blocks, np.argsort(blocks, kind="stable"))


@njit(cache=True)
def _padded_layout(indptr, indices, masks, blocks, order):
    """Sweep order and padded CSR: ``(order, pptr, pind, pmask, degrees, bases, nb)``.

    ``order[k]`` is the variable swept k-th (fewest blocks first, stable); the padded
    arrays use positions in that order. ``degrees`` are the true degrees, ``bases`` the
    counter start values, ``nb`` the counter's decision bit.
    """
    n = indptr.shape[0] - 1
    pos = np.empty(n, dtype=np.int64)
    for k in range(n):
        pos[order[k]] = k
    pptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        pptr[k + 1] = pptr[k] + BLOCK * blocks[order[k]]
    pind = np.empty(pptr[n], dtype=np.int64)
    pmask = np.full(pptr[n], _ALL, dtype=np.uint64)
    degrees = np.empty(n, dtype=np.int64)
    nb = 1
    for k in range(n):
        v = order[k]
        d = indptr[v + 1] - indptr[v]
        degrees[k] = d
        q = pptr[k]
        for p in range(indptr[v], indptr[v + 1]):
            pind[q] = pos[indices[p]]
            pmask[q] = masks[p]
            q += 1
        while q < pptr[k + 1]:
            pind[q] = k  # self-edge: x_i ^ x_i ^ ones counts 1 in every replica
            q += 1
        half = (d + 1) >> 1
        # 2**nb > d keeps counter + any threshold offset below 2**(nb + 1), and
        # 2**nb >= half + pad keeps the start value non-negative.
        while (1 << nb) <= d or (1 << nb) < half + (pptr[k + 1] - pptr[k] - d):
            nb += 1
    bases = np.empty(n, dtype=np.int64)
    for k in range(n):
        bases[k] = (1 << nb) - ((degrees[k] + 1) >> 1) - (pptr[k + 1] - pptr[k] - degrees[k])
    return order, pptr, pind, pmask, degrees, bases, nb


@njit(cache=True, inline="always")
def _pick(c0, c1, c2, c3, c4, c5, c6, c7, b):
    """Counter vector ``b`` (``c7`` for any ``b >= 7``).

    ``b`` is fixed for a run or is a loop index, so the branches predict. (Returning a
    zero vector past bit 7 instead measured 25% slower multi-spin coding: callers that
    loop past bit 7 test that themselves.)
    """
    if b == 0:
        return c0
    if b == 1:
        return c1
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
    return c7


@njit(cache=True, inline="always")
def _count(xg, indices, masks, start, nblk, xi, base, nb, use_masks):
    """Bit-sliced ``base + U + pad`` for the 512 replicas of ``xi`` (bits 0..nb used).

    ``use_masks`` is False when every edge mask equals ``masks[start]`` (max-cut),
    which drops one load and one XOR per edge. It is a run-time flag, fixed for a run:
    the branch is loop-invariant and LLVM hoists it (measured equal to compiling the two
    paths apart, which doubled the cold compile).
    """
    c0 = splat(_ZERO - np.uint64(base & 1))
    c1 = splat(_ZERO - np.uint64((base >> 1) & 1))
    c2 = splat(_ZERO - np.uint64((base >> 2) & 1))
    c3 = splat(_ZERO - np.uint64((base >> 3) & 1))
    c4 = splat(_ZERO - np.uint64((base >> 4) & 1))
    c5 = splat(_ZERO - np.uint64((base >> 5) & 1))
    c6 = splat(_ZERO - np.uint64((base >> 6) & 1))
    c7 = splat(_ZERO - np.uint64((base >> 7) & 1))
    xm = xi ^ masks[start]
    p = start
    for _ in range(nblk):
        if use_masks:
            e1 = xi ^ load_row(xg, indices[p]) ^ masks[p]
            e2 = xi ^ load_row(xg, indices[p + 1]) ^ masks[p + 1]
            e3 = xi ^ load_row(xg, indices[p + 2]) ^ masks[p + 2]
            e4 = xi ^ load_row(xg, indices[p + 3]) ^ masks[p + 3]
        else:
            e1 = xm ^ load_row(xg, indices[p])
            e2 = xm ^ load_row(xg, indices[p + 1])
            e3 = xm ^ load_row(xg, indices[p + 2])
            e4 = xm ^ load_row(xg, indices[p + 3])
        u = c0 ^ e1
        k1 = (c0 & e1) | (u & e2)
        c0 = u ^ e2
        u = c0 ^ e3
        k2 = (c0 & e3) | (u & e4)
        c0 = u ^ e4
        u = c1 ^ k1
        k3 = (c1 & k1) | (u & k2)
        c1 = u ^ k2
        if nb >= 2:  # k3 (weight 4) ripples up to bit nb
            t = c2 & k3
            c2 = c2 ^ k3
            if nb >= 3:
                t2 = c3 & t
                c3 = c3 ^ t
                if nb >= 4:
                    t = c4 & t2
                    c4 = c4 ^ t2
                    if nb >= 5:
                        t2 = c5 & t
                        c5 = c5 ^ t
                        if nb >= 6:
                            t = c6 & t2
                            c6 = c6 ^ t2
                            if nb >= 7:
                                c7 = c7 ^ t
        p += BLOCK
    return c0, c1, c2, c3, c4, c5, c6, c7


@njit(cache=True)
def _top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, add):
    """Bit ``nb`` of (counter + ``add``), ``add`` a vector of per-word constants.

    That is where ``U + add >= ceil(d/2)``: with ``add = ceil(d/2) - t``, where ``U >= t``.
    """
    carry = splat(_ZERO)
    for b in range(nb):
        cb = _pick(c0, c1, c2, c3, c4, c5, c6, c7, b)
        dm = neg(shr(add, b) & 1)
        carry = (cb & carry) | ((cb | carry) & dm)
    return _pick(c0, c1, c2, c3, c4, c5, c6, c7, nb) ^ carry


@njit(cache=True, inline="always")
def _threshold(r, q, par, half):
    """Smallest accepted ``U`` for 53 random bits ``r`` (``q``: this sweep's table).

    Counts the table entries above ``r`` without an early exit: the trip count is the
    same for all eight words of a spin, so the loop predicts where a search would not.
    """
    j = 0
    for k in range(1, half + 1):
        j += r < q[par, k]
    return half - j


@njit(cache=True, inline="always")
def _draw_vec(state):
    """(new states, 64 random bits) for eight SplitMix64 streams: :func:`draw64` per word."""
    state = add(state, splat(_SM_GAMMA))
    z = mul(state ^ shr(state, 30), splat(_SM_MUL1))
    z = mul(z ^ shr(z, 27), splat(_SM_MUL2))
    return state, z ^ shr(z, 31)


@njit(cache=True, inline="always", error_model="numpy")
def _geometric(rng, log1mp):
    """(new state, attempts before the next one with ``u < p``), ``log1mp = log(1 - p)``."""
    rng, r = draw53(rng)
    g = np.floor(np.log((r + 0.5) * _INV53) / log1mp)
    return rng, np.int64(min(g, 4.0e18))


@njit(cache=True, error_model="numpy")
def _sweep(xg, pptr, indices, masks, degrees, bases, nb, beta, rngs, nxt, q, plan,
           use_masks):
    """One sweep of the (n, 8) words ``xg``; word ``w`` draws from ``rngs[0, w]`` only.

    ``nxt`` (2, 8), ``q`` (2, max ceil(d/2) + 1) and ``plan`` (3, 8) are scratch.
    """
    n = xg.shape[0]
    for j in range(1, q.shape[1]):
        q[0, j] = np.int64(np.exp(-4.0 * beta * j) * _ONE53)  # d even: uphill 4c j
        q[1, j] = np.int64(np.exp(-2.0 * beta * (2 * j - 1)) * _ONE53)  # d odd: 2c(2j-1)
    pf = q[1, 1] * _INV53
    skip = pf < SKIP_BELOW
    log1mp = np.log1p(-pf)
    soonest = n
    if skip:
        for w in range(LANES):
            rng = rngs[0, w]
            rng, nxt[0, w] = _geometric(rng, log1mp)
            rng, nxt[1, w] = _geometric(rng, log1mp)
            rngs[0, w] = rng
            soonest = min(soonest, nxt[0, w], nxt[1, w])
    for i in range(n):
        start = pptr[i]
        d = degrees[i]
        half = (d + 1) >> 1
        xi = load_row(xg, i)
        c0, c1, c2, c3, c4, c5, c6, c7 = _count(xg, indices, masks, start,
                                                (pptr[i + 1] - start) // BLOCK, xi,
                                                bases[i], nb, use_masks)
        flip = _pick(c0, c1, c2, c3, c4, c5, c6, c7, nb)
        if skip and i < soonest:  # no word draws u < p1 here: threshold ceil(d/2)
            store_row(xg, i, xi ^ flip)
            continue
        par = d & 1
        if not skip:
            # Every word draws: all eight at once, thresholds counted as in _threshold.
            state, r = _draw_vec(load_row(rngs, 0))
            state, deal = _draw_vec(state)
            store_row(rngs, 0, state)
            # Two 32-bit uniforms per draw (scaled to 53 bits): a resolution of 2**-32
            # is far below anything the schedule can tell apart.
            ra = shl(shr(r, 32), 21)
            rb = shl(r & _LOW32, 21)
            ja = splat(_ZERO)
            jb = splat(_ZERO)
            for k in range(1, half + 1):
                qk = splat(np.uint64(q[par, k]))
                ja = add(ja, neg(less(ra, qk)))
                jb = add(jb, neg(less(rb, qk)))
            # Two uniforms dealt to the replicas by a random mask: replicas that happen
            # to be identical split again instead of staying clones.
            flip = (_top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, ja) & deal) | (
                _top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, jb) & ~deal)
            store_row(xg, i, xi ^ flip)
            continue
        soonest = n
        uphill = False
        for w in range(LANES):
            rng = rngs[0, w]
            ta = half
            if nxt[0, w] == i:
                rng, r = draw53(rng)
                ta = _threshold(np.int64((r + 0.5) * pf), q, par, half)
                rng, g = _geometric(rng, log1mp)
                nxt[0, w] = i + 1 + g
            tb = half
            if nxt[1, w] == i:
                rng, r = draw53(rng)
                tb = _threshold(np.int64((r + 0.5) * pf), q, par, half)
                rng, g = _geometric(rng, log1mp)
                nxt[1, w] = i + 1 + g
            soonest = min(soonest, nxt[0, w], nxt[1, w])
            deal = _ALL
            if ta != tb:
                rng, deal = draw64(rng)
            uphill |= ta != half or tb != half
            plan[0, w] = half - ta
            plan[1, w] = half - tb
            plan[2, w] = deal
            rngs[0, w] = rng
        if uphill:
            deal = load_row(plan, 2)
            flip = (_top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, load_row(plan, 0)) & deal) | (
                _top_plus(c0, c1, c2, c3, c4, c5, c6, c7, nb, load_row(plan, 1)) & ~deal)
        store_row(xg, i, xi ^ flip)


@njit(cache=True)
def _scratch(degrees):
    """The scratch arrays :func:`_sweep` needs: ``nxt`` (2, 8), ``q``, ``plan`` (3, 8)."""
    hmax = 1
    for i in range(degrees.shape[0]):
        hmax = max(hmax, (degrees[i] + 1) >> 1)
    return (np.zeros((2, LANES), dtype=np.int64), np.zeros((2, hmax + 1), dtype=np.int64),
            np.empty((3, LANES), dtype=np.uint64))


@njit(cache=True, inline="always")
def _accumulate(acc, c0, c1, c2, c3, c4, c5, c6, c7):
    """``acc += c`` on bit-sliced numbers: ``acc`` (planes, 8) rows, ``c`` bits 0..7."""
    carry = splat(_ZERO)
    for b in range(acc.shape[0]):
        x = _pick(c0, c1, c2, c3, c4, c5, c6, c7, b) if b < 8 else splat(_ZERO)
        a = load_row(acc, b)
        u = a ^ x
        store_row(acc, b, u ^ carry)
        carry = (a & x) | (u & carry)


@njit(cache=True)
def _padded_sums(xg, pptr, indices, masks, acc, use_masks):
    """Per replica, ``sum_i (U_i + pad_i)`` into the bit-sliced ``acc`` (zeroed here).

    The same counter as a sweep's, started at 0 and summed over every variable: each
    unsatisfied edge is counted from both ends, each padding self-edge once.
    """
    acc[:, :] = 0
    for i in range(xg.shape[0]):
        start = pptr[i]
        c0, c1, c2, c3, c4, c5, c6, c7 = _count(xg, indices, masks, start,
                                                (pptr[i + 1] - start) // BLOCK,
                                                load_row(xg, i), 0, 7, use_masks)
        _accumulate(acc, c0, c1, c2, c3, c4, c5, c6, c7)


@njit(cache=True, parallel=True, error_model="numpy")
def _anneal(pptr, indices, masks, degrees, bases, nb, betas, seeds, out, sums):
    """SA for ``len(seeds)`` words in vectors of 8; word ``w`` of ``out`` from ``seeds[w]``.

    ``sums[64 w + r]`` gets replica ``r`` of word ``w``'s ``2 U + padding`` (see
    :func:`msc_anneal`), counted from the final state.
    """
    n = degrees.shape[0]
    k = seeds.shape[0]
    use_masks = not uniform_masks(masks)
    planes = 1
    while (1 << planes) <= pptr[n]:
        planes += 1
    for g in prange((k + LANES - 1) // LANES):
        xg = np.empty((n, LANES), dtype=np.uint64)
        rngs = np.empty((1, LANES), dtype=np.uint64)
        nxt, q, plan = _scratch(degrees)
        for w in range(LANES):
            # Lanes past the last seed are padding: any stream will do, results dropped.
            s = seeds[g * LANES + w] if g * LANES + w < k else seeds[k - 1] + np.uint64(w + 1)
            rng = seed_state(s)
            for i in range(n):
                rng, xg[i, w] = draw64(rng)
            rngs[0, w] = rng
        for t in range(betas.shape[0]):
            _sweep(xg, pptr, indices, masks, degrees, bases, nb, betas[t], rngs, nxt, q,
                   plan, use_masks)
        acc = np.empty((planes, LANES), dtype=np.uint64)
        _padded_sums(xg, pptr, indices, masks, acc, use_masks)
        for w in range(LANES):
            if g * LANES + w < k:
                for i in range(n):
                    out[g * LANES + w, i] = xg[i, w]
                for r in range(64):
                    total = 0
                    for b in range(planes):
                        total += np.int64((acc[b, w] >> np.uint64(r)) & np.uint64(1)) << b
                    sums[64 * (g * LANES + w) + r] = total


def msc_anneal(indptr, indices, masks, betas, seeds, out_words) -> np.ndarray:
    """SA on ``len(seeds)`` words of 64 replicas each; final states to ``out_words``.

    ``betas`` are in units where every |J| is 1 (stored units of an MSC problem). A
    word's result depends only on its seed, not on how many words run together.

    Returns the final energies in stored units, ``sum_{i<j} J_ij s_i s_j`` per replica
    (replica ``r`` of word ``w`` at ``64 w + r``, the order of :func:`unpack`). They are
    counted from the final words by the same bit-sliced counter a sweep uses, ~1/8 of
    a sweep's work, where unpacking and evaluating 512 samples per vector on the CSR
    costs as much as 20-150 sweeps.
    """
    order, pptr, pind, pmask, degrees, bases, nb = padded_layout(indptr, indices, masks)
    sorted_words = np.empty_like(out_words)
    sums = np.empty(64 * out_words.shape[0], dtype=np.int64)
    _anneal(pptr, pind, pmask, degrees, bases, nb, np.ascontiguousarray(betas, np.float64),
            np.ascontiguousarray(seeds, np.uint64), sorted_words, sums)
    out_words[:, order] = sorted_words
    # sums = 2 U + padding; each of the E edges is +1 when unsatisfied, -1 when not.
    padding = int(pptr[-1]) - len(indices)
    return sums - padding - len(indices) // 2


def msc_sweep(words, indptr, indices, masks, beta, rngs, use_masks=None) -> None:
    """One sweep of ``words`` ((n, 8) uint64, in variable order) at ``beta``, in place.

    ``rngs`` ((1, 8) generator states) advance in place. ``use_masks`` forces the general
    (True) or the uniform-mask (False) counting path; by default it is chosen.
    """
    order, pptr, pind, pmask, degrees, bases, nb = padded_layout(indptr, indices, masks)
    xg = np.ascontiguousarray(words[order])
    if use_masks is None:
        use_masks = not uniform_masks(pmask)
    _sweep_forced(xg, pptr, pind, pmask, degrees, bases, nb, beta, rngs, use_masks)
    words[order] = xg


@njit(cache=True)
def _sweep_forced(xg, pptr, indices, masks, degrees, bases, nb, beta, rngs, use_masks):
    nxt, q, plan = _scratch(degrees)
    _sweep(xg, pptr, indices, masks, degrees, bases, nb, beta, rngs, nxt, q, plan, use_masks)


def unpack(words: np.ndarray) -> np.ndarray:
    """(W, n) uint64 words -> (64 W, n) int8 spins (bit 1 -> -1).

    >>> unpack(np.array([[1, 0]], dtype=np.uint64))[:2].tolist()
    [[-1, 1], [1, 1]]
    """
    w, n = words.shape
    bits = (words[:, None, :] >> np.arange(64, dtype=np.uint64)[None, :, None]) & np.uint64(1)
    return (1 - 2 * bits.astype(np.int8)).reshape(64 * w, n)
