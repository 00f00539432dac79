"""Annealing that keeps one-hot groups and permutation blocks satisfied by construction.

The groups come from :func:`qanneal.onehot.find_groups`; the BQM handed over has no
penalty for them (:meth:`qanneal.model.Problem.to_bqm` with ``exclude``). The kernel
works on binary variables ``x`` and local fields ``f_k = q_k + sum_l Q_kl x_l`` (CSR
of the BQM in binary form, rows sorted). A move flips a small set S of variables:

* a **free** variable (in no group): a single flip;
* a **1-way group** with ``count`` ones: a set member and an unset one exchange values
  (one-hot: the 1 moves to another member);
* a **2-way block** (rows one-hot, column j with ``m_j`` ones): two rows exchange their
  columns -- four flips (TSP: two cities swap positions);
* a **cyclic block** -- a permutation block whose energy is a symmetric tour length
  (:func:`cyclic_block`: couplings only between neighbouring positions, mod k, with a
  symmetric ``D[u,v]`` independent of the position; position-independent biases; no
  coupling leaving the block): 3 in 4 attempts reverse a segment of the tour (2-opt:
  ``dE = D[a,c] + D[b,d] - D[a,b] - D[c,d]``, two edges change), the others exchange
  the cities at two positions (``dE`` from the <= 4 changed edges). Both are priced from
  ``D`` and the tour (O(1), no binary search) and applied to ``x`` and the row/column
  arrays only; a reversal longer than k/2 reverses the complement instead (the same
  tour read backwards, the same energy, fewer cells). The fields of a cyclic block's
  variables are therefore not kept up to date: no move reads them, and no variable
  outside the block couples to them (so every other field stays exact). A field
  update per accepted reversal (``(L + 2) k`` recomputed fields) ran at 2.2 M
  attempts/s on berlin52 against 3.8 M without it, with similar tours (4 x 250 sweeps).

Outside cyclic blocks, ``dE = sum_{k in S} d_k f_k + sum_{k<l in S} Q_kl d_k d_l`` with
``d_k = +-1``; ``Q_kl`` is found by binary search in row k. A Metropolis test with
the engine's per-read SplitMix64 decides, and the fields of the neighbours of S are updated after an
accepted move. A read starts from a uniformly random state that satisfies every group
(random members, random column assignment) and random free bits.

A **sweep** is ``n`` move attempts (``n`` = number of variables), each picking a
variable uniformly and proposing the move of its unit: a block of ``R x C`` variables
gets ``R C`` attempts per sweep (for TSP about two per pair of cities), a group of
size s gets s. The mix in a cyclic block was measured (8 reads x 500 sweeps, mean
tour): eil51 436.4 / 432.8 / 431.6 and st70 690.6 / 683.5 / 683.4 with 1/2, all and
3/4 of the attempts reversals. Reversals matter most (exchanges alone: berlin52 at
10 s 7566-7742, optimum 7542); 3/4 keeps exchanges, which move one city far without
reversing what lies between, at no measured cost. The partner of the move (the other member, the other row) is drawn
uniformly from the low 32 bits of the same 64-bit draw.

**Ejection chains** (option ``chain``, off by default): an uphill move of a 1-way
group with one set member may instead (``chain_share`` of the time) start a chain
(:func:`_chain`): the move is made, then a group whose set variable now clashes with
the one just placed (a positive coupling) moves to its best member, and so on up to
``chain`` moves; one Metropolis test on the chain's total dE keeps or undoes it. Made
for time-indexed scheduling, where a clash can only be removed by moving a chain of
operations. Measured on ft06 (horizon 60, 16 reads, single thread): at a fixed 1000
sweeps per read it made more reads feasible (8/8 and 4/8 of 8 reads on two seeds with
``chain=8, chain_share=0.5``, against 2/8 and 1/8 without) at about 3.5 times the CPU
time per sweep; at an equal 10 s budget the best schedules were equal within noise
(57 / 57 / 58 without chains, 55 / 57 / 58 with, seeds 1-3), hence not the default.

Temperatures (:func:`auto_beta_range`): hot end ``ln 2 / median |dE|`` over random
moves from random feasible states (a typical move is accepted with probability 1/2);
cold end ``ln 100 / d`` with ``d`` the 1st percentile of the uphill ``dE`` of random
moves from states after a greedy descent (the cheap ways out of a local minimum are
then accepted with probability about 1%; see :data:`COLD_QUANTILE`). The single-flip rule of :mod:`.schedules` does not
apply: its fields ignore that a move flips several variables whose changes nearly
cancel.

Reproducibility and threads: as in :mod:`.kernels`, one generator per read seeded
from the engine's per-batch seeds, ``prange`` over reads.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np
from numba import njit, prange

from qanneal.anneal.kernels import _metropolis, draw64, seed_state
from qanneal.errors import InputError
from qanneal.onehot import OneHotGroups

_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
FREE, GROUP, BLOCK = 0, 1, 2
#: ``cyc_mode`` of a cyclic block: cities are its rows (positions its columns), or the
#: transpose. 0: not cyclic (no segment reversals).
ROW_CITIES, COL_CITIES = 1, 2
#: Proposal kind of a segment reversal (``_propose``'s first value; 1, 2, 4 are flips).
REVERSAL = 5
CYCLIC_SWAP = 6
#: The bits of a move's random word that decide chain or plain (its lowest 8: the
#: partner was drawn from the multiply-shift of the low 32 bits, whose top bits these
#: are not).
_CHAIN_BITS = np.uint64(0xFF)
#: Move attempts sampled per read to set the automatic temperature range.
PROBE_MOVES = 4096
#: Greedy sweeps before the cold end is probed (enough to reach a local minimum of
#: swap moves on TSPLIB instances up to 70 cities; measured ~10-20 sweeps needed).
PROBE_DESCENT_SWEEPS = 50
#: Reads probed (the median and the quantile over them).
PROBE_READS = 4
#: Percentile of the uphill steps out of a local minimum that sets the cold end. The
#: minimum (3 on berlin52, where the 1st percentile is 20 and the median 1220) made the
#: last half of a geometric schedule too cold to move; measured on berlin52, 4 reads x
#: 4000 sweeps: best tour 7775 with the minimum, 7543 (optimum 7542) with beta_max 0.2,
#: i.e. about this percentile.
COLD_QUANTILE = 1.0


@dataclass
class OneHotArrays:
    """One BQM and its groups in the kernel's form (indices in ``variables`` order)."""

    variables: list[Hashable]
    q: np.ndarray  # float64 (n,) linear biases, binary form
    indptr: np.ndarray  # int64 (n+1,)
    indices: np.ndarray  # int32 (nnz,), sorted within each row
    data: np.ndarray  # float64 (nnz,)
    offset: float
    kind: np.ndarray  # int8 (n,): FREE, GROUP or BLOCK
    unit: np.ndarray  # int32 (n,): group or block number
    local: np.ndarray  # int32 (n,): row * C + column inside a block
    group_ptr: np.ndarray  # int64 (G+1,)
    group_vars: np.ndarray  # int32
    group_count: np.ndarray  # int32 (G,)
    block_ptr: np.ndarray  # int64 (B+1,) into block_vars (row-major R x C)
    block_vars: np.ndarray  # int32
    block_shape: np.ndarray  # int32 (B, 2): R, C
    block_flags: np.ndarray  # int8 (B,): bit 0 rows coupled inside, bit 1 columns
    row_ptr: np.ndarray  # int64 (B+1,) into a read's row -> column state
    col_ptr: np.ndarray  # int64 (B+1,) into col_counts
    col_counts: np.ndarray  # int32
    #: int8 (B,): 0, or the block is cyclic-symmetric (:func:`cyclic_block`) with the
    #: tour's positions along its columns (ROW_CITIES) or along its rows (COL_CITIES).
    cyc_mode: np.ndarray
    cyc_ptr: np.ndarray  # int64 (B+1,) into cyc_d
    cyc_d: np.ndarray  # float64: the k x k matrix D of each cyclic block, row-major
    scale: float = 1.0  # the engine's interface (energies are in the BQM's units)

    @property
    def num_variables(self) -> int:
        return len(self.variables)


def onehot_arrays(bqm: dimod.BinaryQuadraticModel, groups: OneHotGroups) -> OneHotArrays:
    """Convert ``bqm`` and ``groups`` to :class:`OneHotArrays`.

    >>> from qanneal.onehot import Group
    >>> bqm = dimod.BQM({"a": 1.0, "b": 2.0, "c": 0.5}, {("a", "c"): 3.0}, 0.0, "BINARY")
    >>> arr = onehot_arrays(bqm, OneHotGroups([Group(["a", "b"])]))
    >>> dict(zip(arr.variables, arr.kind.tolist())), arr.data.tolist()
    ({'a': 1, 'c': 0, 'b': 1}, [3.0, 3.0])
    """
    binary = bqm if bqm.vartype is dimod.BINARY else bqm.change_vartype(
        dimod.BINARY, inplace=False)
    variables = list(binary.variables)
    n = len(variables)
    index = {v: i for i, v in enumerate(variables)}
    ldata, (irow, icol, qdata), offset = binary.to_numpy_vectors(variable_order=variables)
    irow = np.asarray(irow, dtype=np.int64)
    icol = np.asarray(icol, dtype=np.int64)
    qdata = np.asarray(qdata, dtype=np.float64)
    keep = qdata != 0
    rows = np.concatenate([irow[keep], icol[keep]])
    cols = np.concatenate([icol[keep], irow[keep]])
    vals = np.concatenate([qdata[keep], qdata[keep]])
    order = np.argsort(rows * n + cols, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])

    def idx(v: Hashable, where: str) -> int:
        if v not in index:
            raise InputError(f"{where} names variable {v!r}, which is not in the model",
                             field="onehot_groups")
        return index[v]

    kind = np.zeros(n, dtype=np.int8)
    unit = np.zeros(n, dtype=np.int32)
    local = np.zeros(n, dtype=np.int32)
    group_ptr = [0]
    group_vars: list[int] = []
    counts = []

    def claim(i: int, k: int, u: int, where: str) -> None:
        if kind[i] != FREE:
            raise InputError(f"{where}: variable {variables[i]!r} is in two groups; groups "
                             "must be disjoint", field="onehot_groups")
        kind[i], unit[i] = k, u

    for g, group in enumerate(groups.groups):
        if not 1 <= group.count < len(group.variables):
            raise InputError(f"group {group.label!r} sets {group.count} of "
                             f"{len(group.variables)} variables; a move needs 1 <= count < "
                             "size", field="onehot_groups")
        members = [idx(v, f"group {group.label!r}") for v in group.variables]
        for i in members:
            claim(i, GROUP, g, f"group {group.label!r}")
        group_vars += members
        group_ptr.append(len(group_vars))
        counts.append(group.count)
    block_ptr, block_vars, shapes, row_ptr, col_ptr, col_counts = [0], [], [], [0], [0], []
    for b, block in enumerate(groups.blocks):
        r, c = block.shape
        if r < 2 or sum(block.column_counts) != r or any(len(row) != c for row in block.rows):
            raise InputError(f"block {b} is {r} x {c} with column counts "
                             f"{block.column_counts}; a block needs at least 2 rows of "
                             "equal length and column counts summing to the rows",
                             field="onehot_groups")
        for i, row in enumerate(block.rows):
            for j, v in enumerate(row):
                k = idx(v, f"block {b}")
                claim(k, BLOCK, b, f"block {b}")
                local[k] = i * c + j
                block_vars.append(k)
        block_ptr.append(len(block_vars))
        shapes.append((r, c))
        row_ptr.append(row_ptr[-1] + r)
        col_counts += list(block.column_counts)
        col_ptr.append(len(col_counts))
    q = np.ascontiguousarray(ldata, dtype=np.float64)
    indices = cols[order].astype(np.int32)
    data = np.ascontiguousarray(vals[order])
    cyc_mode = np.zeros(len(shapes), dtype=np.int8)
    cyc_ptr = [0]
    cyc_d: list[np.ndarray] = []
    for b in range(len(shapes)):
        found = cyclic_block(q, indptr, indices, data, kind, unit,
                             np.array(block_vars[block_ptr[b]:block_ptr[b + 1]]), b,
                             groups.blocks[b].column_counts)
        if found is not None:
            cyc_mode[b], d = found
            cyc_d.append(d.ravel())
        cyc_ptr.append(cyc_ptr[-1] + (d.size if found is not None else 0))
    return OneHotArrays(
        variables=variables, q=q, indptr=indptr, indices=indices, data=data,
        offset=float(offset), kind=kind, unit=unit, local=local,
        group_ptr=np.array(group_ptr, dtype=np.int64),
        group_vars=np.array(group_vars, dtype=np.int32),
        group_count=np.array(counts, dtype=np.int32),
        block_ptr=np.array(block_ptr, dtype=np.int64),
        block_vars=np.array(block_vars, dtype=np.int32),
        block_shape=np.array(shapes, dtype=np.int32).reshape(-1, 2),
        block_flags=_block_flags(kind, unit, local, indptr, cols[order],
                                 np.array(shapes, dtype=np.int32).reshape(-1, 2)),
        row_ptr=np.array(row_ptr, dtype=np.int64),
        col_ptr=np.array(col_ptr, dtype=np.int64),
        col_counts=np.array(col_counts, dtype=np.int32),
        cyc_mode=cyc_mode, cyc_ptr=np.array(cyc_ptr, dtype=np.int64),
        cyc_d=np.concatenate(cyc_d) if cyc_d else np.zeros(0))


def cyclic_block(q: np.ndarray, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 kind: np.ndarray, unit: np.ndarray, cells: np.ndarray, b: int,
                 column_counts: Sequence[int]) -> tuple[int, np.ndarray] | None:
    """``(mode, D)`` when block ``b`` (variables ``cells``, row-major k x k) is
    *cyclic-symmetric*, else None.

    With ``x[u,p]`` = city u at position p (positions along the columns: mode
    ``ROW_CITIES``; along the rows: ``COL_CITIES``), the block is cyclic-symmetric when
    it is a k x k permutation (k >= 4), the linear bias of ``x[u,p]`` does not depend on
    p, and every coupling of ``x[u,p]`` goes to an ``x[v,p+-1 mod k]`` of the same block
    with a value ``D[u,v]`` that depends on neither p nor the direction (``D``
    symmetric). A feasible state's energy is then ``sum_u q_u + sum_p D[t_p, t_{p+1}]``
    for its tour ``t``: a symmetric TSP. Reversing a segment of the tour changes two of
    its edges, so its energy change is O(1) from ``D``. ``D[u,u]`` (a coupling of
    ``x[u,p]`` and ``x[u,p+1]``, never both set in a feasible state) is kept: the
    kernel's fields include it.
    """
    k = len(column_counts)
    if k < 4 or cells.size != k * k or any(m != 1 for m in column_counts):
        return None  # k = 3: every tour is the same cycle, nothing to reverse
    n = len(q)
    grid = cells.reshape(k, k)
    rows = np.repeat(cells, indptr[cells + 1] - indptr[cells])
    spans = [np.arange(indptr[i], indptr[i + 1]) for i in cells]
    at = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
    cols = indices[at].astype(np.int64)
    vals = data[at]
    if not ((kind[cols] == BLOCK) & (unit[cols] == b)).all():
        return None  # coupled outside the block: a reversal would change those terms
    for mode, cell in ((ROW_CITIES, grid), (COL_CITIES, grid.T)):  # cell[u, p]
        if not (q[cell] == q[cell[:, :1]]).all():
            continue
        city = np.full(n, -1, dtype=np.int64)
        pos = np.full(n, -1, dtype=np.int64)
        city[cell] = np.arange(k)[:, None]
        pos[cell] = np.arange(k)[None, :]
        step = (pos[cols] - pos[rows]) % k
        if not ((step == 1) | (step == k - 1)).all():
            continue
        # Each coupling appears twice in the CSR; the copy from x[u,p] to x[v,p+1]
        # defines D[u,v]. The one at p = 0 sets D; every p must then agree, and every
        # nonzero D[u,v] must appear at all k positions (CSR entries are unique).
        ahead = step == 1
        d = np.zeros((k, k))
        first = ahead & (pos[rows] == 0)
        d[city[rows[first]], city[cols[first]]] = vals[first]
        if not (vals[ahead] == d[city[rows[ahead]], city[cols[ahead]]]).all():
            continue
        if int(ahead.sum()) != k * int(np.count_nonzero(d)) or not (d == d.T).all():
            continue
        return mode, d
    return None


def _block_flags(kind: np.ndarray, unit: np.ndarray, local: np.ndarray, indptr: np.ndarray,
                 indices: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """Per block: bit 0 if two variables of one row are coupled, bit 1 if two of one
    column are. A row swap then skips those lookups when the bit is clear (TSP: a city
    never couples to itself at another position, nor two cities at one position, once
    the one-hot penalties are out)."""
    flags = np.zeros(len(shapes), dtype=np.int8)
    if not len(shapes):  # no block (job-shop, colouring): skip a pass over every coupling
        return flags
    rows = np.repeat(np.arange(len(kind)), np.diff(indptr))
    inside = (kind[rows] == BLOCK) & (kind[indices] == BLOCK) & (unit[rows] == unit[indices])
    r, c = rows[inside], indices[inside]
    cols = shapes[unit[r], 1]
    b = unit[r]
    same_row = local[r] // cols == local[c] // cols
    same_col = local[r] % cols == local[c] % cols
    np.bitwise_or.at(flags, b[same_row], 1)
    np.bitwise_or.at(flags, b[same_col], 2)
    return flags


def _args(a: OneHotArrays) -> tuple[Any, ...]:
    """The problem arrays in the order every kernel function takes them."""
    return (a.q, a.indptr, a.indices, a.data, a.kind, a.unit, a.local, a.group_ptr,
            a.group_vars, a.group_count, a.block_ptr, a.block_vars, a.block_shape,
            a.block_flags, a.row_ptr, a.col_ptr, a.col_counts, a.cyc_mode, a.cyc_ptr, a.cyc_d)


# ------------------------------------------------------------------ numba kernels
@njit(cache=True, inline="always")
def _coupling(u, v, indptr, indices, data):
    """Q_uv by binary search in row u (0.0 when not coupled).

    Branch-free halving (the comparison becomes a select): the searched positions are
    unpredictable, and a mispredicted branch per step cost more than the step.
    """
    base = indptr[u]
    size = indptr[u + 1] - base
    if size == 0:
        return 0.0
    while size > 1:
        half = size >> 1
        base += half * np.int64(indices[base + half] <= v)
        size -= half
    return data[base] if indices[base] == v else 0.0


@njit(cache=True, inline="always")
def _below(w, size):
    """A uniform integer in [0, size) from 32 random bits ``w`` (multiply-shift)."""
    return np.int64((w * np.uint64(size)) >> _S32)


@njit(cache=True)
def _shuffle(arr, a, size, rng):
    """Fisher-Yates on ``arr[a:a + size]`` in place; returns the rng."""
    for i in range(size - 1, 0, -1):
        rng, w = draw64(rng)
        j = _below(w >> _S32, i + 1)
        t = arr[a + i]
        arr[a + i] = arr[a + j]
        arr[a + j] = t
    return rng


@njit(cache=True)
def _flip(x, f, k, indptr, indices, data):
    """Flip x_k and update its neighbours' fields."""
    d = 1 - 2 * np.int64(x[k])
    x[k] = np.int8(1 - x[k])
    for p in range(indptr[k], indptr[k + 1]):
        f[indices[p]] += d * data[p]


@njit(cache=True)
def _read_scratch(n, group_vars, row_ptr, col_ptr):
    """A read's working arrays: fields, group member order and positions, each block
    row's column and each column's row (filled by :func:`_init_state`)."""
    return (np.empty(n, dtype=np.float64), np.empty(group_vars.shape[0], dtype=np.int32),
            np.zeros(n, dtype=np.int32), np.empty(row_ptr[-1], dtype=np.int32),
            np.empty(col_ptr[-1], dtype=np.int32))


@njit(cache=True)
def _init_state(x, f, garr, gpos, rcol, cinv, rng, q, indptr, indices, data, kind, unit,
                local, group_ptr, group_vars, group_count, block_ptr, block_vars, block_shape,
                block_flags, row_ptr, col_ptr, col_counts):
    """A random state satisfying every group; fields computed. Returns the rng."""
    n = x.shape[0]
    word = np.uint64(0)
    for i in range(n):  # free bits: one draw per 64 variables
        if (i & 63) == 0:
            rng, word = draw64(rng)
        x[i] = np.int8(word & np.uint64(1)) if kind[i] == FREE else np.int8(0)
        word >>= np.uint64(1)
    for g in range(group_ptr.shape[0] - 1):  # Fisher-Yates: the first `count` are set
        a = group_ptr[g]
        size = group_ptr[g + 1] - a
        for i in range(size):
            garr[a + i] = group_vars[a + i]
        rng = _shuffle(garr, a, size, rng)
        for i in range(size):
            gpos[garr[a + i]] = i
            if i < group_count[g]:
                x[garr[a + i]] = 1
    for b in range(block_ptr.shape[0] - 1):  # a random arrangement of the column multiset
        r = block_shape[b, 0]
        c = block_shape[b, 1]
        base = row_ptr[b]
        i = 0
        for j in range(c):
            for _ in range(col_counts[col_ptr[b] + j]):
                rcol[base + i] = j
                i += 1
        rng = _shuffle(rcol, base, r, rng)
        for i in range(r):
            x[block_vars[block_ptr[b] + i * c + rcol[base + i]]] = 1
            cinv[col_ptr[b] + rcol[base + i]] = i  # meaningful in permutation blocks
    for i in range(n):
        acc = q[i]
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * x[indices[p]]
        f[i] = acc
    return rng


@njit(cache=True, inline="always")
def _city_at(mode, p, rcol, cinv, rb, cb):
    """The city at position ``p`` of a cyclic block (see ``cyc_mode``)."""
    if mode == ROW_CITIES:
        return np.int64(cinv[cb + p])
    return np.int64(rcol[rb + p])


@njit(cache=True, inline="always")
def _place(mode, u, p, rcol, cinv, rb, cb):
    """Record city ``u`` at position ``p`` (row -> column and column -> row)."""
    if mode == ROW_CITIES:
        cinv[cb + p] = u
        rcol[rb + u] = p
    else:
        rcol[rb + p] = u
        cinv[cb + u] = p


@njit(cache=True, inline="always")
def _cell(mode, u, p, k, bv, block_vars):
    """The variable "city ``u`` at position ``p``" of a cyclic block."""
    if mode == ROW_CITIES:
        return np.int64(block_vars[bv + u * k + p])
    return np.int64(block_vars[bv + p * k + u])


@njit(cache=True)
def _swap_delta(mode, p, p2, k, rcol, cinv, rb, cb, db, cyc_d):
    """dE of exchanging the cities at positions p and p2 of a cyclic block."""
    u = _city_at(mode, p, rcol, cinv, rb, cb)
    v = _city_at(mode, p2, rcol, cinv, rb, cb)
    before = (p - 1 + k) % k
    after = (p + 1) % k
    before2 = (p2 - 1 + k) % k
    after2 = (p2 + 1) % k
    if after == p2 or after2 == p:  # neighbours: ..a u v e.. -> ..a v u e..
        if after2 == p:
            u, v = v, u
            before, after2 = before2, after
        a = _city_at(mode, before, rcol, cinv, rb, cb)
        e = _city_at(mode, after2, rcol, cinv, rb, cb)
        return (cyc_d[db + a * k + v] + cyc_d[db + u * k + e]
                - cyc_d[db + a * k + u] - cyc_d[db + v * k + e])
    a = _city_at(mode, before, rcol, cinv, rb, cb)
    b = _city_at(mode, after, rcol, cinv, rb, cb)
    c = _city_at(mode, before2, rcol, cinv, rb, cb)
    e = _city_at(mode, after2, rcol, cinv, rb, cb)
    return (cyc_d[db + a * k + v] + cyc_d[db + v * k + b] + cyc_d[db + c * k + u]
            + cyc_d[db + u * k + e] - cyc_d[db + a * k + u] - cyc_d[db + u * k + b]
            - cyc_d[db + c * k + v] - cyc_d[db + v * k + e])


@njit(cache=True)
def _propose(w, x, f, garr, gpos, rcol, cinv, indptr, indices, data, kind, unit, local,
             group_ptr, group_count, block_ptr, block_vars, block_shape, block_flags,
             row_ptr, col_ptr, cyc_mode, cyc_ptr, cyc_d):
    """The move picked by 64 random bits ``w``: (number of flips 0..4, four variables,
    dE). Variables are ordered so that flips alternate 1->0, 0->1 (groups, blocks).
    A segment reversal returns (REVERSAL, block, first position, length - 1, 0, dE)."""
    n = x.shape[0]
    v = _below(w >> _S32, n)
    low = w & _LOW32
    k = kind[v]
    if k == FREE:
        return 1, v, v, v, v, (1 - 2 * np.int64(x[v])) * f[v]
    if k == GROUP:
        g = unit[v]
        a = group_ptr[g]
        size = group_ptr[g + 1] - a
        m = group_count[g]
        if x[v] == 1:
            u = garr[a + m + _below(low, size - m)]
            one, zero = v, np.int64(u)
        else:
            u = garr[a + _below(low, m)]
            one, zero = np.int64(u), v
        de = f[zero] - f[one] - _coupling(one, zero, indptr, indices, data)
        return 2, one, zero, one, zero, de
    b = unit[v]
    r = block_shape[b, 0]
    c = block_shape[b, 1]
    mode = cyc_mode[b]
    if mode != 0:
        # A cyclic block: both moves are priced from D and the tour (fields unused). The
        # top two bits of the low word choose a segment reversal (3 in 4 attempts) or an
        # exchange of two positions; the other 30 bits pick the partner.
        p = np.int64(local[v] % r) if mode == ROW_CITIES else np.int64(local[v] // r)
        rb = row_ptr[b]
        cb = col_ptr[b]
        db = cyc_ptr[b]
        low2 = (low << np.uint64(2)) & _LOW32
        if (low >> np.uint64(30)) != np.uint64(0):
            # The segment starts at p and has 2..k-2 cities (1 or k-1 would change
            # nothing): tour edges (a,b) and (c,d) become (a,c) and (b,d).
            s = 1 + _below(low2, r - 3)
            ta = _city_at(mode, (p - 1 + r) % r, rcol, cinv, rb, cb)
            tb = _city_at(mode, p, rcol, cinv, rb, cb)
            tc = _city_at(mode, (p + s) % r, rcol, cinv, rb, cb)
            td = _city_at(mode, (p + s + 1) % r, rcol, cinv, rb, cb)
            de = (cyc_d[db + ta * r + tc] + cyc_d[db + tb * r + td]
                  - cyc_d[db + ta * r + tb] - cyc_d[db + tc * r + td])
            return REVERSAL, np.int64(b), p, s, np.int64(0), de
        p2 = _below(low2, r - 1)
        if p2 >= p:
            p2 += 1
        return CYCLIC_SWAP, np.int64(b), p, p2, np.int64(0), _swap_delta(
            mode, p, p2, r, rcol, cinv, rb, cb, db, cyc_d)
    i = local[v] // c
    i2 = _below(low, r - 1)
    if i2 >= i:
        i2 += 1
    base = row_ptr[b]
    ca = rcol[base + i]
    cc = rcol[base + i2]
    if ca == cc:
        return 0, v, v, v, v, 0.0
    bv = block_ptr[b]
    p1 = np.int64(block_vars[bv + i * c + ca])  # 1 -> 0
    p2 = np.int64(block_vars[bv + i * c + cc])  # 0 -> 1
    p3 = np.int64(block_vars[bv + i2 * c + cc])  # 1 -> 0
    p4 = np.int64(block_vars[bv + i2 * c + ca])  # 0 -> 1
    de = (-f[p1] + f[p2] - f[p3] + f[p4] + _coupling(p1, p3, indptr, indices, data)
          + _coupling(p2, p4, indptr, indices, data))
    flags = block_flags[b]
    if flags & 1:  # pairs inside row i and inside row i2
        de -= (_coupling(p1, p2, indptr, indices, data)
               + _coupling(p3, p4, indptr, indices, data))
    if flags & 2:  # pairs inside column a and inside column c
        de -= (_coupling(p1, p4, indptr, indices, data)
               + _coupling(p2, p3, indptr, indices, data))
    return 4, p1, p2, p3, p4, de


@njit(cache=True, inline="always")
def _exchange(mode, pi, pj, k, x, rcol, cinv, rb, cb, bv, block_vars):
    """Exchange the cities at positions pi and pj of a cyclic block (four flips)."""
    ui = _city_at(mode, pi, rcol, cinv, rb, cb)
    uj = _city_at(mode, pj, rcol, cinv, rb, cb)
    x[_cell(mode, ui, pi, k, bv, block_vars)] = 0
    x[_cell(mode, uj, pj, k, bv, block_vars)] = 0
    x[_cell(mode, uj, pi, k, bv, block_vars)] = 1
    x[_cell(mode, ui, pj, k, bv, block_vars)] = 1
    _place(mode, uj, pi, rcol, cinv, rb, cb)
    _place(mode, ui, pj, rcol, cinv, rb, cb)


@njit(cache=True)
def _reverse(b, p, s, x, rcol, cinv, block_ptr, block_vars, block_shape, row_ptr, col_ptr,
             cyc_mode):
    """Reverse the cities at positions p..p+s (mod k) of cyclic block ``b``."""
    mode = cyc_mode[b]
    k = np.int64(block_shape[b, 0])
    bv = block_ptr[b]
    rb = row_ptr[b]
    cb = col_ptr[b]
    length = s + 1
    if 2 * length > k:  # the complement instead: the same tour read backwards, fewer cells
        p = (p + length) % k
        length = k - length
    i = np.int64(0)
    j = length - 1
    while i < j:
        _exchange(mode, (p + i) % k, (p + j) % k, k, x, rcol, cinv, rb, cb, bv, block_vars)
        i += 1
        j -= 1


@njit(cache=True)
def _move_one(p1, p2, x, f, garr, gpos, indptr, indices, data, unit, group_ptr):
    """In a 1-way group: set member p1 and unset member p2 exchange values and their
    places in the group's arrangement; fields updated."""
    a = group_ptr[unit[p1]]
    i1 = gpos[p1]
    i2 = gpos[p2]
    garr[a + i1] = p2
    garr[a + i2] = p1
    gpos[p1] = i2
    gpos[p2] = i1
    _flip(x, f, p1, indptr, indices, data)
    _flip(x, f, p2, indptr, indices, data)


@njit(cache=True, inline="always")
def _ejectable(c, coupling, x, kind, unit, group_count, moved, depth):
    """Whether variable ``c``, coupled by ``coupling`` to the variable last
    placed, is a clash a chain may eject: set, a penalising (positive) coupling, in a
    single-one group the chain has not moved yet."""
    if x[c] != 1 or coupling <= 0.0 or kind[c] != GROUP or group_count[unit[c]] != 1:
        return False
    for i in range(depth):
        if moved[i] == unit[c]:
            return False
    return True


@njit(cache=True)
def _clashing(v, x, indptr, indices, data, kind, unit, group_count, moved, depth, rng):
    """A variable coupled to ``v`` that the chain may eject (:func:`_ejectable`), drawn
    uniformly; -1 if none. Returns (variable, rng)."""
    seen = 0
    for p in range(indptr[v], indptr[v + 1]):
        seen += _ejectable(indices[p], data[p], x, kind, unit, group_count, moved, depth)
    if seen == 0:
        return -1, rng
    rng, w = draw64(rng)
    pick = _below(w >> _S32, seen)
    for p in range(indptr[v], indptr[v + 1]):
        if _ejectable(indices[p], data[p], x, kind, unit, group_count, moved, depth):
            if pick == 0:
                return np.int64(indices[p]), rng
            pick -= 1
    return -1, rng


@njit(cache=True)
def _best_place(c, f, group_ptr, group_vars, unit, indptr, indices, data):
    """The member of ``c``'s group (``c`` set, count 1) that moving the one to lowers
    the energy most, nearest to ``c`` in the group's order among equals; and its dE."""
    g = unit[c]
    a = group_ptr[g]
    size = group_ptr[g + 1] - a
    home = 0
    for i in range(size):
        if group_vars[a + i] == c:
            home = i
    best = np.int64(-1)
    best_de = np.inf
    best_dist = size
    for i in range(size):
        m = group_vars[a + i]
        if m == c:
            continue
        de = f[m] - f[c]
        dist = abs(i - home)
        if de < best_de or (de == best_de and dist < best_dist):
            best, best_de, best_dist = np.int64(m), de, dist
    return best, best_de - _coupling(c, best, indptr, indices, data)


@njit(cache=True)
def _chain(one, zero, de, beta, depth_max, moved, froms, tos, rng, x, f, garr, gpos,
           indptr, indices, data, kind, unit, group_ptr, group_vars, group_count):
    """An ejection chain from the single-one group move ``one -> zero`` (energy change
    ``de``): the move is made, then up to ``depth_max - 1`` times a group whose set
    variable now clashes (a positive coupling) with the last one placed is moved to its
    best member given everything else; the whole chain is then accepted or undone by
    one Metropolis test on its total dE. Returns (accepted, total dE, rng).

    Why: in time-indexed scheduling a start that clashes with a neighbour can only be
    taken once that neighbour moves, and moving it clashes with its own neighbours; no
    single move is downhill out of such states (issue 14: ft06 feasible in 1 of 16
    reads). The chain prices a whole cascade at once, as ejection chains do in local
    search.
    """
    total = de
    _move_one(one, zero, x, f, garr, gpos, indptr, indices, data, unit, group_ptr)
    moved[0] = unit[one]
    froms[0] = one
    tos[0] = zero
    depth = 1
    last = zero
    while depth < depth_max:
        c, rng = _clashing(last, x, indptr, indices, data, kind, unit, group_count, moved,
                           depth, rng)
        if c < 0:
            break
        m, dm = _best_place(c, f, group_ptr, group_vars, unit, indptr, indices, data)
        if m < 0:
            break
        _move_one(c, m, x, f, garr, gpos, indptr, indices, data, unit, group_ptr)
        total += dm
        moved[depth] = unit[c]
        froms[depth] = c
        tos[depth] = m
        depth += 1
        last = m
    ok = True
    if total > 0.0:
        rng, ok = _metropolis(beta * total, rng)
    if not ok:
        for i in range(depth - 1, -1, -1):
            _move_one(tos[i], froms[i], x, f, garr, gpos, indptr, indices, data, unit,
                      group_ptr)
    return ok, total, rng


@njit(cache=True)
def _apply(nflip, p1, p2, p3, p4, x, f, garr, gpos, rcol, cinv, q, indptr, indices, data,
           kind, unit, local, group_ptr, block_ptr, block_vars, block_shape, row_ptr,
           col_ptr, cyc_mode, cyc_ptr, cyc_d):
    """Carry out a proposed move (state, group arrangement, fields)."""
    if nflip == 1:
        _flip(x, f, p1, indptr, indices, data)
        return
    if nflip == 2:
        _move_one(p1, p2, x, f, garr, gpos, indptr, indices, data, unit, group_ptr)
        return
    if nflip == REVERSAL:
        _reverse(p1, p2, p3, x, rcol, cinv, block_ptr, block_vars, block_shape, row_ptr,
                 col_ptr, cyc_mode)
        return
    if nflip == CYCLIC_SWAP:
        _exchange(cyc_mode[p1], p2, p3, np.int64(block_shape[p1, 0]), x, rcol, cinv,
                  row_ptr[p1], col_ptr[p1], block_ptr[p1], block_vars)
        return
    b = unit[p1]
    c = block_shape[b, 1]
    base = row_ptr[b]
    rcol[base + local[p1] // c] = local[p2] % c
    rcol[base + local[p3] // c] = local[p4] % c
    cinv[col_ptr[b] + local[p2] % c] = local[p1] // c  # meaningful in permutation blocks
    cinv[col_ptr[b] + local[p4] % c] = local[p3] // c
    _flip(x, f, p1, indptr, indices, data)
    _flip(x, f, p2, indptr, indices, data)
    _flip(x, f, p3, indptr, indices, data)
    _flip(x, f, p4, indptr, indices, data)


@njit(cache=True, parallel=True)
def anneal_onehot(q, indptr, indices, data, kind, unit, local, group_ptr, group_vars,
                  group_count, block_ptr, block_vars, block_shape, block_flags, row_ptr,
                  col_ptr, col_counts, cyc_mode, cyc_ptr, cyc_d, betas, seeds, out_x,
                  out_moves, chain_depth, chain_share):
    """Independent reads (one per seed) over ``betas``; final states to ``out_x``
    (reads, n) int8 0/1, accepted moves to ``out_moves``. With ``chain_depth`` > 1, an
    uphill move of a single-one group becomes an ejection chain (:func:`_chain`) of at
    most that many moves in ``chain_share`` / 256 of the cases (0..256)."""
    n = q.shape[0]
    for r in prange(seeds.shape[0]):
        rng = seed_state(seeds[r])
        x = out_x[r]
        f, garr, gpos, rcol, cinv = _read_scratch(n, group_vars, row_ptr, col_ptr)
        depth_room = max(chain_depth, 1)
        moved = np.empty(depth_room, dtype=np.int64)
        froms = np.empty(depth_room, dtype=np.int64)
        tos = np.empty(depth_room, dtype=np.int64)
        rng = _init_state(x, f, garr, gpos, rcol, cinv, rng, q, indptr, indices, data, kind,
                          unit, local, group_ptr, group_vars, group_count, block_ptr,
                          block_vars, block_shape, block_flags, row_ptr, col_ptr, col_counts)
        accepted = 0
        for t in range(betas.shape[0]):
            beta = betas[t]
            for _ in range(n):
                rng, w = draw64(rng)
                nflip, p1, p2, p3, p4, de = _propose(
                    w, x, f, garr, gpos, rcol, cinv, indptr, indices, data, kind, unit,
                    local, group_ptr, group_count, block_ptr, block_vars, block_shape,
                    block_flags, row_ptr, col_ptr, cyc_mode, cyc_ptr, cyc_d)
                if nflip == 0:
                    continue
                if de > 0.0:
                    if (chain_depth > 1 and nflip == 2 and group_count[unit[p1]] == 1
                            and np.int64(w & _CHAIN_BITS) < chain_share):
                        ok, _, rng = _chain(p1, p2, de, beta, chain_depth, moved, froms, tos,
                                         rng, x, f, garr, gpos, indptr, indices, data, kind,
                                         unit, group_ptr, group_vars, group_count)
                        accepted += ok
                        continue
                    rng, ok = _metropolis(beta * de, rng)
                    if not ok:
                        continue
                _apply(nflip, p1, p2, p3, p4, x, f, garr, gpos, rcol, cinv, q, indptr,
                       indices, data, kind, unit, local, group_ptr, block_ptr, block_vars,
                       block_shape, row_ptr, col_ptr, cyc_mode, cyc_ptr, cyc_d)
                accepted += 1
        out_moves[r] = accepted


@njit(cache=True)
def probe_moves(q, indptr, indices, data, kind, unit, local, group_ptr, group_vars,
                group_count, block_ptr, block_vars, block_shape, block_flags, row_ptr,
                col_ptr, col_counts, cyc_mode, cyc_ptr, cyc_d, seed, count, descent_sweeps,
                out_hot, out_cold):
    """|dE| of ``count`` random moves from a random feasible state (``out_hot``), then,
    after ``descent_sweeps`` greedy sweeps, dE of ``count`` random moves (``out_cold``).
    Moves that change nothing (two rows on one column) give NaN."""
    n = q.shape[0]
    rng = seed_state(seed)
    x = np.empty(n, dtype=np.int8)
    f, garr, gpos, rcol, cinv = _read_scratch(n, group_vars, row_ptr, col_ptr)
    rng = _init_state(x, f, garr, gpos, rcol, cinv, rng, q, indptr, indices, data, kind,
                      unit, local, group_ptr, group_vars, group_count, block_ptr, block_vars,
                      block_shape, block_flags, row_ptr, col_ptr, col_counts)
    for phase in range(2):
        out = out_hot if phase == 0 else out_cold
        for _ in range(phase * descent_sweeps * n):
            rng, w = draw64(rng)
            nflip, p1, p2, p3, p4, de = _propose(
                w, x, f, garr, gpos, rcol, cinv, indptr, indices, data, kind, unit, local,
                group_ptr, group_count, block_ptr, block_vars, block_shape, block_flags,
                row_ptr, col_ptr, cyc_mode, cyc_ptr, cyc_d)
            if nflip > 0 and de < 0.0:
                _apply(nflip, p1, p2, p3, p4, x, f, garr, gpos, rcol, cinv, q, indptr,
                       indices, data, kind, unit, local, group_ptr, block_ptr, block_vars,
                       block_shape, row_ptr, col_ptr, cyc_mode, cyc_ptr, cyc_d)
        for i in range(count):
            rng, w = draw64(rng)
            nflip, p1, p2, p3, p4, de = _propose(
                w, x, f, garr, gpos, rcol, cinv, indptr, indices, data, kind, unit, local,
                group_ptr, group_count, block_ptr, block_vars, block_shape, block_flags,
                row_ptr, col_ptr, cyc_mode, cyc_ptr, cyc_d)
            out[i] = de if nflip > 0 else np.nan


def auto_beta_range(arrays: OneHotArrays, seed: int = 0) -> tuple[float, float]:
    """(beta_min, beta_max) in the BQM's units by the rule in the module docstring.

    Deterministic (a fixed probe seed), so a run's seed alone fixes its schedule.

    >>> from qanneal.onehot import Group
    >>> bqm = dimod.BQM({"a": 1.0, "b": 2.0, "c": 4.0}, {}, 0.0, "BINARY")
    >>> lo, hi = auto_beta_range(onehot_arrays(bqm, OneHotGroups([Group(["a", "b", "c"])])))
    >>> round(lo, 3), round(hi, 3)
    (0.693, 4.605)
    """
    hot = np.empty(PROBE_MOVES)
    cold = np.empty(PROBE_MOVES)
    his, colds = [], []
    seeds = np.random.SeedSequence(seed).generate_state(PROBE_READS, dtype=np.uint64)
    for s in seeds:
        probe_moves(*_args(arrays), s, PROBE_MOVES, PROBE_DESCENT_SWEEPS, hot, cold)
        his.append(np.abs(hot[np.isfinite(hot) & (hot != 0)]))
        colds.append(cold[np.isfinite(cold) & (cold > 1e-12 * max(1.0, float(
            np.abs(hot[np.isfinite(hot)]).max(initial=0.0))))])
    steps = np.concatenate(his)
    if steps.size == 0:
        return 0.1, 1.0  # no move changes the energy: any range is as good
    beta_min = math.log(2.0) / float(np.median(steps))
    uphill = np.concatenate(colds)
    smallest = float(np.percentile(uphill, COLD_QUANTILE)) if uphill.size else float(
        steps.min())
    beta_max = max(math.log(100.0) / smallest, beta_min)
    return beta_min, beta_max


class OneHotRunner:
    """The engine's runner for one-hot moves (the interface of ``engine._Runner``)."""

    kernel = "sa-onehot"
    layout = "csr"
    method = "sa"
    use_msc = False
    tsize = 0

    def __init__(self, arrays: OneHotArrays, beta_range: tuple[float, float],
                 schedule_type: str, chain: int = 0, chain_share: float = 0.25):
        self.arrays = arrays
        self.chain = chain
        self.chain_share = min(256, round(256 * chain_share))
        self.beta_stored = beta_range
        self.schedule_type = schedule_type
        self._betas: dict[int, np.ndarray] = {}

    def seeds_per_batch(self, num_reads: int) -> int:
        return num_reads

    def attempts(self, num_seeds: int, sweeps: int) -> int:
        return num_seeds * sweeps * self.arrays.num_variables

    def run(self, seeds: np.ndarray, sweeps: int) -> tuple[np.ndarray, None, dict[str, Any]]:
        from qanneal.anneal.schedules import beta_schedule

        if sweeps not in self._betas:
            self._betas[sweeps] = beta_schedule(self.beta_stored, sweeps, self.schedule_type)
        a = self.arrays
        x = np.empty((len(seeds), a.num_variables), dtype=np.int8)
        moves = np.zeros(len(seeds), dtype=np.int64)
        anneal_onehot(*_args(a), self._betas[sweeps], seeds, x, moves, self.chain,
                      self.chain_share)
        spins = (2 * x - 1).astype(np.int8)  # the engine's +-1 convention
        return spins, None, {"accepted_moves": int(moves.sum())}


def block_summary(groups: OneHotGroups) -> dict[str, Any]:
    """``info["onehot"]``: what the run kept satisfied by construction."""
    return groups.summary()


def check_groups(groups: Any) -> OneHotGroups:
    """``groups`` as :class:`OneHotGroups`, or a one-line error."""
    if not isinstance(groups, OneHotGroups):
        raise InputError(f"expected qanneal.onehot.OneHotGroups, got {type(groups).__name__}",
                         field="onehot_groups")
    return groups


__all__: Sequence[str] = ["OneHotArrays", "OneHotRunner", "anneal_onehot", "auto_beta_range",
                          "onehot_arrays", "probe_moves"]
