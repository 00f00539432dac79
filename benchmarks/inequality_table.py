"""Inequalities: dimod's slack form vs unbalanced penalisation, on knapsacks, at equal time.

For each instance, backend, encoding and seed: one ``solve`` with ``--time-limit``
(annealers restart until it is spent), every answer verified by the knapsack checker;
the table shows the median and worst best *verified-feasible* value over the seeds and
the median gap to the MILP optimum (HiGHS, proven, computed once per instance with no
time limit). An ``+ repair`` row lets the knapsack repair fix infeasible samples
(repaired answers are verified again and counted apart by ``solve``).

Instances (all written by seeded generators; nothing is downloaded):

* ``dwave150``: ``problems/knapsack-dwave.yaml`` (150 items, D-Wave's CSV layout,
  capacity half the total weight);
* ``dwave500``: 500 items from ``problems/generate_knapsack_items.py`` (``csv_text(500,
  500)``) in D-Wave's CSV layout, capacity 80% of the total weight (D-Wave's example);
* ``mknap-cb``: a 100-item, 5-constraint multi-dimensional knapsack in the OR-Library
  ``mknapcb`` style (Chu & Beasley: weights U[0, 1000), capacity half of each row,
  value ``sum_k w_ki / 5 + 500 U[0, 1)``), seed 5;
* ``mknap``: ``problems/knapsack-mknap.yaml`` (16 items, 3 constraints).

Run from the repository root, single threaded::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/inequality_table.py \\
        --time-limit 10 --seeds 1 2 3 --backends sa anneal
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from qanneal import solve
from qanneal.spec import load_problem

ROOT = Path(__file__).resolve().parent.parent


def write_instances(folder: Path) -> dict[str, tuple[Path, str | None, dict[str, Any]]]:
    """The instances as ``name -> (file, problem type for a data file, build options)``."""
    sys.path.insert(0, str(ROOT / "problems"))
    from generate_knapsack_items import csv_text

    items500 = folder / "knapsack-items500.csv"
    items500.write_text(csv_text(500, 500))
    rng = np.random.default_rng(5)
    n, m = 100, 5
    weights = rng.integers(0, 1000, (m, n))
    values = (weights.sum(axis=0) / m + 500 * rng.random(n)).round().astype(int)
    capacity = (weights.sum(axis=1) // 2).astype(int)
    rows = [f"1\n{n} {m} 0\n", " ".join(map(str, values)) + "\n"]
    rows += [" ".join(map(str, row)) + "\n" for row in weights]
    rows.append(" ".join(map(str, capacity)) + "\n")
    mknap = folder / "mknapcb-100x5.txt"
    mknap.write_text("".join(rows))
    return {
        "dwave150": (ROOT / "problems" / "knapsack-dwave.yaml", None, {}),
        "dwave500": (items500, "knapsack", {"capacity_fraction": 0.8}),
        "mknap-cb": (mknap, "knapsack", {}),
        "mknap": (ROOT / "problems" / "knapsack-mknap.yaml", None, {}),
    }


CONFIGS = {  # label -> (inequalities, repair)
    "slack": ("slack", False),
    "unbalanced": ("unbalanced", False),
    "unbalanced + repair": ("unbalanced", True),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--backends", nargs="+", default=["sa", "anneal"])
    parser.add_argument("--instances", nargs="+", default=None)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="qanneal-ineq-"))
    instances = write_instances(folder)
    names = args.instances or list(instances)
    print("| instance | items x constraints | MILP optimum | backend | encoding | "
          "median value | worst value | median gap | feasible samples |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        path, ptype, options = instances[name]
        problem = load_problem(path, ptype, options=options).problem
        optimum = solve(problem, "milp", seed=0).objective
        size = f"{problem.data.n} x {len(problem.data.capacities)}"
        for backend in args.backends:
            for label, (encoding, repair) in CONFIGS.items():
                problem.inequalities = encoding
                values, rates = [], []
                for seed in args.seeds:
                    result = solve(problem, backend, seed=seed, time_limit=args.time_limit,
                                   repair=repair)
                    # Only a verified-feasible answer counts (repaired ones are verified).
                    values.append(result.objective if result.feasible else float("nan"))
                    rates.append(result.num_feasible / max(result.num_samples, 1))
                found = [v for v in values if v == v]
                median = statistics.median(found) if len(found) == len(values) else None
                worst = min(found) if len(found) == len(values) else None
                gap = None if median is None else (optimum - median) / optimum
                print(f"| {name} | {size} | {optimum:g} | {backend} | {label} | "
                      f"{_cell(median)} | {_cell(worst)} | "
                      f"{'-' if gap is None else f'{gap:.2%}'} | "
                      f"{statistics.median(rates):.0%} |", flush=True)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


if __name__ == "__main__":
    main()
