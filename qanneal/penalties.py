"""Penalty calibration (``penalties: auto``): tune penalty weights in a closed loop.

Per constraint group (the label before ``[``, :func:`qanneal.model.constraint_group`),
all constraints of a group sharing one weight:

1. start from the static one-flip bound (:func:`qanneal.model.default_penalty_weights`,
   the largest of the group), or from given weights;
2. solve with the chosen BQM backend and measure, on the raw samples, how often each
   group is violated (the CQM's own constraints: a model-level measurement; answers
   are still verified by the problem's independent checker);
3. raise the weight of a group violated too often (in proportion to its violation
   rate), lower one never found too weak (too strong a penalty flattens the landscape
   the annealer sees), and bisect, geometrically, between the largest weight seen too
   weak and the smallest seen strong enough;
4. stop when every group is bracketed tightly, when the best round has not improved
   for ``patience`` rounds, or when ``max_rounds`` or ``time_budget`` is spent (a
   round is not started when the rounds so far say it would end past the budget);
5. then double all tuned weights together while that keeps the best objective and
   raises the feasible rate (``SCALE_ROUNDS`` at most).

Every round is recorded (weights by group, feasible rate, best verified objective).
The result is the weights of the round with the best verified objective among the
rounds whose feasible rate is within ``FEASIBLE_TOLERANCE`` of the most feasible one
(feasibility first: an infeasible sample is wasted annealing, and the best answer of
*every* round is kept anyway); failing any feasible answer, the most feasible round.
While the loop runs, the round it steers by is the best objective among rounds that
reach ``min_feasible``.

Under a time limit, ``solve(..., penalties="auto", time_limit=T)`` keeps T as the
budget of the whole solve (:func:`split_budget`): calibration gets at most
``CALIBRATION_SHARE`` of it, as ``max_rounds`` rounds of equal time limit (equal work
keeps the rounds' feasible rates comparable), and the final solve gets everything
calibration did not use (at least ``MIN_SOLVE_SHARE`` of T).

Example: a weight ten times too small is raised until the answers are feasible.

>>> import dimod
>>> from qanneal.model import Problem
>>> x = [dimod.Binary(i) for i in range(4)]
>>> cqm = dimod.ConstrainedQuadraticModel()
>>> cqm.set_objective(-sum(x))                  # wants every item ...
>>> _ = cqm.add_constraint(sum(x) == 1, label="one")  # ... but may take one
>>> p = Problem(kind="pick", cqm=cqm, decode=lambda s: [v for v in sorted(s) if s[v]],
...             verify=lambda sol: [] if len(sol) == 1 else ["not one item"],
...             objective=len)
>>> cal = calibrate(p, "sa", penalties="auto", start={"one": 0.1}, seed=3,
...                 num_reads=20, num_sweeps=200)
>>> cal.trace[0]["feasible_rate"], cal.trace[cal.best_round]["feasible_rate"] >= 0.9
(0.0, True)
>>> cal.group_weights["one"] > 0.5
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np

from qanneal.backends.base import Backend, derive_seeds
from qanneal.errors import InputError
from qanneal.model import (
    Evaluation,
    PenaltySpec,
    Problem,
    _lookup_override,
    constraint_group,
)
from qanneal.registry import DEFAULT_BACKEND, get_backend

#: A group is "too weak" when more than this share of the samples violate it.
MAX_VIOLATION = 0.02
#: Rounds whose feasible rate is below this do not compete on objective.
MIN_FEASIBLE = 0.25
#: A group is settled when its bracket [too weak, strong enough] is this narrow.
BRACKET_RATIO = 1.25
#: Most rounds of the final search that doubles all tuned weights together.
SCALE_ROUNDS = 2
#: Most calibration rounds in all (both phases), unless the caller says otherwise.
MAX_ROUNDS = 10
#: Share of a solve's time limit that calibration may spend (the final solve gets the
#: rest): half leaves the final solve at least as long as all rounds together.
CALIBRATION_SHARE = 0.5
#: The final solve's least share of the time limit, should calibration's last round
#: overrun (a round runs at least one read, which cannot be cut short).
MIN_SOLVE_SHARE = 0.05
#: The kept weights come from rounds at most this far below the best feasible rate
#: (0: the most feasible rounds, the best objective among them). Measured
#: (benchmarks/PENALTIES.md): picking on objective alone kept weights with 86%
#: feasible samples on tsp-rand10 where twice the weight gave 100%; the best answer of
#: every round is returned anyway, so feasibility first costs no objective.
FEASIBLE_TOLERANCE = 0.0


@dataclass
class Calibration:
    """The outcome of :func:`calibrate`.

    ``weights`` is one weight per constraint label (what :meth:`Problem.to_bqm` takes);
    ``group_weights`` the tuned weight of each tuned group; ``trace`` one entry per
    round; ``best_round`` the index of the round whose weights were kept.
    """

    weights: dict[str, float]
    group_weights: dict[str, float]
    trace: list[dict[str, Any]] = field(default_factory=list)
    best_round: int | None = None
    stopped: str = ""
    #: The best verified answer any round found, and its round (answers are answers:
    #: solve() returns this one when the final solve finds nothing better).
    best_answer: Evaluation | None = None
    best_answer_round: int | None = None
    num_samples: int = 0
    seconds: float = 0.0

    @property
    def interrupted(self) -> bool:
        """Ctrl-C/SIGTERM ended the calibration: the rounds so far, not a finished one."""
        return self.stopped == "interrupted"

    def summary(self) -> dict[str, Any]:
        """What a Result records about the calibration, besides the trace."""
        return {"rounds": len(self.trace), "best_round": self.best_round,
                "stopped": self.stopped, "num_samples": self.num_samples,
                "seconds": self.seconds, "group_weights": dict(self.group_weights)}


def auto_labels(spec: PenaltySpec, labels: Collection[Hashable]) -> list[str]:
    """The constraint labels whose weight ``spec`` leaves to calibration (``"auto"``).

    >>> auto_labels({"one_start": 40, "precedence": "auto"},
    ...             ["one_start[0]", "precedence[0,1]", "precedence[1,2]"])
    ['precedence[0,1]', 'precedence[1,2]']
    >>> auto_labels("auto", ["a", "b"]), auto_labels(12.0, ["a"])
    (['a', 'b'], [])
    """
    if spec is None or isinstance(spec, (int, float)):
        return []
    if isinstance(spec, str):
        return [str(label) for label in labels] if spec == "auto" else []
    return [str(label) for label in labels if _lookup_override(spec, label) == "auto"]


def wants_calibration(problem: Problem, penalties: PenaltySpec = None) -> bool:
    """Whether solving ``problem`` with ``penalties`` (else its own) needs calibration."""
    spec = problem.penalties if penalties is None else penalties
    if spec is None or isinstance(spec, (int, float)) or (
            isinstance(spec, Mapping) and "auto" not in spec.values()):
        return False  # nothing left to calibration: the (lazy) CQM need not be built
    return bool(auto_labels(spec, problem.cqm.constraints))


def group_labels(labels: Collection[Hashable]) -> dict[str, list[str]]:
    """Constraint labels by group, in first-seen order."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        groups.setdefault(constraint_group(label), []).append(str(label))
    return groups


def weights_by_group(weights: Mapping[str, float]) -> dict[str, float | list[float]]:
    """One entry per group: the weight, or ``[min, max]`` when a group's weights differ.

    >>> weights_by_group({"a[0]": 2.0, "a[1]": 2.0, "b[0]": 1.0, "b[1]": 3.0})
    {'a': 2.0, 'b': [1.0, 3.0]}
    """
    out: dict[str, float | list[float]] = {}
    for group, labels in group_labels(weights).items():
        values = [float(weights[label]) for label in labels]
        low, high = min(values), max(values)
        out[group] = low if math.isclose(low, high, rel_tol=1e-12) else [low, high]
    return out


def violated_rows(cqm: dimod.ConstrainedQuadraticModel, sampleset: dimod.SampleSet,
                  labels: Collection[Hashable] | None = None,
                  atol: float = 1e-9) -> dict[str, np.ndarray]:
    """For each constraint, a boolean per sample row: is it violated?

    Evaluated on the CQM's own constraints, vectorised over the sample set (the same
    test as ``cqm.violations`` per sample, which would be one Python call per row);
    extra variables in the samples (slack) are ignored.
    """
    samples = (sampleset.record.sample, list(sampleset.variables))
    out: dict[str, np.ndarray] = {}
    for label in (cqm.constraints if labels is None else labels):
        constraint = cqm.constraints[label]
        lhs = np.asarray(constraint.lhs.energies(samples), dtype=float)
        excess = lhs - float(constraint.rhs)
        sense = constraint.sense
        if sense is dimod.sym.Sense.Eq:
            bad = np.abs(excess) > atol
        elif sense is dimod.sym.Sense.Le:
            bad = excess > atol
        else:
            bad = excess < -atol
        out[str(label)] = bad
    return out


def group_violation_rates(cqm: dimod.ConstrainedQuadraticModel, sampleset: dimod.SampleSet,
                          groups: Mapping[str, list[str]]) -> dict[str, float]:
    """Share of samples (counting occurrences) violating at least one constraint of a group."""
    counts = np.asarray(sampleset.record.num_occurrences, dtype=float)
    total = counts.sum()
    rows = violated_rows(cqm, sampleset, [label for ls in groups.values() for label in ls])
    rates = {}
    for group, labels in groups.items():
        bad = np.zeros(len(counts), dtype=bool)
        for label in labels:
            bad |= rows[label]
        rates[group] = float(counts[bad].sum() / total) if total else 0.0
    return rates


def split_budget(time_limit: float, max_rounds: int = MAX_ROUNDS) -> tuple[float, float]:
    """``(round time limit, calibration budget)`` for a solve whose whole budget is ``time_limit``.

    >>> split_budget(20.0)
    (1.0, 10.0)
    """
    budget = CALIBRATION_SHARE * time_limit
    return budget / max_rounds, budget


def final_solve_limit(time_limit: float, spent: float) -> float:
    """The final solve's time limit after calibration spent ``spent`` of ``time_limit``.

    >>> final_solve_limit(20.0, 8.0), final_solve_limit(20.0, 30.0)
    (12.0, 1.0)
    """
    return max(time_limit - spent, MIN_SOLVE_SHARE * time_limit)


def calibrate(problem: Problem, backend: str | Backend = DEFAULT_BACKEND, *,
              penalties: PenaltySpec = None, tune: Collection[str] | None = None,
              start: Mapping[str, float] | None = None, seed: int | None = None,
              time_limit: float | None = None, max_rounds: int = MAX_ROUNDS,
              time_budget: float | None = None, patience: int = 3,
              max_violation: float = MAX_VIOLATION, min_feasible: float = MIN_FEASIBLE,
              polish_samples: bool = False, **options: Any) -> Calibration:
    """Tune the penalty weights of ``problem`` for ``backend`` (see the module docstring).

    ``penalties`` (else the problem's own) fixes weights and says which constraints
    are ``auto``; ``tune`` names constraint labels to tune regardless (e.g. all of
    them). ``start`` gives starting weights by group or label (default: the static
    bound). Every round solves with ``time_limit`` (per round; ``time_budget`` bounds
    all rounds together) and backend ``options`` as the final solve would, all rounds with one seed derived from ``seed`` (common random numbers
    make rounds comparable), so a seeded calibration without a time limit or budget is
    reproducible.
    """
    # Imported here: qanneal.solve imports this module lazily, for solve(penalties='auto').
    from qanneal.solve import (
        evaluate_answer,
        onehot_groups_for,
        pick_best,
        polish_kept,
        run_backend,
    )

    instance = get_backend(backend) if isinstance(backend, str) else backend
    if instance.consumes != "bqm":
        raise InputError(f"backend {instance.name!r} consumes a {instance.consumes.upper()}, "
                         "not penalties; calibrate with a BQM backend such as sa",
                         field="penalties")
    if max_rounds < 1:
        raise InputError(f"max_rounds must be at least 1, got {max_rounds}", field="max_rounds")
    spec = problem.penalties if penalties is None else penalties
    base = problem.penalty_weights(spec)  # fixed weights, and the bound for the others
    labels = list(tune) if tune is not None else auto_labels(spec, base)
    unknown = [label for label in labels if label not in base]
    if unknown:
        raise InputError(f"no constraint named {unknown[0]!r}", field="penalties")
    # Rounds run as the final solve will: constraints the backend keeps satisfied by its
    # own moves (anneal's one-hot groups) get no penalty there, so none to tune here.
    own_groups = onehot_groups_for(problem, instance, options)
    exclude = set(own_groups.labels) if own_groups else set()
    labels = [label for label in labels if label not in exclude]
    groups = group_labels(labels)
    if not groups:
        return Calibration(weights=base, group_weights={}, stopped="nothing to tune")
    weight = {g: _start_weight(g, members, base, start) for g, members in groups.items()}
    too_weak = dict.fromkeys(groups, 0.0)         # largest weight seen violated too often
    strong_enough = dict.fromkeys(groups, math.inf)  # smallest weight seen good enough
    round_seed = derive_seeds(seed, 1)[0]
    began = time.perf_counter()
    trace: list[dict[str, Any]] = []
    round_weights: list[dict[str, float]] = []
    best: dict[str, Any] = {"key": None, "round": 0, "weights": dict(base),
                            "answer": None, "answer_round": None}

    def run_round(tuned: Mapping[str, float], phase: str) -> dict[str, float]:
        weights = dict(base)
        for g, members in groups.items():
            weights.update(dict.fromkeys(members, tuned[g]))
        round_start = time.perf_counter()
        # The final solve's BQM (its direct builder if any; unbalanced inequalities keep
        # their l1, calibration tunes their weight, l2).
        bqm, _ = problem.to_bqm(weights, exclude=exclude)
        raw = run_backend(instance, bqm, seed=round_seed, time_limit=time_limit, **options,
                          **({"onehot_groups": own_groups} if own_groups else {}))
        if polish_samples and raw.sampleset is not None:
            raw.sampleset = polish_kept(problem, bqm, weights, own_groups, raw.sampleset)
        rates = group_violation_rates(problem.cqm, raw.sampleset, groups)
        evaluations, _ = evaluate_answer(problem, raw)
        num = sum(ev.occurrences for ev in evaluations)
        feasible_rate = sum(ev.occurrences for ev in evaluations if ev.feasible) / max(num, 1)
        top = pick_best(problem, evaluations)
        objective = (top.objective if top is not None and top.feasible
                     and not math.isnan(top.objective) else None)
        if objective is not None and pick_best(
                problem, [a for a in (best["answer"], top) if a is not None]) is top:
            best.update(answer=top, answer_round=len(trace))
        trace.append({
            "round": len(trace), "phase": phase,
            "weights": weights_by_group(weights),
            "feasible_rate": feasible_rate, "best_objective": objective,
            "violation_rates": rates, "num_samples": num,
            "time_limit": time_limit, "seconds": time.perf_counter() - round_start,
        })
        round_weights.append(weights)
        key = _round_key(problem, feasible_rate, objective, min_feasible)
        if best["key"] is None or key > best["key"]:
            best.update(key=key, round=len(trace) - 1, weights=weights)
        if raw.info.get("status") == "interrupted":  # Ctrl-C: this round counts, no more
            raise KeyboardInterrupt
        return rates

    def out_of_time() -> bool:
        r = len(trace)
        if time_budget is None or not r:
            return False
        return (time.perf_counter() - began) * (r + 1) / r > time_budget

    # Phase 1, per group: bracket each weight between the largest seen too weak and the
    # smallest seen strong enough; raise, probe lower, or bisect.
    stopped = "max_rounds"
    # Ctrl-C/SIGTERM (in a round, or between them) ends the search: the rounds so far
    # are kept and reported, and the caller knows (Calibration.interrupted).
    try:
        while len(trace) < max_rounds:
            if out_of_time():
                stopped = "time_budget"
                break
            rates = run_round(weight, "bracket")
            settled = True
            for g in groups:
                w = weight[g]
                if rates[g] > max_violation:
                    too_weak[g] = w
                    if strong_enough[g] <= w:  # other groups moved: old evidence is stale
                        strong_enough[g] = math.inf
                else:
                    strong_enough[g] = w
                    if too_weak[g] >= w:
                        too_weak[g] = 0.0
                lo, hi = too_weak[g], strong_enough[g]
                if math.isinf(hi):  # raise in proportion to how often it is violated
                    weight[g] = lo * min(4.0, max(1.5, 1.0 + 3.0 * rates[g]))
                    settled = False
                elif lo == 0.0:  # never too weak yet: probe lower
                    weight[g] = hi / 2.0
                    settled = False
                elif hi / lo > BRACKET_RATIO:
                    weight[g] = math.sqrt(lo * hi)
                    settled = False
                else:
                    weight[g] = hi
            if settled:
                stopped = "converged"
                break
            if len(trace) - 1 - best["round"] >= patience:
                stopped = "no improvement"
                break
        # Phase 2, all tuned groups together: double the best weights while that keeps the
        # best objective and raises the feasible rate (a weight just strong enough leaves
        # some samples infeasible; a little more often costs nothing in objective).
        for _ in range(SCALE_ROUNDS):
            if len(trace) >= max_rounds or out_of_time():
                break
            before = best["round"]
            kept = best["weights"]
            run_round({g: 2.0 * kept[members[0]] for g, members in groups.items()}, "scale")
            if best["round"] == before:
                break
    except KeyboardInterrupt:  # SolveInterrupted (no answer) is one too
        stopped = "interrupted"
        del trace[len(round_weights):]  # a round cut between its two records
        if not trace:
            return Calibration(weights=dict(base), group_weights={}, stopped=stopped,
                               seconds=time.perf_counter() - began)
    seconds = time.perf_counter() - began
    kept = _pick_round(problem, trace)
    weights = round_weights[kept]
    return Calibration(
        weights=weights,
        group_weights={g: weights[members[0]] for g, members in groups.items()},
        trace=trace, best_round=kept, stopped=stopped,
        num_samples=sum(t["num_samples"] for t in trace), seconds=seconds,
        best_answer=best["answer"], best_answer_round=best["answer_round"])


def _start_weight(group: str, members: list[str], base: Mapping[str, float],
                  start: Mapping[str, float] | None) -> float:
    if start:
        for key in (group, *members):
            if key in start:
                value = float(start[key])
                if not math.isfinite(value) or value <= 0:
                    raise InputError(f"starting weight must be positive, got {value!r}",
                                     field=f"penalties.{key}")
                return value
    # One weight per group: the group's largest bound keeps every member's guarantee.
    return max(base[label] for label in members)


def _pick_round(problem: Problem, trace: list[dict[str, Any]]) -> int:
    """The round whose weights are kept (see the module docstring): feasibility first.

    >>> from types import SimpleNamespace
    >>> rounds = [{"feasible_rate": 1.0, "best_objective": 12.0},
    ...           {"feasible_rate": 0.86, "best_objective": 10.0},
    ...           {"feasible_rate": 1.0, "best_objective": 11.0}]
    >>> _pick_round(SimpleNamespace(sense="min"), rounds)
    2
    """
    found = [t for t in range(len(trace)) if trace[t]["best_objective"] is not None]
    if not found:
        return max(range(len(trace)), key=lambda t: (trace[t]["feasible_rate"], -t))
    top = max(trace[t]["feasible_rate"] for t in found)
    close = [t for t in found if trace[t]["feasible_rate"] >= top - FEASIBLE_TOLERANCE]
    sign = -1.0 if problem.sense == "min" else 1.0
    return max(close, key=lambda t: (sign * trace[t]["best_objective"],
                                     trace[t]["feasible_rate"], -t))


def _round_key(problem: Problem, feasible_rate: float, objective: float | None,
               min_feasible: float) -> tuple:
    """Larger is better: enough feasible samples, then objective, then feasible rate."""
    if objective is None:
        return (False, False, -math.inf, feasible_rate)
    signed = -objective if problem.sense == "min" else objective
    if feasible_rate < min_feasible:
        return (False, True, feasible_rate, signed)
    return (True, True, signed, feasible_rate)


# ---------------------------------------------------------------------- write-back
def fixed_labels(spec: PenaltySpec, labels: Collection[Hashable]) -> list[str]:
    """The constraint labels ``spec`` gives a number (fixed weights).

    >>> fixed_labels({"one_start": 40, "precedence": "auto"}, ["one_start[0]", "precedence[1]"])
    ['one_start[0]']
    """
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return [str(label) for label in labels]
    if not isinstance(spec, Mapping):
        return []
    return [str(label) for label in labels
            if isinstance(_lookup_override(spec, label), (int, float))]


def round_weight(weight: float, digits: int = 4) -> float | int:
    """A weight rounded to ``digits`` significant digits, for a problem file.

    >>> round_weight(39.97312), round_weight(12.0), round_weight(0.0123456)
    (39.97, 12, 0.01235)
    """
    value = float(f"{weight:.{digits}g}")
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def set_penalties_block(text: str, penalties: Mapping[str, float],
                        comment: str | None = None) -> str:
    """``text`` (a YAML problem file) with its top-level ``penalties:`` replaced.

    A text edit, not a YAML round trip, so the rest of the file (comments, order,
    layout) stays as it was; the block is appended when the file has none. The result
    is parsed again and must differ from the original in ``penalties`` only.

    >>> src = "# my problem\\nproblem: tsp\\npenalties: auto   # tune me\\nseed: 3\\n"
    >>> print(set_penalties_block(src, {"one_city": 40, "one_slot": 12.5}), end="")
    # my problem
    problem: tsp
    penalties:
      one_city: 40
      one_slot: 12.5
    seed: 3
    """
    import re

    import yaml

    head = "penalties:" + (f"  # {comment}" if comment else "") + "\n"
    body = "".join("  " + yaml.safe_dump({str(k): v}, default_flow_style=False,
                                         allow_unicode=True).strip() + "\n"
                   for k, v in penalties.items())
    block = head + body
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"penalties\s*:", line)), None)
    if start is None:
        new = text + ("" if not text or text.endswith("\n") else "\n") + block
    else:
        end = start + 1
        # The block goes on over indented lines (and blank lines inside it).
        while end < len(lines):
            line = lines[end]
            if line.strip() and not line[0].isspace():
                break
            if not line.strip():
                ahead = next((x for x in lines[end:] if x.strip()), "")
                if not ahead or not ahead[0].isspace():
                    break
            end += 1
        new = "".join(lines[:start]) + block + "".join(lines[end:])
    before, after = yaml.safe_load(text) or {}, yaml.safe_load(new) or {}
    before = dict(before) if isinstance(before, dict) else {}
    before.pop("penalties", None)
    check = dict(after)
    if check.pop("penalties", None) != dict(penalties) or check != before:
        raise InputError("could not rewrite the penalties: block safely; edit the file by "
                         "hand", field="penalties")
    return new
