"""Time to target from verified anytime curves, TTS from the time runs took, early stop.

Known answers come from exhaustive enumeration (``exact`` / dimod's ExactSolver) on
small instances; every time asserted is measured by the runs themselves.
"""

from __future__ import annotations

import json
import statistics

import dimod
import networkx as nx
import pytest

from qanneal.backends.base import Backend, RawAnswer
from qanneal.backends.sa import SimulatedAnnealingBackend
from qanneal.compare import compare, metrics
from qanneal.compare.summary import run_time
from qanneal.problems.knapsack import knapsack_problem
from qanneal.problems.maxcut import maxcut_problem
from qanneal.solve import MAX_TRACE, solve, verified_trace

BUDGET = 2.0


def weighted_graph(n: int = 12, m: int = 30, seed: int = 3) -> nx.Graph:
    graph = nx.gnm_random_graph(n, m, seed=seed)
    for u, v in graph.edges:
        graph[u][v]["weight"] = 1 + (u * 7 + v * 3) % 5
    return graph


def exact_maxcut(graph: nx.Graph) -> float:
    bqm = maxcut_problem(graph).to_bqm()[0]
    return -float(dimod.ExactSolver().sample(bqm).first.energy)


def write_maxcut(path, graph, known_optimum=None):
    edges = [[int(u), int(v), float(w)] for u, v, w in graph.edges(data="weight")]
    text = f"problem: maxcut\nname: {path.stem}\ndata:\n  edges: {json.dumps(edges)}\n"
    if known_optimum is not None:
        text += f"known_optimum: {known_optimum}\n"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def graph():
    return weighted_graph()


@pytest.fixture(scope="module")
def optimum(graph):
    return exact_maxcut(graph)


# ---------------------------------------------------------------- solve: the verified curve
# A backend that hands back a scripted trace: the only way to put a chosen infeasible,
# low-energy answer into a trace deterministically.
class ScriptedBackend(Backend):
    name = "scripted-test"
    consumes = "bqm"
    description = "returns a fixed trace"
    script: list = []

    def solve(self, model, *, seed=None, time_limit=None, **options):
        final = self.script[-1][1]
        sampleset = dimod.SampleSet.from_samples_bqm(
            {v: final.get(v, 0) for v in model.variables}, model)
        return RawAnswer(sampleset=sampleset, trace=list(self.script))


def test_verified_trace_keeps_only_feasible_improvements():
    # values 10, 7, 5; weights 4, 3, 2; capacity 5: the optimum is {1, 2}, value 12.
    problem = knapsack_problem([10, 7, 5], [4, 3, 2], 5)
    everything = {0: 1, 1: 1, 2: 1}  # value 22, load 9: infeasible
    backend = ScriptedBackend()
    backend.script = [(0.01, everything), (0.02, {0: 1, 1: 0, 2: 0}),
                      (0.03, {0: 0, 1: 0, 2: 1}), (0.04, everything),
                      (0.05, {0: 0, 1: 1, 2: 1})]
    result = solve(problem, backend, seed=1)
    # 22 (infeasible) never counts, 5 is no improvement on 10. Times move to the solve_s
    # clock: the backend's own clock starts when its solve is called.
    offset = result.info["backend_start_s"]
    assert 0 <= offset < result.timing["solve_s"]
    assert result.info["verified_trace"] == [[pytest.approx(0.02 + offset), 10.0],
                                             [pytest.approx(0.05 + offset), 12.0]]
    assert result.objective == 12.0
    json.dumps(result.to_dict())  # only numbers go to JSON, not the samples


def test_weak_penalty_sa_trace_has_infeasible_samples_that_never_count():
    # With a weak penalty the lowest-energy samples overfill the knapsack.
    problem = knapsack_problem([10, 7, 5], [4, 3, 2], 5)
    bqm, _ = problem.to_bqm(0.1)
    raw = SimulatedAnnealingBackend().solve(bqm, seed=2, num_reads=20, num_sweeps=200)
    assert any(not problem.evaluate(s).feasible for _, s in raw.trace)
    result = solve(problem, "sa", seed=2, penalties=0.1, num_reads=20, num_sweeps=200)
    curve = result.info["verified_trace"]
    for _, objective in curve:
        assert objective in (0.0, 5.0, 7.0, 10.0, 12.0)  # values of feasible packings
    assert [o for _, o in curve] == sorted({o for _, o in curve})  # strictly improving


def test_final_best_ends_the_curve_at_the_solve_time():
    problem = knapsack_problem([10, 7, 5], [4, 3, 2], 5)
    best = problem.check({"items": [1, 2]})
    assert verified_trace(problem, [], True, best, 1.5) == [[1.5, 12.0]]
    # More entries than MAX_TRACE: thinned, but the last (the best) is always kept.
    many = [(i * 1e-3, {0: 0, 1: 0, 2: 0}) for i in range(3 * MAX_TRACE)]
    many[-1] = (0.9, {0: 0, 1: 1, 2: 1})
    assert verified_trace(problem, many, True, None, 1.0) == [[0.0, 0.0], [0.9, 12.0]]


@pytest.mark.parametrize("backend", ["sa", "tabu", "anneal"])
def test_stop_at_the_optimum_stops_the_run(backend, graph, optimum):
    options = {"threads": 1} if backend == "anneal" else {}
    result = solve(maxcut_problem(graph), backend, seed=5, time_limit=BUDGET,
                   stop_at=optimum, **options)
    assert result.objective == optimum
    hit = metrics.first_hit(result.info["verified_trace"], optimum, "max")
    assert result.info["stop_at"] == optimum
    assert result.info["stop_reached_s"] == pytest.approx(hit)
    assert result.timing["solve_s"] < BUDGET / 2  # it stopped well before its budget


# ---------------------------------------------------------------- compare
def _first_hits(runs, target):
    return [metrics.first_hit(r["info"]["verified_trace"], target, "max") for r in runs]


def test_compare_known_optimum_stops_early_and_times_from_the_curve(tmp_path, graph, optimum):
    path = write_maxcut(tmp_path / "g.yaml", graph, known_optimum=optimum)
    c = compare([path], ["sa", "tabu"], repeats=2, seed=3, executor="serial",
                time_budget=BUDGET)
    assert c.targets == [(optimum, "best-known")]
    for row in c.runs:
        assert row["objective"] == optimum
        assert row["info"]["stop_at"] == pytest.approx(optimum) and "stop_reached_s" in row["info"]
        assert run_time(row) < BUDGET / 2
    for s in c.summary:
        mine = [r for r in c.runs if r["backend"] == s["backend"]]
        assert s["p_success"] == 1.0 and s["stopped_early"] == 2
        assert s["time_to_target_s"] == pytest.approx(statistics.median(_first_hits(mine,
                                                                                     optimum)))
        assert s["time_to_target_s"] < BUDGET / 4
        # TTS99 with p_s = 1 is one run, and a run is the time it actually took.
        assert s["t_run_s"] == pytest.approx(statistics.mean(run_time(r) for r in mine))
        assert s["tts99_s"] == pytest.approx(s["t_run_s"]) and s["tts99_s"] < BUDGET / 2
    annotated = c.annotated_runs()
    assert [r["time_to_target_s"] for r in annotated] == pytest.approx(
        _first_hits(sorted(c.runs, key=lambda r: r["run"]), optimum))


def test_without_early_stop_runs_use_the_budget_but_time_to_target_does_not(tmp_path, graph,
                                                                             optimum):
    path = write_maxcut(tmp_path / "g.yaml", graph, known_optimum=optimum)
    c = compare([path], ["sa"], repeats=2, seed=3, executor="serial", time_budget=BUDGET,
                early_stop=False)
    (s,) = c.summary
    assert all("stop_at" not in r["info"] for r in c.runs)
    assert all(run_time(r) > 0.8 * BUDGET for r in c.runs)  # each used its budget ...
    assert s["time_to_target_s"] < BUDGET / 4  # ... but had the optimum long before
    assert s["time_to_target_s"] == pytest.approx(statistics.median(_first_hits(c.runs,
                                                                                 optimum)))
    assert s["tts99_s"] == pytest.approx(s["t_run_s"]) and s["t_run_s"] > 0.8 * BUDGET
    assert s["stopped_early"] == 0


def test_a_milp_proof_stops_the_annealers(tmp_path, graph, optimum):
    path = write_maxcut(tmp_path / "g.yaml", graph)  # no known optimum: best-found
    c = compare([path], ["sa", "milp"], repeats=2, seed=3, executor="serial",
                time_budget=BUDGET)
    assert [r["backend"] for r in c.runs] == ["milp", "milp", "sa", "sa"]  # proofs first
    assert all(r["status"] == "optimal" for r in c.runs[:2])
    assert c.targets == [(optimum, "best-found")]
    for row in c.runs[2:]:
        assert row["info"]["stop_at"] == pytest.approx(optimum) and "stop_reached_s" in row["info"]
        assert run_time(row) < BUDGET / 2
    sa = next(s for s in c.summary if s["backend"] == "sa")
    assert sa["stopped_early"] == 2 and sa["tts99_s"] < BUDGET / 2


def test_a_lesser_target_does_not_stop_runs(tmp_path, graph, optimum):
    path = write_maxcut(tmp_path / "g.yaml", graph, known_optimum=optimum)
    c = compare([path], ["sa"], repeats=1, seed=3, executor="serial", time_budget=0.5,
                target=optimum - 5)
    assert "stop_at" not in c.runs[0]["info"]
    assert c.summary[0]["time_to_target_s"] <= run_time(c.runs[0])
