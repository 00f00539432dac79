"""How inequality constraints become penalties: dimod's slack form, or unbalanced penalisation.

The slack form (dimod's ``add_linear_inequality_constraint``) turns ``sum a_i x_i <= b``
into ``w (sum a_i x_i + s - b)^2`` with a binary-expanded slack ``s`` (about
``log2 b`` extra variables). It is exact (every ground state is feasible) but its
energy scale and the slack bits' coefficients, up to ``b / 2``, make a rugged
landscape: on a 150-item knapsack ``sa`` ends several percent below the optimum.

**Unbalanced penalisation** (Montanez-Barrera, Willsch, Maldonado-Romo, Michielsen,
"Unbalanced penalization: a new approach to encode inequality constraints of
combinatorial problems for quantum optimization algorithms", 2022) adds no variable.
With ``h(x) = b - sum a_i x_i`` (``h >= 0`` is feasible) the penalty is::

    P(h) = -l1 * h + l2 * h**2

the second-order expansion of ``exp(-h)``: it grows steeply for violations (``h < 0``)
and stays small, even negative, for a little slack. It does **not** forbid infeasible
states, so every answer is verified by the problem's own checker as always (and a
problem's ``repair`` may fix one). ``>=`` constraints are negated into ``<=``;
equalities keep the quadratic penalty; ``sum(x) <= 1`` and ``x_u + x_v >= 1`` keep
their exact slack-free forms (:func:`qanneal.model.cqm_to_penalised_bqm`).

**Default multipliers** (:func:`unbalanced_multipliers`; the paper tunes them per
instance). The linear term ``l1 * sum a_i x_i`` is a Lagrangian term: it charges every
unit of the constraint's resource ``l1``. The right charge is the value of the
resource at the margin: the constraint's dual (shadow price) ``lambda`` in the LP
relaxation. With that charge, variables better than the margin still pay to be taken
and worse ones do not, and the relaxed energy is stationary at the LP's optimum
whatever ``l2`` is. So ``l2`` only has to decide the marginal variables and stop
excursions past ``b``: ``l2 = L2_FACTOR * r / mean|a_i|`` where ``r`` is the
constraint's *break ratio*, the value of its resource were it the only constraint
(Dantzig's greedy bound: take variables in order of objective gain per unit of
resource until the resource runs out; the ratio of the one that does not fit). That
keeps a variable of typical size out of a full constraint unless its gain per unit
beats the margin by more than ``L2_FACTOR`` (10%); a larger ``l2`` brings back the
rugged landscape of the slack form (measured: 10x larger loses 2% on a 150-item
knapsack, 10x smaller makes most samples infeasible). Then
``l1 = lambda + 2 l2 (s + SLACK_BUFFER * mean|a|)`` with ``s`` the constraint's slack at
the LP optimum (complementary slackness: ``lambda`` or ``s`` is 0). With ``l1 = lambda``
alone the relaxed energy would be stationary at the LP's optimum, but the penalty would
price a violation and the same amount of slack alike around it (the marginal item's
value cancels ``lambda`` exactly): whenever the best packing leaves more than half of
the marginal item's size free, taking it anyway and overflowing has the lower energy,
and on small instances every sample came out infeasible (measured: 3 of 6 random
9-16 item knapsacks, and the ``anneal`` backend on the 150-item one). The buffer moves
the penalty's minimum to half a typical item of slack, so overflowing by the marginal
item costs ``(l1 - lambda) * w`` more than it gains, while the slope at zero slack stays
within ``L2_FACTOR`` of ``lambda``; a constraint the LP leaves slack is not pulled tight.
The LP (HiGHS) is solved once over all linear constraints when the objective is linear;
for a quadratic objective, or if the LP fails, ``r`` stands in for ``lambda`` (it is the
LP dual when the constraint is the only one). The gains are the
objective's one-flip bounds in the direction that uses the resource (exact for a
linear objective), so the rule is the same for every problem type. Measured in
BENCHMARKS.md ("Inequalities: slack vs unbalanced penalisation").

In a penalty spec (``penalties:``), the weight of an unbalanced constraint is its
``l2`` (default: the rule above); ``l1`` comes from the rule or from ``inequalities:``.

**Choosing per constraint**: ``inequalities:`` in a problem file (or ``--inequalities``
on the command line) is ``slack``, ``unbalanced`` or ``auto`` for every inequality, or
a mapping from a constraint label, a group (the label before ``[``) or ``"*"`` to one
of those or to ``{l1: ..., l2: ...}`` (unbalanced with given multipliers; one left out
is derived). ``auto``, the default, picks unbalanced for an inequality whose slack would
need at least ``AUTO_MIN_SLACK_BITS`` bits and slack otherwise.

>>> x = [dimod.Binary(i) for i in range(3)]
>>> cqm = dimod.ConstrainedQuadraticModel()
>>> cqm.set_objective(-10 * x[0] - 7 * x[1] - 3 * x[2])
>>> _ = cqm.add_constraint(5 * x[0] + 4 * x[1] + 3 * x[2] <= 7, label="capacity")
>>> u = resolve_inequalities("unbalanced", cqm)["capacity"]
>>> round(u.l1, 4), round(u.l2, 5)   # LP dual 7/4 (item 1 does not fit), plus the buffer
(1.925, 0.04375)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from qanneal.errors import InputError

#: What ``inequalities:`` may name for a constraint.
ENCODINGS = ("slack", "unbalanced", "auto")
#: The encoding when nothing is said.
DEFAULT_ENCODING = "auto"
#: ``auto`` uses unbalanced penalisation for an inequality whose slack form needs at
#: least this many slack bits (a resource bound of 16 or more). Small slacks (one to
#: three bits, e.g. colouring's ``use`` links) cost little and keep an exact penalty.
AUTO_MIN_SLACK_BITS = 5
#: ``l2 = L2_FACTOR * l1 / mean |a|`` (see the module docstring).
L2_FACTOR = 0.1

#: The slack the penalty prefers, in units of the constraint's mean ``|a|`` (see the
#: module docstring): ``l1 = lambda + 2 * l2 * (s + SLACK_BUFFER * mean|a|)``.
SLACK_BUFFER = 0.5

InequalitySpec = str | Mapping[str, Any] | None


@dataclass(frozen=True)
class Unbalanced:
    """The multipliers of one unbalanced penalty ``-l1 * h + l2 * h**2``."""

    l1: float
    l2: float


# ---------------------------------------------------------------------- structure
def as_upper_bound(constraint: Any) -> tuple[list[tuple[Hashable, float]], float] | None:
    """``(terms, constant)`` with the constraint as ``sum terms + constant <= 0``.

    ``None`` for an equality or a quadratic constraint (those keep their own penalty).
    """
    lhs = constraint.lhs
    if constraint.sense is dimod.sym.Sense.Eq or lhs.num_interactions:
        return None
    terms = [(v, float(b)) for v, b in lhs.linear.items() if b != 0]
    constant = float(lhs.offset - constraint.rhs)
    if constraint.sense is dimod.sym.Sense.Ge:  # a >= 0  <=>  -a <= 0
        terms = [(v, -b) for v, b in terms]
        constant = -constant
    return terms, constant


def slack_bits(constraint: Any) -> int:
    """How many slack variables dimod's slack form adds for ``constraint``.

    0 for equalities, quadratic constraints, the slack-free forms ``sum(x) <= 1`` and
    ``x_u + x_v >= 1``, and constraints that always or never hold (the same cases
    :func:`qanneal.model.cqm_to_penalised_bqm` treats without slack).

    >>> x = [dimod.Binary(i) for i in range(4)]
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> _ = cqm.add_constraint(3 * x[0] + 5 * x[1] + 9 * x[2] <= 10, label="c")
    >>> _ = cqm.add_constraint(x[0] + x[1] + x[3] <= 1, label="one")
    >>> slack_bits(cqm.constraints["c"]), slack_bits(cqm.constraints["one"])
    (4, 0)
    """
    form = as_upper_bound(constraint)
    if form is None:
        return 0
    terms, constant = form
    if not terms:
        return 0
    coefficients = [b for _, b in terms]
    if all(b == 1 for b in coefficients) and constant == -1:
        return 0
    if len(terms) == 2 and all(b == -1 for b in coefficients) and constant == 1:
        return 0
    upper = sum(b for b in coefficients if b > 0)
    lower = sum(b for b in coefficients if b < 0)
    ub = min(upper, -constant)
    if upper <= ub or lower > ub:  # always holds / never holds: no slack
        return 0
    span = int(ub - lower)
    return 0 if span <= 0 else int(math.floor(math.log2(span))) + 1


# ---------------------------------------------------------------------- multipliers
def objective_gains(objective: dimod.BinaryQuadraticModel
                    ) -> tuple[dict[Hashable, float], dict[Hashable, float]]:
    """Per variable, the most the objective (minimised) can drop by setting it to 1,
    and by setting it to 0: exact for a linear objective, a bound for a quadratic one.
    """
    order = list(objective.variables)
    linear, (row, col, quad), _ = objective.to_numpy_vectors(variable_order=order)
    neg = np.minimum(quad, 0.0)
    pos = np.maximum(quad, 0.0)
    most_down = linear.astype(float).copy()  # lowest possible change when switched on
    np.add.at(most_down, row, neg)
    np.add.at(most_down, col, neg)
    most_up = linear.astype(float).copy()  # highest possible change when switched on
    np.add.at(most_up, row, pos)
    np.add.at(most_up, col, pos)
    on = np.maximum(-most_down, 0.0)
    off = np.maximum(most_up, 0.0)
    return dict(zip(order, on.tolist())), dict(zip(order, off.tolist()))


def break_ratio(sizes: np.ndarray, gains: np.ndarray, room: float) -> float:
    """Dantzig's break ratio: fill ``room`` with items in decreasing ``gain / size``;
    the ratio of the first item that does not fit whole (0 when all fit).

    >>> break_ratio(np.array([5.0, 4, 3]), np.array([10.0, 7, 3]), 7.0)
    1.75
    """
    ratio = gains / sizes
    order = np.lexsort((-sizes, -ratio))  # by ratio, larger items first on ties
    filled = np.cumsum(sizes[order])
    first_out = int(np.searchsorted(filled, room, side="right"))
    if first_out >= len(order):
        return 0.0
    return float(ratio[order[first_out]])


def unbalanced_multipliers(terms: list[tuple[Hashable, float]], constant: float,
                           gain_on: Mapping[Hashable, float],
                           gain_off: Mapping[Hashable, float],
                           lp: tuple[float, float] | None = None) -> Unbalanced:
    """Default ``l1`` and ``l2`` for ``sum terms + constant <= 0`` (module docstring).

    A variable with a negative coefficient uses the resource when it is switched
    *off*; written ``y = 1 - x`` every term uses ``|a|`` of a room of
    ``-constant - sum(negative a)``. ``r`` is the break ratio of the objective gains
    per unit of resource; when the objective gives no gain (the constraint only
    competes with other constraints) the largest ratio stands in, then 1. ``lp`` is
    the constraint's ``(dual, slack)`` at the LP relaxation's optimum, if known.
    """
    sizes = np.array([abs(b) for _, b in terms], dtype=float)
    gains = np.array([gain_on.get(v, 0.0) if b > 0 else gain_off.get(v, 0.0)
                      for v, b in terms], dtype=float)
    room = -constant - sum(b for _, b in terms if b < 0)
    ratio = break_ratio(sizes, gains, room)
    if ratio <= 0:
        ratio = float((gains / sizes).max(initial=0.0)) or 1.0
    l2 = L2_FACTOR * ratio / float(sizes.mean())
    if lp is None:
        return Unbalanced(l1=ratio + 2.0 * l2 * SLACK_BUFFER * float(sizes.mean()), l2=l2)
    dual, slack = lp
    l1 = dual + 2.0 * l2 * (slack + SLACK_BUFFER * float(sizes.mean()))
    return Unbalanced(l1=l1 if l1 > 0 else ratio, l2=l2)


def lp_duals(cqm: dimod.ConstrainedQuadraticModel,
             objective: dimod.BinaryQuadraticModel) -> dict[Hashable, tuple[float, float]] | None:
    """``(dual, slack)`` of every linear inequality at the LP relaxation's optimum.

    The relaxation: the objective (must be linear) over ``0 <= x <= 1`` with every
    linear constraint of the CQM (quadratic ones are left out: still a relaxation).
    The dual is the shadow price, ``>= 0``, of the constraint as ``sum a x <= b``.
    None when the objective is quadratic or HiGHS does not find an optimum.

    >>> x = [dimod.Binary(i) for i in range(3)]
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> cqm.set_objective(-10 * x[0] - 7 * x[1] - 3 * x[2])
    >>> _ = cqm.add_constraint(5 * x[0] + 4 * x[1] + 3 * x[2] <= 7, label="capacity")
    >>> lp_duals(cqm, dimod.BQM(cqm.objective.linear, {}, 0, "BINARY"))
    {'capacity': (1.75, 0.0)}
    """
    if objective.num_interactions:
        return None
    import highspy

    from qanneal.backends.milp import _c_stdout_silenced

    order = list(objective.variables)
    index = {v: i for i, v in enumerate(order)}
    labels, starts, cols, vals, lower, upper = [], [0], [], [], [], []
    for label, constraint in cqm.constraints.items():
        lhs = constraint.lhs
        if lhs.num_interactions or any(v not in index for v in lhs.variables):
            continue
        form = as_upper_bound(constraint)
        if form is None:  # an equality: both bounds
            terms = [(v, float(b)) for v, b in lhs.linear.items() if b != 0]
            bound = float(constraint.rhs - lhs.offset)
            low = bound
        else:
            terms, constant = form
            bound, low = -constant, -highspy.kHighsInf
        if not terms:
            continue
        labels.append((label, form is not None))
        cols.extend(index[v] for v, _ in terms)
        vals.extend(b for _, b in terms)
        starts.append(len(cols))
        lower.append(low)
        upper.append(bound)
    if not labels:
        return {}
    linear, _, _ = objective.to_numpy_vectors(variable_order=order)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(order), len(labels)
    lp.col_cost_ = np.asarray(linear, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(len(order)), np.ones(len(order))
    lp.row_lower_, lp.row_upper_ = np.array(lower), np.array(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(cols, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(vals, dtype=float)
    with _c_stdout_silenced():  # HiGHS prints a banner to fd 1 on first construction
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    out = {}
    for (label, inequality), dual, value, bound in zip(labels, solution.row_dual,
                                                       solution.row_value, upper):
        if inequality:  # minimising: a binding <= row has a dual <= 0
            out[label] = (max(0.0, -float(dual)), max(0.0, float(bound - value)))
    return out


# ---------------------------------------------------------------------- the spec
def check_spec(spec: InequalitySpec, field: str = "inequalities") -> None:
    """Raise a one-line :class:`InputError` for a malformed ``inequalities`` spec."""
    if spec is None:
        return
    if isinstance(spec, str):
        _check_value(spec, field)
        return
    if not isinstance(spec, Mapping):
        raise InputError(f"expected one of {', '.join(ENCODINGS)} or a mapping from "
                         f"constraint/group/'*' to one; got {spec!r}", field=field)
    for key, value in spec.items():
        _check_value(value, f"{field}.{key}")


def _check_value(value: Any, field: str) -> None:
    if isinstance(value, str):
        if value not in ENCODINGS:
            raise InputError(f"expected one of {', '.join(ENCODINGS)} or {{l1: .., l2: ..}}; "
                             f"got {value!r}", field=field)
        return
    if isinstance(value, Mapping):
        extra = [k for k in value if k not in ("l1", "l2")]
        if extra or not value:
            raise InputError(f"an unbalanced encoding takes l1 and/or l2 (positive numbers); "
                             f"got {dict(value)!r}", field=field)
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (
                    math.isfinite(v) and v > 0):
                raise InputError(f"must be a positive number, got {v!r}", field=f"{field}.{k}")
        return
    raise InputError(f"expected one of {', '.join(ENCODINGS)} or {{l1: .., l2: ..}}; "
                     f"got {value!r}", field=field)


def _choice(spec: InequalitySpec, label: Hashable) -> Any:
    if spec is None:
        return DEFAULT_ENCODING
    if isinstance(spec, str):
        return spec
    for key in (str(label), str(label).split("[", 1)[0], "*"):
        if key in spec:
            return spec[key]
    return DEFAULT_ENCODING


def resolve_inequalities(spec: InequalitySpec, cqm: dimod.ConstrainedQuadraticModel, *,
                         objective: dimod.BinaryQuadraticModel | None = None
                         ) -> dict[Hashable, Unbalanced]:
    """The constraints ``spec`` sends to unbalanced penalisation, with their multipliers.

    Only inequalities that the slack form would give slack variables are candidates
    (:func:`slack_bits`); every other constraint keeps its penalty whatever ``spec``
    says. Names in a mapping must match a constraint or group.
    """
    check_spec(spec)
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k != "*" and not any(
            k in (str(c), str(c).split("[", 1)[0]) for c in cqm.constraints)]
        if unknown:
            groups = sorted({str(c).split("[", 1)[0] for c in cqm.constraints})
            raise InputError(f"no constraint or group named {unknown[0]!r}; constraint "
                             f"groups are: {', '.join(groups) or '(none)'}",
                             field="inequalities")
    if spec == "slack":
        return {}
    gains: tuple[dict, dict] | None = None
    duals: dict[Hashable, tuple[float, float]] | None = None
    out: dict[Hashable, Unbalanced] = {}
    for label, constraint in cqm.constraints.items():
        choice = _choice(spec, label)
        if choice == "slack":
            continue
        bits = slack_bits(constraint)
        if not bits or (choice == "auto" and bits < AUTO_MIN_SLACK_BITS):
            continue
        if gains is None:
            if objective is None:
                from qanneal.model import objective_as_bqm
                objective = objective_as_bqm(cqm)
            gains = objective_gains(objective)
            duals = lp_duals(cqm, objective)
        terms, constant = as_upper_bound(constraint)  # type: ignore[misc]
        derived = unbalanced_multipliers(terms, constant, *gains,
                                         lp=None if duals is None else duals.get(label))
        if isinstance(choice, Mapping):
            derived = Unbalanced(l1=float(choice.get("l1", derived.l1)),
                                 l2=float(choice.get("l2", derived.l2)))
        out[label] = derived
    return out


# ---------------------------------------------------------------------- the penalty
def add_unbalanced_penalty(bqm: dimod.BinaryQuadraticModel,
                           terms: list[tuple[Hashable, float]], constant: float,
                           l1: float, l2: float) -> None:
    """Add ``-l1 * h + l2 * h**2`` with ``h = -(sum terms + constant)`` to ``bqm``.

    Written out rather than through dimod's ``penalization_method="unbalanced"``,
    whose offset (dimod 0.12: ``-ub`` instead of ``-l1 * ub``) makes the energy differ
    from the formula by a constant.
    """
    # -l1 * h = l1 * (sum a x + constant)
    bqm.add_linear_from((v, l1 * b) for v, b in terms)
    bqm.offset += l1 * constant
    # l2 * h**2 = l2 * (sum a x + constant)**2
    bqm.add_linear_equality_constraint(terms, l2, constant)
