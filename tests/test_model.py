"""The problem model: penalty weights, CQM -> BQM conversion, evaluation."""

from __future__ import annotations

import itertools

import dimod
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.errors import InputError
from qanneal.model import Problem, cqm_to_penalised_bqm, default_penalty_weights


def _brute_force_cqm(cqm: dimod.ConstrainedQuadraticModel) -> float:
    variables = list(cqm.variables)
    best = float("inf")
    for bits in itertools.product((0, 1), repeat=len(variables)):
        sample = dict(zip(variables, bits))
        if cqm.check_feasible(sample):
            best = min(best, cqm.objective.energy(sample))
    return best


@st.composite
def small_cqms(draw):
    """Random small binary CQMs with disjoint one-hot, at-most-one, <= and >= constraints."""
    n = draw(st.integers(3, 7))
    xs = [dimod.Binary(f"x{i}") for i in range(n)]
    coef = st.integers(-5, 5)
    objective = sum(draw(coef) * x for x in xs)
    for i, j in itertools.combinations(range(n), 2):
        c = draw(coef)
        if c:
            objective += c * xs[i] * xs[j]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(objective)
    # Disjoint constraints: the case the default bound is proved for (see its docstring).
    order = draw(st.permutations(range(n)))
    cuts = sorted(draw(st.sets(st.integers(2, n - 2), max_size=2))) if n >= 4 else []
    groups = [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, n]) if b - a >= 2]
    for k, members in enumerate(groups):
        kind = draw(st.sampled_from(["eq1", "amo", "le", "ge"]))
        expr = dimod.quicksum(xs[i] for i in members)
        if kind == "eq1":
            cqm.add_constraint(expr == 1, label=f"c[{k}]")
        elif kind == "amo":
            cqm.add_constraint(expr <= 1, label=f"c[{k}]")
        elif kind == "le":
            weighted = dimod.quicksum((1 + i % 3) * xs[i] for i in members)
            cqm.add_constraint(weighted <= draw(st.integers(1, 3)), label=f"c[{k}]")
        else:
            cqm.add_constraint(expr >= draw(st.integers(1, 2)), label=f"c[{k}]")
    return cqm


@settings(max_examples=40, deadline=None)
@given(small_cqms())
def test_default_penalties_make_bqm_ground_state_the_cqm_optimum(cqm):
    """With the default weights, the BQM ground state is feasible and optimal."""
    import warnings

    warnings.filterwarnings("ignore", "Did not add constraint")  # dimod: trivially true
    optimum = _brute_force_cqm(cqm)
    bqm = cqm_to_penalised_bqm(cqm, default_penalty_weights(cqm))
    ground = dimod.ExactSolver().sample(bqm).first
    if optimum == float("inf"):
        return  # infeasible CQM: nothing to compare
    sample = {v: ground.sample[v] for v in cqm.variables}
    assert cqm.check_feasible(sample), (cqm.objective, list(cqm.constraints.values()), bqm)
    assert cqm.objective.energy(sample) == pytest.approx(optimum)


def test_at_most_one_uses_no_slack():
    xs = [dimod.Binary(i) for i in range(4)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-dimod.quicksum(xs))
    cqm.add_constraint(dimod.quicksum(xs) <= 1, label="amo")
    bqm = cqm_to_penalised_bqm(cqm, {"amo": 2.0})
    assert set(bqm.variables) == set(range(4))
    assert bqm.energy({0: 1, 1: 1, 2: 0, 3: 0}) == pytest.approx(-2 + 2.0)


def test_inequality_adds_slack_variables():
    xs = [dimod.Binary(i) for i in range(4)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-dimod.quicksum(xs))
    cqm.add_constraint(2 * xs[0] + 3 * xs[1] + xs[2] + xs[3] <= 5, label="cap")
    bqm = cqm_to_penalised_bqm(cqm, {"cap": 5.0})
    slack = [v for v in bqm.variables if str(v).startswith("slack_cap")]
    assert slack


def _pick_one_problem(scale: float = 1.0) -> Problem:
    xs = [dimod.Binary(i) for i in range(3)]
    cqm = dimod.ConstrainedQuadraticModel()
    cost = {0: 3 * scale, 1: 1 * scale, 2: 2 * scale}
    cqm.set_objective(dimod.quicksum(cost[i] * xs[i] for i in range(3)))
    cqm.add_constraint(dimod.quicksum(xs) == 1, label="one[0]")
    return Problem(kind="pick", cqm=cqm, decode=lambda s: [v for v in sorted(s) if s[v]],
                   verify=lambda sol: [] if len(sol) == 1 else ["need exactly one"],
                   objective=lambda sol: sum(cost[v] for v in sol))


def test_penalty_overrides_by_label_group_and_star():
    p = _pick_one_problem()
    assert p.penalty_weights({"one[0]": 7})["one[0]"] == 7
    assert p.penalty_weights({"one": 9})["one[0]"] == 9
    assert p.penalty_weights({"*": 4})["one[0]"] == 4
    assert p.penalty_weights(5.0)["one[0]"] == 5
    assert p.penalty_weights({"one": "default"}) == p.penalty_weights()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "lots", {"one": -2}, {"two": 3}])
def test_bad_penalty_overrides_are_input_errors(bad):
    with pytest.raises(InputError):
        _pick_one_problem().penalty_weights(bad)


def test_too_weak_penalty_lets_the_bqm_lie_but_verify_catches_it():
    """A weak penalty makes an infeasible BQM ground state; the checker must say so."""
    p = _pick_one_problem()
    bqm, _ = p.to_bqm({"one": 0.1})
    ground = dimod.ExactSolver().sample(bqm).first.sample
    evaluation = p.evaluate(ground)
    assert not evaluation.feasible
    assert evaluation.violations == ["need exactly one"]


def test_default_weight_comes_from_objective_scale():
    p = _pick_one_problem()
    scaled = _pick_one_problem(scale=100)
    # equal up to the rounding to 8 significant bits
    assert scaled.penalty_weights()["one[0]"] == pytest.approx(
        100 * p.penalty_weights()["one[0]"], rel=2**-7)


def test_quadratic_constraint_cannot_become_a_penalty():
    x, y = dimod.Binary("x"), dimod.Binary("y")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(x + y)
    cqm.add_constraint(x * y + x >= 1, label="q")
    from qanneal.errors import QanError

    with pytest.raises(QanError, match="quadratic"):
        cqm_to_penalised_bqm(cqm, {"q": 1.0})


def test_two_variable_cover_uses_no_slack():
    u, v = dimod.Binary("u"), dimod.Binary("v")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(u + v)
    cqm.add_constraint(u + v >= 1, label="cover")
    bqm = cqm_to_penalised_bqm(cqm, {"cover": 3.0})
    assert set(bqm.variables) == {"u", "v"}
    energies = {(a, b): bqm.energy({"u": a, "v": b}) for a in (0, 1) for b in (0, 1)}
    assert energies == {(0, 0): 3.0, (0, 1): 1.0, (1, 0): 1.0, (1, 1): 2.0}


def test_file_penalties_layer_over_the_problem_types_own():
    p = _pick_one_problem()
    xs = [dimod.Binary(f"y{i}") for i in range(2)]
    p.cqm.add_constraint(dimod.quicksum(xs) <= 1, label="other[0]")
    p.base_penalties = {"one": 7.0}  # what a problem type may set for itself
    p.penalties = {"other": 3.0}  # what a problem file adds
    weights = p.penalty_weights()
    assert weights == {"one[0]": 7.0, "other[0]": 3.0}
    assert p.penalty_weights({"*": "default"}) == weights
    assert p.penalty_weights({"one": 2})["other[0]"] == 3.0


def test_weight_residues_do_not_survive_conversion():
    """A penalty cancelling an objective term must leave 0, not a 1e-15 residue."""
    x, y = dimod.Binary("x"), dimod.Binary("y")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(0.1 * x + 0.2 * y - 0.3 * x * y)
    cqm.add_constraint(x + y == 1, label="one")
    bqm = cqm_to_penalised_bqm(cqm, {"one": 0.15})  # x*y: -0.3 + 2*0.15 ~ 1e-17
    assert ("x", "y") not in bqm.quadratic and ("y", "x") not in bqm.quadratic
