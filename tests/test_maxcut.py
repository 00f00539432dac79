"""Max-cut known answers: brute force on small graphs, MILP and tabu on a 100-node graph."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pulp
import pytest

import qanneal
from qanneal.problems.maxcut import cut_value, maxcut_problem


def brute_force_maxcut(graph: nx.Graph) -> float:
    """Largest cut by enumerating every partition (node 0 fixed: the cut is symmetric)."""
    nodes = list(graph)
    index = {v: i for i, v in enumerate(nodes)}
    n = len(nodes)
    edges = np.array([(index[u], index[v]) for u, v in graph.edges])
    weights = np.array([w for *_, w in graph.edges(data="weight", default=1.0)])
    best = -np.inf
    for bits in itertools.product((0, 1), repeat=n - 1):
        side = np.array((0, *bits))
        best = max(best, float(weights[side[edges[:, 0]] != side[edges[:, 1]]].sum()))
    return best


def random_weighted_graph(n: int, p: float, seed: int, signed: bool = False) -> nx.Graph:
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(n, p, seed=seed)
    for u, v in graph.edges:
        w = int(rng.integers(1, 10))
        graph[u][v]["weight"] = -w if signed and rng.random() < 0.3 else w
    return graph


@pytest.mark.parametrize("n,p,seed,signed", [
    (8, 0.5, 1, False), (12, 0.4, 2, True), (16, 0.3, 3, False), (20, 0.25, 4, True)])
def test_sa_and_exact_equal_brute_force(n, p, seed, signed):
    graph = random_weighted_graph(n, p, seed, signed)
    optimum = brute_force_maxcut(graph)
    problem = maxcut_problem(graph)
    for backend in ("sa", "exact"):
        result = qanneal.solve(problem, backend, seed=seed)
        assert result.feasible
        assert result.objective == pytest.approx(optimum), backend
        assert cut_value(graph, result.solution["partition"]) == pytest.approx(result.objective)


def test_native_milp_is_optimal_on_small_graph():
    graph = random_weighted_graph(12, 0.4, 7, signed=True)
    formulation = maxcut_problem(graph).milp()
    formulation.lp.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[formulation.lp.status] == "Optimal"
    solution = formulation.extract()
    assert cut_value(graph, solution["partition"]) == pytest.approx(brute_force_maxcut(graph))


def test_sa_matches_best_of_tabu_and_exact_milp_on_100_nodes():
    graph = nx.gnp_random_graph(100, 0.04, seed=3)
    problem = maxcut_problem(graph)
    formulation = problem.milp()
    formulation.lp.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[formulation.lp.status] == "Optimal"
    milp_value = problem.check(formulation.extract()).objective
    tabu = qanneal.solve(problem, "tabu", seed=1)
    sa = qanneal.solve(problem, "sa", seed=1)
    assert sa.feasible and tabu.feasible
    assert tabu.objective <= milp_value
    assert sa.objective == pytest.approx(max(tabu.objective, milp_value))


def test_seed_makes_sa_reproducible():
    problem = maxcut_problem(random_weighted_graph(30, 0.2, 5))
    a = qanneal.solve(problem, "sa", seed=11, num_reads=5, num_sweeps=50)
    b = qanneal.solve(problem, "sa", seed=11, num_reads=5, num_sweeps=50)
    assert a.solution == b.solution and a.energy == b.energy


def test_verify_catches_bad_partitions():
    problem = maxcut_problem(nx.path_graph(4))
    assert problem.verify({"partition": [[0, 1], [1, 2, 3]]})  # node on both sides
    assert problem.verify({"partition": [[0], [1, 2]]})  # node 3 nowhere
    assert problem.verify({"partition": [[0, 9], [1, 2, 3]]})  # unknown node
    assert problem.verify({"partition": [[0, 2], [1, 3]]}) == []


def test_time_limit_makes_sa_anytime():
    problem = maxcut_problem(random_weighted_graph(40, 0.2, 6))
    result = qanneal.solve(problem, "sa", seed=1, time_limit=1.0, num_reads=1, num_sweeps=10)
    assert result.info["batches"] > 1
    assert result.feasible
