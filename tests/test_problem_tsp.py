"""TSP: known optima (brute force, exact, MILP), decode/verify/repair, inputs, examples."""

from __future__ import annotations

import itertools
import math

import dimod
import networkx as nx
import numpy as np
import pytest
from conftest import SHARED, milp_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.problems.tsp import (
    TSP,
    repair_tour,
    tour_length,
    tsp_objective,
    tsp_problem,
)
from qanneal.spec import load

BURMA14 = SHARED / "tsp" / "burma14.tsp"


def random_matrix(n: int, seed: int, symmetric: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if symmetric:
        xy = rng.integers(0, 100, (n, 2))
        return np.rint(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)))
    d = rng.integers(1, 100, (n, n)).astype(float)
    np.fill_diagonal(d, 0)
    return d


def brute_force(d: np.ndarray) -> float:
    n = len(d)
    return min(tour_length(d, (0, *p)) for p in itertools.permutations(range(1, n)))




def one_hot(perm: list[int]) -> dict:
    n = len(perm)
    sample = {(c, t): 0 for c in range(n) for t in range(n)}
    for t, c in enumerate(perm):
        sample[c, t] = 1
    return sample


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_milp_reaches_the_brute_force_optimum(symmetric, seed):
    d = random_matrix(7, seed, symmetric)
    problem = tsp_problem(d)
    _, value = milp_optimum(problem)
    assert value == brute_force(d)


def test_milp_backend_agrees_when_present():
    pytest.importorskip("qanneal.backends.milp")
    d = random_matrix(6, 3, symmetric=False)
    result = solve(tsp_problem(d), "milp")
    assert result.feasible and result.objective == brute_force(d)


def test_exact_solver_on_the_cqm_finds_the_optimum():
    d = random_matrix(4, 5, symmetric=False)
    result = solve(tsp_problem(d), "exact")
    assert result.feasible and result.objective == brute_force(d)


@pytest.mark.parametrize("seed", [0, 1])
def test_annealing_is_verified_and_never_beats_the_optimum(seed):
    d = random_matrix(6, seed)
    problem = tsp_problem(d)
    result = solve(problem, "sa", seed=seed, num_reads=20)
    assert result.feasible  # 6 cities: sa finds valid tours reliably with the default weights
    assert problem.verify(result.solution) == []
    assert result.objective == problem.objective(result.solution) >= brute_force(d)


@pytest.mark.skipif(not BURMA14.is_file(), reason="shared benchmark data not available")
def test_burma14_milp_reaches_3323():
    problem = TSP.from_file(BURMA14)
    tour, value = milp_optimum(problem)
    assert value == 3323
    assert sorted(tour) == list(range(1, 15))  # TSPLIB cities keep their 1-based ids


def test_objective_matches_dimods_tsp_generator_and_the_tour_length():
    """Our bulk-built objective equals dimod's loop-built one (with no constraint terms)."""
    d = random_matrix(6, 2, symmetric=False)
    graph = nx.from_numpy_array(d, create_using=nx.DiGraph)
    reference = dimod.generators.traveling_salesperson(graph, lagrange=0.0)
    ours = tsp_objective(d)
    rng = np.random.default_rng(0)
    samples = rng.integers(0, 2, (20, 36))
    labels = list(ours.variables)
    assert np.allclose(ours.energies((samples, labels)), reference.energies((samples, labels)))
    perm = [0, 3, 1, 5, 2, 4]
    assert ours.energy(one_hot(perm)) == tour_length(d, perm)


@settings(max_examples=50, deadline=None)
@given(st.permutations(range(7)))
def test_decode_of_a_one_hot_tour_is_the_tour_from_the_first_city(perm):
    problem = tsp_problem(random_matrix(7, 0))
    tour = problem.decode(one_hot(list(perm)))
    start = perm.index(0)
    assert tour == list(perm[start:] + perm[:start])
    assert problem.verify(tour) == []
    assert problem.objective(tour) == tour_length(problem.data, tour)


def test_broken_samples_decode_to_slots_verify_reports_and_repair_fixes():
    problem = tsp_problem(random_matrix(5, 1))
    sample = one_hot([0, 1, 2, 3, 4])
    sample[3, 3] = 0          # position 3 empty, city 3 missing
    sample[4, 1] = 1          # position 1 holds cities 1 and 4
    broken = problem.decode(sample)
    assert broken == [0, [1, 4], 2, None, 4]
    problems = " | ".join(problem.verify(broken))
    for text in ("no city", "several cities", "more than once", "not visited"):
        assert text in problems
    evaluation = problem.check(broken)
    assert not evaluation.feasible and math.isnan(evaluation.objective)
    fixed = problem.repair(broken)
    assert problem.verify(fixed) == [] and fixed[0] == 0
    assert problem.verify([0, 1, 2, 3]) and problem.verify([0, 1, 2, 3, 9])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), max_size=3), max_size=9))
def test_repair_always_returns_a_hamiltonian_cycle(slots):
    d = random_matrix(6, 4, symmetric=False)
    tour = repair_tour(d, slots)
    assert sorted(tour) == list(range(6))


def test_repair_keeps_a_valid_tour_and_inserts_cheaply():
    d = random_matrix(6, 0)
    assert repair_tour(d, [[c] for c in [0, 2, 4, 1, 3, 5]]) == [0, 2, 4, 1, 3, 5]
    # one city missing: cheapest insertion is the best single insertion position
    tour = repair_tour(d, [[0], [1], [2], [3], [4]])
    best = min(tour_length(d, [0, 1, 2, 3, 4][:i] + [5] + [0, 1, 2, 3, 4][i:])
               for i in range(1, 6))
    assert tour_length(d, tour) == best


def test_inline_coords_names_and_metrics(tmp_path):
    spec_file = tmp_path / "t.yaml"
    spec_file.write_text("problem: tsp\ndata:\n  cities: [a, b, c, d]\n"
                         "  coords: [[0, 0], [3, 0], [3, 4], [0, 4]]\n")
    problem = load(spec_file).problem
    result = solve(problem, "exact")
    assert result.objective == 14 and result.solution[0] == "a"
    assert set(result.solution) == {"a", "b", "c", "d"}
    spec_file.write_text("problem: tsp\ndata:\n  coords: [[0, 0], [1, 1], [2, 0]]\n"
                         "  metric: euclidean\n")
    assert load(spec_file).problem.objective([0, 1, 2]) == pytest.approx(2 + 2 * math.sqrt(2))


@pytest.mark.parametrize("data, message", [
    ("matrix: [[0, 1], [1, 0]]", "at least 3"),
    ("matrix: [[0, 1, 2], [1, 0], [2, 1, 0]]", "row 1 has 2 entries"),
    ("matrix: [[0, -1, 2], [1, 0, 1], [2, 1, 0]]", ">= 0"),
    ("coords: [[0, 0], [1, 1], [2, 2]]\n  cities: [a, b]", "3 cities"),
    ("coords: [[0, 0], [1, 1], [2, 2]]\n  matrix: [[0]]", "exactly one of"),
    ("{}", "give file"),
])
def test_bad_inline_data_is_one_line_input_error(tmp_path, data, message):
    spec_file = tmp_path / "bad.yaml"
    spec_file.write_text(f"problem: tsp\ndata:\n  {data}\n")
    with pytest.raises(InputError, match=message):
        load(spec_file)


def test_asymmetric_tsplib_file_and_cli(tmp_path, run_cli):
    d = random_matrix(5, 7, symmetric=False).astype(int)
    rows = "\n".join(" ".join(map(str, r)) for r in d)
    path = tmp_path / "five.atsp"
    path.write_text(f"NAME: five\nTYPE: ATSP\nDIMENSION: 5\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
                    f"EDGE_WEIGHT_FORMAT: FULL_MATRIX\nEDGE_WEIGHT_SECTION\n{rows}\nEOF\n")
    problem = TSP.from_file(path)
    assert problem.name == "five" and not problem.options["symmetric"]
    tour, value = milp_optimum(problem)
    assert value == brute_force(d) and tour[0] == 1
    run = run_cli("solve", path, "--seed", "1")  # .atsp is the tsp type's own extension
    assert run.code == 0, run.err
    assert "length:" in run.out and "feasible: yes" in run.out


def test_penalties_by_group_and_graph_input():
    graph = nx.complete_graph(4)
    for u, v in graph.edges:
        graph[u][v]["weight"] = u + v
    problem = tsp_problem(graph)
    weights = problem.penalty_weights()
    assert set(weights) == {f"city[{c}]" for c in range(4)} | {f"position[{t}]" for t in range(4)}
    assert weights["city[0]"] == weights["position[3]"] == pytest.approx(5.5, abs=0.125)
    assert problem.penalty_weights({"city": 40})["city[2]"] == 40
    incomplete = nx.path_graph(4)
    with pytest.raises(InputError, match="not complete"):
        tsp_problem(incomplete)
