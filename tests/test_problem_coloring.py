"""Graph colouring: known chromatic numbers (brute force, MILP), decide mode, decode/repair."""

from __future__ import annotations

import itertools

import networkx as nx
import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.problems.coloring import (
    COLORING,
    coloring_problem,
    repair_coloring,
    x_label,
    y_label,
)
from qanneal.spec import load, load_problem

GRAPHS = {
    "C5": (nx.cycle_graph(5), 3),
    "myciel3": (nx.mycielski_graph(4), 4),
    "K4": (nx.complete_graph(4), 4),
    "grid3x3": (nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 3)), 2),
    "wheel6": (nx.wheel_graph(6), 4),
}


def chromatic_number(graph: nx.Graph) -> int:
    """Smallest k with a proper k-colouring, by enumeration (small graphs only)."""
    nodes = list(graph)
    for k in range(1, len(nodes) + 1):
        for colours in itertools.product(range(k), repeat=len(nodes) - 1):
            colour = dict(zip(nodes, (0, *colours)))
            if all(colour[u] != colour[v] for u, v in graph.edges):
                return k
    raise AssertionError("unreachable")


def milp(problem):
    formulation = problem.milp()
    formulation.lp.solve(pulp.PULP_CBC_CMD(msg=False))
    return pulp.LpStatus[formulation.lp.status], formulation.extract()


@pytest.mark.parametrize("name", ["C5", "K4", "grid3x3", "wheel6"])
def test_brute_force_agrees_with_the_textbook_chromatic_numbers(name):
    graph, chi = GRAPHS[name]
    assert chromatic_number(graph) == chi


@pytest.mark.parametrize("name", list(GRAPHS))
def test_milp_finds_the_chromatic_number(name):
    graph, chi = GRAPHS[name]
    problem = coloring_problem(graph, k=chi + 1)
    status, colouring = milp(problem)
    assert status == "Optimal"
    assert problem.verify(colouring) == []
    assert problem.objective(colouring) == chi


def test_milp_backend_agrees_when_present():
    pytest.importorskip("qanneal.backends.milp")
    graph, chi = GRAPHS["myciel3"]
    result = solve(coloring_problem(graph, k=5), "milp")
    assert result.feasible and result.objective == chi


def test_decide_mode_milp_proves_yes_and_no():
    petersen = nx.petersen_graph()
    status, colouring = milp(coloring_problem(petersen, k=3, mode="decide"))
    assert status == "Optimal" and coloring_problem(petersen, 3).verify(colouring) == []
    status, _ = milp(coloring_problem(petersen, k=2, mode="decide"))
    assert status == "Infeasible"
    with pytest.raises(InputError, match="needs k"):
        coloring_problem(petersen, mode="decide")


def test_exact_on_the_cqm_finds_the_optimum():
    problem = coloring_problem(nx.path_graph(3), k=3)  # 9 x + 3 y = 12 variables
    result = solve(problem, "exact")
    assert result.feasible and result.objective == 2


@pytest.mark.parametrize("name", ["C5", "myciel3", "wheel6"])
def test_annealing_is_verified_and_never_beats_the_chromatic_number(name):
    graph, chi = GRAPHS[name]
    problem = coloring_problem(graph)  # default k: greedy colouring's count
    assert problem.options["k"] >= chi
    result = solve(problem, "sa", seed=1, num_reads=30)
    assert result.feasible
    assert problem.verify(result.solution) == []
    assert result.objective == problem.objective(result.solution) >= chi


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_decode_of_an_encoded_colouring_round_trips(data):
    graph = nx.gnp_random_graph(7, 0.4, seed=data.draw(st.integers(0, 50)))
    k = data.draw(st.integers(1, 4))
    problem = coloring_problem(graph, k=k)
    colouring = {v: data.draw(st.integers(0, k - 1)) for v in graph}
    sample = {x_label(v, c): int(colouring[v] == c) for v in graph for c in range(k)}
    sample.update({y_label(c): int(c in colouring.values()) for c in range(k)})
    assert problem.decode(sample) == colouring
    clashes = any(colouring[u] == colouring[v] for u, v in graph.edges)
    assert bool(problem.verify(colouring)) == clashes
    assert problem.objective(colouring) == len(set(colouring.values()))


def test_verify_reports_every_kind_of_fault():
    problem = coloring_problem(nx.path_graph(4), k=2)
    faults = " | ".join(problem.verify({0: 0, 1: 0, 2: None, 3: [0, 1], 9: 1}))
    for text in ("unknown node", "without a colour", "several colours", "same colour"):
        assert text in faults
    assert "colours are 0..1" in " ".join(problem.verify({0: 0, 1: 5, 2: 0, 3: 1}))
    assert "without an entry" in " ".join(problem.verify({0: 0}))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_repair_gives_a_proper_colouring_when_k_exceeds_the_max_degree(data):
    graph = nx.gnp_random_graph(9, 0.35, seed=data.draw(st.integers(0, 100)))
    k = max((d for _, d in graph.degree()), default=0) + 1  # greedy always succeeds
    entry = st.one_of(st.none(), st.integers(-1, k), st.lists(st.integers(0, k - 1),
                                                              max_size=3))
    broken = {v: data.draw(entry) for v in graph}
    fixed = repair_coloring(graph, broken, k)
    assert coloring_problem(graph, k=k).verify(fixed) == []
    kept = [v for v in graph if isinstance(broken[v], int) and 0 <= broken[v] < k
            and all(broken[u] != broken[v] for u in graph[v])]
    assert all(fixed[v] == broken[v] for v in kept)  # conflict-free nodes keep their colour


def test_repair_opens_no_colour_beyond_k():
    graph = nx.complete_graph(4)
    fixed = repair_coloring(graph, {v: 0 for v in graph}, 3)
    assert set(fixed.values()) <= {0, 1, 2}
    assert coloring_problem(graph, k=3).verify(fixed)  # K4 has no 3-colouring: still reported


def test_dimacs_file_needs_problem_and_takes_k_as_flag(tmp_path, run_cli):
    path = tmp_path / "c5.col"
    path.write_text("c five-cycle\np edge 5 5\ne 1 2\ne 2 3\ne 3 4\ne 4 5\ne 5 1\n")
    problem = COLORING.from_file(path, {"k": 3})
    assert sorted(problem.data.nodes) == [0, 1, 2, 3, 4]
    with pytest.raises(InputError, match="--problem"):
        load_problem(path)  # .col is read by coloring, independent_set, ...
    run = run_cli("solve", path, "--problem", "coloring", "--k", "3", "--seed", "2")
    assert run.code == 0, run.err
    assert "colours used: 3 of at most 3" in run.out


def test_bad_options_and_graphs_are_input_errors(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("problem: coloring\ndata:\n  edges: [[0, 1]]\noptions:\n  k: 0\n")
    with pytest.raises(InputError, match="k"):
        load(spec)
    spec.write_text("problem: coloring\ndata:\n  edges: [[0, 0]]\n")
    with pytest.raises(InputError, match="self-loop"):
        load(spec)
