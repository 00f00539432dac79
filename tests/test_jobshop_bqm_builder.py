"""The direct job-shop BQM builder gives the generic CQM->BQM conversion's model.

``jobshop_problem(...).to_bqm`` goes through ``Problem.bqm_builder`` (numpy index
arrays); :func:`qanneal.model.cqm_to_penalised_bqm` on the same CQM is the reference.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from qanneal.model import cqm_to_penalised_bqm, default_penalty_weights, resolve_penalties
from qanneal.onehot import find_groups
from qanneal.problems.jobshop import CLASH_GRADE, MAKESPAN_WEIGHT, jobshop_problem

# Fisher and Thompson's 6 x 6 instance (ft06, optimum 55): (machine, duration) per op.
FT06 = [[(2, 1), (0, 3), (1, 6), (3, 7), (5, 3), (4, 6)],
        [(1, 8), (2, 5), (4, 10), (5, 10), (0, 10), (3, 4)],
        [(2, 5), (3, 4), (5, 8), (0, 9), (1, 1), (4, 7)],
        [(1, 5), (0, 5), (2, 5), (3, 3), (4, 8), (5, 9)],
        [(2, 9), (1, 3), (4, 5), (5, 4), (0, 3), (3, 1)],
        [(1, 3), (3, 3), (5, 9), (0, 10), (4, 4), (2, 1)]]


def random_jobs(seed: int) -> list[list[tuple[int, int]]]:
    rng = random.Random(seed)
    machines = rng.randint(2, 3)
    jobs = []
    for _ in range(rng.randint(2, 3)):
        order = rng.sample(range(machines), machines)
        # Zero durations and repeated machines in one job test the edge cases.
        jobs.append([(m, rng.randint(0, 4)) for m in order] + [(order[0], rng.randint(1, 2))])
    return jobs


def terms(bqm):
    order = list(bqm.variables)
    linear, (row, col, quad), offset = bqm.to_numpy_vectors(variable_order=order)
    quadratic = {(min(r, c), max(r, c)): q for r, c, q in zip(row.tolist(), col.tolist(),
                                                              quad.tolist())}
    return order, linear, quadratic, offset


def assert_same_bqm(fast, slow):
    order, linear, quadratic, offset = terms(fast)
    order2, linear2, quadratic2, offset2 = terms(slow)
    assert order == order2
    np.testing.assert_allclose(linear, linear2, rtol=0, atol=1e-9)
    assert offset == pytest.approx(offset2, abs=1e-9)
    assert quadratic.keys() == quadratic2.keys()
    assert all(abs(quadratic[k] - quadratic2[k]) <= 1e-9 for k in quadratic)


def generic_bqm(problem, penalties, exclude):
    weights = problem.penalty_weights(penalties)
    weights = {k: w for k, w in weights.items() if k not in set(exclude)}
    return cqm_to_penalised_bqm(problem.cqm, weights, objective=problem.objective_bqm,
                                exclude=exclude)


CASES = [(FT06, {}), (FT06, {"time_unit": 3}), (FT06, {"late_finish": "exponential",
                                                       "horizon": 57})]
CASES += [(random_jobs(seed), {"late_finish": kind})
          for seed in range(6) for kind in ("auto", "exponential")]
CASES += [(FT06, {"clash_grade": 1.0}), (random_jobs(2), {"clash_grade": 0.0}),
          (FT06, {"makespan_weight": 4.0, "late_finish": "geometric"})]


@pytest.mark.parametrize(("jobs", "options"), CASES)
@pytest.mark.parametrize("penalties", [None, {"one_start": 2.5, "*": 1.5}, "default", 3.0])
def test_direct_builder_equals_generic_conversion(jobs, options, penalties):
    problem = jobshop_problem(jobs, **options)
    assert problem.bqm_builder is not None
    # clash_grade and makespan_weight "auto" grade the clashes and weigh the objective
    # only when the sampler keeps the starts (the one-hot groups excluded): the
    # reference is then the CQM with graded clashes and the weighted objective.
    kept = jobshop_problem(jobs, **{"makespan_weight": MAKESPAN_WEIGHT,
                                    "clash_grade": CLASH_GRADE, **options})
    groups = find_groups(problem.cqm)
    for exclude in ((), groups.labels if groups else ()):
        fast, weights = problem.to_bqm(penalties, exclude=exclude)
        assert not set(weights) & set(exclude)
        reference = kept if exclude else problem
        assert_same_bqm(fast, generic_bqm(reference, penalties, exclude))


@pytest.mark.parametrize("penalties", [None, 2.0, {"*": 3, "one_start": "auto"}, "auto",
                                       "default", {"no_overlap": 4}])
def test_penalty_weights_skip_only_hidden_layers(penalties):
    """Skipping the one-flip bound under a layer that sets every weight changes nothing."""
    problem = jobshop_problem(FT06, time_unit=2)
    weights = default_penalty_weights(problem.cqm, objective=problem.objective_bqm)
    for layer in (problem.base_penalties, problem.penalties, penalties):
        weights = resolve_penalties(layer, weights, problem.cqm)
    assert problem.penalty_weights(penalties) == weights


def test_feasible_schedule_has_energy_of_its_objective_only():
    """On the direct BQM, a feasible schedule pays no penalty: energy = objective part."""
    problem = jobshop_problem(FT06)
    bqm, _ = problem.to_bqm()
    starts = problem.options["heuristic_starts"]
    sample = dict.fromkeys(bqm.variables, 0)
    for j, row in enumerate(starts):
        for k, t in enumerate(row):
            sample[(j, k, t)] = 1
    assert bqm.energy(sample) == pytest.approx(problem.objective_bqm.energy(sample), abs=1e-12)
    # Starting an operation with its job predecessor breaks precedence: weight 1 at least.
    j, k = next((j, k) for j, row in enumerate(starts) for k in range(1, len(row))
                if (j, k, starts[j][k - 1]) in sample)
    sample[(j, k, starts[j][k])] = 0
    sample[(j, k, starts[j][k - 1])] = 1
    assert problem.evaluate(sample).violations
    assert bqm.energy(sample) >= 1.0


def test_graded_clash_costs_grow_with_the_clash():
    """A clash of k time units costs 1 + grade (k - 1); flat clashes cost 1; a feasible
    schedule costs nothing either way."""
    jobs = [[(0, 4)], [(0, 3)]]  # two operations on one machine

    def penalty(problem, a: int, b: int) -> float:
        bqm, _ = problem.to_bqm()
        sample = {**dict.fromkeys(bqm.variables, 0), (0, 0, a): 1, (1, 0, b): 1}
        return bqm.energy(sample) - problem.objective_bqm.energy(sample)

    for grade, cost in ((0.0, 1.0), (0.5, 2.0), (2.0, 5.0)):
        problem = jobshop_problem(jobs, horizon=9, clash_grade=grade)
        assert penalty(problem, 0, 4) == pytest.approx(0.0)  # back to back: no clash
        assert penalty(problem, 0, 1) == pytest.approx(cost)  # overlap [1, 4): 3 units
        assert penalty(problem, 0, 3) == pytest.approx(1.0)  # 1 unit: 1 whatever the grade
