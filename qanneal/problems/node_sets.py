"""What independent set and vertex cover share: a weighted set of nodes, one edge rule.

Both choose nodes (one binary each), weigh them, and constrain every edge: at most one
end chosen (independent set, ``<=``) or at least one (cover, ``>=``). The problem
modules keep their own docstrings, repairs and registration; this module builds the
common CQM, checker, MILP and summary once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, Literal

import dimod
import networkx as nx

from qanneal import sizing
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.graphs import check_simple, node_weights, number, preview, sort_nodes

EdgeRule = Literal["<=", ">="]


def node_set_violations(graph: nx.Graph, solution: Any) -> tuple[set[Hashable], list[str]]:
    """The solution as a set of known nodes, and what is wrong with its form."""
    if not isinstance(solution, (list, tuple, set, frozenset)):
        return set(), ["solution must be a list of nodes"]
    problems = []
    chosen = set(solution)
    if len(chosen) != len(solution):
        problems.append("a node is listed more than once")
    unknown = [v for v in chosen if v not in graph]
    if unknown:
        problems.append(f"{len(unknown)} unknown node(s), e.g. {unknown[0]!r}")
    return chosen - set(unknown), problems


def edge_breaks_rule(rule: EdgeRule, u_in: bool, v_in: bool) -> bool:
    """Whether an edge with these ends chosen breaks the rule (both in / neither in)."""
    return (u_in and v_in) if rule == "<=" else not (u_in or v_in)


def node_set_problem(kind: str, graph: nx.Graph, *, rule: EdgeRule, what: str,
                     broken: str,
                     repair: Callable[[nx.Graph, Any, Mapping[Hashable, float]], Any],
                     name: str | None = None, known_optimum: float | None = None) -> Problem:
    """A weighted node-set problem: maximise the weight under ``<=`` edges (independent
    set), minimise it under ``>=`` edges (cover). ``broken`` names an edge that breaks
    the rule in a violation message (e.g. "inside the set")."""
    check_simple(graph, what=what)
    weights = node_weights(graph)
    nodes = list(graph.nodes)
    sign = -1.0 if rule == "<=" else 1.0  # CQMs minimise: maximise by negating
    what_model = f"the {kind} CQM ({graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges)"

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        # One dimod constraint per edge (~640 bytes each): a 2M-edge file asked for
        # ~2 GB and ~25 s with no check. Built on first use (the MILP never needs it),
        # sized first, and stopped at solve's time limit.
        m = graph.number_of_edges()
        sizing.check(what_model, sizing.ModelSize(variables=len(nodes), linear=2 * m,
                                                  constraints=m),
                     "use -b milp, or a smaller graph",
                     counts=f"{len(nodes):,} variables, {m:,} edge constraints")
        cqm = dimod.ConstrainedQuadraticModel()
        objective = dimod.BinaryQuadraticModel("BINARY")
        objective.add_linear_from((v, sign * weights[v]) for v in nodes)
        cqm.set_objective(objective)
        for i, (u, v) in enumerate(graph.edges):
            if not i % 10_000:
                sizing.check_deadline(what_model, i / max(m, 1))
            cqm.add_constraint_from_iterable([(u, 1), (v, 1)], rule, 1,
                                             label=f"edge[{u},{v}]")
        return cqm

    def decode(sample: Mapping[Hashable, int]) -> list[Hashable]:
        return sort_nodes(v for v in nodes if sample[v])

    def verify(solution: Any) -> list[str]:
        chosen, problems = node_set_violations(graph, solution)
        bad = [(u, v) for u, v in graph.edges
               if edge_breaks_rule(rule, u in chosen, v in chosen)]
        if bad:
            problems.append(f"{len(bad)} edge(s) {broken}, e.g. {bad[0]}")
        return problems

    def objective_value(solution: Any) -> float:
        return float(sum(weights[v] for v in set(solution)))

    def describe(solution: Any) -> str:
        return (f"{what} ({len(solution)} of {len(nodes)} nodes): {preview(solution)}\n"
                f"weight: {number(objective_value(solution))}")

    return Problem(kind=kind, cqm=build_cqm, decode=decode, verify=verify,
                   objective=objective_value, sense="max" if rule == "<=" else "min",
                   name=name, known_optimum=known_optimum,
                   milp=lambda: node_set_milp(kind, graph, rule),
                   repair=lambda solution: repair(graph, solution, weights),
                   describe=describe, data=graph)


def node_set_milp(kind: str, graph: nx.Graph, rule: EdgeRule) -> MilpFormulation:
    """``max`` (rule ``<=``) or ``min`` (rule ``>=``) ``sum w_v x_v`` with
    ``x_u + x_v <= 1`` (or ``>= 1``) for every edge, ``x`` binary."""
    import pulp

    weights = node_weights(graph)
    nodes = list(graph.nodes)
    m = graph.number_of_edges()
    what = f"the {kind} MILP ({len(nodes)} nodes, {m} edges)"
    sizing.check(what, sizing.pulp_size(len(nodes), len(nodes) + 2 * m), "use a smaller graph",
                 counts=f"{len(nodes):,} variables, {m:,} edge rows")
    lp = pulp.LpProblem(kind, pulp.LpMaximize if rule == "<=" else pulp.LpMinimize)
    x = {v: pulp.LpVariable(f"x_{i}", cat="Binary") for i, v in enumerate(nodes)}
    lp += pulp.lpSum(weights[v] * x[v] for v in nodes)
    for i, (u, v) in enumerate(graph.edges):
        if not i % 10_000:
            sizing.check_deadline(what, i / m)
        lp += (x[u] + x[v] <= 1) if rule == "<=" else (x[u] + x[v] >= 1)
    if not graph.number_of_edges():  # PuLP needs at least one constraint to write the LP
        lp += pulp.lpSum(x.values()) >= 0

    def extract() -> list[Hashable]:
        return sort_nodes(v for v in nodes if round(x[v].value() or 0.0))

    return MilpFormulation(lp=lp, extract=extract)
