"""Balanced graph partitioning: brute-force optima (k = 2, 3), MILP, annealing, decode/repair."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import networkx as nx
import pytest
from conftest import milp_value
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.problems.partition import (
    PARTITION,
    cut_weight,
    part_label,
    partition_problem,
    repair_partition,
    size_bounds,
)


def weighted_graph(n: int, p: float, seed: int) -> nx.Graph:
    graph = nx.gnp_random_graph(n, p, seed=seed)
    rnd = random.Random(seed)
    for u, v in graph.edges:
        graph[u][v]["weight"] = rnd.randint(1, 5)
    return graph


def brute_force(graph: nx.Graph, k: int, hi: int) -> float:
    nodes = list(graph)
    best = float("inf")
    for parts in itertools.product(range(k), repeat=len(nodes) - 1):
        part = dict(zip(nodes, (0, *parts)))  # the first node's part is fixed by symmetry
        if max(Counter(part.values()).values()) <= hi:
            best = min(best, cut_weight(graph, part))
    return best




@pytest.mark.parametrize("n, k, balance, seed", [
    (10, 2, 0.0, 0), (11, 2, 0.0, 1), (10, 2, 0.2, 2), (9, 3, 0.0, 3), (9, 3, 0.34, 4),
])
def test_milp_reaches_the_brute_force_optimum(n, k, balance, seed):
    graph = weighted_graph(n, 0.4, seed)
    problem = partition_problem(graph, k, balance=balance)
    assert milp_value(problem) == brute_force(graph, k, problem.options["max_size"])


def test_exact_on_the_cqm_finds_the_optimum():
    graph = weighted_graph(10, 0.4, 5)
    problem = partition_problem(graph)  # 10 variables, one equality
    assert solve(problem, "exact").objective == brute_force(graph, 2, 5)


def test_milp_backend_agrees_when_present():
    pytest.importorskip("qanneal.backends.milp")
    graph = weighted_graph(10, 0.4, 6)
    result = solve(partition_problem(graph, balance=0.2), "milp")
    assert result.feasible and result.objective == brute_force(graph, 2, 6)


@pytest.mark.parametrize("k, balance", [(2, 0.0), (2, 0.2), (3, 0.0), (3, 0.34)])
def test_annealing_is_verified_and_never_beats_the_optimum(k, balance):
    graph = weighted_graph(9, 0.4, 7)
    problem = partition_problem(graph, k, balance=balance)
    result = solve(problem, "sa", seed=1, num_reads=20)
    assert result.feasible and problem.verify(result.solution) == []
    best = brute_force(graph, k, problem.options["max_size"])
    assert result.objective == problem.objective(result.solution) >= best


def test_size_bounds_follow_the_tolerance():
    assert size_bounds(10, 2, 0.0) == (5, 5)
    assert size_bounds(11, 2, 0.0) == (5, 6)
    assert size_bounds(12, 3, 0.1) == (2, 5)   # ceil(1.1 * 4) = 5
    assert size_bounds(10, 2, 0.1) == (4, 6)   # (1 + 0.1) * 5 is 5.5 exactly, not 5.500...1


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_decode_of_an_encoded_assignment_round_trips(data):
    k = data.draw(st.integers(2, 4))
    graph = weighted_graph(8, 0.4, data.draw(st.integers(0, 50)))
    problem = partition_problem(graph, k, balance=0.5)
    part = {v: data.draw(st.integers(0, k - 1)) for v in graph}
    if k == 2:
        sample = dict(part)
    else:
        sample = {part_label(v, p): int(part[v] == p) for v in graph for p in range(k)}
    assert problem.decode(sample) == part
    sizes_ok = max(Counter(part.values()).values()) <= problem.options["max_size"]
    assert (problem.verify(part) == []) == sizes_ok
    assert problem.objective(part) == cut_weight(graph, part)


def test_verify_reports_every_kind_of_fault():
    problem = partition_problem(nx.path_graph(6), 3)
    faults = " | ".join(problem.verify({0: 0, 1: 0, 2: 0, 3: None, 4: [1, 2], 5: 7, 9: 1}))
    for text in ("in no part", "several parts", "unknown node", "parts are 0..2", "too large"):
        assert text in faults
    evaluation = problem.check({0: 0, 1: 0, 2: 1, 3: None, 4: 2, 5: 2})
    assert not evaluation.feasible  # objective is not defined without a part for node 3


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_repair_always_restores_a_valid_partition(data):
    k = data.draw(st.integers(2, 3))
    graph = weighted_graph(9, 0.4, data.draw(st.integers(0, 100)))
    problem = partition_problem(graph, k, balance=data.draw(st.sampled_from([0.0, 0.2])))
    entry = st.one_of(st.none(), st.integers(-1, k), st.lists(st.integers(0, k - 1),
                                                              max_size=3))
    broken = {v: data.draw(entry) for v in graph}
    fixed = problem.repair(broken)
    assert problem.verify(fixed) == []
    assert fixed == repair_partition(graph, broken, k, problem.options["max_size"])


def test_penalty_groups_and_bad_input(tmp_path):
    problem = partition_problem(nx.cycle_graph(6))
    assert set(problem.penalty_weights()) == {"balance[1]"}
    assert problem.penalty_weights({"balance": 3})["balance[1]"] == 3
    assert {"node", "balance"} == {label.split("[")[0]
                                   for label in partition_problem(nx.cycle_graph(6), 3).cqm.constraints}
    with pytest.raises(InputError, match="weights >= 0"):
        partition_problem(nx.Graph([(0, 1, {"weight": -1}), (1, 2)]))
    with pytest.raises(InputError, match="k <= number of nodes"):
        partition_problem(nx.path_graph(3), 4)
    rud = tmp_path / "g.rud"
    rud.write_text("4 4\n1 2 1\n2 3 5\n3 4 1\n4 1 5\n")
    result = solve(PARTITION.from_file(rud), "exact")  # rudy read with --problem partition
    assert result.objective == 2
