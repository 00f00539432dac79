"""``qanneal.compare`` from Python: known answers, targets, files, failing and stuck backends."""

from __future__ import annotations

import csv
import json
import os
import time
import warnings

import dimod
import networkx as nx
import pytest

import qanneal
from qanneal.backends.base import Backend, RawAnswer
from qanneal.compare import CompareInterrupted, Comparison, compare
from qanneal.errors import InputError
from qanneal.problems.maxcut import maxcut_problem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = os.path.join(ROOT, "problems", "maxcut-small.yaml")


def write_maxcut(path, graph, *, known_optimum=None, name=None):
    """A maxcut problem file for ``graph``; returns the path."""
    edges = [[int(u), int(v), float(w)] for u, v, w in graph.edges(data="weight", default=1.0)]
    text = f"problem: maxcut\nname: {name or path.stem}\ndata:\n  edges: {json.dumps(edges)}\n"
    if known_optimum is not None:
        text += f"known_optimum: {known_optimum}\n"
    path.write_text(text)
    return path


def exact_maxcut(graph) -> float:
    bqm = maxcut_problem(graph).to_bqm()[0]
    return -dimod.ExactSolver().sample(bqm).first.energy


# Backends defined at module level, so worker processes can import them by name.
class FailingBackend(Backend):
    name = "failing-test"
    consumes = "bqm"
    description = "always raises"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        raise RuntimeError("deliberate failure\nwith a second line")


class SleepyBackend(Backend):
    name = "sleepy-test"
    consumes = "bqm"
    description = "ignores its time limit"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        time.sleep(60)
        return RawAnswer(sampleset=dimod.SampleSet.from_samples({}, "BINARY", []))


class CrashingBackend(Backend):
    name = "crashing-test"
    consumes = "bqm"
    description = "kills its own process"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        os._exit(3)


class NowhereBackend(Backend):
    name = "nowhere-test"
    consumes = "bqm"
    description = "never available"

    @classmethod
    def available(cls):
        return False, "needs hardware this machine lacks"

    def solve(self, model, **kwargs):  # pragma: no cover - never called
        raise AssertionError


def test_known_answer_serial(tmp_path):
    graph = nx.gnm_random_graph(10, 25, seed=4)
    for u, v in graph.edges:
        graph[u][v]["weight"] = 1 + (u * 7 + v * 3) % 5
    optimum = exact_maxcut(graph)
    path = write_maxcut(tmp_path / "g.yaml", graph)
    c = compare([path], ["exact", "sa", "tabu"], repeats=3, seed=11, executor="serial")
    assert isinstance(c, Comparison) and c.finished == c.planned == 9 and not c.missing
    assert c.targets == [(optimum, "best-found")]
    by_backend = {r["backend"]: r for r in c.summary}
    assert by_backend["exact"]["best"] == optimum and by_backend["exact"]["p_success"] == 1.0
    assert by_backend["exact"]["tts99_s"] == pytest.approx(by_backend["exact"]["t_run_s"])
    for row in c.runs:
        assert {"repeat", "seed", "wall_s", "objective", "feasible", "timing"} <= set(row)
        assert row["objective"] <= optimum
    seeds = [r["seed"] for r in c.runs]
    assert len(set(seeds)) == len(seeds)  # every run its own seed
    # The same comparison seed replays the same answers.
    again = compare([path], ["exact", "sa", "tabu"], repeats=3, seed=11, executor="serial")
    key = lambda r: (r["backend"], r["repeat"])  # noqa: E731
    assert ([(key(r), r["seed"]) for r in sorted(c.runs, key=key)]
            == [(key(r), r["seed"]) for r in sorted(again.runs, key=key)])


def test_targets(tmp_path):
    graph = nx.cycle_graph(6)  # max cut 6
    known = write_maxcut(tmp_path / "known.yaml", graph, known_optimum=6)
    c = compare(known, "exact", repeats=1, seed=1, executor="serial", target="best-known")
    assert c.targets == [(6.0, "best-known")] and c.summary[0]["p_success"] == 1.0
    c = compare(known, "exact", repeats=2, seed=1, executor="serial", target=7)
    row = c.summary[0]
    assert row["target"] == 7.0 and row["p_success"] == 0.0 and row["tts99_s"] == float("inf")
    assert row["gap_median"] == pytest.approx(1 / 7)
    unknown = write_maxcut(tmp_path / "unknown.yaml", graph)
    with pytest.raises(InputError, match="known_optimum"):
        compare([known, unknown], "exact", executor="serial", target="best-known")
    with pytest.raises(InputError, match="target"):
        compare(known, "exact", executor="serial", target="best-ever")


def test_bad_input_fails_before_running(tmp_path):
    with pytest.raises(InputError, match="unknown backend 'tabo'.*did you mean 'tabu'"):
        compare(SMALL, "sa,tabo", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(InputError, match="repeats"):
        compare(SMALL, "sa", repeats=0)
    with pytest.raises(InputError, match="not compared"):
        compare(SMALL, "sa", options={"tabu": {"num_reads": 3}})
    with pytest.raises(InputError, match="executor"):
        compare(SMALL, "exact", executor="threads")


def test_equal_time_budget_and_options(tmp_path):
    c = compare(SMALL, {"sa": {"num_reads": 5, "num_sweeps": 100}, "tabu": {}}, repeats=1,
                time_budget=0.3, seed=2, executor="serial", options={"tabu": {"num_reads": 3}})
    params = {r["backend"]: r["params"] for r in c.runs}
    assert params["sa"]["time_limit"] == 0.3 and params["tabu"]["time_limit"] == 0.3
    assert params["sa"]["num_reads"] == 5 and params["tabu"]["num_reads"] == 3


def test_threads_one_where_a_backend_takes_threads():
    from qanneal.registry import backend_info, load_backend

    try:
        cls = load_backend("milp")
    except Exception:
        pytest.skip("milp backend not importable here")
    if "threads" not in getattr(cls, "defaults", {}) or not backend_info("milp").available:
        pytest.skip("milp backend takes no threads option or is unavailable")
    c = compare(SMALL, "milp", repeats=1, seed=3, executor="serial")
    assert c.runs[0]["params"]["threads"] == 1
    assert c.runs[0]["objective"] == 46.0


def test_in_memory_problem_runs_serially_with_a_warning():
    problem = maxcut_problem(nx.petersen_graph(), name="petersen")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = qanneal.compare([problem], ["exact"], repeats=2, seed=5)
    assert any("serial" in str(w.message) for w in caught)
    assert c.settings["executor"] == "serial"
    assert [r["objective"] for r in c.runs] == [12.0, 12.0]


def test_unavailable_backend_listed_with_reason():
    c = compare(SMALL, [NowhereBackend, "exact"], repeats=1, seed=1, executor="serial")
    nowhere = next(r for r in c.summary if r["backend"] == "nowhere-test")
    assert not nowhere["available"] and "hardware" in nowhere["reason"]
    assert nowhere["runs"] == 0 and c.planned == 1 and c.finished == 1
    assert "unavailable" in _render(c)


def _render(c):
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(c.table())
    return console.export_text()


def test_failing_stuck_and_crashing_backends_on_the_process_pool(tmp_path):
    out = tmp_path / "out"
    c = compare(SMALL, [FailingBackend, SleepyBackend, CrashingBackend, "exact"], repeats=1,
                seed=9, executor="local", workers=2, run_timeout=3, out=out)
    assert c.finished == c.planned == 4 and not c.missing
    by = {r["backend"]: r for r in c.runs}
    assert by["failing-test"]["status"] == "error"
    assert by["failing-test"]["error"] == ("backend 'failing-test' failed: RuntimeError: "
                                           "deliberate failure with a second line")
    assert by["sleepy-test"]["status"] == "timeout" and by["sleepy-test"]["wall_s"] >= 3
    assert by["crashing-test"]["status"] == "error"
    assert "worker process died (exit code 3)" in by["crashing-test"]["error"]
    assert by["exact"]["objective"] == 46.0  # the others complete
    summary = {r["backend"]: r for r in c.summary}
    assert summary["sleepy-test"]["timeouts"] == 1 and summary["failing-test"]["errors"] == 1
    assert summary["sleepy-test"]["p_success"] == 0.0  # a stopped run is a failure
    text = _render(c)
    assert "1 error(s): backend 'failing-test' failed" in text and "1 timeout(s)" in text
    lines = (out / "runs.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["status"] for line in lines) == [
        "error", "error", "optimal", "timeout"]


def test_files_written(tmp_path):
    out = tmp_path / "out"
    a = write_maxcut(tmp_path / "a.yaml", nx.cycle_graph(5), known_optimum=4)
    b = write_maxcut(tmp_path / "b.yaml", nx.complete_graph(4))
    c = compare([a, b], ["exact", "sa"], repeats=2, seed=4, executor="serial", out=out)
    expected = {"runs.jsonl", "runs.csv", "summary.csv", "summary.json", "report.html",
                "objective_vs_time.png", "tts99.png", "quality_profile.png"}
    assert expected == set(c.files) and all((out / f).stat().st_size > 0 for f in expected)
    rows = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and {r["repeat"] for r in rows} == {0, 1}
    with open(out / "runs.csv", newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert len(csv_rows) == 8 and {r["reached_target"] for r in csv_rows} == {"True"}
    with open(out / "summary.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] and summary["targets"][0] == {"problem_index": 0, "value": 4.0,
                                                             "kind": "best-known"}
    assert summary["targets"][1]["value"] == 4.0  # K4: best cut 4, found by exact
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3
    for external in ("http://", "https://", "<script", "<link"):
        assert external not in page
    for png in ("objective_vs_time.png", "tts99.png", "quality_profile.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_to_dataframe():
    pytest.importorskip("pandas")
    c = compare(SMALL, ["exact"], repeats=2, seed=1, executor="serial")
    runs = c.to_dataframe()
    assert len(runs) == 2 and {"objective", "repeat", "seed", "gap_to_target"} <= set(runs)
    summary = c.to_dataframe("summary")
    assert summary.loc[0, "best"] == 46.0


def test_interrupt_keeps_finished_runs(tmp_path):
    out = tmp_path / "out"

    def stop_after_two(row, seen=[]):  # noqa: B006 - a counter local to this test
        seen.append(row)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(CompareInterrupted) as info:
        compare(SMALL, ["exact"], repeats=5, seed=1, executor="serial", out=out,
                on_run=stop_after_two)
    c = info.value.comparison
    assert c.interrupted and c.finished == 2 and len(c.missing) == 3
    assert "3 of 5 runs did not run: ring-with-chords x exact x repeats 2-4" == c.missing_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] and len(summary["missing"]) == 3
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
