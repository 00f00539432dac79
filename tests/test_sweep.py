"""Sweeps over a build option, and the plots drawn from results."""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
import pytest

from qanneal import solve
from qanneal.errors import InputError
from qanneal.plots import frontier, frontier_points, gantt
from qanneal.problems.jobshop import jobshop_problem
from qanneal.problems.portfolio import portfolio_problem
from qanneal.spec import load
from qanneal.sweep import parse_sweep, run_sweep

MU = [0.03, 0.07, 0.04, 0.06, 0.10, 0.02]
COV = np.diag([0.0025, 0.0225, 0.02, 0.03, 0.0625, 0.004]) + 0.0005 * (1 - np.eye(6))


def test_parse_sweep():
    assert parse_sweep("risk_aversion=0.5:10:3") == ("risk_aversion", [0.5, 5.25, 10.0])
    assert parse_sweep("risk-aversion=1:1:1") == ("risk_aversion", [1.0])
    assert parse_sweep("k=1,2,4") == ("k", [1, 2, 4])
    assert parse_sweep("x=0.5, 2") == ("x", [0.5, 2.0])
    for bad in ("risk_aversion", "=1:2:3", "x=1:2", "x=1:2:0", "x=1:2:2.5", "x=a,b",
                "x=1:inf:3", "x="):
        with pytest.raises(InputError):
            parse_sweep(bad)


def test_exact_frontier_is_monotone():
    factory = partial(portfolio_problem, [f"a{i}" for i in range(6)], MU, COV, k=2)
    name, values = parse_sweep("risk_aversion=0:40:6")
    results = run_sweep(factory, "exact", name, values)
    assert [r.params["sweep"]["risk_aversion"] for r in results] == values
    assert all(r.feasible for r in results)
    vols = [r.solution["volatility"] for r in results]
    rets = [r.solution["expected_return"] for r in results]
    # Optimal variance and return never increase with risk aversion.
    assert all(a >= b - 1e-12 for a, b in zip(vols, vols[1:]))
    assert all(a >= b - 1e-12 for a, b in zip(rets, rets[1:]))
    assert vols[0] > vols[-1]  # the sweep does move along the frontier


def test_sweep_from_problem_file_and_frontier_png(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("problem: portfolio\ndata:\n"
                    f"  expected_returns: {MU}\n"
                    f"  covariance: {COV.tolist()}\n"
                    "options: {k: 2}\nseed: 3\n")
    results = run_sweep(spec, "sa", "risk_aversion", [0.5, 20.0], options={"k": 3})
    assert all(r.feasible and len(r.solution["weights"]) == 3 for r in results)
    assert all(r.seed == 3 for r in results)
    out = frontier(results, tmp_path / "f.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        frontier([], tmp_path / "none.png")


def test_gantt_png_for_a_schedule(tmp_path):
    result = solve(jobshop_problem([[(0, 2), (1, 1)], [(1, 2), (0, 1)]]), "exact")
    out = gantt(result.solution, tmp_path / "sub" / "g.png", title="tiny")
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert not list((tmp_path / "sub").glob(".*.tmp"))  # atomic write left no temp file
    with pytest.raises(ValueError):
        gantt({"schedule": []}, tmp_path / "empty.png")



def _portfolios(problem, k: int = 4):
    """Every feasible k-asset selection of the problem (brute force over its binaries)."""
    variables = list(problem.cqm.variables)
    out = []
    for chosen in itertools.combinations(variables, k):
        ev = problem.evaluate({v: int(v in chosen) for v in variables})
        if ev.feasible:
            out.append(ev.solution)
    return out


def test_frontier_data_marks_unproven_and_dominated_points(tmp_path):
    # The plot's data for `qanneal solve problems/portfolio-k.yaml --sweep
    # risk_aversion=0.5:8:6`: sa's answers are not proven optimal; a feasible portfolio
    # that another point beats on both risk and return is off the frontier line.
    from conftest import PROBLEMS

    path = PROBLEMS / "portfolio-k.yaml"  # k: 4
    name, values = parse_sweep("risk_aversion=0.5:8:6")
    proven = run_sweep(path, "milp", name, values)
    assert all(r.status == "optimal" for r in proven)
    points = frontier_points(proven, name)
    assert [p["value"] for p in points] == values
    assert all(p["proven"] and p["on_frontier"] and not p["dominated"] for p in points)

    # A real feasible portfolio (brute force) that the risk_aversion=8 optimum dominates,
    # as sa's answer -0.189972 was (vs the optimum -0.216594).
    best = proven[-1].solution
    worse = [sol for sol in _portfolios(load(path).problem)
             if sol["volatility"] > best["volatility"]
             and sol["expected_return"] < best["expected_return"]]
    assert worse
    points = frontier_points([*proven, worse[0]], name)
    assert points[-1]["dominated"] and not points[-1]["on_frontier"]
    assert not points[-1]["proven"]  # a plain answer proves nothing
    assert sum(p["on_frontier"] for p in points) == len(proven)
    assert frontier([*proven, worse[0]], tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"

    annealed = run_sweep(path, "sa", name, values[-2:], num_reads=5, num_sweeps=100)
    assert not any(p["proven"] for p in frontier_points(annealed, name))


def test_frontier_line_joins_exactly_the_efficient_portfolios():
    # Against brute force: of all feasible portfolios, exactly the efficient ones (no
    # other has no more risk and no less return, and differs) are on the frontier, and
    # the proven optimum of every risk aversion is one of them.
    from conftest import PROBLEMS

    from qanneal.spec import load_problem

    path = PROBLEMS / "portfolio-k.yaml"
    solutions = _portfolios(load(path).problem)
    points = frontier_points(solutions)
    for sol, point in zip(solutions, points, strict=True):
        efficient = not any(
            o["volatility"] <= sol["volatility"] and o["expected_return"] >= sol["expected_return"]
            and (o["volatility"], o["expected_return"])
            != (sol["volatility"], sol["expected_return"]) for o in solutions)
        assert point["on_frontier"] == efficient
    on_line = {(p["volatility"], p["expected_return"]) for p in points if p["on_frontier"]}
    assert 1 < len(on_line) < len(solutions)
    for lam in (0.5, 8.0, 40.0):
        optimum = solve(load_problem(path, options={"risk_aversion": lam}).problem, "exact")
        assert (optimum.solution["volatility"], optimum.solution["expected_return"]) in on_line
