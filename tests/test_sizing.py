"""Models sized before they are built: windows, estimates, refusals, lazy CQMs, deadlines."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_problem_jobshop import brute_force_makespan, random_jobs

from qanneal import sizing, solve
from qanneal.errors import InputError, TooLargeError
from qanneal.problems.coloring import coloring_problem
from qanneal.problems.jobshop import (
    AUTO_UNIT_TERMS,
    auto_time_unit,
    count_clashes,
    dispatch_schedule,
    heuristic_schedule,
    jobshop_problem,
    local_search,
    makespan,
    schedule_violations,
)
from qanneal.problems.tsp import tsp_problem


def feasible_schedules(jobs, horizon):
    """Every integer schedule with makespan <= horizon, by enumeration (tiny instances)."""
    ops = [(j, k) for j, job in enumerate(jobs) for k in range(len(job))]
    for starts in itertools.product(range(horizon + 1), repeat=len(ops)):
        rows = [[0] * len(job) for job in jobs]
        for (j, k), s in zip(ops, starts):
            rows[j][k] = s
        if makespan(jobs, rows) <= horizon and not schedule_violations(jobs, rows):
            yield rows


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_window_never_excludes_a_schedule_within_the_horizon(seed):
    jobs = random_jobs(seed, num_jobs=2, num_machines=2, max_d=3)
    optimum = brute_force_makespan(jobs)
    for horizon in (None, optimum, optimum + 1):
        problem = jobshop_problem(jobs, horizon=horizon)
        h = problem.options["horizon"]
        assert h >= optimum  # the default horizon is a feasible schedule's makespan
        variables = set(problem.cqm.variables)
        count = 0
        for rows in feasible_schedules(jobs, h):
            count += 1
            for j, row in enumerate(rows):
                for k, s in enumerate(row):
                    assert (j, k, s) in variables, (rows, h)
        assert count > 0


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_exact_still_finds_the_optimum_within_the_windows(seed):
    jobs = random_jobs(seed, num_jobs=2, num_machines=2, max_d=2)
    optimum = brute_force_makespan(jobs)
    problem = jobshop_problem(jobs, horizon=optimum)
    assert problem.num_variables <= 24
    assert solve(problem, "exact").objective == optimum


@pytest.mark.parametrize("seed", range(6))
def test_local_search_is_feasible_and_never_worse(seed):
    jobs = random_jobs(seed, num_jobs=6, num_machines=4, max_d=9)
    for rule in ("SPT", "MWKR"):
        start = dispatch_schedule(jobs, rule)
        improved, span = local_search(jobs, start)
        assert not schedule_violations(jobs, improved)
        assert span == makespan(jobs, improved) <= makespan(jobs, start)
    assert heuristic_schedule(jobs)[1] <= heuristic_schedule(jobs, search=False)[1]


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6), st.integers(0, 6),
       st.integers(1, 5), st.integers(1, 5), st.booleans())
def test_count_clashes_matches_the_pair_matrix(ea, wa, eb, wb, da, db, precedence):
    ta = np.arange(ea, ea + wa + 1)[:, None]
    tb = np.arange(eb, eb + wb + 1)[None, :]
    if precedence:
        clash, lo = tb < ta + da, -np.inf
    else:
        clash, lo = (ta < tb + db) & (tb < ta + da), -(db - 1)
    assert count_clashes(ea, ea + wa, eb, eb + wb, lo, da - 1) == int(clash.sum())


def test_estimates_equal_the_built_models():
    jobs = random_jobs(3, num_jobs=4, num_machines=3, max_d=5)
    problem = jobshop_problem(jobs)
    bqm, _ = problem.to_bqm()
    assert problem.options["variables"] == len(problem.cqm.variables) == bqm.num_variables
    assert problem.options["estimated_bqm_terms"] == bqm.num_interactions
    from qanneal.problems.tsp import qubo_size

    d = np.random.default_rng(1).integers(1, 50, (9, 9))
    bqm, _ = tsp_problem(d).to_bqm()
    assert qubo_size(9)[1].terms == bqm.num_interactions


def test_time_unit_decodes_to_a_feasible_real_schedule():
    jobs = [[(0, 3), (1, 4)], [(1, 3), (0, 2)]]
    problem = jobshop_problem(jobs, time_unit=2)
    assert problem.options["time_unit"] == 2
    result = solve(problem, "exact")
    assert result.feasible  # durations rounded up: the scaled starts leave room
    assert all(s % 2 == 0 for row in result.solution["starts"] for s in row)
    assert result.objective >= brute_force_makespan(jobs)


def test_auto_time_unit_keeps_the_bqm_within_its_term_budget():
    """``time_unit: auto`` (the default) coarsens a 20 x 15 instance until its BQM is
    within AUTO_UNIT_TERMS (counted, not built) and keeps small instances at unit 1."""
    big = jobshop_problem(random_jobs(1, num_jobs=20, num_machines=15, max_d=99))
    unit = big.options["time_unit"]
    assert unit > 1 and big.options["estimated_bqm_terms"] <= AUTO_UNIT_TERMS
    assert auto_time_unit(random_jobs(1, num_jobs=20, num_machines=15, max_d=99)) == unit
    assert jobshop_problem([[(0, 3), (1, 4)], [(1, 3), (0, 2)]]).options["time_unit"] == 1


def test_milp_backend_never_builds_the_qubo():
    pytest.importorskip("pulp")
    jobs = random_jobs(35)
    problem = jobshop_problem(jobs)
    result = solve(problem, "milp")
    assert result.feasible and result.objective == brute_force_makespan(jobs)
    assert not problem.cqm_built


def test_memory_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv(sizing.ENV_VAR, "2G")
    assert sizing.memory_limit()[0] == 2 * 2**30
    monkeypatch.setenv(sizing.ENV_VAR, "50%")
    assert 0 < sizing.memory_limit()[0] <= sizing.available_memory()
    monkeypatch.setenv(sizing.ENV_VAR, "lots")
    with pytest.raises(InputError, match="QANNEAL_MEMORY_LIMIT"):
        sizing.memory_limit()


def test_refusal_names_estimate_limit_and_fix(monkeypatch):
    monkeypatch.setenv(sizing.ENV_VAR, "64M")
    problem = coloring_problem(__import__("networkx").cycle_graph(5), k=20000)
    with pytest.raises(TooLargeError) as info:
        solve(problem, "sa")
    message = str(info.value)
    assert "GiB" in message and "64 MiB" in message and "--k" in message
    assert "\n" not in message


@pytest.mark.parametrize("make", [
    lambda: jobshop_problem(random_jobs(1, num_jobs=20, num_machines=15, max_d=99),
                            time_unit=1),
    lambda: jobshop_problem([[(0, 2), (1, 3)], [(1, 3), (0, 1)]], horizon=10**8),
    lambda: tsp_problem(np.random.default_rng(0).integers(1, 99, (2000, 2000))),
])
def test_refusals_fit_the_cli_line(make, monkeypatch):
    monkeypatch.setenv(sizing.ENV_VAR, "1G")
    problem = make()
    for build in (problem.to_bqm, lambda: problem.cqm):
        with pytest.raises(TooLargeError) as info:
            build()
        # The CLI cuts error lines at 300 characters: the fix must come before that.
        assert len(str(info.value)) <= 300 and "--backend milp" in str(info.value)


def test_deadline_stops_a_build():
    problem = jobshop_problem(random_jobs(2, num_jobs=4, num_machines=4, max_d=9))
    with sizing.deadline(-1.0), pytest.raises(TooLargeError, match="outlasted"):
        _ = problem.cqm
    assert not problem.cqm_built
    assert len(problem.cqm.variables) > 0  # outside a deadline it builds
    assert problem.cqm_built


def test_build_time_counts_against_the_time_limit():
    problem = jobshop_problem([[(0, 2), (1, 1)], [(1, 2), (0, 1)]])
    problem.build_s = 5.0  # as if loading it had taken 5 s
    with pytest.raises(TooLargeError, match="time limit"):
        solve(problem, "sa", time_limit=1.0)


REFUSE = """
import json, random, resource, sys
import numpy as np
from qanneal import solve
from qanneal.errors import TooLargeError
from qanneal.problems.jobshop import jobshop_problem
from qanneal.problems.tsp import tsp_problem
what, backend = sys.argv[1], sys.argv[2]
if what == "jobshop":  # Taillard-like 20 x 15, durations 1..99
    rng = random.Random(14)
    jobs = []
    for _ in range(20):
        ms = list(range(15)); rng.shuffle(ms)
        jobs.append([(m, rng.randint(1, 99)) for m in ms])
    problem = jobshop_problem(jobs, time_unit=1)
else:  # 1000 random cities
    xy = np.random.default_rng(0).uniform(0, 1000, (1000, 2))
    problem = tsp_problem(np.rint(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))))
try:
    solve(problem, backend, time_limit=10)
    out = "solved"
except TooLargeError as exc:
    out = str(exc)
print(json.dumps(out))
"""


#: Runs REFUSE in a grandchild and prints that one's peak RSS (RUSAGE_CHILDREN of a
#: fresh process counts nothing else), so the test measures the refused solve alone.
MEASURE = """
import resource, subprocess, sys
run = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]],
                     capture_output=True, text=True)
sys.stderr.write(run.stderr)
print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "null")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.parametrize("what", ["jobshop", "tsp"])
def test_refused_inputs_stay_under_1_gb(what):
    run = subprocess.run([sys.executable, "-c", MEASURE, REFUSE, what, "sa"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, sizing.ENV_VAR: "4G"})
    assert run.returncode == 0, run.stderr
    message, peak_kib = run.stdout.strip().splitlines()[-2:]
    message = json.loads(message)
    assert message is not None, run.stderr
    assert "over the 4.0 GiB limit" in message and "--backend milp" in message
    assert int(peak_kib) < 1024 * 1024, f"peak {int(peak_kib) / 1024:.0f} MiB"


def test_memory_hint_is_worked_out_only_on_refusal(monkeypatch):
    """The job-shop refusal suggests a time unit that fits (seconds of work on big
    instances); a model that fits must not pay for it."""
    import qanneal.problems.jobshop as jobshop

    def boom(*args, **kwargs):
        raise AssertionError("the hint was computed for a model that fits")

    monkeypatch.setattr(jobshop, "fitting_time_unit", boom)
    problem = jobshop_problem(random_jobs(4, num_jobs=4, num_machines=3, max_d=5))
    assert problem.cqm is not None and problem.to_bqm()[0].num_variables > 0


def test_auto_time_unit_bisects(monkeypatch):
    """``time_unit: auto`` counts sizes at O(log) units, not at every unit up to the
    longest duration (a count costs ~1 s on 100 x 20): here 20 x 15, durations to 99."""
    import qanneal.problems.jobshop as jobshop

    calls = []
    real = jobshop.time_indexed_size
    monkeypatch.setattr(jobshop, "time_indexed_size",
                        lambda *a: calls.append(1) or real(*a))
    auto_time_unit(random_jobs(1, num_jobs=20, num_machines=15, max_d=99))
    assert 0 < len(calls) <= 3 * 8  # three bisections over 1..99 at most
