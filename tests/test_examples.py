"""Every ready-to-run example in problems/ solves feasibly with the default backend.

One test for all problem types (new examples are picked up automatically): the answer is
feasible, its objective is the problem's own objective of the returned solution, it is
never better than the known optimum, and the JSON result has the documented keys.
"""

from __future__ import annotations

import json

import pytest
from conftest import PROBLEMS

from qanneal import load, solve

RESULT_KEYS = {"problem", "backend", "objective", "feasible", "violations", "energy",
               "solution", "params", "timing", "versions", "manifest"}
EXAMPLES = sorted(PROBLEMS.glob("*.yaml"))


def test_every_problem_type_has_an_example():
    from qanneal.registry import problem_type_names

    kinds = {load(path).problem.kind for path in EXAMPLES}
    assert kinds == set(problem_type_names())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_solves_feasibly_with_sa(path):
    spec = load(path)
    problem = spec.problem
    result = solve(problem, "sa", seed=spec.seed, **spec.backends.get("sa", {}))
    assert result.feasible, result.violations
    assert result.objective == pytest.approx(problem.objective(result.solution))
    if problem.known_optimum is not None:
        assert not problem.better(result.objective, problem.known_optimum), \
            "reported better than the proven optimum"
    row = result.to_dict()
    assert RESULT_KEYS <= set(row)
    assert json.loads(json.dumps(row))["problem"] == problem.kind
