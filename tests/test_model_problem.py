"""Models from anywhere: dimod BQM/QM/CQM objects and LP files as problems.

Known answers by brute force over the model's own variables; LP files round-trip from
``qanneal export`` to the same optimum; the integer encoding is checked as a property.
"""

from __future__ import annotations

import itertools
import lzma
import subprocess
import sys

import dimod
import pytest
from conftest import PROBLEMS
from hypothesis import given, settings
from hypothesis import strategies as st

import qanneal
from qanneal import compare, load, load_problem, solve
from qanneal.errors import InputError, QanError
from qanneal.export import export
from qanneal.problems.lp import lp_problem
from qanneal.problems.model import model_problem


def brute_force(cqm: dimod.ConstrainedQuadraticModel) -> float:
    """The least objective over every feasible assignment (integers by their range)."""
    variables = list(cqm.variables)
    domains = []
    for v in variables:
        t = cqm.vartype(v)
        if t is dimod.SPIN:
            domains.append((-1, 1))
        else:
            domains.append(range(int(cqm.lower_bound(v)), int(cqm.upper_bound(v)) + 1))
    best = float("inf")
    for values in itertools.product(*domains):
        sample = dict(zip(variables, values))
        if cqm.check_feasible(sample):
            best = min(best, float(cqm.objective.energy(sample)))
    return best


def integer_cqm() -> dimod.ConstrainedQuadraticModel:
    """Two of four items, an integer n in [-3, 6] coupled to one of them, n**2 in the
    objective: integer, quadratic, negative bounds and an equality in one small model."""
    x = [dimod.Binary(i) for i in range(4)]
    n = dimod.Integer("n", lower_bound=-3, upper_bound=6)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(3 * x[0] + x[1] + 2 * x[2] - x[3] * n + n * n - 4 * n)
    cqm.add_constraint(x[0] + x[1] + x[2] + x[3] == 2, label="two")
    cqm.add_constraint(n + 2 * x[3] <= 5, label="cap")
    return cqm


# ---------------------------------------------------------------------- BQM
@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_solve_takes_a_plain_bqm(vartype):
    # Was: AttributeError: 'BinaryQuadraticModel' object has no attribute 'penalties'.
    bqm = dimod.generators.gnp_random_bqm(8, 0.6, vartype, random_state=4)
    best = dimod.ExactSolver().sample(bqm).first
    for backend in ("exact", "sa", "milp"):
        result = solve(bqm, backend, seed=1)
        assert result.feasible and result.problem == "model"
        assert result.objective == pytest.approx(best.energy), backend
        assert bqm.energy(result.solution) == pytest.approx(result.objective)
        assert set(result.solution.values()) <= set(bqm.vartype.value)


def test_bqm_is_copied_so_later_edits_do_not_leak_in():
    bqm = dimod.BQM({"a": -1.0}, {}, 0.0, "BINARY")
    problem = model_problem(bqm)
    bqm.add_linear("a", 5.0)
    assert solve(problem, "exact").objective == -1.0


# ---------------------------------------------------------------------- CQM
@pytest.mark.parametrize("backend", ["milp", "exact", "sa"])
def test_cqm_with_constraints_and_integers_reaches_the_brute_force_optimum(backend):
    cqm = integer_cqm()
    assert brute_force(cqm) == -5.0
    result = solve(cqm, backend, seed=2)
    assert result.feasible, result.violations
    assert result.objective == -5.0
    assert cqm.check_feasible(result.solution)
    assert isinstance(result.solution["n"], int) and result.solution["n"] in (2, 3)
    if backend != "sa":
        assert result.status == "optimal"


def test_verify_names_the_violated_constraints_and_bad_values():
    problem = model_problem(integer_cqm())
    ok = {0: 0, 1: 1, 2: 0, 3: 1, "n": 3}
    assert problem.verify(ok) == []
    assert problem.verify({**ok, 2: 1}) == ["constraint two violated by 1"]
    assert problem.verify({**ok, "n": 4}) == ["constraint cap violated by 1"]
    assert problem.verify({**ok, "n": 7}) == ["variable 'n' = 7 is outside its bounds [-3, 6]"]
    assert problem.verify({**ok, "n": 2.5}) == ["integer variable 'n' = 2.5 is not whole"]
    assert problem.verify({**ok, 0: 2}) == ["variable 0 = 2; allowed 0 or 1"]
    assert problem.verify({0: 0}) == ["4 variable(s) unassigned, e.g. 1"]


def test_tolerance_decides_what_counts_as_violated():
    y = dimod.Real("y", upper_bound=10)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(y)
    cqm.add_constraint(y >= 2, label="low")
    assert model_problem(cqm).verify({"y": 2 - 1e-9}) == []
    assert model_problem(cqm).verify({"y": 1.9}) == ["constraint low violated by 0.1"]
    assert model_problem(cqm, tolerance=0.1).verify({"y": 1.95}) == []


def test_maximisation_model_reports_the_objective_itself():
    x, y = dimod.Binary("x"), dimod.Binary("y")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-(3 * x + 2 * y))  # dimod minimises: the negated profit
    cqm.add_constraint(x + y <= 1, label="one")
    result = solve(model_problem(cqm, sense="max"), "milp")
    assert (result.objective, result.sense, result.solution) == (3.0, "max", {"x": 1, "y": 0})
    assert result.status == "optimal"


def test_spin_variables_in_a_cqm_are_decoded_to_plus_minus_one():
    s, t = dimod.Spin("s"), dimod.Spin("t")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(s * t + 0.5 * s)
    cqm.add_constraint(s + t == 0, label="opposite")
    for backend in ("exact", "milp", "sa"):
        result = solve(cqm, backend, seed=1)
        assert result.solution == {"s": -1, "t": 1}, backend
        assert result.objective == -1.5


def test_product_of_two_integers_goes_to_milp_through_the_binary_code():
    m, n = dimod.Integer("m", upper_bound=3), dimod.Integer("n", upper_bound=3)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-m * n + 2 * m)
    cqm.add_constraint(m + n <= 4, label="sum")
    result = solve(cqm, "milp")
    assert result.objective == brute_force(cqm) == -1.0  # m = 1, n = 3
    assert result.info["formulation"] == "linearised" and result.status == "optimal"


def test_bqm_backends_refuse_real_and_very_wide_integers_in_one_line():
    y = dimod.Real("y", upper_bound=1)
    x = dimod.Binary("x")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(x - y)
    with pytest.raises(QanError, match=r"^variable 'y' is REAL: .*\(use -b milp"):
        solve(cqm, "sa")
    assert solve(cqm, "milp").objective == -1.0
    wide = dimod.ConstrainedQuadraticModel()
    wide.set_objective(-dimod.Integer("k") + x)  # dimod's default upper bound: 2**53 - 1
    wide.add_constraint(dimod.Integer("k") - 3 * x <= 7, label="cap")
    with pytest.raises(QanError, match=r"^integer variable 'k' spans .*tighter bounds"):
        solve(wide, "sa")
    assert solve(wide, "milp").objective == -9.0


def test_bad_inputs_are_one_line_input_errors():
    with pytest.raises(InputError, match="expected a Problem or a dimod BQM/CQM, got dict"):
        solve({"a": 1}, "exact")
    with pytest.raises(InputError, match="no variables"):
        model_problem(dimod.BQM("BINARY"))
    soft = dimod.ConstrainedQuadraticModel()
    soft.add_constraint(dimod.Binary("a") <= 0, label="s", weight=2.0)
    with pytest.raises(InputError, match="1 soft constraint"):
        model_problem(soft)
    empty_range = dimod.ConstrainedQuadraticModel()
    empty_range.add_variable("INTEGER", "k", lower_bound=0.2, upper_bound=0.8)
    with pytest.raises(InputError, match="no integer value in its bounds"):
        model_problem(empty_range)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_integer_code_keeps_every_value_of_objective_and_constraints(data):
    # Property: the binary-coded CQM the backends solve gives the same objective and
    # constraint left-hand sides as the model, at the code of any integer assignment.
    k = data.draw(st.integers(1, 3))
    bounds = [data.draw(st.tuples(st.integers(-5, 3), st.integers(0, 6))
                        .filter(lambda t: t[0] <= t[1])) for _ in range(k)]
    ints = [dimod.Integer(f"i{j}", lower_bound=lo, upper_bound=hi)
            for j, (lo, hi) in enumerate(bounds)]
    x = dimod.Binary("x")
    coef = st.integers(-4, 4)
    objective = data.draw(coef) * x + sum(data.draw(coef) * v for v in ints)
    objective += sum(data.draw(coef) * u * v for u, v in itertools.combinations_with_replacement(
        [x, *ints], 2) if not (u is x and v is x))
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(objective)
    cqm.add_constraint(sum(data.draw(coef) * v for v in ints) + 2 * x <= 3, label="c")
    problem = model_problem(cqm)
    encoded = problem.cqm
    assert all(encoded.vartype(v) is dimod.BINARY for v in encoded.variables)
    from qanneal.encodings import IntegerEncoding

    codes: dict[str, IntegerEncoding] = problem.decode.__self__.codes
    values = {f"i{j}": data.draw(st.integers(lo, hi)) for j, (lo, hi) in enumerate(bounds)}
    values["x"] = data.draw(st.integers(0, 1))
    bits = {"x": values["x"]}
    for name, code in codes.items():
        bits.update(code.encode(values[name]))
    assert problem.decode(bits) == values
    assert encoded.objective.energy(bits) == pytest.approx(cqm.objective.energy(values))
    assert encoded.constraints["c"].lhs.energy(bits) == pytest.approx(
        cqm.constraints["c"].lhs.energy(values))


# ---------------------------------------------------------------------- compare
def test_compare_takes_models():
    bqm = dimod.BQM({"a": 1.0, "b": -2.0}, {("a", "b"): -1.0}, 0.0, "BINARY")
    c = compare([bqm, integer_cqm()], ["exact", "milp"], repeats=1, seed=1,
                executor="serial")
    best = {(row["problem_index"], row["backend"]): row["best"] for row in c.summary}
    assert best == {(0, "exact"): -2.0, (0, "milp"): -2.0, (1, "exact"): -5.0,
                    (1, "milp"): -5.0}
    assert dimod.ExactSolver().sample(bqm).first.energy == -2.0
    single = compare(bqm, ["exact"], repeats=1, seed=1, executor="serial")
    assert single.summary[0]["best"] == -2.0


# ---------------------------------------------------------------------- LP files
LP_TEXT = """\\ two lines, three integer products
Maximize
 profit: 5 a + 4 b + 3 c - 6 open1 - 4 open2
Subject To
 hours: 2 a + 3 b + c <= 12
 material: a + b + 2 c <= 9
 line1: a + b - 4 open1 <= 0
 line2: c - 4 open2 <= 0
Bounds
 0 <= a <= 4
 0 <= b <= 4
 0 <= c <= 4
Binary
 open1 open2
General
 a b c
End
"""


def test_lp_file_known_answer_by_brute_force(tmp_path):
    path = tmp_path / "plan.lp"
    path.write_text(LP_TEXT)
    problem = load_problem(path).problem
    assert (problem.kind, problem.sense, problem.name) == ("lp", "max", "plan")
    optimum = -brute_force(dimod.lp.loads(LP_TEXT))  # the CQM holds the negated profit
    assert optimum == 16.0
    for backend in ("milp", "exact"):
        result = solve(problem, backend)
        assert result.objective == optimum and result.status == "optimal", backend
        assert result.solution == {"a": 4, "b": 0, "c": 2, "open1": 1, "open2": 1}


def test_compressed_lp_and_problem_file(tmp_path):
    with lzma.open(tmp_path / "plan.lp.xz", "wt") as fh:
        fh.write(LP_TEXT)
    (tmp_path / "plan.yaml").write_text(
        "problem: lp\ndata: plan.lp.xz\noptions: {tolerance: 1e-9}\nknown_optimum: 16\n")
    spec = load(tmp_path / "plan.yaml")
    assert spec.problem.name == "plan" and spec.problem.known_optimum == 16
    assert solve(spec.problem, "milp").objective == 16.0
    assert solve(lp_problem(tmp_path / "plan.lp.xz"), "milp").objective == 16.0


@pytest.mark.parametrize("text, message", [
    ("Minimize\n obj: x +\nSubject To\n c1: x + y >=\nEnd\n", "cannot read the LP file"),
    ("hello\n", "declares no variables"),
])
def test_unreadable_lp_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.lp"
    path.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "qanneal", "solve", str(path), "-b", "milp"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "bad.lp" in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


# Examples whose CQM objective is the problem's own (a surrogate objective, e.g.
# machines' makespan, has a different optimum in the file); maximisation problems'
# CQMs (and so their LP files) minimise the negated objective.
ROUND_TRIP = ["knapsack-small", "coloring-myciel3", "partition-3way", "maxcut-small"]


@pytest.mark.parametrize("example", ROUND_TRIP)
def test_export_lp_then_solve_gives_the_original_optimum(tmp_path, example):
    problem = load(PROBLEMS / f"{example}.yaml").problem
    original = solve(problem, "milp")
    assert original.status == "optimal"
    written = export(problem, tmp_path / "m.lp")
    assert [p.name for p in written] == ["m.lp", "m.lp.labels.json"]
    again = solve(load_problem(tmp_path / "m.lp").problem, "milp")
    assert again.status == "optimal" and again.feasible
    # A maximisation is written as Maximize: the same value and sense come back.
    assert again.objective == pytest.approx(original.objective)
    assert again.sense == problem.sense


def test_export_lp_then_solve_on_the_command_line(tmp_path):
    lp = tmp_path / "k.lp"
    subprocess.run([sys.executable, "-m", "qanneal", "export",
                    str(PROBLEMS / "knapsack-small.yaml"), str(lp)], check=True,
                   capture_output=True, timeout=60)
    out = subprocess.run([sys.executable, "-m", "qanneal", "solve", str(lp), "-b", "milp"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    known = load(PROBLEMS / "knapsack-small.yaml").problem.known_optimum
    assert f"objective: {known:g} (maximise)" in out.stdout


def test_public_names():
    assert qanneal.problems.model_problem is model_problem
    assert qanneal.problems.lp_problem is lp_problem
