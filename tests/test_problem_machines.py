"""Parallel machines: known optima by brute force, MILP, SA, verify, repair, examples."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from conftest import milp_value
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.errors import InputError
from qanneal.problems.machines import (
    Instance,
    list_schedule,
    machines_problem,
    schedule_violations,
)
from qanneal.spec import load

ROOT = Path(__file__).resolve().parents[1]


def brute_force(durations, m, release=None, due=None, weights=None, objective="makespan"):
    """Optimum over every assignment and every order on every machine (semi-active)."""
    n = len(durations)
    release = release or [0] * n
    weights = weights or [1] * n
    best = None
    for assign in itertools.product(range(m), repeat=n):
        groups = [[j for j in range(n) if assign[j] == k] for k in range(m)]
        ends_per_machine = []
        for group in groups:
            options = []
            for order in itertools.permutations(group):
                t, ends = 0, {}
                for j in order:
                    t = max(t, release[j]) + durations[j]
                    ends[j] = t
                options.append(ends)
            ends_per_machine.append(options)
        for combo in itertools.product(*ends_per_machine):
            ends = {j: e for part in combo for j, e in part.items()}
            if objective == "makespan":
                value = max(ends.values())
            else:
                value = sum(weights[j] * max(0, ends[j] - due[j]) for j in range(n))
            best = value if best is None else min(best, value)
    return best




def test_docstring_instance_exact_milp_brute_force():
    durations = [3, 3, 2, 2, 2]
    problem = machines_problem(durations, 2)
    assert problem.options["formulation"] == "assignment"
    assert brute_force(durations, 2) == 6
    assert solve(problem, "exact").objective == 6
    assert milp_value(problem) == 6


@pytest.mark.parametrize("seed", range(3))
def test_known_optima_all_formulations(seed):
    rng = random.Random(seed)
    n, m = 4, 2
    durations = [rng.randint(1, 4) for _ in range(n)]
    release = [rng.choice([0, 0, 1, 2]) for _ in range(n)]
    due = [r + d + rng.randint(0, 3) for r, d in zip(release, durations)]
    weights = [rng.choice([1, 2, 3]) for _ in range(n)]
    cases = [
        dict(objective="makespan"),
        dict(objective="makespan", release=release),
        dict(objective="weighted_tardiness", release=release, due=due, weights=weights),
    ]
    for kw in cases:
        optimum = brute_force(durations, m, **kw)
        problem = machines_problem(durations, m, **kw)
        assert milp_value(problem) == optimum, kw
        result = solve(problem, "sa", seed=seed)
        assert result.feasible, kw
        assert result.objective >= optimum
        assert not schedule_violations(problem.data, result.solution)


def test_sa_on_assignment_reaches_the_optimum():
    durations = [3, 6, 6, 3, 4, 6, 5, 7]
    problem = machines_problem(durations, 3)
    result = solve(problem, "sa", seed=1)
    assert result.feasible and result.objective == 14  # ceil(40 / 3) is a lower bound


def test_milp_backend_when_available():
    pytest.importorskip("qanneal.backends.milp")
    problem = machines_problem([3, 3, 2, 2, 2], 2, due=[3, 3, 5, 5, 8],
                               objective="weighted_tardiness")
    result = solve(problem, "milp")
    assert result.feasible
    assert result.objective == brute_force([3, 3, 2, 2, 2], 2, due=[3, 3, 5, 5, 8],
                                           objective="weighted_tardiness")


def test_verify_catches_each_violation():
    problem = machines_problem([2, 2, 1], 2, release=[0, 1, 0])
    good = {"assignment": {"J0": 0, "J1": 1, "J2": 0}, "starts": {"J0": 0, "J1": 1, "J2": 2}}
    assert problem.verify(good) == []
    assert problem.objective(good) == 3
    overlap = {"assignment": {"J0": 0, "J1": 1, "J2": 0}, "starts": {"J0": 0, "J1": 1, "J2": 1}}
    assert any("runs until" in v for v in problem.verify(overlap))
    early = {"assignment": {"J0": 0, "J1": 1, "J2": 0}, "starts": {"J0": 0, "J1": 0, "J2": 2}}
    assert any("release" in v for v in problem.verify(early))
    missing = {"assignment": {"J0": 0, "J1": None, "J2": 0}, "starts": {"J0": 0, "J2": 2}}
    assert any("not scheduled" in v for v in problem.verify(missing))
    bad_machine = {"assignment": {"J0": 5, "J1": 1, "J2": 0},
                   "starts": {"J0": 0, "J1": 1, "J2": 2}}
    assert any("machines are 0..1" in v for v in problem.verify(bad_machine))
    assert problem.verify({"nope": 1})


def test_repair_fixes_missing_and_overlapping_jobs():
    for kw in (dict(), dict(release=[0, 1, 0, 2]), dict(due=[2, 3, 4, 5],
                                                          objective="weighted_tardiness")):
        problem = machines_problem([2, 2, 1, 3], 2, **kw)
        zero = {v: 0 for v in problem.cqm.variables}
        ev = problem.evaluate(zero)  # nothing switched on: every job unassigned
        assert not ev.feasible
        fixed = problem.check(problem.repair(ev.solution))
        assert fixed.feasible, fixed.violations
        ones = {v: 1 for v in problem.cqm.variables}  # everything on: duplicates
        fixed = problem.check(problem.repair(problem.evaluate(ones).solution))
        assert fixed.feasible, fixed.violations


@settings(max_examples=30, deadline=None)
@given(durations=st.lists(st.integers(0, 4), min_size=1, max_size=5),
       m=st.integers(1, 3), data=st.data())
def test_schedule_sample_decode_round_trip(durations, m, data):
    if not any(durations):
        durations[0] = 1
    n = len(durations)
    release = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    due = [r + d for r, d in zip(release, durations)]
    order = data.draw(st.permutations(range(n)))
    inst = Instance(durations, m, release=release)
    machines, starts = list_schedule(inst, order)
    span = max(s + d for s, d in zip(starts, durations))
    problem = machines_problem(durations, m, release=release, due=due,
                               objective="weighted_tardiness", horizon=span)
    sample = {v: 0 for v in problem.cqm.variables}
    for j in range(n):
        sample[(j, machines[j], starts[j])] = 1
    ev = problem.evaluate(sample)
    assert ev.feasible, ev.violations
    names = [f"J{j}" for j in range(n)]
    assert ev.solution["starts"] == dict(zip(names, starts))
    assert ev.solution["assignment"] == dict(zip(names, machines))
    fixed = problem.check(problem.repair(ev.solution))
    assert fixed.feasible and fixed.objective <= ev.objective


def test_bad_input(tmp_path):
    with pytest.raises(InputError, match="due date"):
        machines_problem([1, 2], 2, objective="weighted_tardiness")
    path = tmp_path / "bad.yaml"
    path.write_text("problem: machines\ndata:\n  machines: 2\n  jobs:\n"
                    "    - {duration: 2, due: 3}\n    - {duration: 1}\n")
    with pytest.raises(InputError, match="due date for every job"):
        load(path)
    path.write_text("problem: machines\ndata:\n  machines: 0\n  jobs: [{duration: 2}]\n")
    with pytest.raises(InputError, match="machines"):
        load(path)
    path.write_text("problem: machines\ndata:\n  machines: 2\n  jobs: [{duration: 2}]\n"
                    "options:\n  objective: lateness\n")
    with pytest.raises(InputError, match="objective"):
        load(path)
