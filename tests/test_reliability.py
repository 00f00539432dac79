"""Time limits enforced from outside, and Ctrl-C keeps the best answer found so far."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import networkx as nx

import qanneal
from qanneal.backends.base import Backend, RawAnswer
from qanneal.problems.maxcut import maxcut_problem


class IgnoresTimeLimit(Backend):
    """A backend that sleeps far past any time limit it is given."""

    name = "sleepy"
    consumes = "bqm"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        time.sleep(30)
        return RawAnswer(sampleset=None, solutions=[])


class Cooperative(Backend):
    """Ignores time_limit but stops when asked (should_stop), returning a sample."""

    name = "polite"
    consumes = "bqm"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        while not self.should_stop():
            time.sleep(0.01)
        import dimod

        sample = {v: 0 for v in model.variables}
        return RawAnswer(sampleset=dimod.SampleSet.from_samples_bqm(sample, model))


def test_backend_ignoring_its_time_limit_is_stopped_and_recorded():
    problem = maxcut_problem(nx.cycle_graph(6))
    start = time.perf_counter()
    result = qanneal.solve(problem, IgnoresTimeLimit(), time_limit=0.2)
    elapsed = time.perf_counter() - start
    assert result.status == "timeout"
    assert result.solution is None and not result.feasible
    assert elapsed < 10  # not the backend's 30 s


def test_cooperative_backend_returns_its_answer_at_the_deadline():
    problem = maxcut_problem(nx.cycle_graph(6))
    result = qanneal.solve(problem, Cooperative(), time_limit=0.1)
    assert result.solution is not None and result.feasible


def test_ctrl_c_prints_best_answer_so_far(tmp_path):
    graph = tmp_path / "g.rud"
    g = nx.gnp_random_graph(200, 0.05, seed=1)
    graph.write_text(f"{g.number_of_nodes()} {g.number_of_edges()}\n"
                     + "".join(f"{u + 1} {v + 1} 1\n" for u, v in g.edges))
    out = tmp_path / "r.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qanneal", "solve", str(graph), "--problem", "maxcut",
         "--time-limit", "60", "-o", "num_reads=2", "-o", "num_sweeps=200", "--json", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # import, build, and a few batches
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "cut value" in stdout and "interrupted" in stderr
    assert "Traceback" not in stderr
    result = json.loads(out.read_text())
    assert result["status"] == "interrupted" and result["feasible"] is True


def test_dense_backend_refuses_models_that_would_not_fit(monkeypatch, run_cli, tmp_path):
    import sys

    solve_module = sys.modules["qanneal.solve"]  # the package exports the function as solve

    monkeypatch.setattr(solve_module, "physical_memory", lambda: 2**20)  # a 1 MiB machine
    graph = tmp_path / "g.rud"
    graph.write_text("600 1\n1 2 1\n")
    run = run_cli("solve", graph, "--backend", "tabu")
    assert run.code == 2
    assert "dense 600 x 600 matrix" in run.err and "GiB" in run.err


def test_atomic_writes_get_normal_permissions(tmp_path):
    import os

    from qanneal.io import atomic_write_text

    path = atomic_write_text(tmp_path / "report.html", "<p>hi</p>")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def _start_compare(out, *extra):
    from conftest import PROBLEMS

    proc = subprocess.Popen(
        [sys.executable, "-m", "qanneal", "compare", str(PROBLEMS / "maxcut-small.yaml"),
         "--backends", "sa,exact", "--repeats", "40", "--time-budget", "0.2", "--workers", "1",
         "--out", str(out), "--seed", "3", "--no-progress", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "runs.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    return proc


def _every_file_parses(out):
    import csv

    for path in out.iterdir():
        assert not path.name.endswith(".tmp"), f"temporary file left behind: {path.name}"
        if path.suffix == ".jsonl":
            for line in path.read_text().splitlines():
                json.loads(line)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".csv":
            list(csv.DictReader(path.open()))
        elif path.suffix == ".png":
            assert path.read_bytes()[:4] == b"\x89PNG"


def test_kill_of_compare_writes_what_finished(tmp_path):
    out = tmp_path / "out"
    proc = _start_compare(out)
    proc.terminate()  # SIGTERM, as `kill PID` sends
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    _every_file_parses(out)
    assert json.loads((out / "summary.json").read_text())["interrupted"]


def test_hard_kill_of_compare_leaves_only_valid_files(tmp_path):
    out = tmp_path / "out"
    proc = _start_compare(out)
    proc.kill()  # SIGKILL: no chance to clean up; atomic writes must still hold
    proc.communicate(timeout=60)
    _every_file_parses(out)
    assert len((out / "runs.jsonl").read_text().splitlines()) >= 2


def test_anneal_engine_stops_between_batches_when_asked():
    import threading

    from qanneal.backends.anneal import AnnealBackend

    problem = maxcut_problem(nx.random_regular_graph(3, 60, seed=2))
    backend = AnnealBackend()
    backend.stop_event = threading.Event()
    backend.stop_event.set()  # asked to stop before the first batch ends
    bqm, _ = problem.to_bqm()
    answer = backend.solve(bqm, seed=1, time_limit=30, num_sweeps=50)
    assert answer.info["batches"] == 1  # not 30 s of restarts
