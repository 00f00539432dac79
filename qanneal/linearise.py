"""A MILP for any problem: the CQM with its products of binaries linearised (McCormick).

Problems without a native MILP formulation are solved by the MILP baseline through
this generic one. Every product ``x * y`` with at least one binary factor becomes a
new variable ``z`` tied to its factors by the McCormick inequalities, which are exact
when one factor is binary:

    z <= ub_y * x,   z <= y - lb_y * (1 - x),   z >= lb_y * x,   z >= y - ub_y * (1 - x)

A product that appears only in the objective needs only the side its coefficient
pushes against (minimising ``+c * z`` only needs the lower bounds), which halves the
constraints of a QUBO. The answer is read back as a sample of the CQM's variables and
decoded by the problem itself, so it is verified like any other backend's answer.

>>> import dimod
>>> from qanneal.problems.qubo import qubo_problem
>>> bqm = dimod.BQM({"a": -1.0, "b": -1.0}, {("a", "b"): 3.0}, 0.0, "BINARY")
>>> formulation = linearise_cqm(qubo_problem(bqm))
>>> import pulp
>>> _ = formulation.lp.solve(pulp.HiGHS(msg=False))
>>> formulation.extract() in ({"a": 1, "b": 0}, {"a": 0, "b": 1})
True
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import dimod

from qanneal.errors import QanError
from qanneal.model import MilpFormulation, Problem

_SENSES = {"<=": -1, ">=": 1, "==": 0}


def linearise_cqm(problem: Problem) -> MilpFormulation:
    """A PuLP MILP equivalent to ``problem.cqm``; ``extract()`` returns the decoded answer.

    For a maximisation problem (whose CQM minimises the negated objective) the MILP
    maximises the objective itself, so its value and the solver's bound speak the
    problem's terms, as a native formulation's do.
    """
    import pulp

    lp, variables = linearise(problem.cqm, name=problem.kind)
    if problem.sense == "max":
        lp.sense = pulp.LpMaximize
        lp.objective = -lp.objective

    def extract() -> Any:
        return problem.decode(read_sample(variables))

    return MilpFormulation(lp=lp, extract=extract, native=False)


def linearise(cqm: dimod.ConstrainedQuadraticModel, name: str = "cqm"
              ) -> tuple[Any, dict[Hashable, Any]]:
    """The PuLP problem for ``cqm`` (minimised) and its ``{cqm variable: pulp variable}``.

    Binary, integer and real variables are allowed; every quadratic term needs at least
    one binary factor, and the other factor finite bounds.
    """
    import pulp

    lp = pulp.LpProblem(_safe_name(name), pulp.LpMinimize)
    variables: dict[Hashable, Any] = {}
    bounds: dict[Hashable, tuple[float, float]] = {}
    for i, v in enumerate(cqm.variables):
        vartype = cqm.vartype(v)
        if vartype is dimod.SPIN:
            raise QanError(f"variable {v!r} is SPIN; the MILP linearisation needs binary, "
                           "integer or real variables (change the vartype to BINARY)")
        lb, ub = float(cqm.lower_bound(v)), float(cqm.upper_bound(v))
        bounds[v] = (lb, ub)
        if vartype is dimod.BINARY:
            variables[v] = pulp.LpVariable(f"x{i}", cat=pulp.LpBinary)
        elif vartype is dimod.INTEGER:
            variables[v] = pulp.LpVariable(f"x{i}", lowBound=lb, upBound=ub, cat=pulp.LpInteger)
        else:
            variables[v] = pulp.LpVariable(f"x{i}", lowBound=_finite(lb), upBound=_finite(ub))

    builder = _Products(lp, variables, bounds, cqm)
    objective = cqm.objective
    terms = [(variables[v], float(b)) for v, b in objective.linear.items() if b]
    for u, v, b in objective.iter_quadratic():
        if b:
            # Minimising b * z: a positive b only needs z's lower bounds, a negative b
            # only its upper bounds -- unless the product also appears in a constraint.
            terms.append((builder.product(u, v, need_lower=b > 0, need_upper=b < 0), float(b)))
    lp.setObjective(pulp.LpAffineExpression(terms, constant=float(objective.offset)))

    for constraint in cqm.constraints.values():
        lhs = constraint.lhs
        expr_terms = [(variables[v], float(b)) for v, b in lhs.linear.items() if b]
        for u, v, b in lhs.iter_quadratic():
            if b:
                expr_terms.append((builder.product(u, v, need_lower=True, need_upper=True),
                                   float(b)))
        expr = pulp.LpAffineExpression(expr_terms, constant=float(lhs.offset))
        sense = {dimod.sym.Sense.Le: pulp.LpConstraintLE, dimod.sym.Sense.Ge: pulp.LpConstraintGE,
                 dimod.sym.Sense.Eq: pulp.LpConstraintEQ}[constraint.sense]
        lp.addConstraint(pulp.LpConstraint(expr, sense, rhs=float(constraint.rhs)),
                         name=f"c{lp.numConstraints()}")
    builder.finish()
    return lp, variables


def read_sample(variables: dict[Hashable, Any]) -> dict[Hashable, int | float]:
    """The CQM sample from solved PuLP variables (integers rounded; unset reads as 0)."""
    import pulp

    sample: dict[Hashable, int | float] = {}
    for v, var in variables.items():
        value = var.value()
        value = 0.0 if value is None else float(value)
        sample[v] = int(round(value)) if var.cat == pulp.LpInteger else value
    return sample


class _Products:
    """One auxiliary variable per distinct product, with the McCormick sides it needs."""

    def __init__(self, lp: Any, variables: dict[Hashable, Any],
                 bounds: dict[Hashable, tuple[float, float]],
                 cqm: dimod.ConstrainedQuadraticModel) -> None:
        self.lp = lp
        self.variables = variables
        self.bounds = bounds
        self.cqm = cqm
        # (u, v) -> [z, need_lower, need_upper]; constraints are added in finish().
        self.products: dict[tuple[Hashable, Hashable], list[Any]] = {}

    def product(self, u: Hashable, v: Hashable, *, need_lower: bool, need_upper: bool) -> Any:
        import pulp

        key = (u, v)
        entry = self.products.get(key) or self.products.get((v, u))
        if entry is None:
            x, y = self._binary_first(u, v)
            lb, ub = self._product_bounds(x, y)
            z = pulp.LpVariable(f"z{len(self.products)}", lowBound=lb, upBound=ub)
            entry = self.products[key] = [z, False, False, x, y]
        entry[1] |= need_lower
        entry[2] |= need_upper
        return entry[0]

    def _binary_first(self, u: Hashable, v: Hashable) -> tuple[Hashable, Hashable]:
        if self.cqm.vartype(u) is dimod.BINARY:
            return u, v
        if self.cqm.vartype(v) is dimod.BINARY:
            return v, u
        raise QanError(f"the product {u!r} * {v!r} has no binary factor; the MILP "
                       "linearisation handles binary x binary and binary x bounded products")

    def _product_bounds(self, x: Hashable, y: Hashable) -> tuple[float, float]:
        lb, ub = self.bounds[y]
        if not (math.isfinite(lb) and math.isfinite(ub)):
            raise QanError(f"variable {y!r} is unbounded; a product with it cannot be "
                           "linearised (give it finite bounds)")
        return min(0.0, lb), max(0.0, ub)

    def finish(self) -> None:
        """Add the McCormick inequalities of every product, as tight as each needs."""
        import pulp

        for z, need_lower, need_upper, x, y in self.products.values():
            X, Y = self.variables[x], self.variables[y]
            lb, ub = self.bounds[y]
            rows: list[tuple[list[tuple[Any, float]], float, int]] = []
            if need_upper:  # z <= ub*x ; z <= y - lb*(1 - x)
                rows += [([(z, 1.0), (X, -ub)], 0.0, pulp.LpConstraintLE),
                         ([(z, 1.0), (Y, -1.0), (X, -lb)], -lb, pulp.LpConstraintLE)]
            if need_lower:  # z >= lb*x ; z >= y - ub*(1 - x)
                rows += [([(z, 1.0), (X, -lb)], 0.0, pulp.LpConstraintGE),
                         ([(z, 1.0), (Y, -1.0), (X, -ub)], -ub, pulp.LpConstraintGE)]
            for terms, rhs, sense in rows:
                # Drop rows a variable bound already implies (z >= 0 * x, with z >= 0).
                terms = [(var, c) for var, c in terms if c]
                if len(terms) == 1 and rhs == 0.0:
                    continue
                self.lp.addConstraint(
                    pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs),
                    name=f"m{self.lp.numConstraints()}")


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) or "cqm"
