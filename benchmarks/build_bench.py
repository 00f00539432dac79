"""How long building the TSP model takes: qanneal vs PyQUBO vs dimod's symbolic API.

The model is the textbook one-hot TSP on n random cities (TSPLIB EUC_2D distances):
n^2 variables x[c,t], the tour length sum_t sum_{a != b} d[a,b] x[a,t] x[b,t+1]
(n^2 (n - 1) quadratic terms) and 2n one-hot constraints. For each tool it times

* CQM: the objective plus the constraints as a constrained model
  (qanneal: ``tsp_problem``; dimod: ``quicksum`` of ``Binary`` products into a CQM;
  PyQUBO has no CQM, so that cell is empty);
* BQM: the penalised QUBO an annealer gets, from scratch
  (qanneal: ``tsp_problem(...).to_bqm()``; dimod: the CQM above then
  ``dimod.cqm_to_bqm``; PyQUBO: ``Array`` expression with squared one-hot penalties,
  ``compile()``, ``to_bqm()``).

Each cell is the median of ``--runs`` runs in a fresh state; the number of quadratic
terms of every BQM is checked to be the same. Reproduce with::

    .venv/bin/python benchmarks/build_bench.py --n 100 --runs 3
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import dimod
import numpy as np

from qanneal.formats.tsplib import coord_distances
from qanneal.problems.tsp import PENALTY_FACTOR, tsp_problem


def instance(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coords = rng.integers(0, 1000, (n, 2)).astype(float)
    return coord_distances(coords, "EUC_2D").astype(float)


# ---------------------------------------------------------------------- qanneal
def qanneal_cqm(d: np.ndarray) -> Any:
    return tsp_problem(d).cqm


def qanneal_bqm(d: np.ndarray) -> dimod.BinaryQuadraticModel:
    return tsp_problem(d).to_bqm()[0]


# ---------------------------------------------------------------------- dimod symbolic
def dimod_cqm(d: np.ndarray) -> dimod.ConstrainedQuadraticModel:
    n = len(d)
    x = [[dimod.Binary((c, t)) for t in range(n)] for c in range(n)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(dimod.quicksum(
        d[a, b] * x[a][t] * x[b][(t + 1) % n]
        for t in range(n) for a in range(n) for b in range(n) if a != b))
    for c in range(n):
        cqm.add_constraint(dimod.quicksum(x[c]) == 1, label=f"city[{c}]")
    for t in range(n):
        cqm.add_constraint(dimod.quicksum(x[c][t] for c in range(n)) == 1,
                           label=f"position[{t}]")
    return cqm


def dimod_bqm(d: np.ndarray) -> dimod.BinaryQuadraticModel:
    bqm, _ = dimod.cqm_to_bqm(dimod_cqm(d), lagrange_multiplier=PENALTY_FACTOR * d.max())
    return bqm


# ---------------------------------------------------------------------- PyQUBO
def pyqubo_bqm(d: np.ndarray) -> dimod.BinaryQuadraticModel:
    from pyqubo import Array, Constraint

    n = len(d)
    x = Array.create("x", shape=(n, n), vartype="BINARY")
    length = sum(float(d[a, b]) * x[a, t] * x[b, (t + 1) % n]
                 for t in range(n) for a in range(n) for b in range(n) if a != b)
    city = sum(Constraint((sum(x[c, t] for t in range(n)) - 1) ** 2, label=f"city[{c}]")
               for c in range(n))
    position = sum(Constraint((sum(x[c, t] for c in range(n)) - 1) ** 2,
                              label=f"position[{t}]") for t in range(n))
    weight = PENALTY_FACTOR * float(d.max())
    model = (length + weight * (city + position)).compile()
    return model.to_bqm()


# ---------------------------------------------------------------------- timing
def median_time(build: Callable[[np.ndarray], Any], d: np.ndarray, runs: int
                ) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(runs):
        out = None
        gc.collect()
        start = time.perf_counter()
        out = build(d)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def interactions(model: Any) -> int:
    if isinstance(model, dimod.ConstrainedQuadraticModel):
        return model.objective.num_interactions
    return model.num_interactions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="number of cities (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell (median)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["pyqubo", "dimod"],
                        help="tools to leave out")
    args = parser.parse_args(argv)
    d = instance(args.n)
    rows: list[tuple[str, str, float | None, int | None]] = []
    plan = [("qanneal", "CQM", qanneal_cqm), ("qanneal", "BQM", qanneal_bqm),
            ("dimod symbolic", "CQM", dimod_cqm), ("dimod symbolic", "BQM", dimod_bqm),
            ("PyQUBO", "BQM", pyqubo_bqm)]
    for tool, kind, build in plan:
        if tool.split()[0].lower() in args.skip:
            continue
        seconds, model = median_time(build, d, args.runs)
        rows.append((tool, kind, seconds, interactions(model)))
        print(f"  {tool:15s} {kind}: {seconds:8.2f} s  ({interactions(model):,} quadratic "
              "terms)", file=sys.stderr, flush=True)
        del model
    bqm_terms = {terms for _, kind, _, terms in rows if kind == "BQM"}
    print(f"\nTSP-{args.n}: {args.n ** 2:,} variables, {args.n ** 2 * (args.n - 1):,} "
          f"objective terms; median of {args.runs} run(s)\n")
    print("| tool | model | build time (s) | quadratic terms |")
    print("|---|---|---|---|")
    for tool, kind, seconds, terms in rows:
        print(f"| {tool} | {kind} | {seconds:.2f} | {terms:,} |")
    if len(bqm_terms) > 1:
        print(f"\nwarning: the BQMs differ in size: {sorted(bqm_terms)}")
    print(f"\nReproduce: .venv/bin/python benchmarks/build_bench.py --n {args.n} "
          f"--runs {args.runs}")


if __name__ == "__main__":
    main()
