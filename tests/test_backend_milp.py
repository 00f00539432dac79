"""The MILP baseline: proven optima on known answers, honest statuses, limits from outside."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import dimod
import networkx as nx
import pulp
import pytest
from conftest import PROBLEMS, run_cli_subprocess

from qanneal import solve
from qanneal.backends.milp import MilpBackend, available_solvers, relative_gap
from qanneal.errors import InputError
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.maxcut import cut_value, maxcut_problem
from qanneal.problems.qubo import qubo_problem
from qanneal.spec import load_problem
from qanneal.timeout import run_with_deadline

SOLVERS = available_solvers()


def test_both_solvers_are_listed_in_the_description():
    assert "cbc" in SOLVERS
    assert MilpBackend.description.startswith("PuLP MILP (")
    for solver in SOLVERS:
        assert solver in MilpBackend.description


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("graph, optimum", [
    (nx.cycle_graph(7), 6.0),  # odd cycle: all edges but one
    (nx.petersen_graph(), 12.0),
    (nx.complete_graph(6), 9.0),  # K_n: floor(n/2) * ceil(n/2)
    (nx.complete_bipartite_graph(3, 4), 12.0),
])
def test_maxcut_known_optima_are_proven(solver, graph, optimum):
    result = solve(maxcut_problem(graph), "milp", solver=solver)
    assert result.status == "optimal"
    assert result.objective == optimum
    assert result.feasible
    assert result.info["gap"] == 0.0
    assert result.info["bound"] == pytest.approx(optimum)
    assert result.info["formulation"] == "native"


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(3))
def test_weighted_maxcut_matches_exact(solver, seed):
    graph = nx.gnp_random_graph(12, 0.4, seed=seed)
    for k, (u, v) in enumerate(graph.edges):
        graph.edges[u, v]["weight"] = float((k * 7 + seed) % 5 - 1)  # includes negatives
    problem = maxcut_problem(graph)
    exact = solve(problem, "exact")
    result = solve(problem, "milp", solver=solver, seed=seed)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(exact.objective)
    assert result.info["milp_objective"] == pytest.approx(exact.objective)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(3))
def test_qubo_goes_through_the_linearisation_and_is_proven(solver, seed):
    bqm = dimod.generators.gnp_random_bqm(10, 0.5, "SPIN", random_state=seed)
    bqm.offset = 1.25
    problem = qubo_problem(bqm)
    result = solve(problem, "milp", solver=solver)
    assert result.info["formulation"] == "linearised"
    assert result.status == "optimal"
    best = dimod.ExactSolver().sample(bqm).first.energy
    assert result.objective == pytest.approx(best)
    assert result.info["milp_objective"] == pytest.approx(best)  # the offset is kept
    assert set(result.solution.values()) <= {-1, 1}


def _example_files() -> list[Path]:
    return sorted(PROBLEMS.glob("*.yaml"))


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.stem)
def test_example_problem_files_reach_the_proven_optimum(path):
    """Every small example file: milp says 'optimal' and agrees with the known answer."""
    spec = load_problem(str(path))
    problem = spec.problem
    if problem.num_variables > 400:
        pytest.skip(f"{problem.num_variables} variables: not a small example")
    result = solve(problem, "milp", time_limit=60)
    assert result.status == "optimal", result.info
    assert result.feasible
    if problem.known_optimum is not None:
        assert result.objective == pytest.approx(problem.known_optimum)
    elif problem.num_variables <= 20:
        assert result.objective == pytest.approx(solve(problem, "exact").objective)
    else:  # no reference: a proven optimum must still be at least as good as annealing
        annealed = solve(problem, "sa", seed=1)
        if annealed.feasible:
            slack = 1e-6 * max(1.0, abs(result.objective))
            if problem.sense == "max":
                assert annealed.objective <= result.objective + slack
            else:
                assert annealed.objective >= result.objective - slack


def _infeasible_problem() -> Problem:
    x, y = dimod.Binary("x"), dimod.Binary("y")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(x + 2 * y)
    cqm.add_constraint(x + y >= 3, label="impossible")
    return Problem(kind="toy", cqm=cqm, decode=dict,
                   verify=lambda s: [] if s["x"] + s["y"] >= 3 else ["x + y < 3"],
                   objective=lambda s: s["x"] + 2 * s["y"])


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_is_reported_with_no_answer(solver):
    result = solve(_infeasible_problem(), "milp", solver=solver)
    assert result.status == "infeasible"
    assert result.solution is None and not result.feasible
    assert result.num_samples == 0


def _unbounded_problem() -> Problem:
    def milp() -> MilpFormulation:
        lp = pulp.LpProblem("unbounded", pulp.LpMaximize)
        k = pulp.LpVariable("k", lowBound=0, cat=pulp.LpInteger)
        lp += k
        lp += k >= 1
        return MilpFormulation(lp=lp, extract=lambda: {"k": k.value()})

    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-dimod.Integer("k", upper_bound=10))
    return Problem(kind="toy", cqm=cqm, decode=dict, verify=lambda s: [],
                   objective=lambda s: s["k"], sense="max", milp=milp)


@pytest.mark.parametrize("solver", SOLVERS)
def test_unbounded_is_reported(solver):
    result = solve(_unbounded_problem(), "milp", solver=solver)
    assert result.status == "unbounded"


@pytest.mark.parametrize("solver", SOLVERS)
def test_time_limit_returns_the_best_solution_decoded_and_verified(solver):
    # Too big to prove in 0.5 s on this machine; whatever comes back must be honest.
    graph = nx.gnp_random_graph(120, 0.15, seed=3)
    problem = maxcut_problem(graph)
    result = solve(problem, "milp", solver=solver, time_limit=0.5)
    assert result.status in ("optimal", "time_limit"), result.info
    assert result.params["time_limit"] == 0.5
    if result.solution is not None:
        assert result.feasible
        assert result.objective == cut_value(graph, result.solution["partition"])
        assert result.info["milp_objective"] == pytest.approx(result.objective)
        if result.status == "time_limit" and result.info["bound"] is not None:
            assert result.info["bound"] >= result.objective - 1e-6
            assert result.info["gap"] == pytest.approx(
                relative_gap(result.objective, result.info["bound"]))


@pytest.mark.parametrize("options, field", [
    ({"solver": "gurobi"}, "solver"),
    ({"mip_gap": -0.1}, "mip_gap"),
    ({"mip_gap": "big"}, "mip_gap"),
    ({"threads": 0}, "threads"),
    ({"msg": "loud"}, "msg"),
    ({"timelimit": 3}, "timelimit"),
])
def test_bad_options_are_one_line_input_errors(options, field):
    with pytest.raises(InputError) as info:
        solve(maxcut_problem(nx.cycle_graph(4)), "milp", **options)
    assert info.value.field == field
    assert "\n" not in str(info.value)


def test_cli_bad_solver_exits_2_with_one_line(run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "milp",
                  "-o", "solver=glpk")
    assert run.code == 2
    assert run.err.strip().count("\n") == 0 and "cbc, highs" in run.err
    assert "Traceback" not in run.err


@pytest.mark.skipif("highs" not in SOLVERS, reason="highspy not installed")
def test_json_on_stdout_is_not_corrupted_by_the_highs_banner():
    # A fresh interpreter: HiGHS prints its banner only on the first construction.
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "milp",
                              "-o", "solver=highs", "-o", "msg=true", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "optimal" and result["objective"] == 46
    assert "HiGHS" in proc.stderr  # msg=true: the log goes to stderr, not stdout


# ---------------------------------------------------------------- outside time limits
_STUBBORN = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); " \
            "print('started', flush=True); time.sleep(30)"
_POLITE = "import time\ntry:\n    print('started', flush=True); time.sleep(30)\n" \
          "except KeyboardInterrupt:\n    print('stopped cleanly')"


def test_a_process_ignoring_sigint_is_killed_after_the_grace_period():
    run = run_with_deadline([sys.executable, "-c", _STUBBORN],
                            deadline=time.perf_counter() + 0.5, grace=0.3)
    assert run.interrupted and run.killed
    assert run.returncode == -signal.SIGKILL
    assert "started" in run.output


def test_a_process_honouring_sigint_stops_cleanly():
    run = run_with_deadline([sys.executable, "-c", _POLITE],
                            deadline=time.perf_counter() + 0.5, grace=10)
    assert run.interrupted and not run.killed
    assert "stopped cleanly" in run.output
