"""The generic McCormick linearisation is exact: same optimum as exhaustive enumeration."""

from __future__ import annotations

import dimod
import numpy as np
import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.backends.milp import lp_objective_value
from qanneal.errors import QanError
from qanneal.linearise import linearise, linearise_cqm
from qanneal.problems.qubo import qubo_problem


def _solve(lp: pulp.LpProblem) -> float:
    status = lp.solve(pulp.COIN_CMD(path=_cbc(), msg=False))
    assert pulp.LpStatus[status] == "Optimal"
    return lp_objective_value(lp)


def _cbc() -> str:
    from qanneal.backends.milp import cbc_path

    return cbc_path()


def _exact_min(cqm: dimod.ConstrainedQuadraticModel) -> float:
    feasible = dimod.ExactCQMSolver().sample_cqm(cqm).filter(lambda d: d.is_feasible)
    return feasible.first.energy


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 7), density=st.floats(0.2, 1.0), seed=st.integers(0, 2**16))
def test_qubo_linearisation_reaches_the_exact_minimum(n, density, seed):
    rng = np.random.default_rng(seed)
    bqm = dimod.generators.gnp_random_bqm(
        n, density, "BINARY", random_state=seed,
        bias_generator=lambda size: rng.integers(-5, 6, size).astype(float))
    bqm.offset = 2.5
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(bqm)
    lp, _ = linearise(cqm)
    assert _solve(lp) == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)


def test_constant_objective_keeps_its_value():
    # All biases zero (hypothesis found it): PuLP's value() is None for a constant objective.
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(dimod.BQM({0: 0.0, 1: 0.0}, {}, 2.5, "BINARY"))
    lp, _ = linearise(cqm)
    assert _solve(lp) == 2.5


def test_objective_only_products_get_one_side_of_mccormick():
    # +3ab is minimised: only z >= a + b - 1 is needed; -2bc needs z <= b and z <= c.
    bqm = dimod.BQM({"a": 1.0}, {("a", "b"): 3.0, ("b", "c"): -2.0}, 0.0, "BINARY")
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(bqm)
    lp, variables = linearise(cqm)
    assert set(variables) == {"a", "b", "c"}
    assert lp.numConstraints() == 1 + 2


@pytest.mark.parametrize("seed", range(6))
def test_constrained_cqm_with_integer_and_quadratic_constraint(seed):
    bqm = dimod.generators.gnp_random_bqm(5, 0.7, "BINARY", random_state=seed)
    x = [dimod.Binary(i) for i in range(5)]
    k = dimod.Integer("k", lower_bound=-2, upper_bound=3)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(bqm + 0.5 * k)
    cqm.add_constraint(x[0] * x[1] + x[2] - k <= 1, label="quad")
    cqm.add_constraint(x[3] * k + x[4] >= 0, label="bin_int")
    cqm.add_constraint(x[0] + x[2] + x[4] == 1, label="one")
    lp, _ = linearise(cqm)
    assert _solve(lp) == pytest.approx(_exact_min(cqm))


def test_extract_decodes_in_problem_terms():
    # A SPIN problem: the model is binary, the decoded answer is +-1 again.
    bqm = dimod.BQM({"a": 1.0, "b": -1.0, "c": 0.5}, {("a", "b"): -2.0, ("b", "c"): 1.0},
                    0.0, "SPIN")
    problem = qubo_problem(bqm)
    formulation = linearise_cqm(problem)
    assert formulation.native is False
    _solve(formulation.lp)
    solution = formulation.extract()
    assert set(solution.values()) <= {-1, 1}
    assert bqm.energy(solution) == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)


def test_spin_variables_and_products_without_a_binary_factor_are_refused():
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(dimod.Spin("s") * dimod.Spin("t"))
    with pytest.raises(QanError, match="SPIN"):
        linearise(cqm)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(dimod.Integer("i", upper_bound=3) * dimod.Integer("j", upper_bound=3))
    with pytest.raises(QanError, match="no binary factor"):
        linearise(cqm)
