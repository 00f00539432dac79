"""Comparison metrics against hand-computed values: p_s, TTS99, time to target, gaps."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qanneal.compare import metrics
from qanneal.compare.summary import annotate_runs, resolve_targets, summarise


def test_tts99_hand_computed():
    # TTS99 = t_run * ln(0.01) / ln(1 - p_s)
    assert metrics.tts(2.0, 0.5) == pytest.approx(2.0 * math.log(0.01) / math.log(0.5))
    assert metrics.tts(2.0, 0.5) == pytest.approx(13.28771237954945)
    assert metrics.tts(0.1, 0.2) == pytest.approx(0.1 * 20.637702317032343)  # ln .01 / ln .8
    assert metrics.tts(0.3, 0.9) == pytest.approx(0.6)  # ln .01 / ln .1 = 2 exactly
    assert metrics.tts(0.3, 1.0) == 0.3
    assert metrics.tts(0.3, 0.0) == math.inf
    assert metrics.tts(0.3, 0.999) == 0.3  # never less than one run
    assert metrics.tts(1.0, 0.5, confidence=0.9) == pytest.approx(math.log(0.1) / math.log(0.5))
    assert metrics.tts(None, 0.5) is None and metrics.tts(1.0, None) is None


def test_success_probability_respects_sense_and_tolerance():
    assert metrics.success_probability([46, 46, 45, 47, None], 46, "max") == pytest.approx(0.6)
    assert metrics.success_probability([46, 46, 45, 47, None], 46, "min") == pytest.approx(0.6)
    # Relative tolerance: 1e-9 of max(|target|, 1).
    assert metrics.success_probability([100.00000001, 100.1], 100.0, "min") == 0.5
    assert metrics.success_probability([100.00000001], 100.0, "min", rtol=0.0) == 0.0
    assert metrics.success_probability([1e-12], 0.0, "min") == 1.0
    assert metrics.success_probability([], 1.0) is None


def test_gap_time_to_target_rates():
    assert metrics.relative_gap(40.0, 50.0, "max") == pytest.approx(0.2)
    assert metrics.relative_gap(55.0, 50.0, "max") == pytest.approx(-0.1)
    assert metrics.relative_gap(60.0, 50.0, "min") == pytest.approx(0.2)
    assert metrics.time_to_target([0.5, 0.1, 0.2], [True, False, True]) == pytest.approx(0.35)
    assert metrics.rate([3, 0, 5], [10, 10, 20]) == pytest.approx(0.2)
    assert metrics.quantile([1, 2, 3, 4, 5], 0.75) == 4
    assert metrics.quality_profile([0.0, 0.1, 0.3, None], [0.0, 0.1, 1.0]) == [0.25, 0.5, 0.75]


@given(st.floats(0.001, 100), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_tts_monotone_and_at_least_one_run(t_run, p1, p2):
    lo, hi = sorted((p1, p2))
    assert metrics.tts(t_run, hi) <= metrics.tts(t_run, lo)
    assert metrics.tts(t_run, hi) >= t_run


def _run(index, backend, repeat, objective, feasible=True, wall=1.0, status="ok", **extra):
    return {"problem_index": index, "backend": backend, "repeat": repeat, "status": status,
            "objective": objective, "feasible": feasible, "wall_s": wall,
            "num_samples": 10, "num_feasible": 10 if feasible else 0, "info": {}, **extra}


def test_summary_known_values():
    problems = [{"name": "p", "sense": "max", "known_optimum": 10.0}]
    backends = [{"name": "a", "available": True}, {"name": "b", "available": True},
                {"name": "c", "available": False, "reason": "no token"}]
    runs = [
        _run(0, "a", 0, 10.0, wall=1.0),
        _run(0, "a", 1, 9.0, wall=3.0),
        _run(0, "a", 2, 10.0, wall=2.0),
        _run(0, "a", 3, None, feasible=False, wall=4.0),
        _run(0, "b", 0, None, status="error", error="RuntimeError: boom", wall=0.1),
        _run(0, "b", 1, None, status="timeout", wall=5.0),
        _run(0, "b", 2, 8.0, wall=1.0, info={"gap": 0.25, "qpu_timing_us": {"qpu_access_time": 7}}),
    ]
    targets = resolve_targets(problems, runs, "auto")
    assert targets == [(10.0, "best-known")]
    planned = {(0, "a"): 4, (0, "b"): 4, (0, "c"): 0}
    a, b, c = summarise(runs, problems, backends, targets, planned)
    assert (a["best"], a["median"], a["worst"]) == (10.0, 10.0, 9.0)
    assert a["p_success"] == pytest.approx(0.5)
    assert a["wall_median_s"] == pytest.approx(2.5)
    assert a["tts99_s"] == pytest.approx(2.5 * math.log(0.01) / math.log(0.5))
    assert a["time_to_target_s"] == pytest.approx(1.5)  # runs 0 and 2
    assert a["feasible_runs"] == pytest.approx(0.75)
    assert a["feasible_samples"] == pytest.approx(30 / 40)
    assert a["gap_median"] == pytest.approx(0.05)  # 0, 0, 0.1, inf
    # b: the error is counted apart; the timeout counts as a failure that cost its time.
    assert (b["errors"], b["timeouts"], b["runs"], b["missing"]) == (1, 1, 3, 1)
    assert b["error"] == "RuntimeError: boom"
    assert b["p_success"] == 0.0 and b["tts99_s"] == math.inf
    assert b["wall_median_s"] == pytest.approx(3.0)
    assert b["milp_gap_median"] == pytest.approx(0.25)
    assert b["reported"] == {"qpu_timing_us.qpu_access_time": 7.0}
    assert not c["available"] and c["reason"] == "no token" and c["runs"] == 0

    best_found = resolve_targets(problems, runs, "best-found")
    assert best_found == [(10.0, "best-found")]
    assert resolve_targets(problems, runs, 9) == [(9.0, "value")]
    annotated = annotate_runs(runs, problems, resolve_targets(problems, runs, 9.0))
    assert [r["reached_target"] for r in annotated] == [True, True, True, False, False, False,
                                                        False]


def test_best_found_ignores_infeasible_and_errors():
    problems = [{"name": "p", "sense": "min", "known_optimum": None}]
    runs = [_run(0, "a", 0, -100.0, feasible=False), _run(0, "a", 1, -5.0),
            _run(0, "a", 2, -7.0, status="error")]
    assert resolve_targets(problems, runs, "auto") == [(-5.0, "best-found")]
    assert resolve_targets(problems, [], "auto") == [(None, "best-found")]
