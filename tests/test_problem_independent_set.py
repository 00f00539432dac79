"""Weighted maximum independent set: brute-force optima, MILP, annealing, decode/repair."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from conftest import milp_value, node_weighted_graph
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.problems.independent_set import (
    INDEPENDENT_SET,
    independent_set_problem,
    repair_independent_set,
)
from qanneal.spec import load


def brute_force(graph: nx.Graph) -> float:
    nodes = list(graph)
    best = 0.0
    for r in range(len(nodes) + 1):
        for subset in itertools.combinations(nodes, r):
            chosen = set(subset)
            if not any(u in chosen and v in chosen for u, v in graph.edges):
                best = max(best, sum(graph.nodes[v].get("weight", 1) for v in chosen))
    return best




@pytest.mark.parametrize("seed", range(4))
def test_milp_and_exact_reach_the_brute_force_optimum(seed):
    graph = node_weighted_graph(11, 0.3, seed)
    problem = independent_set_problem(graph)
    best = brute_force(graph)
    assert milp_value(problem) == best
    assert solve(problem, "exact").objective == best


def test_milp_backend_agrees_when_present():
    pytest.importorskip("qanneal.backends.milp")
    graph = node_weighted_graph(12, 0.3, 9)
    result = solve(independent_set_problem(graph), "milp")
    assert result.feasible and result.objective == brute_force(graph)


@pytest.mark.parametrize("seed", range(3))
def test_annealing_is_verified_and_never_beats_the_optimum(seed):
    graph = node_weighted_graph(12, 0.3, seed)
    problem = independent_set_problem(graph)
    result = solve(problem, "sa", seed=seed, num_reads=20)
    assert result.feasible and problem.verify(result.solution) == []
    assert result.objective == problem.objective(result.solution) <= brute_force(graph)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_decode_of_an_encoded_set_round_trips_and_verify_is_the_definition(data):
    graph = node_weighted_graph(8, 0.35, data.draw(st.integers(0, 50)))
    problem = independent_set_problem(graph)
    chosen = data.draw(st.sets(st.sampled_from(list(graph))))
    decoded = problem.decode({v: int(v in chosen) for v in graph})
    assert decoded == sorted(chosen)
    independent = not any(u in chosen and v in chosen for u, v in graph.edges)
    assert (problem.verify(decoded) == []) == independent


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_repair_gives_a_maximal_independent_set(data):
    graph = node_weighted_graph(10, 0.3, data.draw(st.integers(0, 100)))
    broken = data.draw(st.lists(st.sampled_from(list(graph)), unique=True))
    fixed = repair_independent_set(graph, broken)
    problem = independent_set_problem(graph)
    assert problem.verify(fixed) == []
    assert nx.is_dominating_set(graph, fixed) or not graph.number_of_nodes()  # maximal


def test_repair_drops_the_lighter_end():
    graph = nx.Graph([("a", "b")])
    graph.nodes["a"]["weight"], graph.nodes["b"]["weight"] = 5.0, 2.0
    assert repair_independent_set(graph, ["a", "b"]) == ["a"]


def test_verify_and_objective_in_problem_terms():
    problem = independent_set_problem(nx.path_graph(4))
    assert "inside the set" in problem.verify([0, 1])[0]
    assert "unknown node" in problem.verify([0, 7])[0]
    assert "more than once" in problem.verify([0, 0])[0]
    assert problem.verify([0, 2]) == [] and problem.objective([0, 2]) == 2


def test_inline_node_weights_and_dimacs_node_weights(tmp_path):
    spec = tmp_path / "w.yaml"
    spec.write_text("problem: independent_set\ndata:\n  nodes: {a: 3, b: 1, c: 3, d: 1}\n"
                    "  edges: [[a, b], [b, c], [c, d]]\n")
    result = solve(load(spec).problem, "exact")
    assert result.solution == ["a", "c"] and result.objective == 6
    col = tmp_path / "w.col"
    col.write_text("p edge 3 2\nn 2 10\ne 1 2\ne 2 3\n")
    result = solve(INDEPENDENT_SET.from_file(col), "exact")
    assert result.solution == [1] and result.objective == 10
    spec.write_text("problem: independent_set\ndata:\n  nodes: {a: -1}\n")
    with pytest.raises(InputError, match=">= 0"):
        load(spec)


def test_models_are_sized_before_they_are_built(monkeypatch):
    # One CQM constraint per edge: a 2M-edge file asked for ~2 GB with no check. Both
    # the CQM (built on first use) and the MILP are estimated first, one line each.
    from qanneal.errors import TooLargeError

    graph = nx.gnm_random_graph(2000, 20_000, seed=1)
    problem = independent_set_problem(graph)
    monkeypatch.setenv("QANNEAL_MEMORY_LIMIT", "4M")
    assert not problem.cqm_built
    with pytest.raises(TooLargeError, match=r"independent_set CQM .* needs ~.* over the "
                                            r"4 MiB limit .*use -b milp"):
        _ = problem.cqm
    with pytest.raises(TooLargeError, match=r"independent_set MILP .* needs ~"):
        problem.milp()
    monkeypatch.setenv("QANNEAL_MEMORY_LIMIT", "4G")
    assert len(problem.cqm.constraints) == 20_000
