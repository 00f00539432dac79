"""Knapsack: known optima (brute force, exact, MILP), decode/verify/repair, readers, examples."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from conftest import PROBLEMS, milp_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.formats.knapsack import read_knapsack_csv, read_mknap
from qanneal.problems.knapsack import (
    KNAPSACK,
    Knapsack,
    brute_force,
    knapsack_problem,
    make_solution,
    repair_knapsack,
)


def random_instance(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 30, (m, n))
    v = rng.integers(1, 40, n)
    return v, w, w.sum(axis=1) // 2


@pytest.mark.parametrize("n,m,seed", [(8, 1, 0), (10, 2, 1), (12, 3, 2)])
def test_milp_matches_brute_force(n, m, seed):
    v, w, c = random_instance(n, m, seed)
    problem = knapsack_problem(v, w, c)
    _, best = brute_force(Knapsack(v, w, c))
    solution, value = milp_optimum(problem)
    assert value == best
    assert solution["value"] == best


@pytest.mark.parametrize("seed", [3, 4])
def test_exact_backend_finds_the_brute_force_optimum(seed):
    # exact enumerates the CQM (items only, no slack variables): n = 10 is 1024 states.
    v, w, c = random_instance(10, 2, seed)
    result = solve(knapsack_problem(v, w, c), "exact")
    assert result.feasible
    assert result.objective == brute_force(Knapsack(v, w, c))[1]


def test_cqm_energy_is_minus_value_and_constraints_match_verify():
    v, w, c = random_instance(9, 2, 5)
    problem = knapsack_problem(v, w, c)
    rng = np.random.default_rng(0)
    for _ in range(50):
        sample = {i: int(b) for i, b in enumerate(rng.integers(0, 2, 9))}
        ev = problem.evaluate(sample)
        assert problem.cqm.objective.energy(sample) == -ev.objective
        assert problem.cqm.check_feasible(sample) == ev.feasible


def test_verify_names_overload_unknown_and_repeated_items():
    problem = knapsack_problem([5, 4], [[3, 3], [1, 2]], [4, 2], items=["a", "b"])
    assert problem.verify({"items": ["a"]}) == []
    violations = problem.verify({"items": ["a", "b"]})
    assert violations == ["capacity[0]: load 6 exceeds 4", "capacity[1]: load 3 exceeds 2"]
    assert any("unknown" in m for m in problem.verify({"items": ["z"]}))
    assert any("more than once" in m for m in problem.verify({"items": ["a", "a"]}))
    assert problem.verify([0, 1]) == ["solution must have 'items': the list of chosen items"]
    # the solution's own load is not trusted
    assert problem.verify({"items": ["a", "b"], "load": [0, 0]})


def test_solution_reports_items_value_and_load():
    problem = knapsack_problem([10, 7, 6], [[5, 4, 3]], [7], items=["x", "y", "z"])
    ev = problem.evaluate({0: 0, 1: 1, 2: 1})
    assert ev.solution == {"items": ["y", "z"], "value": 13.0, "load": [7.0]}
    assert ev.objective == 13.0 and ev.feasible


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_repair_gives_a_feasible_maximal_packing(data):
    n = data.draw(st.integers(1, 9))
    m = data.draw(st.integers(1, 3))
    w = np.array(data.draw(st.lists(st.lists(st.integers(0, 20), min_size=n, max_size=n),
                                    min_size=m, max_size=m)))
    v = np.array(data.draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)))
    c = np.array(data.draw(st.lists(st.integers(0, 40), min_size=m, max_size=m)))
    chosen = data.draw(st.lists(st.integers(0, n - 1), max_size=n))
    ks = Knapsack(v, w, c)
    fixed = repair_knapsack(ks, chosen)
    problem = knapsack_problem(v, w, c)
    assert problem.verify(make_solution(ks, fixed)) == []
    load = ks.load(fixed)
    for i in set(range(n)) - set(fixed):  # maximal: nothing of value still fits
        assert v[i] <= 0 or (load + w[:, i] > c).any()
    # a feasible input is only ever extended
    if problem.verify(make_solution(ks, chosen)) == []:
        assert set(chosen) <= set(fixed)


def test_repair_through_the_problem_turns_an_overload_feasible():
    v, w, c = random_instance(10, 2, 6)
    problem = knapsack_problem(v, w, c)
    everything = make_solution(problem.data, range(10))
    assert problem.verify(everything)
    fixed = problem.check(problem.repair(everything))
    assert fixed.feasible


def test_bad_data_is_one_line_input_error():
    with pytest.raises(InputError, match="capacities for 2 weight rows"):
        knapsack_problem([1, 2], [[1, 1], [1, 1]], [3])
    with pytest.raises(InputError, match="weights must be >= 0"):
        knapsack_problem([1, 2], [1, -1], 3)
    with pytest.raises(InputError, match="expected 2 weights"):
        knapsack_problem([1, 2], [1, 2, 3], 3)
    with pytest.raises(InputError, match="distinct"):
        knapsack_problem([1, 2], [1, 2], 3, items=["a", "a"])


# ---------------------------------------------------------------------- readers
def write_mknap(problems: list[tuple[list, list, list, int]]) -> str:
    out = [str(len(problems))]
    for v, w, c, opt in problems:
        out.append(f"{len(v)} {len(w)} {opt}")
        out.append(" ".join(map(str, v)))
        out.extend(" ".join(map(str, row)) for row in w)
        out.append(" ".join(map(str, c)))
    return "\n".join(out) + "\n"


@st.composite
def mknap_problem(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    v = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n))
    w = draw(st.lists(st.lists(st.integers(0, 999), min_size=n, max_size=n),
                      min_size=m, max_size=m))
    c = draw(st.lists(st.integers(0, 9999), min_size=m, max_size=m))
    return v, w, c, draw(st.integers(0, 10**6))


@settings(max_examples=40, deadline=None)
@given(st.lists(mknap_problem(), min_size=1, max_size=3), st.booleans())
def test_read_mknap_round_trip(tmp_path_factory, problems, one_number_per_line):
    text = write_mknap(problems)
    if one_number_per_line:  # line breaks carry no meaning in the format
        text = "\n".join(text.split()) + "\n"
    path = tmp_path_factory.mktemp("mknap") / "p.txt"
    path.write_text(text)
    got = read_mknap(path)
    assert len(got) == len(problems)
    for g, (v, w, c, opt) in zip(got, problems):
        assert g["values"] == v and g["weights"] == w and g["capacities"] == c
        assert g["optimum"] == (opt or None)


@pytest.mark.parametrize("text,match,line", [
    ("2\n2 1 0\n1 2\n3 4\n5\n", "file ends where n of problem 2 of 2", 5),
    ("1\n2 1 0\n1 2\n3 4\n5\n6\n", "after the last of K=1 problems", 6),
    ("1\n2 1 0\n1 2\n3 -4\n5\n", "negative in problem 1 of 1; weight", 4),
    ("1\n2 0 0\n", "positive number of capacity constraints", 2),
    ("x\n", "positive number of problems", 1),
    ("1\n2 1 0\n1 two\n", "expected a finite number", 3),
])
def test_read_mknap_errors_name_line_and_field(tmp_path, text, match, line):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_mknap(path)
    assert err.value.line == line


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-50, 999), st.integers(0, 999)), min_size=1,
                max_size=30), st.sampled_from([None, "cost,weight", "weight,value"]))
def test_read_knapsack_csv_round_trip(tmp_path_factory, rows, header):
    swap = header == "weight,value"
    lines = [header] if header else []
    lines += [f"{w},{v}" if swap else f"{v},{w}" for v, w in rows]
    path = tmp_path_factory.mktemp("csv") / "items.csv"
    path.write_text("\n".join(lines) + "\n")
    got = read_knapsack_csv(path)
    assert got["values"] == [v for v, _ in rows]
    assert got["weights"] == [w for _, w in rows]


@pytest.mark.parametrize("text,match", [
    ("1,2,3\n", "3 cell"),
    ("1;2\n", "only ',' separates"),
    ("5,-1\n", "negative"),
    ("size,cost\n1,2\n", "header 'size,cost' not understood"),
    ("\n\n", "no items"),
    ("3,x\n", "finite item weight"),
])
def test_read_knapsack_csv_errors(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_knapsack_csv(path)


# ---------------------------------------------------------------------- files, options, CLI
def test_mknap_file_picks_an_instance_and_its_optimum(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text(write_mknap([([4, 3, 5], [[4, 3, 5]], [7], 8),
                                 ([4, 3, 5], [[4, 3, 5], [1, 1, 1]], [9, 1], 5)]))
    with pytest.raises(InputError, match="holds 2 problems; choose one"):
        KNAPSACK.from_file(path)
    with pytest.raises(InputError, match="instance must be 1..2"):
        KNAPSACK.from_file(path, {"instance": 3})
    second = KNAPSACK.from_file(path, {"instance": 2})
    assert second.name == "two#2" and second.known_optimum == 5
    assert solve(second, "milp").objective == 5
    # a capacity override drops the file's best-known value (it was for the file's own)
    assert KNAPSACK.from_file(path, {"instance": 1, "capacity": 3}).known_optimum is None


def test_csv_capacity_defaults_to_80_percent_like_dwave(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("35,12\n85,27\n30,11\n")
    problem = KNAPSACK.from_file(path)
    assert problem.options["capacity"] == ["40"]  # floor(0.8 * 50)
    assert KNAPSACK.from_file(path, {"capacity_fraction": 0.5}).options["capacity"] == ["25"]
    assert KNAPSACK.from_file(path, {"capacity": 30}).options["capacity"] == ["30"]
    with pytest.raises(InputError, match="OR-Library files only"):
        KNAPSACK.from_file(path, {"instance": 1})


def test_inline_multi_row_needs_one_capacity_per_row():
    with pytest.raises(InputError, match="one capacity for 2 weight rows"):
        KNAPSACK.from_spec({"values": [1, 2], "weights": [[1, 1], [1, 1]], "capacity": 3})
    problem = KNAPSACK.from_spec({"values": [1, 2], "weights": [[1, 1], [1, 1]]})
    assert problem.options["capacity"] == ["1", "1"]


def test_cli_solves_an_mknap_file_and_refuses_an_ambiguous_one(run_cli):
    ok = run_cli("solve", PROBLEMS / "knapsack-mknap.txt", "--problem", "knapsack",
                 "--instance", "1", "--backend", "milp")
    assert ok.code == 0, ok.err
    assert "objective: 177" in ok.out
    bad = run_cli("solve", PROBLEMS / "knapsack-mknap.txt", "--problem", "knapsack")
    assert bad.code == 2
    assert len(bad.err.strip().splitlines()) == 1 and "choose one" in bad.err


def test_example_items_file_is_reproducible_from_its_generator():
    spec = importlib.util.spec_from_file_location(
        "gen", PROBLEMS / "generate_knapsack_items.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (PROBLEMS / "knapsack-items150.csv").read_text() == gen.csv_text()


def test_example_mknap_optima_are_the_brute_force_optima():
    for problem in read_mknap(PROBLEMS / "knapsack-mknap.txt"):
        ks = Knapsack(problem["values"], problem["weights"], problem["capacities"])
        assert brute_force(ks)[1] == problem["optimum"]
