"""Benchmark instances for the side-by-side suite, read from the shared benchmark folder.

Families (see ``MANIFEST.md`` and the ``best_known.csv`` files of the bench folder):

* ``G<k>`` -- Gset max-cut in rudy format, read with :func:`qanneal.formats.rudy.read_rudy`
  and turned into a BQM by :func:`qanneal.problems.maxcut.maxcut_problem` (energy = -cut);
* ``bqp<n>-<k>`` -- Beasley OR-Library BQP (``bqp/single/``), read by :func:`read_beasley`
  here: no qanneal reader takes the OR-Library format, and its convention is particular
  (maximise ``sum_{i,j} q_ij x_i x_j`` over a symmetric ``q`` of which the file lists
  the upper triangle, so an off-diagonal entry counts *twice*, a diagonal one once);
  the BQM minimises the negated value, so energy = -value;
* TSPLIB names (``burma14`` ...) and job-shop names (``ft06`` ...) -- loaded through
  ``qanneal.load_problem(path, 'tsp' | 'jobshop')``; solvers see the problem's
  penalised BQM and every sample is decoded and verified by the problem.

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
...     _ = f.write("2 2\\n1 1 3\\n1 2 -2\\n")
>>> bqm = read_beasley(f.name)
>>> beasley_value(bqm, [1, 1])        # 3 + 2 * (-2)
-1.0
>>> beasley_value(bqm, [1, 0])
3.0
>>> os.unlink(f.name)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dimod
import numpy as np

from qanneal.errors import InputError

#: ``../shared/bench`` next to the repository (the default ``--bench-dir``).
DEFAULT_BENCH_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"

GSET_RE = re.compile(r"G\d+")
BQP_RE = re.compile(r"bqp(\d+)(?:-(\d+))?")


@dataclass
class Instance:
    """One benchmark instance as the suite needs it.

    ``bqm`` is what every annealer minimises. For unconstrained families the problem
    objective is ``-energy`` (``objective_of_energy``); for constrained ones
    (``problem`` set) samples are decoded and verified by the qanneal problem.
    ``check(sample) -> objective`` recomputes an objective independently of the BQM.
    """

    name: str
    family: str  # gset | bqp | tsp | jobshop | generated
    bqm: dimod.BinaryQuadraticModel
    sense: str
    best_known: float | None
    path: Path | None = None
    problem: Any = None  # qanneal.model.Problem for constrained families
    check: Callable[[np.ndarray], float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def constrained(self) -> bool:
        return self.problem is not None and self.check is None

    def objective_of_energy(self, energy: np.ndarray) -> np.ndarray:
        """Problem objective of BQM energies (unconstrained families: ``-energy``)."""
        return -np.asarray(energy, dtype=float)


# ----------------------------------------------------------------------------- Beasley
def read_beasley(path: str | Path) -> dimod.BinaryQuadraticModel:
    """One OR-Library BQP instance (``n nnz`` then ``i j q``, 1-based, i <= j) as a BQM.

    The BQM *minimises* ``-sum_i q_ii x_i - 2 sum_{i<j} q_ij x_i x_j``, i.e. its energy is
    the negated Beasley value (MANIFEST: the file lists the upper triangle of a
    symmetric matrix, so each off-diagonal entry counts twice; this reproduces 2098 on
    bqp50-1). Variables are ``0..n-1``. A pair listed twice (in either order) is refused.
    """
    from qanneal.formats._common import open_text, parse_float, parse_int, snippet

    n = nnz = None
    header_line = 0
    seen: dict[tuple[int, int], int] = {}
    linear: np.ndarray | None = None
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for lineno, raw in open_text(path):
        tokens = raw.split()
        if not tokens:
            continue
        if n is None:
            if len(tokens) != 2:
                raise InputError(f"expected header 'n nnz', got {snippet(raw)}", file=path,
                                 line=lineno)
            n = parse_int(tokens[0], file=path, line=lineno, field="n", lo=1, hi=10**6,
                          what="a variable count")
            nnz = parse_int(tokens[1], file=path, line=lineno, field="nnz", lo=0,
                            what="an entry count")
            header_line = lineno
            linear = np.zeros(n)
            continue
        if len(tokens) != 3:
            raise InputError(f"expected 'i j q' with 1 <= i, j <= {n}, got {snippet(raw)}",
                             file=path, line=lineno)
        i, j = (parse_int(t, file=path, line=lineno, field=f, lo=1, hi=n, what="an index")
                for t, f in zip(tokens[:2], ("i", "j"), strict=True))
        q = parse_float(tokens[2], file=path, line=lineno, field="q", what="a number")
        key = (min(i, j), max(i, j))
        if key in seen:
            raise InputError(f"entry {i} {j} repeats line {seen[key]}; each pair once",
                             file=path, line=lineno)
        seen[key] = lineno
        if i == j:
            linear[i - 1] = -q
        else:
            rows.append(key[0] - 1)
            cols.append(key[1] - 1)
            vals.append(-2.0 * q)
    if n is None:
        raise InputError("empty file; expected 'n nnz' then 'i j q' lines", file=path)
    if len(seen) != nnz:
        raise InputError(f"header says {nnz} entries, the file has {len(seen)}", file=path,
                         line=header_line)
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64),
                 np.array(vals)), 0.0, "BINARY")


def beasley_value(bqm: dimod.BinaryQuadraticModel, x: Sequence[int]) -> float:
    """The Beasley objective (to maximise) of the 0/1 vector ``x`` (x_1..x_n in order)."""
    return -float(bqm.energy({v: int(x[v]) for v in bqm.variables}))


def read_solution(path: str | Path) -> np.ndarray:
    """A witness file: one 0 or 1 per line (node side / variable value), in index order."""
    values = []
    for lineno, line in enumerate(Path(path).read_text().split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        if line not in ("0", "1"):
            raise InputError(f"expected 0 or 1, got {line[:20]!r}", file=path, line=lineno)
        values.append(int(line))
    return np.array(values, dtype=np.int8)


def read_best_known(path: str | Path, column: str) -> dict[str, float]:
    """``instance -> value`` from a ``best_known.csv`` (``#`` lines are comments)."""
    lines = [ln for ln in Path(path).read_text().splitlines() if ln and not ln.startswith("#")]
    return {row["instance"]: float(row[column]) for row in csv.DictReader(lines)
            if row.get(column) not in (None, "")}


# ----------------------------------------------------------------------------- loading
def cut_checker(bqm: dimod.BinaryQuadraticModel, graph: Any) -> Callable[[np.ndarray], float]:
    """``x -> cut weight`` straight from the graph's edges (independent of the BQM)."""
    order = {v: i for i, v in enumerate(bqm.variables)}
    edges = list(graph.edges(data="weight", default=1.0))
    u = np.array([order[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([order[b] for _, b, _ in edges], dtype=np.int64)
    w = np.array([float(x) for *_, x in edges])

    def check(x: np.ndarray) -> float:
        x = np.asarray(x)
        return float(w[x[u] != x[v]].sum())
    return check


def beasley_checker(bqm: dimod.BinaryQuadraticModel, path: Path) -> Callable[[np.ndarray], float]:
    """``x -> sum_i q_ii x_i + 2 sum_{i<j} q_ij x_i x_j`` from the file's own entries."""
    data = np.loadtxt(path, skiprows=1, ndmin=2)
    i, j, q = data[:, 0].astype(int) - 1, data[:, 1].astype(int) - 1, data[:, 2]
    factor = np.where(i == j, 1.0, 2.0)
    position = {v: k for k, v in enumerate(bqm.variables)}
    perm = np.array([position[k] for k in range(bqm.num_variables)])

    def check(x: np.ndarray) -> float:
        xs = np.asarray(x)[perm]  # the BQM's variable order -> file index order
        return float((factor * q * xs[i] * xs[j]).sum())
    return check


def load_instance(name: str, bench_dir: str | Path = DEFAULT_BENCH_DIR) -> Instance:
    """The instance ``name`` (G1, bqp500-1, burma14, ft06 ...) from ``bench_dir``."""
    bench = Path(bench_dir)
    if GSET_RE.fullmatch(name):
        from qanneal.formats.rudy import read_rudy
        from qanneal.problems.maxcut import maxcut_problem

        path = bench / "gset" / f"{name}.rud"
        graph = read_rudy(path)
        problem = maxcut_problem(graph, name=name)
        bqm, _ = problem.to_bqm()
        best = read_best_known(bench / "gset" / "best_known.csv", "recommended_best_known")
        return Instance(name, "gset", bqm, "max", best.get(name), path, problem,
                        cut_checker(bqm, graph), {"edges": graph.number_of_edges()})
    match = BQP_RE.fullmatch(name)
    if match:
        name = name if match.group(2) else f"{name}-1"  # bqp500 means bqp500-1
        path = bench / "bqp" / "single" / f"{name}.txt"
        bqm = read_beasley(path)
        best = read_best_known(bench / "bqp" / "best_known.csv", "best_known_max")
        return Instance(name, "bqp", bqm, "max", best.get(name), path, None,
                        beasley_checker(bqm, path))
    import qanneal

    for family, kind, suffix, column in (("tsp", "tsp", ".tsp", "optimal_tour_length"),
                                         ("jobshop", "jobshop", ".txt", "optimal_makespan")):
        path = bench / family / f"{name}{suffix}"
        if path.exists():
            problem = qanneal.load_problem(path, kind).problem
            bqm, weights = problem.to_bqm()
            best = read_best_known(bench / family / "best_known.csv", column)
            return Instance(name, family, bqm, problem.sense, best.get(name), path, problem,
                            None, {"penalty_groups": len(weights or {})})
    raise InputError(f"unknown instance {name!r} in {bench}; expected G<k> (gset), "
                     "bqp<n>-<k>, a TSPLIB name in tsp/ or a job-shop name in jobshop/",
                     field="instances")


def generated_instance(n: int = 14, p: float = 0.4, seed: int = 0) -> Instance:
    """A random G(n, p) max-cut (no shared files needed), for testing the harness.

    Up to n = 20 its best-known value is the exact optimum (dimod's ExactSolver).

    >>> import itertools
    >>> inst = generated_instance(8, seed=1)
    >>> cuts = [inst.check(np.array(x)) for x in itertools.product((0, 1), repeat=8)]
    >>> inst.best_known == max(cuts)
    True
    """
    import networkx as nx

    from qanneal.problems.maxcut import maxcut_problem

    graph = nx.gnp_random_graph(n, p, seed=seed)
    problem = maxcut_problem(graph, name=f"gnp{n}")
    bqm, _ = problem.to_bqm()
    best = None
    if n <= 20:
        best = -float(dimod.ExactSolver().sample(bqm).first.energy)
    return Instance(f"gnp{n}-{seed}", "generated", bqm, "max", best, None, problem,
                    cut_checker(bqm, graph))
