"""Writes knapsack-items150.csv: 150 items in D-Wave's knapsack CSV layout (cost,weight).

A weakly correlated instance (Pisinger's classes): weight uniform in 10..60, value =
weight + uniform -10..10 (at least 1), from numpy's default_rng(150). Not D-Wave's data.
Run from the repository root: python problems/generate_knapsack_items.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def items(n: int = 150, seed: int = 150) -> list[tuple[int, int]]:
    """``n`` (value, weight) pairs, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(10, 61, n)
    value = np.maximum(weight + rng.integers(-10, 11, n), 1)
    return [(int(v), int(w)) for v, w in zip(value, weight)]


def csv_text(n: int = 150, seed: int = 150) -> str:
    return "".join(f"{v},{w}\n" for v, w in items(n, seed))


if __name__ == "__main__":
    out = Path(__file__).with_name("knapsack-items150.csv")
    out.write_text(csv_text())
    print(f"wrote {out}")
