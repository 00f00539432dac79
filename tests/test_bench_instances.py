"""The benchmark suite's instance loaders and harness (benchmarks/instances.py, run.py).

Loader checks against the shared benchmark files are skipped when ../shared/bench is
absent; the harness test runs on a small generated instance and needs nothing shared.
"""

from __future__ import annotations

import doctest
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import instances  # noqa: E402
import run  # noqa: E402
from instances import (  # noqa: E402
    DEFAULT_BENCH_DIR,
    beasley_value,
    generated_instance,
    load_instance,
    read_beasley,
    read_best_known,
    read_solution,
)

from qanneal.errors import InputError  # noqa: E402

shared = pytest.mark.skipif(not (DEFAULT_BENCH_DIR / "MANIFEST.md").exists(),
                            reason="shared benchmark files (../shared/bench) not present")


def test_doctests() -> None:
    for module in (instances, run):
        assert doctest.testmod(module).failed == 0


# ------------------------------------------------------------------ Beasley convention
def test_beasley_convention_on_a_handmade_file(tmp_path: Path) -> None:
    # maximise sum_{i,j} q_ij x_i x_j, symmetric q given as its upper triangle:
    # off-diagonal entries count twice, diagonal ones once.
    f = tmp_path / "tiny.txt"
    f.write_text("3 4\n1 1 5\n2 2 -1\n1 2 -4\n2 3 3\n")
    bqm = read_beasley(f)
    q = np.array([[5, -4, 0], [-4, -1, 3], [0, 3, 0]], dtype=float)
    for bits in range(8):
        x = np.array([(bits >> k) & 1 for k in range(3)])
        assert beasley_value(bqm, x) == float(x @ q @ x)
    assert max(beasley_value(bqm, [(b >> k) & 1 for k in range(3)]) for b in range(8)) == 5.0


@pytest.mark.parametrize("text, message", [
    ("2 2\n1 2 3\n2 1 4\n", "repeats line 2"),
    ("2 3\n1 2 3\n", "header says 3 entries"),
    ("2 1\n1 3 1\n", "j"),
    ("", "empty file"),
])
def test_beasley_bad_input_is_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        read_beasley(f)


@shared
def test_bqp_loader_reproduces_every_witness() -> None:
    best = read_best_known(DEFAULT_BENCH_DIR / "bqp" / "best_known.csv", "best_known_max")
    witnesses = sorted((DEFAULT_BENCH_DIR / "bqp" / "witness").glob("*.sol"))
    assert len(witnesses) == 40
    for sol in witnesses:
        inst = load_instance(sol.stem)
        x = read_solution(sol)
        assert len(x) == inst.bqm.num_variables
        value = beasley_value(inst.bqm, x)
        assert value == best[sol.stem] == inst.best_known, sol.stem
        # the independent checker (file entries, not the BQM) agrees
        assert inst.check(np.array([x[v] for v in inst.bqm.variables])) == value
    assert load_instance("bqp500-2").best_known == 128339  # MANIFEST: witness beats source


@shared
def test_gset_loader_edge_count_and_witness_cuts() -> None:
    g1 = load_instance("G1")
    assert g1.bqm.num_variables == 800 and g1.meta["edges"] == 19176
    assert g1.best_known == 11624
    for name, cut in (("G1", 11624), ("G5", 11631), ("G6", 2178)):  # G6: +-1 weights
        inst = load_instance(name)
        x = read_solution(DEFAULT_BENCH_DIR / "gset" / "witness" / f"{name}.sol")
        sample = np.array([x[v] for v in inst.bqm.variables])
        assert inst.check(sample) == cut
        assert -inst.bqm.energy(dict(zip(inst.bqm.variables, sample))) == cut


def test_unknown_instance_names_the_families(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown instance 'nope'"):
        load_instance("nope", tmp_path)


# ------------------------------------------------------------------ harness
def test_derived_seeds_are_reproducible_and_distinct() -> None:
    seeds = [run.derived_seed(0, "G1", k, c) for k in range(3) for c in range(3)]
    assert len(set(seeds)) == 9 and all(0 <= s < 2**31 for s in seeds)
    assert seeds[0] == run.derived_seed(0, "G1", 0, 0) != run.derived_seed(1, "G1", 0, 0)


def test_harness_on_a_generated_instance(tmp_path: Path) -> None:
    inst = generated_instance(14, seed=3)
    optimum = inst.best_known
    out = tmp_path / "runs.jsonl"
    solvers = ["dwave-sa", "tabu", "anneal-sa", "milp-highs"]
    run.suite([inst], solvers, [0.05, 0.2], 2, out, command="test", log=open("/dev/null", "w"))
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert recs[0]["type"] == "header" and recs[-1]["type"] == "footer"
    runs = [r for r in recs if r["type"] in ("run", "milp")]
    assert {r["solver"] for r in runs} == set(solvers)
    assert len(runs) == 2 * len(solvers)
    for r in runs:
        assert r["verified"] is True
        times = [t for t, _ in r["events"]]
        values = [v for _, v in r["events"]]
        assert times == sorted(times) and values == sorted(values)  # max: improving
        assert r["best"] == values[-1] <= optimum
        if r["type"] == "run":
            assert r["solver_time"] >= 0.2 and r["reads"] >= r["calls"] >= 1
            assert r["hits_near"] >= r["hits_best"]
            assert 0 <= run.p_success(r, "best") <= 1
    # a 14-node max-cut is easy: the annealers and the MILP all prove or find the optimum
    for r in runs:
        if r["solver"] in ("dwave-sa", "anneal-sa", "milp-highs"):
            assert r["best"] == optimum
            assert run.time_to(r, optimum) <= (0.2 if r["type"] == "run" else 60)
    md = tmp_path / "BENCH.md"
    md.write_text("# Notes kept by hand\n\nintro\n")
    run.write_report([out], md)
    run.write_report([out], md)  # regenerating replaces the block, keeps the notes
    text = md.read_text()
    assert text.startswith("# Notes kept by hand\n\nintro\n")
    assert text.count(run.MARK_BEGIN) == 1 and text.count(run.MARK_END) == 1
    assert "Time to the best-known value" in text and inst.name in text
    assert "0 mismatches" in text


def test_report_metrics_on_handmade_records() -> None:
    rec = {"type": "run", "sense": "max", "events": [[0.1, 5.0], [0.7, 9.0], [3.0, 10.0]],
           "reads": 10, "hits_best": 1, "hits_near": 2, "solver_time": 4.0}
    assert run.best_at(rec, 0.5) == 5.0 and run.best_at(rec, 2.0) == 9.0
    assert run.best_at(rec, 0.05) is None
    assert run.time_to(rec, 10.0) == 3.0 and math.isinf(run.time_to(rec, 11.0))
    assert run.p_success(rec, "best") == 0.1
    assert run.tts99(rec, "best") == pytest.approx(0.4 * math.log(0.01) / math.log(0.9))
    recs = [rec, {**rec, "events": [[1.0, 10.0]]}, {**rec, "events": []}]
    assert run.ttt_median(recs, 10.0) == (3.0, 2)
