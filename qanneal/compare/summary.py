"""From run rows to the summary: targets, and one row of metrics per problem x backend.

Inputs are plain data: run rows (``Result.to_dict()`` plus ``problem_index``,
``repeat``, ``wall_s``, ``status``, ``error``), one dict per problem (``name``,
``sense``, ``known_optimum`` ...) and one per backend (``name``, ``available``,
``reason``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from qanneal.compare import metrics
from qanneal.compare.runner import ERROR, TIMEOUT

#: Target kinds: a number, the file's ``known_optimum``, the best any run found, or
#: ``auto`` (best-known where the file has one, else best-found).
TARGET_KINDS = ("auto", "best-known", "best-found")


def completed(row: Mapping[str, Any]) -> bool:
    """A run that returned a result (not an error, not stopped)."""
    return row.get("status") not in (ERROR, TIMEOUT)


def verified_objective(row: Mapping[str, Any]) -> float | None:
    """The run's objective if its best answer was verified feasible, else None."""
    if not completed(row) or not row.get("feasible"):
        return None
    value = row.get("objective")
    return None if value is None or _nan(value) else float(value)


def run_time(row: Mapping[str, Any]) -> float | None:
    """Seconds the run spent solving: ``timing.solve_s`` (plus ``calibrate_s``: penalty
    calibration rounds are solves too), shorter for a run stopped early. Building the
    model, compiling kernels and decoding are left out. A run with no timing (stopped
    from outside, dead worker) cost its ``wall_s``.

    >>> run_time({"timing": {"solve_s": 0.5, "calibrate_s": 0.25, "build_s": 9.0}})
    0.75
    >>> run_time({"timing": {}, "wall_s": 12.0})
    12.0
    """
    timing = row.get("timing") or {}
    if _number(timing.get("solve_s")):
        return float(timing["solve_s"]) + float(timing.get("calibrate_s") or 0.0)
    wall = row.get("wall_s")
    return float(wall) if _number(wall) else None


def run_time_to_target(row: Mapping[str, Any], target: float | None, sense: str = "min",
                       rtol: float = metrics.RTOL) -> float | None:
    """When the run first had a verified answer reaching ``target``, on :func:`run_time`'s
    clock; None if its final verified answer does not reach it.

    The first point of ``info.verified_trace`` that reaches the target (after any
    calibration rounds); a run without a curve (older rows) counts its whole run time.

    >>> row = {"status": "ok", "feasible": True, "objective": 46.0,
    ...        "timing": {"solve_s": 5.0}, "info": {"verified_trace": [[0.2, 40.0], [0.8, 46.0]]}}
    >>> run_time_to_target(row, 46.0, "max"), run_time_to_target(row, 47.0, "max")
    (0.8, None)
    >>> run_time_to_target({**row, "info": {}}, 46.0, "max")
    5.0
    """
    if not metrics.reached(verified_objective(row), target, sense, rtol):
        return None
    info = row.get("info") or {}
    hit = metrics.first_hit(info.get("verified_trace"), target, sense, rtol)
    if hit is None:
        return run_time(row)
    return hit + float((row.get("timing") or {}).get("calibrate_s") or 0.0)


def _nan(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, float) and math.isnan(value))


def resolve_targets(problems: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]],
                    target: str | float) -> list[tuple[float | None, str]]:
    """One (value, kind) per problem; value None when no target can be set yet.

    >>> probs = [{"sense": "max", "known_optimum": 46.0}, {"sense": "min", "known_optimum": None}]
    >>> runs = [{"problem_index": 1, "status": "ok", "feasible": True, "objective": 3.0},
    ...         {"problem_index": 1, "status": "ok", "feasible": True, "objective": 2.0}]
    >>> resolve_targets(probs, runs, "auto")
    [(46.0, 'best-known'), (2.0, 'best-found')]
    >>> resolve_targets(probs, runs, 10)
    [(10.0, 'value'), (10.0, 'value')]
    """
    out: list[tuple[float | None, str]] = []
    for index, problem in enumerate(problems):
        if not isinstance(target, str):
            out.append((float(target), "value"))
            continue
        known = problem.get("known_optimum")
        if target == "best-known" or (target == "auto" and known is not None):
            out.append((None if known is None else float(known), "best-known"))
            continue
        found = metrics.best((verified_objective(r) for r in runs
                              if r.get("problem_index") == index), problem.get("sense", "min"))
        out.append((found, "best-found"))
    return out


def annotate_runs(runs: Sequence[Mapping[str, Any]], problems: Sequence[Mapping[str, Any]],
                  targets: Sequence[tuple[float | None, str]], rtol: float = metrics.RTOL
                  ) -> list[dict[str, Any]]:
    """Runs with ``target``, ``gap_to_target``, ``reached_target``, ``time_to_target_s``
    and ``run_time_s`` added."""
    out = []
    for row in runs:
        index = row["problem_index"]
        sense = problems[index].get("sense", "min")
        value, _ = targets[index]
        objective = verified_objective(row)
        out.append({**row, "target": value,
                    "gap_to_target": metrics.relative_gap(objective, value, sense),
                    "reached_target": metrics.reached(objective, value, sense, rtol),
                    "time_to_target_s": run_time_to_target(row, value, sense, rtol),
                    "run_time_s": run_time(row)})
    return out


def reported_times(info: Mapping[str, Any]) -> dict[str, float]:
    """Backend-reported timings from ``Result.info`` (e.g. QPU access time), flattened.

    Keys containing ``time`` or ``timing`` or ending in ``_s``/``_ms``/``_us``, with a
    number or a mapping of numbers.

    >>> reported_times({"qpu_timing_us": {"qpu_access_time": 15.2}, "status": "ok",
    ...                 "solver_wall_s": 0.5, "batches": 3, "attempts_per_s": 4e7})
    {'qpu_timing_us.qpu_access_time': 15.2, 'solver_wall_s': 0.5}
    """
    out: dict[str, float] = {}
    for key, value in info.items():
        if not _timing_key(str(key)):
            continue
        if isinstance(value, Mapping):
            for sub, v in value.items():
                if _number(v):
                    out[f"{key}.{sub}"] = float(v)
        elif _number(value):
            out[str(key)] = float(value)
    return out


#: Times qanneal itself records in ``info`` (not the backend's): summarised elsewhere.
OWN_TIMES = frozenset({"stop_reached_s", "backend_start_s"})


def _timing_key(key: str) -> bool:
    if key in OWN_TIMES:
        return False
    key = key.lower()
    if "per_s" in key or "per_second" in key:  # a rate (attempts_per_s), not a time
        return False
    return "time" in key or "timing" in key or key.endswith(("_s", "_ms", "_us"))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def summarise(runs: Sequence[Mapping[str, Any]], problems: Sequence[Mapping[str, Any]],
              backends: Sequence[Mapping[str, Any]], targets: Sequence[tuple[float | None, str]],
              planned: Mapping[tuple[int, str], int], rtol: float = metrics.RTOL,
              confidence: float = 0.99) -> list[dict[str, Any]]:
    """One row per problem x backend (unavailable backends included, with the reason).

    p_s, time to target and TTS count every run that was not an error (a run stopped
    at its deadline is a failure that cost its time); errors are counted apart.
    ``time_to_target_s``: median over the runs that reached the target of when each
    first had a verified answer reaching it (:func:`run_time_to_target`). ``t_run_s``:
    mean time the runs took (:func:`run_time`). ``tts99_s``: ``t_run_s`` ·
    ln(1 − confidence) / ln(1 − p_s), at least ``t_run_s``.
    """
    rows = []
    for index, problem in enumerate(problems):
        sense = problem.get("sense", "min")
        value, kind = targets[index]
        for backend in backends:
            name = backend["name"]
            mine = [r for r in runs if r.get("problem_index") == index and r.get("backend") == name]
            rows.append(_summary_row(problem, index, backend, mine, sense, value, kind,
                                     planned.get((index, name), 0), rtol, confidence))
    return rows


def _summary_row(problem: Mapping[str, Any], index: int, backend: Mapping[str, Any],
                 mine: Sequence[Mapping[str, Any]], sense: str, target: float | None,
                 kind: str, planned: int, rtol: float, confidence: float) -> dict[str, Any]:
    counted = [r for r in mine if r.get("status") != ERROR]
    done = [r for r in mine if completed(r)]
    objectives = [verified_objective(r) for r in counted]
    walls = [float(r.get("wall_s") or 0.0) for r in counted]
    hits = [metrics.reached(o, target, sense, rtol) for o in objectives]
    p_s = metrics.success_probability(objectives, target, sense, rtol) if target is not None \
        else None
    # TTS charges each run the time it actually took (shorter when stopped early).
    t_run = metrics.mean(run_time(r) for r in counted)
    to_target = [run_time_to_target(r, target, sense, rtol) for r in counted]
    # A run without a feasible answer is infinitely far from the target.
    gaps = [None if target is None else
            math.inf if o is None else metrics.relative_gap(o, target, sense)
            for o in objectives]
    milp_gaps = [float(r["info"]["gap"]) for r in done
                 if _number((r.get("info") or {}).get("gap"))]
    reported: dict[str, list[float]] = {}
    for r in done:
        for key, v in reported_times(r.get("info") or {}).items():
            reported.setdefault(key, []).append(v)
    errors = [r.get("error") for r in mine if r.get("status") == ERROR]
    statuses: dict[str, int] = {}
    for r in mine:
        statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
    return {
        "problem_index": index,
        "problem": problem.get("name"),
        "kind": problem.get("kind"),
        "file": problem.get("file"),
        "backend": backend["name"],
        "available": bool(backend.get("available", True)),
        "reason": backend.get("reason") or "",
        "sense": sense,
        "target": target,
        "target_kind": kind,
        "planned": planned,
        "runs": len(mine),
        "completed": len(done),
        "errors": len(errors),
        "timeouts": sum(r.get("status") == TIMEOUT for r in mine),
        "missing": max(0, planned - len(mine)),
        "statuses": statuses,
        "best": metrics.best(objectives, sense),
        "median": metrics.median(objectives),
        "worst": metrics.worst(objectives, sense),
        "feasible_runs": (sum(o is not None for o in objectives) / len(objectives)
                          if objectives else None),
        "feasible_samples": metrics.rate((r.get("num_feasible", 0) for r in done),
                                         (r.get("num_samples", 0) for r in done)),
        "p_success": p_s,
        "time_to_target_s": metrics.time_to_target(to_target, hits),
        "tts99_s": metrics.tts(t_run, p_s, confidence),
        "t_run_s": t_run,
        "stopped_early": sum("stop_reached_s" in (r.get("info") or {}) for r in done),
        "wall_median_s": metrics.median(walls),
        "wall_p25_s": metrics.quantile(walls, 0.25),
        "wall_p75_s": metrics.quantile(walls, 0.75),
        "wall_min_s": min(walls) if walls else None,
        "wall_max_s": max(walls) if walls else None,
        "gap_best": metrics.best(gaps, "min"),
        "gap_median": metrics.median(gaps),
        "milp_gap_median": metrics.median(milp_gaps),
        "reported": {k: metrics.median(v) for k, v in sorted(reported.items())},
        "error": errors[0] if errors else None,
    }


def missing_runs(planned: Sequence[tuple[int, str, int]], runs: Sequence[Mapping[str, Any]]
                 ) -> list[tuple[int, str, int]]:
    """Planned (problem index, backend, repeat) triples with no row yet.

    >>> missing_runs([(0, "sa", 0), (0, "sa", 1)], [{"problem_index": 0, "backend": "sa",
    ...                                               "repeat": 1}])
    [(0, 'sa', 0)]
    """
    seen = {(r["problem_index"], r["backend"], r["repeat"]) for r in runs}
    return [key for key in planned if key not in seen]
