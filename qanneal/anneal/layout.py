"""BQM -> flat arrays the annealing kernels read: Ising form, CSR or dense, integer-scaled.

The kernels work on spins s_i in {-1, +1} and the energy

    E(s) = scale * (sum_i h_i s_i + sum_{i<j} J_ij s_i s_j) + offset

``h`` and ``J`` are stored *divided by* ``scale``. When every Ising coefficient is an
integer multiple of one unit ``q`` (unweighted max-cut, integer QUBOs, +-J spin glasses)
``scale = q`` and the stored coefficients are exact integers held in float64, so the
local fields and energy changes stay exact integers during the whole run and the
kernel can use a per-sweep table of acceptance thresholds instead of ``exp``.

dimod does the model conversion (``bqm.spin``, ``to_numpy_vectors``); nothing here
re-implements vartype arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field

import dimod
import numpy as np

from qanneal.anneal.kernels import csr_energies

#: Above this density (fraction of the n(n-1)/2 pairs that are coupled) the dense
#: layout wins: a contiguous, vectorised row update beats CSR's indirect stores.
DENSE_DENSITY = 0.25
#: The dense layout holds an n x n float64 matrix; refuse it beyond this many variables.
DENSE_MAX_VARIABLES = 6000
#: Largest integer |local field| for which a threshold table is used (table length + 1).
TABLE_MAX_FIELD = 4096


@dataclass
class IsingArrays:
    """One BQM in the kernels' form (see the module docstring for the energy)."""

    variables: list[Hashable]
    h: np.ndarray  # float64 (n,)
    indptr: np.ndarray  # int64 (n+1,), both directions of every coupling
    indices: np.ndarray  # int32 (nnz,)
    data: np.ndarray  # float64 (nnz,)
    offset: float
    scale: float
    integral: bool  # stored h, J are exact integers
    max_field: float  # max_i |h_i| + sum_j |J_ij| (stored units)
    dense: np.ndarray | None = field(default=None, repr=False)

    @property
    def num_variables(self) -> int:
        return len(self.variables)

    @property
    def num_couplings(self) -> int:
        return len(self.indices) // 2

    @property
    def density(self) -> float:
        n = self.num_variables
        return 0.0 if n < 2 else self.num_couplings / (n * (n - 1) / 2)

    @property
    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)

    def msc_applicable(self) -> bool:
        """Whether multi-spin coding applies: h = 0 and every |J_ij| equal (J in {-c, +c})."""
        return (self.integral and self.num_couplings > 0 and not np.any(self.h)
                and bool(np.all(np.abs(self.data) == 1.0)))

    def energies(self, spins: np.ndarray) -> np.ndarray:
        """Energies (original units) of a (reads, n) array of +-1 spins.

        >>> bqm = dimod.BQM({"a": 1.0}, {("a", "b"): -2.0}, 0.5, "SPIN")
        >>> arrays = ising_arrays(bqm)
        >>> arrays.energies(np.array([[1, 1], [-1, 1]], dtype=np.int8)).tolist()
        [-0.5, 1.5]
        """
        s = np.ascontiguousarray(spins, dtype=np.int8)
        if s.ndim == 1:
            s = s[None, :]
        out = np.empty(s.shape[0])
        csr_energies(s, self.h, self.indptr, self.indices, self.data, out)
        return self.scale * out + self.offset

    def ensure_dense(self) -> np.ndarray:
        """The symmetric n x n coupling matrix (zero diagonal), built once."""
        if self.dense is None:
            n = self.num_variables
            dense = np.zeros((n, n), dtype=np.float64)
            rows = np.repeat(np.arange(n), np.diff(self.indptr))
            dense[rows, self.indices] = self.data
            self.dense = dense
        return self.dense


def _common_unit(values: np.ndarray) -> float | None:
    """The largest q with every value an integer multiple of q (None if none is found).

    Tried: the smallest |value| divided by 1..64, which covers integer QUBOs (Ising
    coefficients are multiples of 1/4) and rational weights with small denominators.

    >>> _common_unit(np.array([0.75, -1.5, 2.25]))
    0.75
    >>> _common_unit(np.array([0.5, 1.25])) == 0.25
    True
    >>> _common_unit(np.array([1.0, np.pi])) is None
    True
    """
    values = np.abs(values[values != 0])
    if values.size == 0:
        return 1.0
    smallest = float(values.min())
    probe = values[:: max(1, values.size // 256)]  # rejects real-valued data cheaply

    def divides(q: float, vals: np.ndarray) -> bool:
        ratio = vals / q
        return bool(np.all(np.abs(ratio - np.rint(ratio)) <= 1e-9 * np.maximum(ratio, 1.0)))

    for k in range(1, 65):
        q = smallest / k
        if divides(q, probe) and divides(q, values):
            return q
    return None


def ising_arrays(bqm: dimod.BinaryQuadraticModel) -> IsingArrays:
    """Convert ``bqm`` (SPIN or BINARY) to :class:`IsingArrays` in the BQM's variable order.

    >>> bqm = dimod.BQM({0: 2.0, 1: 0.0}, {(0, 1): 4.0}, 0.0, "BINARY")
    >>> a = ising_arrays(bqm)
    >>> a.scale, a.h.tolist(), a.data.tolist(), a.integral
    (1.0, [2.0, 1.0], [1.0, 1.0], True)
    """
    variables = list(bqm.variables)
    n = len(variables)
    # A real SPIN copy, not the ``bqm.spin`` view: dimod converts the copy in C, while
    # ``to_numpy_vectors`` on the view iterates in Python (7x slower at n=1000 dense).
    spin = bqm.change_vartype(dimod.SPIN, inplace=False) if bqm.vartype is dimod.BINARY else bqm
    ldata, (irow, icol, qdata), offset = spin.to_numpy_vectors(variable_order=variables)
    h = np.asarray(ldata, dtype=np.float64)
    irow = np.asarray(irow, dtype=np.int64)
    icol = np.asarray(icol, dtype=np.int64)
    qdata = np.asarray(qdata, dtype=np.float64)
    keep = qdata != 0
    irow, icol, qdata = irow[keep], icol[keep], qdata[keep]

    unit = _common_unit(np.concatenate([h, qdata]))
    integral = unit is not None
    if integral:
        scale = unit
    else:
        # Not on a lattice: still normalise so the largest coefficient is 1, which keeps
        # beta values in a familiar range and costs nothing.
        scale = float(max(np.abs(h).max(initial=0.0), np.abs(qdata).max(initial=0.0))) or 1.0
    h = h / scale
    qdata = qdata / scale
    if integral:
        h = np.rint(h)
        qdata = np.rint(qdata)

    # CSR holding both directions, rows sorted by column for cache-friendly sweeps.
    rows = np.concatenate([irow, icol])
    cols = np.concatenate([icol, irow])
    vals = np.concatenate([qdata, qdata])
    order = np.argsort(rows * n + cols, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    absfield = np.abs(h) + np.bincount(rows, weights=np.abs(vals), minlength=n)
    return IsingArrays(
        variables=variables,
        h=np.ascontiguousarray(h),
        indptr=indptr,
        indices=cols.astype(np.int32),
        data=np.ascontiguousarray(vals),
        offset=float(offset),
        scale=float(scale),
        integral=integral,
        max_field=float(absfield.max(initial=0.0)),
    )


def choose_layout(arrays: IsingArrays, requested: str = "auto") -> str:
    """``'dense'`` or ``'csr'``: dense above :data:`DENSE_DENSITY` when the matrix fits."""
    if requested in ("csr", "dense"):
        return requested
    n = arrays.num_variables
    if n <= DENSE_MAX_VARIABLES and arrays.density >= DENSE_DENSITY:
        return "dense"
    return "csr"


def table_size(arrays: IsingArrays) -> int:
    """Length of the per-beta threshold table (0: use the float path with ``exp``).

    The table is indexed by |local field| (stored units), so it applies only when the
    fields are exact integers and small.
    """
    if not arrays.integral or arrays.max_field > TABLE_MAX_FIELD:
        return 0
    return int(math.floor(arrays.max_field)) + 1
