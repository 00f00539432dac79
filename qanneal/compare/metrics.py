"""Benchmark metrics as plain functions over plain numbers.

Every function takes the problem's ``sense`` (``"min"`` or ``"max"``) where it matters,
so "better" and "reached" always mean the same thing as the problem's own objective.
``None`` stands for a run with no verified feasible answer.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

#: Default relative tolerance for "reached the target".
RTOL = 1e-9


def reached(objective: float | None, target: float | None, sense: str = "min",
            rtol: float = RTOL) -> bool:
    """Whether ``objective`` is at least as good as ``target``, within ``rtol``.

    The tolerance is relative to ``max(|target|, 1)``, so a target of 0 still allows
    floating-point noise.

    >>> reached(46.0, 46.0, "max"), reached(45.9, 46.0, "max"), reached(47.0, 46.0, "max")
    (True, False, True)
    >>> reached(10.000000001, 10.0, "min"), reached(None, 10.0)
    (True, False)
    """
    if objective is None or target is None or math.isnan(objective) or math.isnan(target):
        return False
    tol = rtol * max(abs(target), 1.0)
    return objective <= target + tol if sense == "min" else objective >= target - tol


def relative_gap(objective: float | None, target: float | None,
                 sense: str = "min") -> float | None:
    """Relative distance from ``target``: 0 at the target, positive when worse.

    Scaled by ``|target|`` (like ``Result.gap``); negative means better than the target.

    >>> relative_gap(45.0, 50.0, "max"), relative_gap(110.0, 100.0, "min")
    (0.1, 0.1)
    >>> relative_gap(None, 1.0) is None
    True
    """
    if objective is None or target is None or math.isnan(objective):
        return None
    diff = objective - target if sense == "min" else target - objective
    return diff / max(abs(target), 1e-12)


def success_probability(objectives: Sequence[float | None], target: float | None,
                        sense: str = "min", rtol: float = RTOL) -> float | None:
    """p_s: the fraction of runs whose verified objective reaches ``target``.

    Runs without a feasible answer (``None``) count as failures; no runs gives None.

    >>> success_probability([46, 46, 44, None], 46, "max")
    0.5
    >>> success_probability([], 1.0) is None
    True
    """
    if not objectives:
        return None
    return sum(reached(o, target, sense, rtol) for o in objectives) / len(objectives)


def tts(t_run: float | None, p_success: float | None, confidence: float = 0.99) -> float | None:
    """Time to solution: expected time to reach the target with ``confidence`` (TTS99).

    ``t_run * ln(1 - confidence) / ln(1 - p_s)``, at least one run (``t_run``) — so
    ``p_s = 1`` gives ``t_run`` and a ``p_s`` above the confidence never claims less
    than one run's time; ``p_s = 0`` gives infinity. ``compare`` passes the mean time
    the runs actually took (shorter for runs stopped early at a proven optimum).

    >>> round(tts(2.0, 0.5), 4)   # 2 s * ln(0.01) / ln(0.5)
    13.2877
    >>> tts(2.0, 1.0), tts(2.0, 0.0), tts(2.0, 0.995)
    (2.0, inf, 2.0)
    """
    if t_run is None or p_success is None:
        return None
    if p_success <= 0:
        return math.inf
    if p_success >= 1:
        return t_run
    denominator = math.log1p(-p_success)
    if denominator == 0.0:  # p_s so small that 1 - p_s rounds to 1
        return math.inf
    repeats = math.log1p(-confidence) / denominator
    return t_run * max(1.0, repeats)


def threshold(target: float, sense: str = "min", rtol: float = RTOL) -> float:
    """The worst objective that still reaches ``target`` (:func:`reached`'s tolerance
    applied): what a run may stop at.

    >>> threshold(46.0, "max", 0.01), threshold(10.0, "min", 0.0)
    (45.54, 10.0)
    >>> all(reached(threshold(t, s, 1e-3), t, s, 1e-3) for t in (-5.0, 0.0, 7.0)
    ...     for s in ("min", "max"))
    True
    """
    tol = rtol * max(abs(target), 1.0)
    return target + tol if sense == "min" else target - tol


def first_hit(curve: Sequence[Sequence[float]] | None, target: float | None,
              sense: str = "min", rtol: float = RTOL) -> float | None:
    """When an anytime curve ``[[seconds, objective], ...]`` first reaches ``target``.

    The curve is a run's ``info["verified_trace"]``: verified feasible objectives only.
    None when it never reaches the target (or there is no curve).

    >>> curve = [[0.1, 30.0], [0.8, 44.0], [2.3, 46.0]]
    >>> first_hit(curve, 46, "max"), first_hit(curve, 40, "max"), first_hit(curve, 50, "max")
    (2.3, 0.8, None)
    >>> first_hit([], 1.0) is None, first_hit(None, 1.0) is None
    (True, True)
    """
    for seconds, objective in curve or ():
        if reached(objective, target, sense, rtol):
            return float(seconds)
    return None


def mean(values: Iterable[float | None]) -> float | None:
    """Mean ignoring None/NaN (None when empty).

    >>> mean([1.0, None, 2.0]), mean([])
    (1.5, None)
    """
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return sum(vals) / len(vals) if vals else None


def time_to_target(times: Sequence[float | None], hits: Sequence[bool]) -> float | None:
    """Median of the runs' times to target, over the runs that reached it (None when
    none did). ``times[i]`` is run i's own time to target (:func:`first_hit`).

    >>> time_to_target([1.0, 2.0, 3.0, 9.0], [True, False, True, True])
    3.0
    >>> time_to_target([1.0], [False]) is None
    True
    """
    chosen = [t for t, hit in zip(times, hits) if hit and t is not None]
    return statistics.median(chosen) if chosen else None


def rate(numerators: Iterable[int | float], denominators: Iterable[int | float]) -> float | None:
    """``sum(numerators) / sum(denominators)``, None when nothing was counted.

    Used for the sample feasibility rate (``num_feasible / num_samples`` summed over runs).

    >>> rate([5, 10], [10, 10])
    0.75
    >>> rate([], []) is None
    True
    """
    den = sum(denominators)
    return sum(numerators) / den if den else None


def best(values: Iterable[float | None], sense: str = "min") -> float | None:
    """Best value in the problem's sense, ignoring None/NaN.

    >>> best([3, None, 5], "max"), best([3, None, 5], "min"), best([None])
    (5, 3, None)
    """
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return None
    return max(vals) if sense == "max" else min(vals)


def worst(values: Iterable[float | None], sense: str = "min") -> float | None:
    """Worst value in the problem's sense, ignoring None/NaN.

    >>> worst([3, None, 5], "max")
    3
    """
    return best(values, "min" if sense == "max" else "max")


def median(values: Iterable[float | None]) -> float | None:
    """Median ignoring None/NaN (None when empty).

    >>> median([1, None, 3, 10]), median([])
    (3, None)
    """
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(vals) if vals else None


def quantile(values: Iterable[float | None], q: float) -> float | None:
    """Linear-interpolated quantile ignoring None/NaN (the same rule as numpy's default).

    >>> quantile([1, 2, 3, 4], 0.25), quantile([7], 0.9), quantile([], 0.5)
    (1.75, 7, None)
    """
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return None
    pos = q * (len(vals) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(vals) - 1)
    if hi == lo:
        return vals[lo]
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def quality_profile(gaps: Sequence[float | None], thresholds: Sequence[float]) -> list[float]:
    """Fraction of problems whose gap is within each threshold (a performance profile).

    ``gaps`` holds one relative gap per problem (None: not solved at all).

    >>> quality_profile([0.0, 0.02, None, 0.2], [0.0, 0.05, 0.5])
    [0.25, 0.5, 0.75]
    """
    if not gaps:
        return [0.0 for _ in thresholds]
    return [sum(g is not None and g <= x + 1e-12 for g in gaps) / len(gaps)
            for x in thresholds]
