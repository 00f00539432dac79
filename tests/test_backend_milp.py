"""The MILP baseline: proven optima on known answers, honest statuses, limits from outside."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import dimod
import networkx as nx
import numpy as np
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
    # The backend gets what building the model left of the 0.5 s (qanneal.solve).
    assert 0 < result.params["time_limit"] <= 0.5
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


# ---------------------------------------------------------------- issue 13 §2
def test_highs_is_the_default_solver():
    assert MilpBackend.defaults["solver"] == "highs"
    result = solve(maxcut_problem(nx.cycle_graph(5)), "milp")
    assert result.info["solver"] == "highs" and result.status == "optimal"


def _unproven_maxcut() -> tuple[nx.Graph, Problem]:
    # Neither solver proves a G(200, 0.1) max-cut in seconds (root gap ~40%).
    graph = nx.gnp_random_graph(200, 0.1, seed=5)
    return graph, maxcut_problem(graph)


def test_highs_time_limit_returns_its_incumbent_with_bound_gap_and_trace():
    graph, problem = _unproven_maxcut()
    result = solve(problem, "milp", time_limit=1.5)  # the default solver: HiGHS
    assert result.status == "time_limit", result.info
    assert result.feasible and result.objective == cut_value(graph, result.solution["partition"])
    bound, gap = result.info["bound"], result.info["gap"]
    assert bound is not None and bound > result.objective
    assert gap == pytest.approx(relative_gap(result.objective, bound)) and gap > 0
    annealed = solve(problem, "sa", seed=1)  # a verified answer never beats the bound
    assert annealed.feasible and annealed.objective <= bound
    curve = result.info["best_trace"]
    assert curve and curve[-1][1] == result.objective
    assert [t for t, _ in curve] == sorted(t for t, _ in curve)
    assert [v for _, v in curve] == sorted(v for _, v in curve)  # maximising: improving


def test_highs_trace_holds_every_incumbent_read_back_as_an_answer():
    graph, problem = _unproven_maxcut()
    raw = MilpBackend().solve(problem.milp(), time_limit=1.0, solver="highs")
    assert len(raw.trace) == len(raw.info["best_trace"]) >= 1
    for (seconds, answer), (t, value) in zip(raw.trace, raw.info["best_trace"]):
        assert seconds == t and 0 <= seconds <= 1.0 + 0.5
        assert problem.verify(answer) == []
        assert cut_value(graph, answer["partition"]) == value  # problem terms = MILP value
    assert raw.solutions == [raw.trace[-1][1]]  # the final answer is the last incumbent


def test_cbc_time_limit_returns_its_incumbent():
    from qanneal.problems.independent_set import independent_set_problem

    # CBC's heuristics find an independent set at once but prove nothing in 1.5 s.
    problem = independent_set_problem(nx.gnp_random_graph(200, 0.05, seed=1))
    result = solve(problem, "milp", solver="cbc", time_limit=1.5)
    assert result.status == "time_limit", result.info
    assert result.feasible and result.objective == len(result.solution)
    assert result.info["bound"] > result.objective and result.info["gap"] > 0
    curve = result.info["best_trace"]  # from CBC's log: values only
    assert curve and curve[-1][1] == result.objective


_TWO_ASSETS = (["AAA", "BBB"], [0.00193333, 0.0056737],
               [[7.1057e-05, 3.1252e-05], [3.1252e-05, 7.187e-04]])


@pytest.mark.parametrize("seed", [1, 2, 4])
@pytest.mark.parametrize("solver", SOLVERS)
def test_portfolio_certificate_is_the_brute_force_optimum(solver, seed):
    # Lot splits a few 1e-6 apart: CBC's absolute cutoff increment (1e-5) pruned the
    # optimum 43/57 and called 45/55 'optimal'; unscaled, HiGHS did the same for these
    # seeds (its cutoff is the incumbent minus an absolute 1e-6; milp.objective_scale).
    from qanneal.problems.portfolio import portfolio_problem

    names, mu, cov = _TWO_ASSETS
    problem = portfolio_problem(names, mu, cov, lots=100, risk_aversion=5)
    a = np.arange(101)
    w = np.stack([a, 100 - a], axis=1) / 100
    values = 5 * np.einsum("ki,ij,kj->k", w, np.array(cov), w) - w @ np.array(mu)
    result = solve(problem, "milp", solver=solver, seed=seed)
    assert result.status == "optimal"
    assert result.solution["lots"] == {"AAA": int(a[values.argmin()]),
                                       "BBB": int(100 - a[values.argmin()])}
    assert result.objective == pytest.approx(values.min(), rel=1e-12)
    assert result.info["bound"] <= values.min() + 1e-15  # a lower bound, minimising


def test_cli_portfolio_from_prices_is_proven_with_cbc(run_cli, tmp_path):
    from qanneal.formats import portfolio as fp

    days = np.arange(40)
    prices = np.stack([100 * 1.002**days * (1 + 0.01 * np.sin(days)),
                       100 * 1.006**days * (1 + 0.03 * np.cos(1.7 * days))], axis=1)
    csv = tmp_path / "prices.csv"
    csv.write_text("date,AAA,BBB\n" + "".join(
        f"d{i:02d},{p[0]:.4f},{p[1]:.4f}\n" for i, p in enumerate(prices)))
    table = fp.read_prices_csv(csv)
    mu, cov = fp.estimate_mean_cov(fp.returns_from_prices(table["matrix"]))
    a = np.arange(101)
    w = np.stack([a, 100 - a], axis=1) / 100
    best = float((5 * np.einsum("ki,ij,kj->k", w, cov, w) - w @ mu).min())
    out = tmp_path / "result.json"
    run = run_cli("solve", csv, "--problem", "portfolio", "--lots", "100", "--risk-aversion",
                  "5", "--backend", "milp", "-o", "solver=cbc", "--json", out)
    assert run.code == 0, run.err
    result = json.loads(out.read_text())
    assert result["status"] == "optimal"
    assert result["objective"] == pytest.approx(best, rel=1e-12)


_SLOW_TO_WRITE = ("import signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                  "print('Integer solution of -5 found', flush=True); time.sleep(float("
                  "sys.argv[1])); print('wrote the solution')")


def test_a_solver_holding_an_incumbent_gets_more_grace_to_write_it():
    # Ignores SIGINT for 0.8 s, longer than the 0.2 s grace: the log says it holds a
    # solution, so it is given up to 2 s more instead of being killed.
    run = run_with_deadline([sys.executable, "-c", _SLOW_TO_WRITE, "0.8"],
                            deadline=time.perf_counter() + 0.3, grace=0.2, more_grace=2.0,
                            worth_waiting=lambda out: "Integer solution of" in out)
    assert run.interrupted and not run.killed
    assert "wrote the solution" in run.output


def test_more_grace_is_bounded():
    run = run_with_deadline([sys.executable, "-c", _SLOW_TO_WRITE, "30"],
                            deadline=time.perf_counter() + 0.3, grace=0.2, more_grace=0.3,
                            worth_waiting=lambda out: True)
    assert run.interrupted and run.killed and run.elapsed_s < 5


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_empty_model_is_solved_and_traced(solver):
    # All biases zero: the linearised MILP has no columns (HiGHS: kModelEmpty, which
    # reports no primal solution, and calls no improving-solution callback).
    from qanneal.linearise import linearise_cqm

    problem = qubo_problem(dimod.BQM({"a": 0.0, "b": 0.0}, {}, 0.5, "BINARY"))
    result = solve(problem, "milp", solver=solver)
    assert result.status == "optimal" and result.feasible and result.objective == 0.5
    raw = MilpBackend().solve(linearise_cqm(problem), solver=solver)
    if solver == "highs":
        assert raw.trace and raw.trace[-1][1] == raw.solutions[0]
        assert raw.info["best_trace"][-1][1] == 0.5


@pytest.mark.parametrize("seed", range(3))
def test_jobshop_warm_start_is_a_feasible_point_and_keeps_the_optimum(seed):
    """job-shop's MILP offers its heuristic schedule as a start (every row satisfied,
    objective its makespan); with -o warm_start=true HiGHS keeps it and still proves
    the optimum; CBC or a formulation without a start is one clear error."""
    import random

    from qanneal.problems.jobshop import heuristic_schedule, jobshop_milp, jobshop_problem

    rng = random.Random(seed)
    jobs = [[(m, rng.randint(1, 6)) for m in rng.sample(range(3), 3)] for _ in range(4)]
    formulation = jobshop_milp(jobs)
    assert formulation.start is not None
    for var in formulation.lp.variables():
        var.varValue = formulation.start[var.name]
    assert formulation.lp.valid(eps=1e-9)
    assert formulation.start["Cmax"] == heuristic_schedule(jobs)[1]
    problem = jobshop_problem(jobs)
    plain = solve(problem, "milp", seed=1)
    warm = solve(problem, "milp", seed=1, warm_start=True)
    assert plain.status == warm.status == "optimal" and warm.objective == plain.objective
    with pytest.raises(InputError, match="warm_start"):
        solve(problem, "milp", seed=1, warm_start=True, solver="cbc")
    with pytest.raises(InputError, match="warm_start"):
        solve(maxcut_problem(nx.cycle_graph(5)), "milp", warm_start=True)
