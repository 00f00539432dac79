"""The problem model: one CQM plus the functions that speak the problem's own language.

A :class:`Problem` is what every problem module builds and every backend consumes
(through :meth:`Problem.to_bqm`, the CQM itself, or a MILP formulation). Its
``decode``, ``verify`` and ``objective`` functions never look at penalties or the
QUBO, so a penalty can never hide an infeasible answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, reduce
from typing import Any, Literal

import dimod
import numpy as np

from qanneal import sizing
from qanneal.errors import InputError, QanError
from qanneal.inequalities import (
    InequalitySpec,
    Unbalanced,
    add_unbalanced_penalty,
    resolve_inequalities,
    slack_bits,
)
from qanneal.sizing import check_deadline

Sense = Literal["min", "max"]
PenaltySpec = float | str | Mapping[str, float | str] | None
#: Named weights a penalty spec may give: the static bound, the closed-loop
#: calibration (:mod:`qanneal.penalties`, starts from the bound) and dimod's multiplier.
PENALTY_MODES = ("default", "auto", "dimod")

#: Safety margin over the one-flip bound, so a feasible state is strictly better than
#: the infeasible state one flip away (a tie would let the annealer wander out).
DEFAULT_PENALTY_MARGIN = 1.1


@dataclass
class MilpFormulation:
    """A MILP written with PuLP, and how to read the answer back in problem terms.

    ``extract()`` is called after the solver ran and returns the solution in the same
    form ``Problem.decode`` gives, read from the PuLP variables' values.
    """

    lp: Any  # pulp.LpProblem; typed loosely so importing the model never needs PuLP
    extract: Callable[[], Any]
    native: bool = True
    #: Whether the MILP's objective is the problem's (so its bound bounds the problem's
    #: objective and a verified answer can be checked against it); False for a pure
    #: feasibility model, e.g. colouring's decide mode.
    certifies_objective: bool = True
    #: A feasible point to start from (``-o warm_start=true``): values by PuLP variable
    #: name, e.g. job-shop's heuristic schedule. None: the formulation offers none.
    start: Mapping[str, float] | None = None


@dataclass
class Evaluation:
    """One decoded answer: the solution in problem terms, its objective and violations."""

    solution: Any
    objective: float
    violations: list[str]
    energy: float | None = None
    occurrences: int = 1
    #: True when the problem's ``repair`` turned an infeasible sample into this answer.
    repaired: bool = False

    @property
    def feasible(self) -> bool:
        return not self.violations


@dataclass(eq=False)
class Problem:
    """One optimisation problem: a CQM plus decode / verify / objective in its own terms.

    The CQM objective is always minimised (dimod's convention); for a maximisation
    problem it is the negated objective. ``objective(solution)`` always speaks the
    problem's own sense.

    Example: pick exactly one of three items, as cheaply as possible.

    >>> import dimod
    >>> x = [dimod.Binary(i) for i in range(3)]
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(3 * x[0] + 1 * x[1] + 2 * x[2])
    >>> _ = cqm.add_constraint(x[0] + x[1] + x[2] == 1, label="one")
    >>> cost = {0: 3, 1: 1, 2: 2}
    >>> p = Problem(
    ...     kind="pick", cqm=cqm,
    ...     decode=lambda s: [v for v in sorted(s) if s[v]],
    ...     verify=lambda sol: [] if len(sol) == 1 else [f"picked {len(sol)} items, need 1"],
    ...     objective=lambda sol: sum(cost[v] for v in sol))
    >>> p.penalty_weights()
    {'one': 3.3125}
    >>> ev = p.evaluate({0: 0, 1: 1, 2: 0})
    >>> ev.solution, ev.objective, ev.feasible
    ([1], 1.0, True)
    """

    kind: str
    #: The CQM, or a function that builds it: then it is built on first access of
    #: ``problem.cqm`` (see :func:`_get_cqm`), so a backend that never needs it (the
    #: native MILP) never pays for it.
    cqm: dimod.ConstrainedQuadraticModel | Callable[[], dimod.ConstrainedQuadraticModel]
    decode: Callable[[Mapping[Hashable, int]], Any]
    verify: Callable[[Any], list[str]]
    objective: Callable[[Any], float]
    sense: Sense = "min"
    name: str | None = None
    known_optimum: float | None = None
    milp: Callable[[], MilpFormulation] | None = None
    repair: Callable[[Any], Any] | None = None
    describe: Callable[[Any], str] | None = None
    penalties: PenaltySpec = None
    #: The problem type's own weights, under ``penalties`` (see :meth:`penalty_weights`).
    base_penalties: PenaltySpec = None
    #: How inequalities become penalties: slack, unbalanced or auto, for all or per
    #: constraint/group (:mod:`qanneal.inequalities`; None is auto).
    inequalities: InequalitySpec = None
    data: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    #: Build options given on top of the problem file (``--set``), for run manifests.
    build_overrides: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    build_s: float = 0.0
    #: Raises :class:`~qanneal.errors.TooLargeError` when the penalised BQM would not
    #: fit in memory; called by :meth:`to_bqm` before anything is built.
    check_bqm_size: Callable[[], None] | None = None
    #: A direct builder of the penalised BQM, ``(weights, exclude) -> BQM``, for problem
    #: types whose constraint structure makes a bulk (numpy) build possible; it must give
    #: the same BQM as :func:`cqm_to_penalised_bqm` (which costs a Python step per term:
    #: minutes for the 16M-term job-shop QUBO of la01). Used by :meth:`to_bqm`.
    bqm_builder: Callable[[Mapping[str, float], Collection[Hashable]],
                          dimod.BinaryQuadraticModel] | None = None

    # ------------------------------------------------------------------ penalties
    def penalty_weights(self, overrides: PenaltySpec = None) -> dict[str, float]:
        """One penalty weight per constraint, resolved in layers.

        From the bottom: the static bound (:func:`default_penalty_weights`); the
        problem type's own weights (``base_penalties``, set by builders that know a
        better bound); the problem file's ``penalties`` (``penalties``); and
        ``overrides``. Each layer is a number for every constraint, a mode, or a
        mapping from a constraint label, a group (the label before ``[``) or ``"*"`` to
        a number or a mode; what a layer does not name comes from the layer below.
        Modes: ``"default"`` (the layer below), ``"auto"`` (the layer below, as the
        starting point :func:`qanneal.penalties.calibrate` tunes) and ``"dimod"``
        (:func:`dimod_multiplier`). The weight of an inequality encoded by unbalanced
        penalisation (:meth:`unbalanced`) is its quadratic multiplier ``l2``; its
        bottom layer is the ``l2`` of :mod:`qanneal.inequalities`, not the bound.
        """
        layers = [self.base_penalties, self.penalties, overrides]
        # A layer that sets every weight (a number, or "*" a number) hides the layers
        # below it: skip them, and above all the bottom one, a Python step per term of
        # every constraint (14 s on job-shop la01, whose type sets {"*": 1}).
        top = max((i for i, layer in enumerate(layers) if _sets_every_weight(layer)),
                  default=None)
        if top is None:
            weights = default_penalty_weights(self.cqm, objective=self.objective_bqm)
            weights.update((label, u.l2) for label, u in self.unbalanced().items())
        else:
            weights = dict.fromkeys(self.cqm.constraints, 1.0)
            layers = layers[top:]
        for layer in layers:
            weights = resolve_penalties(layer, weights, self.cqm)
        return weights

    def unbalanced(self) -> dict[Hashable, Unbalanced]:
        """The inequalities encoded by unbalanced penalisation (per ``inequalities``),
        with their multipliers; the others use dimod's slack form where they need one."""
        return resolve_inequalities(self.inequalities, self.cqm, objective=self.objective_bqm)

    @cached_property
    def objective_bqm(self) -> dimod.BinaryQuadraticModel:
        """The objective as a BINARY BQM (copied once: dimod's objective view has no bulk
        export, so the copy costs a Python step per term)."""
        return objective_as_bqm(self.cqm)

    def to_bqm(self, penalties: PenaltySpec = None, *, exclude: Collection[Hashable] = ()
               ) -> tuple[dimod.BinaryQuadraticModel, dict[str, float]]:
        """The BQM an annealer solves: objective plus one weighted penalty per constraint.

        Returns the BQM and the weights used. Slack variables (labelled
        ``slack_<constraint>...``) appear only for inequalities that need them:
        ``sum(x) <= 1`` uses the pairwise penalty and ``x_u + x_v >= 1`` the product
        ``(1 - x_u)(1 - x_v)``, with no slack; nor do those :meth:`unbalanced` names
        (unbalanced penalisation, :mod:`qanneal.inequalities`). Constraints in ``exclude`` get no
        penalty and no weight: a sampler keeps them satisfied itself (the one-hot
        groups of :mod:`qanneal.onehot`).
        """
        if self.check_bqm_size is not None:
            self.check_bqm_size()
        weights = self.penalty_weights(penalties)
        if exclude:
            excluded = set(exclude)
            weights = {k: w for k, w in weights.items() if k not in excluded}
        if self.bqm_builder is not None:
            return self.bqm_builder(weights, exclude), weights
        check_penalised_bqm_size(self.cqm, exclude=exclude, unbalanced=self.unbalanced())
        return cqm_to_penalised_bqm(self.cqm, weights, objective=self.objective_bqm,
                                    exclude=exclude, unbalanced=self.unbalanced()), weights

    # ------------------------------------------------------------------ answers
    def evaluate(self, sample: Mapping[Hashable, int]) -> Evaluation:
        """Decode a sample of the model's variables and check it in problem terms."""
        solution = self.decode(sample)
        return self.check(solution)

    def check(self, solution: Any) -> Evaluation:
        """Verify a solution already in problem terms and compute its objective."""
        violations = list(self.verify(solution))
        try:
            value = float(self.objective(solution))
        except Exception as exc:  # an answer too broken to score is still reported
            value = math.nan
            violations.append(f"objective could not be computed: {exc}")
        return Evaluation(solution=solution, objective=value, violations=violations)

    def better(self, a: float, b: float) -> bool:
        """Whether objective ``a`` is strictly better than ``b`` in this problem's sense."""
        if math.isnan(b):
            return not math.isnan(a)
        if math.isnan(a):
            return False
        return a < b if self.sense == "min" else a > b

    @property
    def num_variables(self) -> int:
        return len(self.cqm.variables)

    @property
    def cqm_built(self) -> bool:
        """Whether the CQM exists yet (a lazy one is built on first access)."""
        return isinstance(self.__dict__.get("_cqm"), dimod.ConstrainedQuadraticModel)


# ``cqm`` is a dataclass field (so ``Problem(cqm=...)`` keeps working) whose storage is
# this property: the generated ``__init__`` assigns through the setter, and the getter
# builds a lazy CQM once. Installed after the class body because a property defined in
# it would become the field's default.
def _get_cqm(self: Problem) -> dimod.ConstrainedQuadraticModel:
    value = self.__dict__["_cqm"]
    if not isinstance(value, dimod.ConstrainedQuadraticModel):
        value = value()
        if not isinstance(value, dimod.ConstrainedQuadraticModel):
            raise TypeError(f"the {self.kind} CQM builder returned {type(value).__name__}")
        self.__dict__["_cqm"] = value
    return value


def _set_cqm(self: Problem, value: Any) -> None:
    if not (isinstance(value, dimod.ConstrainedQuadraticModel) or callable(value)):
        raise TypeError("Problem.cqm takes a ConstrainedQuadraticModel or a function "
                        f"building one, not {type(value).__name__}")
    self.__dict__["_cqm"] = value


Problem.cqm = property(_get_cqm, _set_cqm,  # type: ignore[assignment]
                       doc="The CQM (built on first access when given as a function).")


# ---------------------------------------------------------------------- penalties
def resolve_penalties(spec: PenaltySpec, below: Mapping[str, float],
                      cqm: dimod.ConstrainedQuadraticModel) -> dict[str, float]:
    """Apply one layer of penalty settings over the weights ``below`` it.

    >>> x, y = dimod.Binary("x"), dimod.Binary("y")
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> _ = cqm.add_constraint(x + y == 1, label="one[0]")
    >>> _ = cqm.add_constraint(x - y <= 0, label="order")
    >>> resolve_penalties({"one": 5, "order": "default"}, {"one[0]": 2.0, "order": 3.0}, cqm)
    {'one[0]': 5.0, 'order': 3.0}
    """
    if spec is None:
        return dict(below)
    if isinstance(spec, str):
        if spec not in PENALTY_MODES:
            raise InputError(f"expected a positive number, a mapping, or one of "
                             f"{', '.join(PENALTY_MODES)}; got {spec!r}", field="penalties")
        spec = {"*": spec}
    if isinstance(spec, (int, float)):
        return {label: _positive_weight(spec, "penalties") for label in below}
    weights = {}
    for label, weight in below.items():
        value = _lookup_override(spec, label)
        if value is None or value in ("default", "auto"):
            weights[label] = weight
        elif value == "dimod":
            weights[label] = dimod_multiplier(cqm)
        else:
            weights[label] = _positive_weight(value, f"penalties.{label}")
    unknown = [k for k in spec if k != "*" and not _matches_any(k, below)]
    if unknown:
        groups = sorted({constraint_group(c) for c in below})
        raise InputError(
            f"no constraint or group named {unknown[0]!r}; constraint groups are: "
            f"{', '.join(groups) or '(none)'}", field="penalties")
    return weights


def _sets_every_weight(spec: PenaltySpec) -> bool:
    """Whether a penalty layer gives every constraint a number (no mode, no gaps).

    >>> _sets_every_weight(2.0), _sets_every_weight({"*": 1}), _sets_every_weight("auto")
    (True, True, False)
    """
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return True
    return (isinstance(spec, Mapping) and "*" in spec and isinstance(spec["*"], (int, float))
            and not isinstance(spec["*"], bool))


def constraint_group(label: Hashable) -> str:
    """The group a constraint label belongs to: ``'one_start[3,1]'`` -> ``'one_start'``."""
    return str(label).split("[", 1)[0]


def _lookup_override(spec: Mapping[str, Any], label: Hashable) -> Any:
    for key in (str(label), constraint_group(label), "*"):
        if key in spec:
            return spec[key]
    return None


def _matches_any(key: str, labels: Mapping[Hashable, Any]) -> bool:
    return any(key in (str(label), constraint_group(label)) for label in labels)


def _positive_weight(value: Any, field_name: str) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a positive number or 'default', got {value!r}",
                         field=field_name) from None
    if not math.isfinite(weight) or weight <= 0:
        raise InputError(f"expected a positive finite number, got {value!r}", field=field_name)
    return weight


def one_flip_bounds(objective: dimod.QuadraticModel | dimod.BinaryQuadraticModel
                    ) -> dict[Hashable, float]:
    """For each variable, the largest change one flip of it can make to the objective.

    For binary variables that is ``|a_v| + sum_u |b_uv|``: an upper bound on what the
    objective can gain by leaving a constraint's feasible set one flip at a time.
    """
    if isinstance(objective, dimod.BinaryQuadraticModel):  # bulk path, no loop per term
        order = list(objective.variables)
        linear, (row, col, quad), _ = objective.to_numpy_vectors(variable_order=order)
        bound = np.abs(linear).astype(float)
        np.add.at(bound, row, np.abs(quad))
        np.add.at(bound, col, np.abs(quad))
        return dict(zip(order, bound.tolist()))
    bound = {v: abs(float(bias)) for v, bias in objective.linear.items()}
    for u, v, bias in objective.iter_quadratic():
        bound[u] += abs(float(bias))
        bound[v] += abs(float(bias))
    return bound


def round_up_binary(weight: float, bits: int = 8) -> float:
    """Round up to ``bits`` significant binary digits: an exact binary fraction.

    Weights such as ``1.1 * 8 = 8.8`` leave ~1e-15 residues when penalties cancel
    objective terms; samplers that derive their temperature from the smallest energy
    gap then anneal to absurdly cold ends. Exact binary fractions cancel exactly.

    >>> round_up_binary(8.8), round_up_binary(3.3), round_up_binary(4.0)
    (8.8125, 3.3125, 4.0)
    """
    mantissa, exponent = math.frexp(weight)
    return math.ldexp(math.ceil(mantissa * 2**bits), exponent - bits)


def default_penalty_weights(cqm: dimod.ConstrainedQuadraticModel,
                            margin: float = DEFAULT_PENALTY_MARGIN, *,
                            objective: dimod.BinaryQuadraticModel | None = None
                            ) -> dict[str, float]:
    """The default weight of every constraint, derived from the objective's coefficients.

    For a constraint over variables V, the weight is ``margin * max_{v in V} flip(v) / g**2``
    where ``flip(v)`` is the one-flip bound of :func:`one_flip_bounds` and ``g`` the
    smallest nonzero violation the constraint can have (the gcd of integer
    coefficients, else the smallest coefficient): a single flip out of feasibility then
    always costs more than it can gain. For constraints over disjoint variables that
    makes every BQM ground state feasible and optimal (``d`` units of violation need
    ``d`` flips to repair, which gain at most ``d * max flip`` but cost ``w * d**2``).

    A constraint whose variables do not appear in the objective still matters through
    the constraints it shares variables with (repairing it may break one of those), so
    it gets the largest one-flip bound of the whole objective (1 if the objective is
    empty) rather than an arbitrary small weight. Weights are rounded up to exact binary
    fractions (:func:`round_up_binary`). ``objective``, the objective as a BQM, makes
    the bound a bulk computation.

    >>> x, y = dimod.Binary("x"), dimod.Binary("y")
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(-2 * x - 5 * y + 3 * x * y)
    >>> _ = cqm.add_constraint(x + y <= 1, label="choose")
    >>> default_penalty_weights(cqm)
    {'choose': 8.8125}
    """
    bounds = one_flip_bounds(cqm.objective if objective is None else objective)
    overall = max(bounds.values(), default=0.0) or 1.0
    weights: dict[str, float] = {}
    for label, constraint in cqm.constraints.items():
        lhs = constraint.lhs
        worst = max((bounds.get(v, 0.0) for v in lhs.variables), default=0.0) or overall
        step = _smallest_violation(lhs, constraint.rhs)
        # A conflict constraint is penalised linearly (weight * lhs), not squared.
        power = 1 if is_conflict_constraint(constraint) else 2
        weights[label] = round_up_binary(float(margin * worst / step**power))
    return weights


def is_conflict_constraint(constraint: Any) -> bool:
    """Whether ``constraint`` is a quadratic "conflict" constraint: ``lhs == 0`` (or
    ``<= 0``) where every coefficient of ``lhs`` is non-negative and the offset is 0.

    Over binary variables such an ``lhs`` is never negative and is 0 exactly when no
    conflicting pair is switched on together, so ``weight * lhs`` is an exact penalty
    without squaring: the textbook conflict-pair penalty of time-indexed scheduling
    QUBOs (e.g. ``x[a, t] * x[b, t'] == 0`` for overlapping operations).

    >>> x, y = dimod.Binary("x"), dimod.Binary("y")
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> _ = cqm.add_constraint(x * y == 0, label="clash")
    >>> is_conflict_constraint(cqm.constraints["clash"])
    True
    """
    lhs = constraint.lhs
    if not lhs.num_interactions or constraint.sense is dimod.sym.Sense.Ge:
        return False
    if lhs.offset - constraint.rhs != 0:
        return False
    return (all(b >= 0 for b in lhs.linear.values())
            and all(b >= 0 for *_, b in lhs.iter_quadratic()))


def dimod_multiplier(cqm: dimod.ConstrainedQuadraticModel) -> float:
    """The Lagrange multiplier ``dimod.cqm_to_bqm`` uses by default: 10x the largest
    absolute bias of the objective (1 when it has none), one value for all constraints.

    Computed here because dimod does not expose it; tests check it against dimod.

    >>> x, y = dimod.Binary("x"), dimod.Binary("y")
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(-2 * x - 5 * y + 3 * x * y)
    >>> dimod_multiplier(cqm)
    50.0
    """
    obj = cqm.objective
    biases = [abs(float(b)) for b in obj.linear.values()]
    biases += [abs(float(b)) for *_, b in obj.iter_quadratic()]
    largest = max(biases, default=0.0)
    return 10.0 * largest if largest else 1.0


def _smallest_violation(lhs: dimod.QuadraticModel | dimod.BinaryQuadraticModel,
                        rhs: float = 0.0) -> float:
    """A lower bound on the smallest nonzero violation ``|lhs - rhs|``.

    With integer data, ``lhs - rhs`` only takes multiples of the gcd of the
    coefficients *and* the constant (``3x + 3y <= 1`` is violated by 2, not 3).

    >>> x, y = dimod.Binary("x"), dimod.Binary("y")
    >>> _smallest_violation(3 * x + 3 * y, 1.0), _smallest_violation(2 * x + 4 * y, 0.0)
    (1.0, 2.0)
    """
    coefficients = [abs(b) for b in lhs.linear.values() if b != 0]
    coefficients += [abs(b) for *_, b in lhs.iter_quadratic() if b != 0]
    if not coefficients:
        return 1.0
    constant = abs(float(lhs.offset) - float(rhs))
    if all(float(c).is_integer() for c in coefficients) and constant.is_integer():
        return float(reduce(math.gcd, (int(c) for c in coefficients), int(constant)))
    return min(coefficients)


# ---------------------------------------------------------------------- CQM -> BQM
def objective_as_bqm(cqm: dimod.ConstrainedQuadraticModel) -> dimod.BinaryQuadraticModel:
    """The CQM's objective as a BINARY BQM over all of the CQM's variables."""
    non_binary = [v for v in cqm.variables if cqm.vartype(v) is not dimod.BINARY]
    if non_binary:
        raise QanError(
            f"variable {non_binary[0]!r} is {cqm.vartype(non_binary[0]).name}; penalty "
            "conversion needs binary variables (use qanneal.encodings to encode integers)")
    bqm = dimod.BinaryQuadraticModel(cqm.objective.linear, {}, cqm.objective.offset, "BINARY")
    if cqm.objective.num_interactions:
        bqm.add_quadratic_from(cqm.objective.iter_quadratic())
    for v in cqm.variables:  # keep variables that appear only in constraints
        bqm.add_variable(v)
    return bqm


def drop_residues(bqm: dimod.BinaryQuadraticModel, rtol: float = 1e-12
                  ) -> dimod.BinaryQuadraticModel:
    """Zero the biases that are floating-point residues (below ``rtol`` x the largest).

    When a penalty cancels an objective term the sum can be 1e-15 instead of 0, which
    a sampler reads as a real (tiny) energy gap.
    """
    order = list(bqm.variables)
    linear, (row, col, quad), offset = bqm.to_numpy_vectors(variable_order=order)
    scale = max(np.abs(linear).max(initial=0.0), np.abs(quad).max(initial=0.0))
    tiny_linear = (linear != 0) & (np.abs(linear) < rtol * scale)
    keep = np.abs(quad) >= rtol * scale
    if not tiny_linear.any() and keep.all():
        return bqm
    linear = np.where(tiny_linear, 0.0, linear)
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (row[keep], col[keep], quad[keep]), offset, "BINARY", variable_order=order)


def penalised_bqm_size(cqm: dimod.ConstrainedQuadraticModel, *,
                       exclude: Collection[Hashable] = (),
                       unbalanced: Mapping[Hashable, Unbalanced] | None = None
                       ) -> tuple[sizing.ModelSize, sizing.ModelSize]:
    """Sizes of ``cqm`` and of its :func:`cqm_to_penalised_bqm`, counted before building.

    A penalty squares its constraint, so a linear constraint over ``k`` variables (plus
    ``b`` slack bits) adds ``(k + b)(k + b - 1) / 2`` terms: one knapsack capacity over
    20,000 items is 200 million terms (12.7 GB measured). Counted per constraint as
    :func:`_add_penalty` builds it, capped at a dense BQM over all the variables.
    """
    excluded = set(exclude)
    slack = linear = 0
    terms = cqm.objective.num_interactions
    for label, constraint in cqm.constraints.items():
        lhs = constraint.lhs
        k = lhs.num_variables
        linear += k
        if label in excluded:
            continue
        if lhs.num_interactions:  # conflict constraints go in as they are
            terms += lhs.num_interactions
            continue
        bits = 0 if unbalanced and label in unbalanced else slack_bits(constraint)
        slack += bits
        terms += (k + bits) * (k + bits - 1) // 2
    variables = cqm.num_variables() + slack
    terms = min(terms, variables * (variables - 1) // 2)
    cqm_size = sizing.ModelSize(cqm.num_variables(), cqm.objective.num_interactions
                                + sum(c.lhs.num_interactions for c in cqm.constraints.values()),
                                linear, len(cqm.constraints))
    return cqm_size, sizing.ModelSize(variables, terms)


def check_penalised_bqm_size(cqm: dimod.ConstrainedQuadraticModel, *,
                             exclude: Collection[Hashable] = (),
                             unbalanced: Mapping[Hashable, Unbalanced] | None = None) -> None:
    """Refuse (:func:`qanneal.sizing.check_bqm`) a penalised BQM past the memory limit."""
    cqm_size, bqm_size = penalised_bqm_size(cqm, exclude=exclude, unbalanced=unbalanced)
    sizing.check_bqm("the penalised model", cqm_size, bqm_size,
                     "use -b milp (or a CQM backend), or shorter constraints (fewer "
                     "variables per constraint)")


def cqm_to_penalised_bqm(cqm: dimod.ConstrainedQuadraticModel,
                         weights: Mapping[str, float], *,
                         objective: dimod.BinaryQuadraticModel | None = None,
                         exclude: Collection[Hashable] = (),
                         unbalanced: Mapping[Hashable, Unbalanced] | None = None
                         ) -> dimod.BinaryQuadraticModel:
    """Objective plus one weighted quadratic penalty per constraint.

    Why not ``dimod.cqm_to_bqm``: it takes one multiplier for all constraints; we need
    one per constraint, and the slack-free pairwise form for ``sum(x) <= 1``. The
    penalties themselves come from dimod's ``add_linear_equality_constraint`` and
    ``add_linear_inequality_constraint``. Constraints in ``exclude`` are left out.
    Inequalities in ``unbalanced`` get ``-l1 * h + weight * h**2`` instead of slack
    (:mod:`qanneal.inequalities`; their weight is ``l2``).
    """
    bqm = objective_as_bqm(cqm) if objective is None else objective.copy()
    excluded = set(exclude)
    count = len(cqm.constraints)
    for i, (label, constraint) in enumerate(cqm.constraints.items()):
        check_deadline("the penalised BQM", i / count)  # stops at solve's time limit
        if excluded and label in excluded:
            continue
        form = unbalanced.get(label) if unbalanced else None
        _add_penalty(bqm, label, constraint, weights[label],
                     l1=None if form is None else form.l1)
    return drop_residues(bqm)


def _add_penalty(bqm: dimod.BinaryQuadraticModel, label: str, constraint: Any,
                 weight: float, l1: float | None = None) -> None:
    lhs = constraint.lhs
    if lhs.num_interactions and is_conflict_constraint(constraint):
        # sum of non-negative products == 0: add weight * lhs as it is (see
        # is_conflict_constraint); squaring would only add needless higher-order terms.
        bqm.add_linear_from((v, weight * b) for v, b in lhs.linear.items())
        bqm.add_quadratic_from((u, v, weight * b) for u, v, b in lhs.iter_quadratic())
        return
    if lhs.num_interactions:
        raise QanError(f"constraint {label!r} is quadratic; only linear constraints and conflict "
                       "constraints (non-negative terms == 0) can be turned into "
                       "penalties (use a CQM backend such as hybrid-cqm)")
    terms = [(v, b) for v, b in lhs.linear.items() if b != 0]
    constant = lhs.offset - constraint.rhs
    sense = constraint.sense
    if sense is dimod.sym.Sense.Ge:  # a >= 0  <=>  -a <= 0
        terms = [(v, -b) for v, b in terms]
        constant = -constant
        sense = dimod.sym.Sense.Le
    if sense is dimod.sym.Sense.Eq:
        bqm.add_linear_equality_constraint(terms, weight, constant)
        return
    if not terms:
        if constant > 0:
            bqm.offset += weight * constant**2
        return
    coefficients = [b for _, b in terms]
    if all(b == 1 for b in coefficients) and constant == -1:
        # sum(x) <= 1: the pairwise penalty is exact and needs no slack variable.
        variables = [v for v, _ in terms]
        bqm.add_quadratic_from(
            (variables[i], variables[j], weight)
            for i in range(len(variables)) for j in range(i + 1, len(variables)))
        return
    if len(terms) == 2 and all(b == -1 for b in coefficients) and constant == 1:
        # x_u + x_v >= 1 (a cover): w * (1 - x_u)(1 - x_v) is exact and needs no slack.
        (u, _), (v, _) = terms
        bqm.offset += weight
        bqm.add_linear_from([(u, -weight), (v, -weight)])
        bqm.add_quadratic(u, v, weight)
        return
    if l1 is not None:  # unbalanced penalisation: no slack, any real coefficients
        add_unbalanced_penalty(bqm, terms, constant, l1, weight)
        return
    if not all(float(b).is_integer() for b in coefficients) or not float(constant).is_integer():
        raise QanError(f"constraint {label!r} has non-integer coefficients; slack encoding "
                       "needs integers (scale the constraint, or use a CQM or MILP backend)")
    lower = sum(min(b, 0) for b in coefficients) + constant
    if lower > 0:  # can never hold: a constant penalty says so in the energy
        bqm.offset += weight * lower**2
        return
    bqm.add_linear_inequality_constraint(
        [(v, int(b)) for v, b in terms], weight, label=str(label),  # dimod adds "slack_"
        constant=int(constant), ub=0)


def energies_of(bqm: dimod.BinaryQuadraticModel, samples: Any) -> np.ndarray:
    """Energies of ``samples`` on ``bqm`` (a thin, named wrapper for readability)."""
    return np.asarray(bqm.energies(samples))
