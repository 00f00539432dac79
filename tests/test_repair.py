"""Repair and polish: corrupted answers become verified feasible ones, counted apart."""

from __future__ import annotations

import dimod
import networkx as nx
import numpy as np
import pytest

from qanneal import solve
from qanneal.model import Problem
from qanneal.solve import polish

JOBS = [[(0, 2), (1, 3), (2, 2)], [(0, 3), (2, 1), (1, 3)], [(0, 1), (1, 3), (2, 1)]]


def tsp():
    mod = pytest.importorskip("qanneal.problems.tsp")
    rng = np.random.default_rng(1)
    pts = rng.random((6, 2))
    d = np.round(100 * np.linalg.norm(pts[:, None] - pts[None], axis=-1))
    return mod.tsp_problem(d)


def test_corrupted_tour_is_repaired_and_verified():
    problem = tsp()
    # a city twice, one missing, an empty slot and a slot with two cities
    broken = [0, 1, 1, None, [2, 3], 4]
    assert problem.verify(broken)
    fixed = problem.check(problem.repair(broken))
    assert fixed.feasible, fixed.violations
    assert sorted(fixed.solution) == list(range(6))


def test_corrupted_schedule_is_repaired_and_verified():
    mod = pytest.importorskip("qanneal.problems.jobshop")
    problem = mod.jobshop_problem(JOBS)
    good = problem.options["heuristic_starts"]
    broken = [list(row) for row in good]
    broken[0][1] = broken[0][0]          # starts before its predecessor ends
    broken[1][2] = None                  # not scheduled at all
    broken[2][0] = broken[1][0]          # two operations at once on machine 0
    solution = mod.make_solution(JOBS, broken)
    assert len(problem.verify(solution)) >= 3
    fixed = problem.check(problem.repair(solution))
    assert fixed.feasible, fixed.violations
    assert fixed.objective >= mod.lower_bound(JOBS)


def test_corrupted_colouring_is_repaired_and_verified():
    mod = pytest.importorskip("qanneal.problems.coloring")
    graph = nx.petersen_graph()
    problem = mod.coloring_problem(graph, 3, mode="decide")
    broken = {v: 0 for v in graph}       # every edge monochromatic
    broken[1], broken[2] = None, [0, 1]  # uncoloured, and two colours
    assert problem.verify(broken)
    fixed = problem.check(problem.repair(broken))
    assert fixed.feasible, fixed.violations
    assert all(fixed.solution[u] != fixed.solution[v] for u, v in graph.edges)


def test_solve_repairs_samples_and_counts_them_apart():
    problem = tsp()
    # penalties far too weak: every sample breaks the one-city-per-slot constraints
    plain = solve(problem, "sa", seed=4, penalties=1e-3, num_reads=10, num_sweeps=100)
    assert not plain.feasible and plain.num_feasible == 0 and plain.num_repaired == 0
    result = solve(problem, "sa", seed=4, penalties=1e-3, repair=True, num_reads=10,
                   num_sweeps=100)
    assert result.feasible and result.num_feasible == 0
    assert result.num_repaired == result.num_samples == 10
    assert result.info["best_repaired"] and result.energy is None
    assert problem.verify(result.solution) == []  # the independent checker agrees


def one_of_three(repair) -> Problem:
    x = [dimod.Binary(i) for i in range(3)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-x[0] - x[1] - x[2])
    cqm.add_constraint(x[0] + x[1] + x[2] == 1, label="one")
    return Problem(kind="one", cqm=cqm, decode=lambda s: [v for v in sorted(s) if s[v]],
                   verify=lambda sol: [] if len(sol) == 1 else [f"{len(sol)} picked"],
                   objective=len, repair=repair)


def test_failed_or_wrong_repairs_leave_the_answer_as_sampled():
    def boom(sol):
        raise ValueError("cannot")

    for repair in (boom, lambda sol: sol + [9]):  # raises / still infeasible
        result = solve(one_of_three(repair), "sa", seed=1, penalties=0.01, repair=True,
                       num_reads=5, num_sweeps=50)
        assert not result.feasible and result.num_repaired == 0


def test_polish_reaches_a_local_minimum_and_never_worsens():
    rng = np.random.default_rng(0)
    bqm = dimod.generators.gnp_random_bqm(30, 0.3, "BINARY", random_state=3)
    start = dimod.SampleSet.from_samples_bqm(rng.integers(0, 2, size=(8, 30)), bqm)
    polished = polish(bqm, start)
    assert len(polished) == len(start)  # one descent per sample, in order
    assert np.all(polished.record.energy <= start.record.energy + 1e-9)
    for sample, energy in zip(polished.record.sample, polished.record.energy):
        flips = [bqm.energy({v: (1 - b if v == u else b)
                             for v, b in zip(polished.variables, sample)})
                 for u in polished.variables]
        assert min(flips) >= energy - 1e-9  # no single flip improves it


def test_solve_with_polish_is_no_worse():
    problem = tsp()
    raw = solve(problem, "sa", seed=2, num_reads=8, num_sweeps=5)
    polished = solve(problem, "sa", seed=2, num_reads=8, num_sweeps=5, polish_samples=True)
    assert polished.params["polish"] is True and "polish" not in raw.params
    assert polished.energy <= raw.energy
