"""Weighted minimum vertex cover: brute-force optima, MILP, annealing, decode/repair."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from conftest import milp_value, node_weighted_graph
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.problems.independent_set import independent_set_problem
from qanneal.problems.vertex_cover import (
    VERTEX_COVER,
    repair_vertex_cover,
    vertex_cover_problem,
)


def brute_force(graph: nx.Graph) -> float:
    nodes = list(graph)
    best = float("inf")
    for r in range(len(nodes) + 1):
        for subset in itertools.combinations(nodes, r):
            cover = set(subset)
            if all(u in cover or v in cover for u, v in graph.edges):
                best = min(best, sum(graph.nodes[v].get("weight", 1) for v in cover))
    return best




@pytest.mark.parametrize("seed", range(4))
def test_milp_reaches_the_brute_force_optimum_and_complements_mis(seed):
    graph = node_weighted_graph(11, 0.3, seed)
    best = brute_force(graph)
    assert milp_value(vertex_cover_problem(graph)) == best
    total = sum(w for _, w in graph.nodes(data="weight"))
    assert best == total - milp_value(independent_set_problem(graph))  # Gallai


def test_exact_on_the_cqm_finds_the_optimum():
    graph = node_weighted_graph(7, 0.35, 1)
    problem = vertex_cover_problem(graph)
    assert solve(problem, "exact").objective == brute_force(graph)
    assert problem.to_bqm()[0].num_variables == 7  # covers are penalised without slack


def test_milp_backend_agrees_when_present():
    pytest.importorskip("qanneal.backends.milp")
    graph = node_weighted_graph(12, 0.3, 9)
    result = solve(vertex_cover_problem(graph), "milp")
    assert result.feasible and result.objective == brute_force(graph)


@pytest.mark.parametrize("seed", range(3))
def test_annealing_is_verified_and_never_beats_the_optimum(seed):
    graph = node_weighted_graph(12, 0.3, seed)
    problem = vertex_cover_problem(graph)
    result = solve(problem, "sa", seed=seed, num_reads=20)
    assert result.feasible and problem.verify(result.solution) == []
    assert result.objective == problem.objective(result.solution) >= brute_force(graph)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_decode_round_trips_and_verify_is_the_definition(data):
    graph = node_weighted_graph(8, 0.35, data.draw(st.integers(0, 50)))
    problem = vertex_cover_problem(graph)
    chosen = data.draw(st.sets(st.sampled_from(list(graph))))
    sample = {v: int(v in chosen) for v in problem.cqm.variables if v in graph}
    decoded = problem.decode(sample)
    assert decoded == sorted(chosen)
    covers = all(u in chosen or v in chosen for u, v in graph.edges)
    assert (problem.verify(decoded) == []) == covers


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_repair_gives_a_minimal_cover(data):
    graph = node_weighted_graph(10, 0.3, data.draw(st.integers(0, 100)))
    broken = data.draw(st.lists(st.sampled_from(list(graph)), unique=True))
    fixed = set(repair_vertex_cover(graph, broken))
    assert vertex_cover_problem(graph).verify(sorted(fixed)) == []
    for v in fixed:  # minimal: no node can be dropped
        assert any(u not in fixed for u in graph[v])


def test_verify_reports_uncovered_edges_and_file_input(tmp_path):
    problem = vertex_cover_problem(nx.path_graph(4))
    assert "not covered" in problem.verify([0])[0]
    assert problem.objective([1, 2]) == 2 and problem.verify([1, 2]) == []
    col = tmp_path / "p.col"
    col.write_text("p edge 4 3\ne 1 2\ne 2 3\ne 3 4\n")
    result = solve(VERTEX_COVER.from_file(col), "exact")
    assert result.objective == 2
