"""A problem from any dimod model: a BQM, a QuadraticModel or a ConstrainedQuadraticModel.

``model_problem(model)`` wraps a model built anywhere (in Python, read from an LP file)
as a :class:`~qanneal.model.Problem`, so every backend, ``solve`` and ``compare`` take it:

* the solution is the sample itself, ``{variable: value}`` over the model's variables
  (SPIN variables as +-1, INTEGER as ints, REAL as floats);
* the objective is the model's objective (a BQM's energy);
* ``verify`` is the model's own check: every variable within its type and bounds, and
  every constraint satisfied (``cqm.violations``) within a tolerance, each violated
  constraint named.

Backends see an all-binary CQM where they need one: SPIN variables become binary
(``s = 2x - 1``) and each INTEGER variable a binary code (:func:`qanneal.encodings.binary_integer`,
no slack), so the penalised-BQM backends (sa, tabu, anneal, qpu) solve integer models
too. The MILP backend gets the model itself, integers native (:mod:`qanneal.linearise`),
unless a product of two integers forces it onto the binary code. REAL variables and
integers wider than ``2**MAX_INTEGER_BITS`` are refused by the BQM backends in one line.

>>> import dimod
>>> from qanneal import solve
>>> x, y, n = dimod.Binary("x"), dimod.Binary("y"), dimod.Integer("n", upper_bound=5)
>>> cqm = dimod.ConstrainedQuadraticModel()
>>> cqm.set_objective(-x - 2 * y - 3 * n)
>>> _ = cqm.add_constraint(x + y <= 1, label="one")
>>> _ = cqm.add_constraint(n - 2 * x <= 1, label="link")
>>> result = solve(model_problem(cqm), "exact")
>>> result.solution, result.objective
({'x': 1, 'y': 0, 'n': 3}, -10.0)
>>> model_problem(cqm).verify({"x": 1, "y": 1, "n": 0})
['constraint one violated by 1']
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from typing import Any, Literal

import dimod

from qanneal.encodings import IntegerEncoding, binary_integer
from qanneal.errors import InputError, QanError
from qanneal.model import MilpFormulation, Problem

Model = dimod.BinaryQuadraticModel | dimod.QuadraticModel | dimod.ConstrainedQuadraticModel
MODEL_TYPES = (dimod.BinaryQuadraticModel, dimod.QuadraticModel, dimod.ConstrainedQuadraticModel)

#: Integers spanning more than 2**this values are not encoded for BQM backends: the
#: code's largest coefficient, squared in a penalty, would swamp every other term.
MAX_INTEGER_BITS = 32
#: A constraint counts as violated when it is off by more than this times max(1, |rhs|).
DEFAULT_TOLERANCE = 1e-6
#: At most this many violations are listed per answer (the rest are counted).
MAX_LISTED = 100


def model_problem(model: Model, *, name: str | None = None, sense: Literal["min", "max"] = "min",
                  known_optimum: float | None = None, tolerance: float = DEFAULT_TOLERANCE,
                  kind: str = "model", copy: bool = True) -> Problem:
    """A :class:`~qanneal.model.Problem` solving ``model`` (see the module docstring).

    ``sense="max"`` says the model minimises the *negated* objective (dimod's
    convention, e.g. an LP file's ``Maximize``): the problem then reports and compares
    the objective itself. ``copy=False`` takes the model without copying it (the
    caller must not change it afterwards).
    """
    if not isinstance(model, MODEL_TYPES):
        raise InputError(f"expected a dimod BinaryQuadraticModel, QuadraticModel or "
                         f"ConstrainedQuadraticModel, got {type(model).__name__}",
                         field="model")
    if sense not in ("min", "max"):
        raise InputError(f"sense must be 'min' or 'max', got {sense!r}", field="sense")
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise InputError(f"tolerance must be a finite number >= 0, got {tolerance!r}",
                         field="tolerance")
    if isinstance(model, dimod.ConstrainedQuadraticModel):
        cqm = model.relabel_variables({}, inplace=False) if copy else model  # a copy
    elif isinstance(model, dimod.BinaryQuadraticModel):
        cqm = dimod.ConstrainedQuadraticModel.from_bqm(model)  # copies
    else:
        cqm = dimod.ConstrainedQuadraticModel.from_quadratic_model(model)
    if not cqm.variables:
        raise InputError("the model has no variables", field="model")
    if cqm.num_soft_constraints():
        raise InputError(f"the model has {cqm.num_soft_constraints()} soft constraint(s); "
                         "qanneal solves hard constraints only (make them hard, or move "
                         "their penalty into the objective)", field="model")
    return _ModelBuilder(cqm, sense, tolerance).problem(
        kind=kind, name=name, known_optimum=known_optimum)


def as_problem(item: Any) -> Problem:
    """``item`` as a Problem: a Problem as it is, a dimod model through
    :func:`model_problem`; anything else is a one-line :class:`InputError`."""
    if isinstance(item, Problem):
        return item
    if isinstance(item, MODEL_TYPES):
        return model_problem(item)
    raise InputError(f"expected a Problem or a dimod BQM/CQM, got {type(item).__name__}",
                     field="problem")


class _ModelBuilder:
    """Everything a model's Problem needs, worked out once from the CQM."""

    def __init__(self, cqm: dimod.ConstrainedQuadraticModel, sense: str,
                 tolerance: float) -> None:
        self.cqm, self.sense, self.tolerance = cqm, sense, tolerance
        self.variables = list(cqm.variables)
        self.vartypes = {v: cqm.vartype(v) for v in self.variables}
        self.spins = [v for v in self.variables if self.vartypes[v] is dimod.SPIN]
        self.integers = [v for v in self.variables if self.vartypes[v] is dimod.INTEGER]
        self.reals = [v for v in self.variables if self.vartypes[v] is dimod.REAL]
        self.bounds = {v: (float(cqm.lower_bound(v)), float(cqm.upper_bound(v)))
                       for v in self.integers + self.reals}
        for v in self.integers:
            lo, hi = self.bounds[v]
            if math.ceil(lo) > math.floor(hi):
                raise InputError(f"integer variable {v!r} has no integer value in its bounds "
                                 f"[{lo:g}, {hi:g}]", field="model")
        self.too_wide = [v for v in self.integers
                         if math.floor(self.bounds[v][1]) - math.ceil(self.bounds[v][0])
                         >= 2**MAX_INTEGER_BITS]
        self.codes: dict[Hashable, IntegerEncoding] = {}

    # -------------------------------------------------------------- the models
    def native_binary(self) -> dimod.ConstrainedQuadraticModel:
        """The CQM with SPIN variables made binary (same labels); integers kept."""
        return self.cqm.spin_to_binary(inplace=False) if self.spins else self.cqm

    def encoded(self) -> dimod.ConstrainedQuadraticModel:
        """The CQM the backends solve: binary, integers in binary code (when they fit)."""
        base = self.native_binary()
        if not self.integers or self.too_wide:
            return base
        taken = set(self.variables)
        for v in self.integers:
            lo, hi = self.bounds[v]
            code = binary_integer("n", math.ceil(lo), math.floor(hi))
            code.name = str(v)
            code.labels = [_fresh(f"{v}#b{i}", taken) for i in range(len(code.labels))]
            self.codes[v] = code
        expansion = {v: ([(b, c) for b, c in zip(code.labels, code.coefficients)],
                         float(code.lower)) for v, code in self.codes.items()}
        out = dimod.ConstrainedQuadraticModel()
        out.set_objective(_substitute(base.objective, expansion))
        for label, constraint in base.constraints.items():
            out.add_constraint_from_model(_substitute(constraint.lhs, expansion),
                                          constraint.sense, float(constraint.rhs),
                                          label=label, copy=False)
        for v in self.variables:  # variables in no term still belong to the model
            if v not in self.codes and v not in out.variables:
                out.add_variable(base.vartype(v), v, lower_bound=base.lower_bound(v),
                                 upper_bound=base.upper_bound(v))
        return out

    def milp(self) -> MilpFormulation:
        """The model as a MILP: integers native where possible (McCormick products)."""
        import pulp

        from qanneal.linearise import linearise, read_sample

        try:
            lp, variables = linearise(self.native_binary(), name="model")
            native = True
        except QanError:  # a product of two integers: the binary code linearises
            encoded = self.problem_ref.cqm  # builds the codes on first access
            if not self.codes:
                raise
            lp, variables = linearise(encoded, name="model")
            native = False
        if self.sense == "max":  # the MILP speaks the objective itself, as the problem does
            lp.sense = pulp.LpMaximize
            lp.objective = -lp.objective

        def extract() -> dict[Hashable, Any]:
            sample = read_sample(variables)
            return self.from_native(sample) if native else self.decode(sample)

        return MilpFormulation(lp=lp, extract=extract, native=False)

    def check_bqm(self) -> None:
        """Refuse, in one line, a model the penalised-BQM backends cannot take."""
        if self.reals:
            raise QanError(f"variable {self.reals[0]!r} is REAL: penalty (BQM) backends need "
                           "binary, spin or integer variables (use -b milp or hybrid-cqm)")
        if self.too_wide:
            v = self.too_wide[0]
            lo, hi = self.bounds[v]
            raise QanError(f"integer variable {v!r} spans [{lo:g}, {hi:g}]: a binary code "
                           f"over more than 2**{MAX_INTEGER_BITS} values would swamp the "
                           "penalties (give it tighter bounds, or use -b milp)")

    # -------------------------------------------------------------- answers
    def from_native(self, sample: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        """A sample of :meth:`native_binary`'s variables in the model's own terms."""
        out: dict[Hashable, Any] = {}
        for v in self.variables:
            t = self.vartypes[v]
            value = sample[v]
            if t is dimod.SPIN:
                out[v] = 2 * int(round(value)) - 1
            elif t is dimod.REAL:
                out[v] = float(value)
            else:
                out[v] = int(round(value))
        return out

    def decode(self, sample: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        """A sample of the backends' CQM (integer codes decoded) in the model's terms."""
        if not self.codes:
            return self.from_native(sample)
        native = {v: (self.codes[v].decode(sample) if v in self.codes else sample[v])
                  for v in self.variables}
        return self.from_native(native)

    def verify(self, solution: Mapping[Hashable, Any]) -> list[str]:
        out: list[str] = []
        missing = [v for v in self.variables if v not in solution]
        if missing:
            return [f"{len(missing)} variable(s) unassigned, e.g. {missing[0]!r}"]
        tol = self.tolerance
        for v in self.variables:
            t, value = self.vartypes[v], solution[v]
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not math.isfinite(value):
                out.append(f"variable {v!r} = {value!r} is not a finite number")
            elif t is dimod.BINARY and value not in (0, 1):
                out.append(f"variable {v!r} = {value!r}; allowed 0 or 1")
            elif t is dimod.SPIN and value not in (-1, 1):
                out.append(f"variable {v!r} = {value!r}; allowed -1 or 1")
            elif t is dimod.INTEGER and value != round(value):
                out.append(f"integer variable {v!r} = {value!r} is not whole")
            elif t in (dimod.INTEGER, dimod.REAL):
                lo, hi = self.bounds[v]
                if value < lo - tol * max(1.0, abs(lo)) or value > hi + tol * max(1.0, abs(hi)):
                    out.append(f"variable {v!r} = {value:g} is outside its bounds "
                               f"[{lo:g}, {hi:g}]")
        if out or not self.cqm.constraints:
            return out
        violations = self.cqm.violations(solution, skip_satisfied=True, clip=True)
        late = 0
        for label, amount in violations.items():
            rhs = float(self.cqm.constraints[label].rhs)
            if amount > tol * max(1.0, abs(rhs)):
                if len(out) < MAX_LISTED:
                    shown = label if isinstance(label, str) else repr(label)
                    out.append(f"constraint {shown} violated by {float(amount):.6g}")
                else:
                    late += 1
        if late:
            out.append(f"... and {late} more constraint(s) violated")
        return out

    def objective(self, solution: Mapping[Hashable, Any]) -> float:
        value = float(self.cqm.objective.energy(solution))
        return -value if self.sense == "max" else value

    def describe(self, solution: Mapping[Hashable, Any]) -> str:
        shown = ", ".join(f"{v}={solution[v]:g}" for v in self.variables[:30]
                          if solution[v] != 0)
        nonzero = sum(1 for v in self.variables if solution[v] != 0)
        return (f"{nonzero} of {len(self.variables)} variables nonzero"
                + (f": {shown}" if shown else "") + (" ..." if len(self.variables) > 30 else ""))

    def problem(self, *, kind: str, name: str | None,
                known_optimum: float | None) -> Problem:
        problem = Problem(
            kind=kind, cqm=self.encoded, decode=self.decode, verify=self.verify,
            objective=self.objective, sense=self.sense, name=name,
            known_optimum=known_optimum, milp=self.milp, describe=self.describe,
            data=self.cqm, check_bqm_size=self.check_bqm)
        self.problem_ref = problem
        return problem


def _fresh(label: str, taken: set[Hashable]) -> str:
    """``label``, prefixed with '_' until no variable of the model has it."""
    while label in taken:
        label = "_" + label
    taken.add(label)
    return label


Expansion = Mapping[Hashable, tuple[list[tuple[Hashable, float]], float]]


def _substitute(model: Any, expansion: Expansion) -> dimod.QuadraticModel:
    """``model`` (a QM/BQM view) with each variable in ``expansion`` replaced by its
    linear form ``offset + sum(c * bit)`` over binary bits (x**2 of an integer included)."""
    out = dimod.QuadraticModel()
    for v in model.variables:
        if v in expansion:
            out.add_variables_from("BINARY", [b for b, _ in expansion[v][0]])
        else:
            out.add_variable(model.vartype(v), v, lower_bound=model.lower_bound(v),
                             upper_bound=model.upper_bound(v))
    out.offset = float(model.offset)

    def form(v: Hashable) -> tuple[list[tuple[Hashable, float]], float]:
        return expansion[v] if v in expansion else ([(v, 1.0)], 0.0)

    for v, bias in model.linear.items():
        if v not in expansion:
            out.add_linear(v, float(bias))
            continue
        terms, constant = expansion[v]
        out.offset += float(bias) * constant
        out.add_linear_from((b, float(bias) * c) for b, c in terms)
    for u, v, bias in model.iter_quadratic():
        bias = float(bias)
        if u not in expansion and v not in expansion:
            out.add_quadratic(u, v, bias)
            continue
        (tu, cu), (tv, cv) = form(u), form(v)
        # (cu + sum a_i x_i)(cv + sum b_j y_j), with x_i * x_i = x_i for the binary bits.
        out.offset += bias * cu * cv
        out.add_linear_from((y, bias * cu * b) for y, b in tv)
        out.add_linear_from((x, bias * cv * a) for x, a in tu)
        for x, a in tu:
            for y, b in tv:
                if x == y:
                    out.add_linear(x, bias * a * b)
                else:
                    out.add_quadratic(x, y, bias * a * b)
    return out
