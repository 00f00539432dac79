"""Flow shop: true makespan vs brute force and MILP, the surrogate QUBO, decode/verify/repair,
NEH, the Taillard and OR-Library readers, examples and the CLI."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import PROBLEMS, milp_optimum
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.formats.flowshop import read_flowshop
from qanneal.problems.flowshop import (
    FLOWSHOP,
    completion_times,
    flowshop_problem,
    lower_bound,
    makespan,
    neh,
    repair_order,
    surrogate,
    var,
)


def random_times(n: int, m: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 30, (n, m)).astype(float)


def brute_force(p: np.ndarray) -> float:
    return min(makespan(p, o) for o in itertools.permutations(range(len(p))))


def one_hot(order: list[int]) -> dict:
    n = len(order)
    sample = {var(j, q): 0 for j in range(n) for q in range(n)}
    for q, j in enumerate(order):
        sample[var(j, q)] = 1
    return sample


def test_makespan_follows_the_recurrence():
    p = np.array([[3, 2], [1, 4], [2, 2]], float)
    assert completion_times(p, [1, 2, 0]).tolist() == [[1, 5], [3, 7], [6, 9]]
    assert makespan(p, [0, 1, 2]) == 11


@pytest.mark.parametrize("n,m,seed", [(5, 3, 0), (6, 4, 1), (6, 2, 2)])
def test_milp_matches_brute_force(n, m, seed):
    p = random_times(n, m, seed)
    solution, value = milp_optimum(flowshop_problem(p))
    assert value == brute_force(p)
    assert solution["makespan"] == value


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 10**6))
def test_bounds_bracket_the_optimum(n, m, seed):
    p = random_times(n, m, seed)
    best = brute_force(p)
    order, value = neh(p)
    assert sorted(order) == list(range(n)) and value == makespan(p, order)
    assert lower_bound(p) <= best <= value


def test_surrogate_is_the_cqm_objective_and_exact_for_two_jobs_or_one_machine():
    p = random_times(5, 3, 3)
    problem = flowshop_problem(p)
    for order in itertools.islice(itertools.permutations(range(5)), 0, 120, 7):
        assert problem.cqm.objective.energy(one_hot(list(order))) == pytest.approx(
            surrogate(p, order))
    for times in (random_times(2, 4, 4), random_times(4, 1, 5)):
        q = flowshop_problem(times)
        for order in itertools.permutations(range(len(times))):
            assert q.cqm.objective.energy(one_hot(list(order))) == makespan(times, order)


def test_surrogate_orders_are_close_to_optimal_on_average():
    # Regression guard for the documented quality (3.3% on 6x4; here 5x3, cheaper).
    ratios = []
    for seed in range(20):
        p = random_times(5, 3, 100 + seed)
        orders = list(itertools.permutations(range(5)))
        best = min(orders, key=lambda o: surrogate(p, o))
        ratios.append(makespan(p, best) / brute_force(p))
    assert np.mean(ratios) < 1.05


def test_exact_backend_returns_the_surrogate_optimum_as_a_true_makespan():
    p = random_times(4, 3, 6)
    result = solve(flowshop_problem(p), "exact")
    assert result.feasible
    order = result.solution["order"]
    assert result.objective == makespan(p, order)
    assert surrogate(p, order) == min(surrogate(p, o) for o in itertools.permutations(range(4)))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_decode_and_verify_agree_with_the_one_hot_constraints(data):
    n = data.draw(st.integers(2, 4))
    problem = flowshop_problem(random_times(n, 2, n))
    bits = data.draw(st.lists(st.integers(0, 1), min_size=n * n, max_size=n * n))
    sample = {var(j, q): bits[j * n + q] for j in range(n) for q in range(n)}
    ev = problem.evaluate(sample)
    assert ev.feasible == problem.cqm.check_feasible(sample)
    assert (ev.solution["makespan"] is None) == (not ev.feasible)
    if ev.feasible:
        assert ev.objective == makespan(problem.data, ev.solution["order"])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_repair_always_gives_a_permutation_and_keeps_a_valid_one(data):
    n = data.draw(st.integers(1, 6))
    p = random_times(n, 3, n + 7)
    slot = st.one_of(st.none(), st.integers(-1, n), st.lists(st.integers(0, n - 1),
                                                             max_size=3))
    slots = data.draw(st.lists(slot, max_size=n + 2))
    fixed = repair_order(p, slots)
    assert sorted(fixed) == list(range(n))
    perm = data.draw(st.permutations(range(n)))
    assert repair_order(p, list(perm)) == list(perm)
    problem = flowshop_problem(p)
    assert problem.check(problem.repair({"order": slots})).feasible


def test_verify_reports_broken_orders():
    problem = flowshop_problem(random_times(3, 2, 8))
    assert problem.verify({"order": [0, 1, 2]}) == []
    msgs = " | ".join(problem.verify({"order": [[0, 1], None, 0]}))
    assert "no job" in msgs and "several jobs" in msgs and "more than once" in msgs
    assert "not placed" in msgs
    assert "unknown job" in " ".join(problem.verify({"order": [0, 1, 7]}))
    assert problem.verify([0, 1, 2]) == ["solution must have 'order': the job at each position"]


def test_bad_times_are_one_line_errors():
    with pytest.raises(InputError, match=">= 0"):
        flowshop_problem([[1, -2]])
    with pytest.raises(InputError, match="every job visits every machine"):
        FLOWSHOP.from_spec({"times": [[1, 2], [3]]})


# ---------------------------------------------------------------------- readers
def taillard_text(instances: list[np.ndarray]) -> str:
    out = []
    for p in instances:
        n, m = p.shape
        out += ["number of jobs, number of machines, initial seed, upper bound and lower "
                "bound :", f"  {n}  {m}  12345  {int(p.sum())}  1", "processing times :"]
        out += [" ".join(str(int(t)) for t in row) for row in p.T]
    return "\n".join(out) + "\n"


def orlib_text(instances: list[np.ndarray]) -> str:
    out = ["Subject: a flow-shop file", "", "free text: number of jobs and machines", ""]
    for k, p in enumerate(instances):
        out += [" +++++++++", " ", f" instance inst{k}", " ", " +++++++++",
                f" test instance {k}", f" {p.shape[0]} {p.shape[1]}"]
        out += [" ".join(f"{m} {int(t)}" for m, t in enumerate(row)) for row in p]
    out.append(" ++++++++ END OF DATA ++++++++")
    return "\n".join(out) + "\n"


times_strategy = st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(0, 10**6)).map(
    lambda t: np.random.default_rng(t[2]).integers(0, 100, t[:2]))


@settings(max_examples=30, deadline=None)
@given(st.lists(times_strategy, min_size=1, max_size=3), st.sampled_from(["taillard", "orlib"]))
def test_readers_round_trip(tmp_path_factory, instances, fmt):
    text = (taillard_text if fmt == "taillard" else orlib_text)(instances)
    path = tmp_path_factory.mktemp("fs") / "f.txt"
    path.write_text(text)
    got = read_flowshop(path)  # detected
    assert [g["times"] for g in got] == [p.tolist() for p in instances]
    if fmt == "orlib":
        assert [g["name"] for g in got] == [f"inst{k}" for k in range(len(instances))]
    else:
        assert got[0]["upper_bound"] == int(instances[0].sum())


@pytest.mark.parametrize("text,match,line", [
    (" 2 2\n 0 1 1 2\n 1 3 0 4\n", "a flow shop visits 0..1 in order", 3),
    (" 2 2\n 0 1 1 2\n", "n=2 jobs but has 1 job lines", 1),
    (" 1 2\n 0 1 1\n", "expected M=2 pairs", 2),
    ("number of jobs, number of machines, x\n 2 2 0 0 0\nprocessing times :\n1 2\n",
     "M=2 machines but 1 rows", 2),
    ("number of jobs, number of machines, x\n 2 2 0 0 0\nprocessing times :\n1 2\n3\n",
     "1 times in a machine row; expected n=2", 5),
    ("number of jobs, number of machines, x\n 2 2 0 0 0\nprocessing times :\n1 2\n3 -4\n",
     "non-negative integer time", 5),
])
def test_reader_errors_name_the_line(tmp_path, text, match, line):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_flowshop(path)
    assert err.value.line == line


# ---------------------------------------------------------------------- files, CLI, examples
def test_multi_instance_file_needs_a_choice_by_number_or_name(tmp_path):
    path = tmp_path / "fs.txt"
    a, b = random_times(3, 2, 9), random_times(4, 2, 10)
    path.write_text(orlib_text([a, b]))
    with pytest.raises(InputError, match="holds 2 instances \\(inst0, inst1\\)"):
        FLOWSHOP.from_file(path)
    by_name = FLOWSHOP.from_file(path, {"instance": "inst1"})
    by_number = FLOWSHOP.from_file(path, {"instance": 2})
    assert by_name.data.tolist() == by_number.data.tolist() == b.tolist()
    assert by_name.name == "fs#inst1"
    with pytest.raises(InputError, match="no instance named 'car9'"):
        FLOWSHOP.from_file(path, {"instance": "car9"})
    with pytest.raises(InputError, match="must be 1..2"):
        FLOWSHOP.from_file(path, {"instance": 5})


def test_taillard_example_is_optimal_as_its_header_says():
    problem = FLOWSHOP.from_file(PROBLEMS / "flowshop-8x4.txt")
    assert problem.known_optimum is None  # UB 597 != LB 584: the header proves nothing
    _, value = milp_optimum(problem)
    assert value == 597 == brute_force(problem.data)
    assert problem.options["neh_makespan"] == 637 and problem.options["lower_bound"] == 584


def test_cli_solves_a_taillard_file_and_draws_its_gantt_chart(run_cli, tmp_path):
    png = tmp_path / "gantt.png"
    out = run_cli("solve", PROBLEMS / "flowshop-8x4.txt", "--problem", "flowshop",
                  "--backend", "milp", "--gantt", png)
    assert out.code == 0, out.err
    assert "objective: 597" in out.out and png.stat().st_size > 0


# ------------------------------------------------------------ big instances (issue 16)
def _big_flowshop(path, n: int, m: int = 5):
    rng = np.random.default_rng(3)
    rows = [" ".join(f"{k} {t}" for k, t in enumerate(rng.integers(1, 99, m)))
            for _ in range(n)]
    path.write_text(f"{n} {m}\n" + "\n".join(rows) + "\n")
    return path


def test_neh_and_surrogate_on_600_jobs_are_fast(tmp_path):
    # NEH was O(n^4 m) in Python (400 jobs: 46 s), the surrogate O(n^2) Python loops.
    import time

    from qanneal.spec import load_problem

    start = time.perf_counter()
    spec = load_problem(_big_flowshop(tmp_path / "fs.txt", 600), "flowshop")
    assert time.perf_counter() - start < 5
    order = spec.problem.options["neh_order"]
    assert sorted(order) == list(range(600))
    assert spec.problem.options["neh_makespan"] >= spec.problem.options["lower_bound"]


def test_big_flowshop_qubo_refused_and_milp_stops_at_the_time_limit(run_cli, tmp_path,
                                                                       monkeypatch):
    path = _big_flowshop(tmp_path / "fs.txt", 600)
    monkeypatch.setenv("QANNEAL_MEMORY_LIMIT", "1G")
    run = run_cli("solve", path, "--problem", "flowshop", "-b", "sa")
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.strip().startswith("error: the flow-shop model (600 jobs) needs ~")
    assert run.err.strip().endswith("; use --backend milp, or fewer jobs")
    monkeypatch.delenv("QANNEAL_MEMORY_LIMIT")
    run = run_cli("solve", path, "--problem", "flowshop", "-b", "milp", "--time-limit", "0.5")
    assert run.code == 2
    assert "building the flow-shop MILP (600 jobs) outlasted the time limit (0.5 s)" in run.err


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_accelerated_insertion_is_the_first_best_full_schedule(n, m, seed):
    from qanneal.problems.flowshop import best_insertion, makespan

    rng = np.random.default_rng(seed)
    p = rng.integers(0, 20, (n + 1, m)).astype(float)
    order = [int(j) for j in rng.permutation(n)]
    trials = [order[:i] + [n] + order[i:] for i in range(n + 1)]
    assert best_insertion(p, order, n) == min(trials, key=lambda o: makespan(p, o))
