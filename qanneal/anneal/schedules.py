"""Temperature schedules: the automatic beta range, sweep schedules, acceptance tables.

The automatic range (:func:`auto_beta_range`) -- the rule, in stored (scaled) units:

* **hot end** ``beta_min = ln 2 / sigma``, with ``sigma`` the *median* over variables of
  ``sqrt(h_i^2 + sum_j J_ij^2)``, the standard deviation of the local field
  ``f_i = h_i + sum_j J_ij s_j`` over uniformly random states. A flip costing ``sigma``
  -- a typical uphill step: the median of ``2|f_i|`` is ``1.35 sigma`` -- is accepted
  with probability 1/2 at the start. Measured (16 reads x 1000 sweeps, 3-regular
  +-J n=2000, G(800, 0.02) and Gset G1 max-cut, dense QUBOs): starting 2x hotter than
  this was never better and up to 1.5x slower; 2x colder helped sparse graphs a little
  but lost on G1; 4x colder lost everywhere.
  dwave-samplers instead takes ``2 * max_i (|h_i| + sum_j |J_ij|)`` -- the largest
  step any variable could ever see -- 3.5x hotter than this on 3-regular graphs and
  10-400x hotter on high-degree and dense problems: 24-42% of attempts are accepted and the first part of
  the anneal is a random walk that a colder start skips at no loss in final energy.
* **cold end** ``beta_max = ln 100 / d_min``: the smallest nonzero step is accepted with
  probability 1%. ``d_min`` is exact when the coefficients are integers (every local
  field is an integer, so ``d_min = 2``); otherwise it is twice the median over
  variables of the smallest nonzero |coefficient| at that variable (the global
  minimum, as dwave-samplers uses, is an outlier on dense real-valued problems and
  would push beta_max 100-1000x colder, where every sweep is wasted).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from qanneal.anneal.layout import IsingArrays

#: Acceptance thresholds are probabilities scaled to 2**53 (compared with 53 random bits).
ONE = float(2**53)


def auto_beta_range(arrays: IsingArrays, excitation_rate: float = 0.01,
                    scale_with_n: bool = False) -> tuple[float, float]:
    """(beta_min, beta_max) in stored units by the rule in the module docstring.

    ``excitation_rate`` is the acceptance of the smallest step at the cold end (the
    rule's 1%); ``scale_with_n`` divides it by the number of variables that can take
    that smallest step (dwave-samplers' ``scale_T_with_N``: the chance that *any* of
    them is excited stays at the rate). The engine uses the defaults.

    >>> import dimod
    >>> from qanneal.anneal.layout import ising_arrays
    >>> ring = dimod.BQM({}, {(i, (i + 1) % 6): 1.0 for i in range(6)}, 0.0, "SPIN")
    >>> [round(b, 3) for b in auto_beta_range(ising_arrays(ring))]
    [0.49, 2.303]
    """
    n = arrays.num_variables
    rows = np.repeat(np.arange(n), np.diff(arrays.indptr))
    sq = arrays.h**2 + np.bincount(rows, weights=arrays.data**2, minlength=n)
    active = sq > 0
    if not np.any(active):
        return 0.1, 1.0  # nothing couples or biases anything: any range is as good
    sigma = float(np.median(np.sqrt(sq[active])))
    per_var = None
    if scale_with_n or not arrays.integral:
        # Per variable, its smallest nonzero |coefficient| (half its smallest step);
        # skipped when not needed (ufunc.at is slow on millions of couplings).
        absdata = np.abs(arrays.data)
        big = np.inf
        per_var = np.full(n, big)
        np.minimum.at(per_var, rows, np.where(absdata > 0, absdata, big))
        habs = np.abs(arrays.h)
        per_var = np.minimum(per_var, np.where(habs > 0, habs, big))
    if arrays.integral:
        d_min = 2.0
    else:
        d_min = 2.0 * float(np.median(per_var[np.isfinite(per_var)]))
    excitable = 1 if per_var is None or not scale_with_n else int(
        np.count_nonzero(per_var <= 0.5 * d_min * (1 + 1e-9)))
    beta_min = math.log(2.0) / sigma
    beta_max = max(math.log(max(excitable, 1) / excitation_rate) / d_min, beta_min)
    return beta_min, beta_max


def beta_schedule(beta_range: tuple[float, float], num_sweeps: int,
                  kind: str = "geometric") -> np.ndarray:
    """One beta per sweep, from ``beta_range[0]`` to ``beta_range[1]``.

    >>> beta_schedule((0.1, 10.0), 3).tolist()
    [0.1, 1.0, 10.0]
    >>> beta_schedule((0.0, 1.0), 3, "linear").tolist()
    [0.0, 0.5, 1.0]
    """
    lo, hi = float(beta_range[0]), float(beta_range[1])
    if kind == "geometric":
        if lo <= 0:
            raise ValueError("a geometric schedule needs beta_range[0] > 0")
        return np.geomspace(lo, hi, num_sweeps)
    if kind == "linear":
        return np.linspace(lo, hi, num_sweeps)
    raise ValueError(f"unknown schedule type {kind!r}")


@njit(cache=True)
def _fill_table(betas: np.ndarray, table: np.ndarray) -> None:
    """The entries of :func:`threshold_table`, stopping each row where they reach 0.

    A loop rather than ``np.exp(np.outer(...))``: past ``beta * 2k > 37.5`` every entry
    is 0 (below 2**-53), which on bqp250 is most of a 1000 x 2000 table (47 ms -> ~5 ms).
    """
    for t in range(betas.shape[0]):
        k = 0
        while k < table.shape[1]:
            # k = 0 (no uphill step) is always accepted, even at beta = inf (inf * 0 = nan).
            x = betas[t] * (2.0 * k) if k > 0 else 0.0
            if x > 37.5:
                break
            table[t, k] = np.int64(min(np.floor(np.exp(-x) * ONE), ONE))
            k += 1
        table[t, k:] = 0


#: Recently built tables by (betas, size): restarts and repeated calls on one problem
#: reuse them (building one cost 20-25 ms per call on bqp250: 1000 x 2000 entries).
#: Kernels never write them. At most _TABLES_MAX_BYTES are kept, oldest dropped first.
_TABLES: dict[tuple[bytes, int], np.ndarray] = {}
_TABLES_MAX_BYTES = 128 * 2**20


def threshold_table(betas: np.ndarray, size: int) -> np.ndarray:
    """int64 ``(len(betas), size)`` table: ``T[t, k] = exp(-beta_t * 2k) * 2**53``.

    A flip whose local field has magnitude ``k`` (energy change ``+2k``) is accepted at
    sweep ``t`` when 53 random bits are below ``T[t, k]`` -- no ``exp`` in the kernel.
    Rows for k = 0 are 2**53 (always accepted).

    >>> threshold_table(np.array([0.0, np.log(2) / 2]), 3).tolist()
    [[9007199254740992, 9007199254740992, 9007199254740992], [9007199254740992, 4503599627370496, 2251799813685248]]
    """
    if size == 0:
        return np.zeros((len(betas), 0), dtype=np.int64)
    key = (np.ascontiguousarray(betas, dtype=np.float64).tobytes(), int(size))
    table = _TABLES.get(key)
    if table is None:
        table = np.empty((len(betas), size), dtype=np.int64)
        _fill_table(np.ascontiguousarray(betas, dtype=np.float64), table)
        if table.nbytes <= _TABLES_MAX_BYTES:
            while _TABLES and sum(t.nbytes for t in _TABLES.values()) + table.nbytes \
                    > _TABLES_MAX_BYTES:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[key] = table
    return table
