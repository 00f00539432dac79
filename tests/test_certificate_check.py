"""A solver's ``optimal`` stands only if the independently verified answer bears it out."""

from __future__ import annotations

import dataclasses

import networkx as nx

from qanneal.model import MilpFormulation
from qanneal.problems.maxcut import maxcut_problem
from qanneal.solve import solve


def _wrong_milp() -> MilpFormulation:
    """A buggy max-cut MILP for a triangle: it claims every edge cut (3, "optimal")."""
    import pulp

    lp = pulp.LpProblem("buggy", pulp.LpMaximize)
    y = [pulp.LpVariable(f"y_{k}", lowBound=0, upBound=1) for k in range(3)]
    lp += pulp.lpSum(y)  # no link to the sides: every edge "cut"
    return MilpFormulation(lp=lp, extract=lambda: {"partition": [[0], [1, 2]]})


def test_an_optimal_claim_the_verified_answer_contradicts_is_downgraded():
    problem = dataclasses.replace(maxcut_problem(nx.cycle_graph(3)), milp=_wrong_milp)
    result = solve(problem, "milp", seed=1)
    assert result.feasible and result.objective == 2.0
    assert result.info["bound"] == 3.0
    assert result.status == "feasible"
    assert "worse than the proven bound" in result.info["certificate_mismatch"]


def test_a_true_certificate_stands():
    result = solve(maxcut_problem(nx.cycle_graph(5)), "milp", seed=1)
    assert result.status == "optimal" and result.objective == 4.0
    assert "certificate_mismatch" not in result.info


def test_a_feasibility_model_certifies_no_objective():
    from qanneal.problems.coloring import coloring_problem

    result = solve(coloring_problem(nx.petersen_graph(), k=3, mode="decide"), "milp", seed=1)
    assert result.feasible and result.status == "optimal"
    assert "certificate_mismatch" not in result.info
