"""The MILP baseline's certificates are true, for every problem type and both solvers.

On random tiny instances (a few to 16 binaries, so ``exact`` enumerates them in well
under a second) an ``optimal`` MILP answer must have exactly the brute-force optimum,
and the ``bound`` it reports must not be beaten by any verified answer (``exact``'s or
``sa``'s). Coefficients are drawn across magnitudes (down to 1e-6) on purpose: solver
tolerances are absolute, and a tiny objective let CBC prune its optimum (see
``qanneal.backends.milp.objective_scale``).
"""

from __future__ import annotations

import itertools
import math

import dimod
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.backends.milp import available_solvers
from qanneal.errors import QanError
from qanneal.model import Problem
from qanneal.problems.coloring import coloring_problem
from qanneal.problems.flowshop import flowshop_problem, makespan
from qanneal.problems.independent_set import independent_set_problem
from qanneal.problems.jobshop import jobshop_problem
from qanneal.problems.knapsack import knapsack_problem
from qanneal.problems.machines import machines_problem
from qanneal.problems.maxcut import maxcut_problem
from qanneal.problems.partition import partition_problem
from qanneal.problems.portfolio import portfolio_problem
from qanneal.problems.qubo import qubo_problem
from qanneal.problems.tsp import tsp_problem
from qanneal.problems.vertex_cover import vertex_cover_problem

SOLVERS = available_solvers()
# Hypothesis draws all-zero weights too; sa then warns that every energy is zero.
pytestmark = pytest.mark.filterwarnings("ignore:All bqm biases are zero:UserWarning")
#: exact enumerates 2**n assignments in Python-visible time (~20 us each for a CQM).
MAX_EXACT_VARIABLES = 16
FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-12)


def _not_better(problem: Problem, value: float, bound: float) -> bool:
    """``value`` (a verified objective) does not beat ``bound`` in the problem's sense."""
    slack = 1e-7 * max(abs(value), abs(bound)) + 1e-12
    return value <= bound + slack if problem.sense == "max" else value >= bound - slack


def check_certificates(problem: Problem, optimum: float | None = None) -> None:
    """The MILP (each solver) agrees with brute force, and its bound is never beaten.

    The brute force is ``exact`` (the CQM's optimum), or ``optimum`` when the CQM's
    objective is only a surrogate of the problem's and the caller enumerated the
    problem's own answers.
    """
    verified = [] if optimum is None else [optimum]  # the enumerated answer is verified
    if optimum is None:
        assume(problem.num_variables <= MAX_EXACT_VARIABLES)
        exact = solve(problem, "exact")
        if exact.feasible:
            optimum = exact.objective
            verified.append(exact.objective)
    try:
        annealed = solve(problem, "sa", seed=0)
    except QanError:  # no penalty QUBO (e.g. fractional knapsack weights need slack bits)
        annealed = None
    if annealed is not None and annealed.feasible:
        verified.append(annealed.objective)
    for solver in SOLVERS:
        # A fixed seed: the verdict must not depend on the solvers' random choices
        # (test_flowshop_with_tiny_times shows one that did).
        result = solve(problem, "milp", solver=solver, seed=1, time_limit=30)
        where = f"{solver}: {result.info}"
        if optimum is None:  # brute force found no feasible assignment at all
            assert result.status == "infeasible", where
            continue
        assert result.status == "optimal", where
        assert result.feasible, where
        assert _close(result.objective, optimum), (result.objective, optimum, where)
        assert _close(result.info["milp_objective"], optimum), where
        bound = result.info["bound"]
        assert bound is not None, where
        for value in verified:
            assert _not_better(problem, value, bound), (value, bound, where)


# ---------------------------------------------------------------------- strategies
magnitudes = st.sampled_from([1e-6, 1e-3, 1.0, 1e3])


@st.composite
def graphs(draw: st.DrawFn, min_nodes: int = 2, max_nodes: int = 8) -> nx.Graph:
    n = draw(st.integers(min_nodes, max_nodes))
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs),
                          unique=True))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    return graph


@st.composite
def weighted(draw: st.DrawFn, graph_strategy: st.SearchStrategy[nx.Graph], *,
             nodes: bool = False, negative: bool = False) -> nx.Graph:
    """Integer-valued weights times one magnitude (tiny weights stress the tolerances)."""
    graph = draw(graph_strategy)
    scale = draw(magnitudes)
    low = -3 if negative else 0
    items = graph.nodes if nodes else graph.edges
    for item in items:
        items[item]["weight"] = scale * draw(st.integers(low, 5))
    return graph


# ---------------------------------------------------------------------- one test per type
def test_both_solvers_are_checked():
    assert SOLVERS == ["cbc", "highs"]  # highspy is a dependency; PuLP bundles CBC


@FEW
@given(weighted(graphs(), negative=True))
def test_maxcut(graph):
    check_certificates(maxcut_problem(graph))


@FEW
@given(weighted(graphs(max_nodes=10), nodes=True))
def test_independent_set(graph):
    check_certificates(independent_set_problem(graph))


@FEW
@given(weighted(graphs(max_nodes=10), nodes=True))
def test_vertex_cover(graph):
    check_certificates(vertex_cover_problem(graph))


@FEW
@given(graphs(max_nodes=4), st.integers(2, 3))
def test_coloring(graph, k):
    # k may be too few colours: then both must agree that nothing is feasible.
    check_certificates(coloring_problem(graph, k=k))


@FEW
@given(weighted(graphs(max_nodes=10)), st.floats(0.0, 0.5))
def test_partition_two_parts(graph, balance):
    check_certificates(partition_problem(graph, balance=balance))


@FEW
@given(weighted(graphs(min_nodes=3, max_nodes=5)))
def test_partition_three_parts(graph):
    check_certificates(partition_problem(graph, k=3))


@settings(max_examples=4, deadline=None)
@given(st.integers(3, 4).flatmap(
    lambda n: st.lists(st.integers(1, 30), min_size=n * n, max_size=n * n)), magnitudes,
    st.booleans())
def test_tsp(entries, scale, symmetric):
    n = math.isqrt(len(entries))
    d = np.array(entries, dtype=float).reshape(n, n) * scale
    if symmetric:
        d = np.triu(d, 1) + np.triu(d, 1).T
    np.fill_diagonal(d, 0.0)
    check_certificates(tsp_problem(d))


@FEW
@given(st.lists(st.lists(st.tuples(st.integers(0, 1), st.integers(1, 2)), min_size=1,
                         max_size=2), min_size=2, max_size=2))
def test_jobshop(jobs):
    check_certificates(jobshop_problem(jobs))


@FEW
@given(st.lists(st.integers(1, 4), min_size=2, max_size=5))
def test_machines_makespan(durations):
    # Two machines: there the assignment QUBO's sum of squared loads is minimised
    # exactly by a minimum makespan (with more machines it is a surrogate, so the
    # CQM's optimum need not be the makespan optimum).
    check_certificates(machines_problem(durations, 2))


@FEW
@given(st.lists(st.tuples(st.integers(1, 2), st.integers(0, 3), st.integers(1, 3)),
                min_size=2, max_size=3))
def test_machines_weighted_tardiness(jobs):
    durations, due, weights = (list(column) for column in zip(*jobs))
    problem = machines_problem(durations, 2, due=due, weights=weights,
                               objective="weighted_tardiness")
    # The CQM only searches schedules ending by the list-schedule horizon; the native
    # MILP by the safe one. Tardiness optima of these tiny instances end by it.
    check_certificates(problem)


@st.composite
def markets(draw: st.DrawFn, n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    scale = draw(st.sampled_from([1e-4, 1e-2, 1.0]))  # daily returns are ~1e-3
    mu = np.array(draw(st.lists(st.integers(-5, 10), min_size=n, max_size=n)), float)
    a = np.array(draw(st.lists(st.integers(-3, 3), min_size=n * n, max_size=n * n)),
                 float).reshape(n, n)
    cov = (a @ a.T + np.eye(n)) * scale**2
    return [f"A{i}" for i in range(n)], mu * scale, cov


@FEW
@given(st.integers(2, 4).flatmap(markets), st.floats(0.0, 10.0))
def test_portfolio_k(market, risk_aversion):
    names, mu, cov = market
    check_certificates(portfolio_problem(names, mu, cov, k=2, risk_aversion=risk_aversion))


@FEW
@given(st.integers(2, 3).flatmap(markets), st.integers(2, 12), st.floats(0.0, 10.0))
def test_portfolio_lots(market, lots, risk_aversion):
    names, mu, cov = market
    check_certificates(portfolio_problem(names, mu, cov, lots=lots,
                                         risk_aversion=risk_aversion))


@FEW
@given(st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.lists(st.integers(-5, 5), min_size=n, max_size=n),
    st.lists(st.integers(-5, 5), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2))),
    magnitudes, st.integers(-3, 3))
def test_qubo(biases, scale, offset):
    linear, quadratic = biases
    n = len(linear)
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    bqm = dimod.BQM({i: scale * b for i, b in enumerate(linear)},
                    {p: scale * b for p, b in zip(pairs, quadratic) if b},
                    scale * offset, "BINARY")
    check_certificates(qubo_problem(bqm))


@FEW
@given(st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 20), min_size=n, max_size=n),
    st.lists(st.integers(0, 10), min_size=n, max_size=n))), st.integers(1, 30), magnitudes,
    magnitudes)
def test_knapsack(items, capacity, scale, weight_scale):
    values, weights = items
    check_certificates(knapsack_problem([scale * v for v in values],
                                        [weight_scale * w for w in weights],
                                        weight_scale * capacity))


@pytest.mark.parametrize("solver", SOLVERS)
def test_knapsack_with_tiny_weights(solver):
    # Weights of 1e-6: unscaled, HiGHS (seed 6) packed 2.5e-5 into a capacity of 2.4e-5
    # within its absolute feasibility tolerance and called it 'optimal' (knapsack_milp).
    values = [7, 5, 16, 17, 2, 2, 13, 7]
    weights = np.array([6, 2, 8, 5, 9, 8, 7, 3]) * 1e-6
    best = max(sum(values[i] for i in chosen) for r in range(9)
               for chosen in itertools.combinations(range(8), r)
               if sum(weights[i] for i in chosen) <= 24e-6 * (1 + 1e-12))
    result = solve(knapsack_problem(values, weights, 24e-6), "milp", solver=solver, seed=6)
    assert result.status == "optimal" and result.feasible, result.violations
    assert result.objective == best == 53


@FEW
@given(st.integers(2, 5).flatmap(lambda n: st.lists(
    st.lists(st.integers(1, 9), min_size=1, max_size=3).map(tuple), min_size=n, max_size=n)),
    magnitudes)
def test_flowshop(rows, scale):
    machines = min(len(r) for r in rows)
    times = np.array([r[:machines] for r in rows], dtype=float) * scale
    problem = flowshop_problem(times)
    # The CQM's objective is a surrogate of the makespan (problem.options), so the
    # reference is the makespan of every job order, enumerated.
    assert problem.options.get("surrogate_objective")
    best = min(makespan(times, order) for order in itertools.permutations(range(len(rows))))
    check_certificates(problem, optimum=best)


@pytest.mark.parametrize("seed", [0, 4])
@pytest.mark.parametrize("solver", SOLVERS)
def test_flowshop_with_tiny_times(solver, seed):
    # Times of 1e-6: unscaled, the solvers' absolute feasibility tolerance (1e-6) let a
    # completion-time row slip by a whole unit and HiGHS (these seeds) returned an order
    # of makespan 2.4e-5 as 'optimal' at 2.3e-5 (see flowshop_milp).
    rows = [(6, 1), (2, 3), (1, 6), (8, 1), (5, 7)]
    times = np.array(rows, dtype=float) * 1e-6
    best = min(makespan(times, order) for order in itertools.permutations(range(5)))
    result = solve(flowshop_problem(times), "milp", solver=solver, seed=seed)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best, rel=1e-9) == pytest.approx(2.3e-5)
    assert result.info["milp_objective"] == pytest.approx(best, rel=1e-9)
