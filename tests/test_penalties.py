"""Penalty calibration (penalties: auto), dimod's multiplier, and writing weights back."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import dimod
import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.cli import main
from qanneal.errors import InputError
from qanneal.model import Problem, cqm_to_penalised_bqm, default_penalty_weights, dimod_multiplier
from qanneal.penalties import (
    CALIBRATION_SHARE,
    MIN_SOLVE_SHARE,
    auto_labels,
    calibrate,
    set_penalties_block,
    violated_rows,
    wants_calibration,
)
from qanneal.spec import load


def assignment_problem(n: int = 4, k: int = 3, seed: int = 0) -> Problem:
    """Put each of n items in exactly one of k slots (group ``one``), at most two
    items per slot (group ``cap``), cheapest total cost; a reward for every placed
    item pushes towards breaking ``one`` when its weight is too small."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 10, size=(n, k))
    x = {(i, s): dimod.Binary(f"x{i}_{s}") for i in range(n) for s in range(k)}
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(sum(int(cost[i, s]) * x[i, s] - 20 * x[i, s] for i, s in x))
    for i in range(n):
        cqm.add_constraint(sum(x[i, s] for s in range(k)) == 1, label=f"one[{i}]")
    for s in range(k):
        cqm.add_constraint(sum(x[i, s] for i in range(n)) <= 2, label=f"cap[{s}]")

    def decode(sample):
        return {i: [s for s in range(k) if sample[f"x{i}_{s}"]] for i in range(n)}

    def verify(sol):
        out = [f"item {i} in {len(slots)} slots" for i, slots in sol.items() if len(slots) != 1]
        load = [sum(s in slots for slots in sol.values()) for s in range(k)]
        out += [f"slot {s} holds {c} > 2" for s, c in enumerate(load) if c > 2]
        return out

    def objective(sol):
        return float(sum(cost[i, slots[0]] for i, slots in sol.items()))

    return Problem(kind="assign", cqm=cqm, decode=decode, verify=verify, objective=objective)


def brute_force_optimum(problem: Problem) -> float:
    best = np.inf
    variables = list(problem.cqm.variables)
    for bits in itertools.product((0, 1), repeat=len(variables)):
        ev = problem.evaluate(dict(zip(variables, bits)))
        if ev.feasible:
            best = min(best, ev.objective)
    return best


SA = {"num_reads": 30, "num_sweeps": 300}


def test_calibration_raises_too_small_weight_until_feasible():
    problem = assignment_problem()
    cal = calibrate(problem, "sa", penalties={"one": "auto", "cap": 100.0},
                    start={"one": 0.5}, seed=11, **SA)
    first, kept = cal.trace[0], cal.trace[cal.best_round]
    assert first["weights"]["one"] == 0.5
    assert first["feasible_rate"] < 0.2 and first["violation_rates"]["one"] > 0.8
    ones = [t["weights"]["one"] for t in cal.trace]
    assert ones[1] > ones[0]  # raised after a violated round
    assert kept["feasible_rate"] >= 0.5 and kept["best_objective"] is not None
    assert cal.group_weights["one"] > 0.5
    # the fixed group never moves
    assert {t["weights"]["cap"] for t in cal.trace} == {100.0}
    # and the tuned weights solve it: a feasible answer, verified by the checker
    result = solve(problem, "sa", seed=3, penalties=cal.weights, **SA)
    assert result.feasible and result.objective == brute_force_optimum(problem)


def test_calibration_lowers_a_weight_far_too_strong():
    problem = assignment_problem()
    cal = calibrate(problem, "sa", penalties="auto", start={"one": 1e4, "cap": 1e4},
                    seed=5, max_rounds=4, **SA)
    ones = [t["weights"]["one"] for t in cal.trace]
    assert ones[1] < ones[0]
    assert all(t["feasible_rate"] > 0 for t in cal.trace)


def test_solve_auto_records_trace_and_verifies():
    problem = assignment_problem()
    assert wants_calibration(problem, "auto") and not wants_calibration(problem)
    result = solve(problem, "sa", seed=2, penalties="auto", **SA)
    trace = result.info["penalty_trace"]
    assert trace and set(trace[0]) >= {"weights", "feasible_rate", "best_objective"}
    assert set(trace[0]["weights"]) == {"one", "cap"}
    assert result.feasible and result.objective == brute_force_optimum(problem)
    # the answer returned is no worse than any round's best (all verified answers count)
    assert all(result.objective <= t["best_objective"] for t in trace
               if t["best_objective"] is not None)
    assert "calibrate_s" in result.timing
    summary = result.info["penalty_calibration"]
    assert result.penalties["one[0]"] == summary["group_weights"]["one"]


def test_seeded_auto_solve_is_reproducible():
    problem = assignment_problem(seed=4)
    a = solve(problem, "sa", seed=9, penalties="auto", **SA)
    b = solve(problem, "sa", seed=9, penalties="auto", **SA)
    assert a.penalties == b.penalties and a.solution == b.solution
    assert [t["weights"] for t in a.info["penalty_trace"]] == \
        [t["weights"] for t in b.info["penalty_trace"]]


def test_auto_penalties_spend_the_solve_time_limit_not_more():
    # time_limit is the whole solve's budget: calibration rounds share half of it
    # (each round had the full limit before: 20 s took 121 s), the final solve the rest.
    problem = assignment_problem()
    limit = 2.0
    began = time.perf_counter()
    result = solve(problem, "sa", seed=2, penalties="auto", time_limit=limit, **SA)
    wall = time.perf_counter() - began
    trace = result.info["penalty_trace"]
    round_limits = [t["time_limit"] for t in trace]
    assert all(r is not None and r > 0 for r in round_limits)
    assert sum(round_limits) <= CALIBRATION_SHARE * limit + 1e-9
    final = result.info["penalty_calibration"]["solve_time_limit"]
    spent = result.timing["calibrate_s"]
    assert final == pytest.approx(max(limit - spent, MIN_SOLVE_SHARE * limit))
    assert spent < limit  # calibration stopped when its share was spent
    assert result.params["time_limit"] == limit
    assert result.feasible
    assert wall < 2 * limit + 3  # loose: timed tests do not assert speed


def test_cqm_backend_ignores_auto():
    problem = assignment_problem(n=3, k=2)
    result = solve(problem, "exact", penalties="auto")
    assert "penalty_trace" not in result.info and result.penalties is None


def test_calibrate_refuses_cqm_backend():
    with pytest.raises(InputError, match="BQM backend"):
        calibrate(assignment_problem(), "exact", penalties="auto")


def test_penalty_modes_in_weights():
    problem = assignment_problem()
    defaults = default_penalty_weights(problem.cqm)
    assert problem.penalty_weights("auto") == defaults
    assert problem.penalty_weights("default") == defaults
    mixed = problem.penalty_weights({"one": 7, "cap": "auto"})
    assert mixed["one[0]"] == 7 and mixed["cap[1]"] == defaults["cap[1]"]
    m = dimod_multiplier(problem.cqm)
    assert set(problem.penalty_weights("dimod").values()) == {m}
    with pytest.raises(InputError, match="auto"):
        problem.penalty_weights("strong")
    assert auto_labels({"one": "auto"}, problem.cqm.constraints) == [f"one[{i}]"
                                                                      for i in range(4)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=3, max_size=3),
       st.lists(st.integers(-5, 5), min_size=3, max_size=3), st.integers(-3, 3))
def test_dimod_multiplier_matches_cqm_to_bqm(linear, coeffs, rhs):
    x = [dimod.Binary(f"v{i}") for i in range(3)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(sum(a * xi for a, xi in zip(linear, x)) + 2 * x[0] * x[1])
    cqm.add_constraint(sum(c * xi for c, xi in zip(coeffs, x)) == rhs, label="eq")
    theirs, _ = dimod.cqm_to_bqm(cqm)
    ours = cqm_to_penalised_bqm(cqm, {"eq": dimod_multiplier(cqm)})
    for bits in itertools.product((0, 1), repeat=3):
        sample = {f"v{i}": b for i, b in enumerate(bits)}
        assert theirs.energy(sample) == pytest.approx(ours.energy(sample))


def test_violated_rows_match_cqm_violations():
    problem = assignment_problem(n=3, k=2)
    variables = list(problem.cqm.variables)
    rng = np.random.default_rng(0)
    samples = rng.integers(0, 2, size=(40, len(variables)))
    ss = dimod.SampleSet.from_samples((samples, variables), "BINARY", energy=np.zeros(40))
    rows = violated_rows(problem.cqm, ss)
    for r, row in enumerate(samples):
        v = problem.cqm.violations(dict(zip(variables, row)), skip_satisfied=False)
        for label, amount in v.items():
            assert rows[label][r] == (amount > 1e-9)


def test_spec_accepts_auto_and_dimod(tmp_path: Path):
    for value in ("auto", "dimod", "{'*': auto}", "2.5"):
        f = tmp_path / "p.yaml"
        f.write_text(f"problem: maxcut\ndata:\n  edges: [[0, 1]]\npenalties: {value}\n")
        assert load(f).problem.penalties is not None
    f.write_text("problem: maxcut\ndata:\n  edges: [[0, 1]]\npenalties: strong\n")
    with pytest.raises(InputError):
        load(f)


def test_set_penalties_block_keeps_the_rest(tmp_path: Path):
    src = ("# header comment\nproblem: tsp  # inline\npenalties:\n  city: 3\n\n"
           "  position: auto   # tune\n\n# about seed\nseed: 3\n")
    out = set_penalties_block(src, {"city": 4.5, "position": 12})
    assert out.startswith("# header comment\nproblem: tsp  # inline\npenalties:\n")
    assert out.endswith("\n# about seed\nseed: 3\n")
    assert yaml.safe_load(out) == {"problem": "tsp", "seed": 3,
                                   "penalties": {"city": 4.5, "position": 12}}
    appended = set_penalties_block("problem: tsp\nseed: 1", {"a": 1})
    assert yaml.safe_load(appended)["penalties"] == {"a": 1}
    flow = set_penalties_block("penalties: {a: 1,\n  b: 2}\nseed: 1\n", {"a": 3})
    assert yaml.safe_load(flow) == {"penalties": {"a": 3}, "seed": 1}


def test_tune_cli_writes_groups(tmp_path: Path, capsys):
    pytest.importorskip("qanneal.problems.jobshop")
    f = tmp_path / "js.yaml"
    f.write_text("# a 3x3 job shop\nproblem: jobshop\ndata:\n  jobs:\n"
                 "    - [[0, 2], [1, 3], [2, 2]]\n    - [[0, 3], [2, 1], [1, 3]]\n"
                 "    - [[0, 1], [1, 3], [2, 1]]\n"
                 "penalties: {precedence: 5}\nseed: 4\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["tune", str(f), "--write", "--max-rounds", "3", "-o", "num_reads=20",
              "-o", "num_sweeps=200"])
    assert exit_info.value.code == 0
    text = f.read_text()
    assert text.startswith("# a 3x3 job shop\n")
    doc = yaml.safe_load(text)
    assert doc["penalties"]["precedence"] == 5  # fixed in the file: kept
    groups = {str(label).split("[")[0] for label in load(f).problem.cqm.constraints}
    assert set(doc["penalties"]) == groups
    assert all(isinstance(v, (int, float)) and v > 0 for v in doc["penalties"].values())
    assert "penalty calibration" in capsys.readouterr().out


@pytest.mark.parametrize("onehot", ["auto", "off"])
def test_anneal_calibration_rounds_keep_its_onehot_groups(onehot):
    """Calibration rounds run as the final solve does: with anneal's one-hot moves the
    groups get no penalty (nothing to tune) and every round's samples keep them."""
    import networkx as nx

    from qanneal.model import constraint_group
    from qanneal.onehot import find_groups
    from qanneal.problems.coloring import coloring_problem

    problem = coloring_problem(nx.petersen_graph(), 3, mode="decide")
    onehot_groups = {constraint_group(label) for label in find_groups(problem.cqm).labels}
    cal = calibrate(problem, "anneal", penalties="auto", seed=2, max_rounds=3,
                    num_reads=4, num_sweeps=100, threads=1, onehot=onehot)
    tuned = set(cal.group_weights)
    if onehot == "auto":
        assert tuned and not tuned & onehot_groups
        for round_ in cal.trace:
            assert not set(round_["violation_rates"]) & onehot_groups
    else:  # the penalised QUBO: the groups are penalties like any other, and tuned
        assert onehot_groups <= tuned
