"""Hostile backend plugins: stopped at their limit, crashes in one line, answers validated,
secrets scrubbed, Ctrl-C honoured by solve and tune.

The plugins are installed the way pip would, minus pip: a ``*.dist-info`` directory with
an ``entry_points.txt`` on ``sys.path`` (or ``PYTHONPATH`` for a subprocess), so their
distribution is not ``qanneal`` and :mod:`qanneal.isolation` runs them in a worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dimod
import networkx as nx
import pytest
from conftest import PROBLEMS, run_cli_subprocess, write_fake_distribution

from qanneal import solve
from qanneal.backends.base import RawAnswer
from qanneal.errors import BackendError
from qanneal.io import atomic_write_text, dumps
from qanneal.isolation import is_builtin, validate_answer, wants_worker
from qanneal.problems.maxcut import maxcut_problem
from qanneal.redact import scrub
from qanneal.registry import get_backend

TOKEN = "DEV-0123456789abcdef-secret"

PLUGINS = {
    "hog": "Hog", "exits": "Exits", "sysexit": "SysExit", "segv": "Segv",
    "bad-labels": "BadLabels", "spin-seven": "SpinSeven", "nan-energy": "NanEnergy",
    "wrong-energy": "WrongEnergy", "solutions-str": "SolutionsStr",
    "solutions-junk": "SolutionsJunk", "leaky": "Leaky", "leaky-error": "LeakyError",
    "patient": "Patient", "huge-error": "HugeError", "huge-info": "HugeInfo",
}

CODE = '''
import ctypes, os, sys, time
import dimod
from qanneal.backends.base import AnytimeTrace, Backend, RawAnswer


def _mark():
    # Tells a test the backend's solve began (so its signal lands inside the solve).
    if os.environ.get("QANNEAL_TEST_MARK"):
        open(os.environ["QANNEAL_TEST_MARK"], "w").close()


def _samples(model, value=0):
    return dimod.SampleSet.from_samples_bqm({v: value for v in model.variables}, model)


class Base(Backend):
    consumes = "bqm"


class Hog(Base):
    name = "hog"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        _mark()
        return sum(range(10**11))  # holds the GIL, ignores every stop request


class Exits(Base):
    name = "exits"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        os._exit(3)


class SysExit(Base):
    name = "sysexit"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        sys.exit(0)


class Segv(Base):
    name = "segv"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        ctypes.string_at(0)


class BadLabels(Base):
    name = "bad-labels"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        return RawAnswer(sampleset=dimod.SampleSet.from_samples({"zz": 1}, "BINARY", 0.0))


class SpinSeven(Base):
    name = "spin-seven"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        sample = {v: 7 for v in model.variables}
        return RawAnswer(sampleset=dimod.SampleSet.from_samples(sample, "BINARY", 0.0))


class NanEnergy(Base):
    name = "nan-energy"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        sample = {v: i % 2 for i, v in enumerate(model.variables)}
        return RawAnswer(sampleset=dimod.SampleSet.from_samples(
            sample, model.vartype, float("nan")))


class WrongEnergy(Base):
    name = "wrong-energy"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        sample = {v: i % 2 for i, v in enumerate(model.variables)}
        return RawAnswer(sampleset=dimod.SampleSet.from_samples(sample, model.vartype, 123.0))


class SolutionsStr(Base):
    name = "solutions-str"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        return RawAnswer(solutions="not a list")


class SolutionsJunk(Base):
    name = "solutions-junk"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        return RawAnswer(solutions=[None, 5])


class Leaky(Base):
    name = "leaky"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        return RawAnswer(sampleset=_samples(model),
                         info={"kernel": os.environ["DWAVE_API_TOKEN"],
                               "debug": {"token": os.environ["DWAVE_API_TOKEN"]}})


class LeakyError(Base):
    name = "leaky-error"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        raise RuntimeError("401 unauthorised for " + os.environ["DWAVE_API_TOKEN"])


class HugeError(Base):
    name = "huge-error"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        # 5 MB, with line breaks, a fake traceback and a terminal escape in it.
        raise RuntimeError("first\\nTraceback (most recent call last):\\n\\x1b[2J"
                           + "y" * 5_000_000)


class HugeInfo(Base):
    name = "huge-info"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        return RawAnswer(sampleset=_samples(model),
                         info={"kernel": "k\\x1b[31m" + "z" * 5_000_000, "restarts": "r\\nerror: x"})


class Patient(Base):
    """Cooperative: random samples until asked to stop, reporting each improvement."""
    name = "patient"
    def solve(self, model, *, seed=None, time_limit=None, **options):
        import random
        rng = random.Random(seed)
        start = time.perf_counter()
        trace = AnytimeTrace(self, start)
        batches = []
        _mark()
        while not self.should_stop():
            if time_limit is not None and time.perf_counter() - start > time_limit:
                break
            sample = {v: rng.randint(0, 1) for v in model.variables}
            batches.append(dimod.SampleSet.from_samples_bqm(sample, model))
            trace.add_sampleset(batches[-1])
            time.sleep(0.005)
        ss = dimod.concatenate(batches) if batches else _samples(model)
        return RawAnswer(sampleset=ss, trace=trace.entries, info={"pid": os.getpid()})
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return write_fake_distribution(
        tmp_path_factory.mktemp("site"), "qanneal-hostile-plugins",
        {k: f"qanneal_hostile_plugins:{v}" for k, v in PLUGINS.items()},
        {"qanneal_hostile_plugins": textwrap.dedent(CODE)})


@pytest.fixture
def problem():
    return maxcut_problem(nx.cycle_graph(6))


def _env(site: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, **extra}


# ------------------------------------------------------------------ who runs where
def test_plugins_run_in_a_worker_and_builtins_in_process(installed, problem):
    assert wants_worker(get_backend("patient")) and not is_builtin(get_backend("patient"))
    assert not wants_worker(get_backend("sa")) and is_builtin(get_backend("sa"))
    result = solve(problem, "patient", seed=1, time_limit=0.3)
    assert result.info["pid"] != os.getpid()  # answered from another process
    assert result.feasible and result.info["verified_trace"]


def test_stop_at_reaches_a_plugin_in_its_worker(installed, problem):
    began = time.perf_counter()
    result = solve(problem, "patient", seed=1, time_limit=20, stop_at=6.0)
    assert time.perf_counter() - began < 5  # stopped at the optimum, not at 20 s
    assert result.objective == 6.0 and result.info["stop_reached_s"] >= 0


# ------------------------------------------------------------------ hang, exit, crash
def test_gil_holding_plugin_is_stopped_at_its_limit(installed, problem):
    began = time.perf_counter()
    result = solve(problem, "hog", seed=1, time_limit=0.2)
    elapsed = time.perf_counter() - began
    assert elapsed < 0.2 + 2.0 + 2.5  # limit + grace (2 s) + the stop and kill
    assert result.status == "timeout" and result.solution is None
    assert result.info["timeout_note"].startswith(
        "backend 'hog' did not return within its time limit plus grace; stopped")


@pytest.mark.parametrize("name, message", [
    ("exits", "backend 'exits' exited with code 3 without an answer"),
    ("sysexit", "backend 'sysexit' exited with code 0 without an answer"),
    ("segv", "backend 'segv' crashed (signal 11)"),
])
def test_exiting_or_crashing_plugin_is_one_backend_error(installed, problem, name, message):
    with pytest.raises(BackendError) as info:
        solve(problem, name, seed=1)
    assert info.value.one_line() == message
    assert solve(problem, "sa", seed=1).objective == 6.0  # and this process goes on


# ------------------------------------------------------------------ answers validated
@pytest.mark.parametrize("name, message", [
    ("bad-labels", "variables differ from the model's"),
    ("spin-seven", "has value 7, outside its vartype"),
    ("solutions-str", "solutions must be a list, got str"),
])
def test_invalid_answers_are_one_line(installed, problem, name, message):
    with pytest.raises(BackendError) as info:
        solve(problem, name, seed=1)
    line = info.value.one_line()
    assert line.startswith(f"backend {name!r} returned an invalid answer: ") and message in line


def test_junk_solutions_are_infeasible_answers_not_tracebacks(installed, problem):
    result = solve(problem, "solutions-junk", seed=1)
    assert not result.feasible and result.objective is None
    assert any("partition" in v for v in result.violations)


@pytest.mark.parametrize("name, why", [("nan-energy", "not finite"),
                                       ("wrong-energy", "disagreed with the model")])
def test_bad_energies_are_recomputed_from_the_model(installed, problem, name, why):
    result = solve(problem, name, seed=1)
    bqm, _ = problem.to_bqm()
    sample = {v: i % 2 for i, v in enumerate(bqm.variables)}
    assert result.energy == pytest.approx(bqm.energy(sample))
    assert why in result.info["energies_recomputed"]
    assert result.feasible and result.objective == 6.0  # alternate cut of a 6-cycle


def test_validation_checks_cqm_vartypes_and_bounds():
    cqm = dimod.ConstrainedQuadraticModel()
    i = dimod.Integer("i", lower_bound=0, upper_bound=3)
    cqm.set_objective(i + dimod.Binary("b"))
    ok = dimod.SampleSet.from_samples({"i": 2, "b": 1}, "INTEGER", 3.0)
    assert validate_answer("x", RawAnswer(sampleset=ok), cqm).sampleset is ok
    for sample, bad in (({"i": 9, "b": 1}, 9), ({"i": 1, "b": 2}, 2)):
        ss = dimod.SampleSet.from_samples(sample, "INTEGER", 0.0)
        with pytest.raises(BackendError, match=f"value {bad}, outside its vartype"):
            validate_answer("x", RawAnswer(sampleset=ss), cqm)


# ------------------------------------------------------------------ secrets
def test_scrub_at_the_writers(tmp_path, monkeypatch):
    monkeypatch.setenv("DWAVE_API_TOKEN", TOKEN)
    assert TOKEN not in dumps({"a": [f"x{TOKEN}y"], TOKEN: 1})
    atomic_write_text(tmp_path / "f.csv", f"a,{TOKEN}\n")
    assert (tmp_path / "f.csv").read_text() == "a,***\n"
    monkeypatch.setenv("DWAVE_API_TOKEN", "short")  # too short to scrub safely
    assert scrub("a short story") == "a short story"


def test_token_never_reaches_outputs(site, tmp_path):
    env = _env(site, DWAVE_API_TOKEN=TOKEN)
    out_json = tmp_path / "r.json"
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "leaky",
                              "--json", out_json, env=env)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(out_json.read_text())["info"]
    assert info["kernel"] == "***" and info["debug"] == {"token": "***"}
    assert TOKEN not in proc.stdout + proc.stderr and "kernel ***" in proc.stdout
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "leaky-error",
                              env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: backend 'leaky-error' failed: RuntimeError: "
                                   "401 unauthorised for ***")
    cmp = tmp_path / "cmp"
    proc = run_cli_subprocess("compare", PROBLEMS / "maxcut-small.yaml", "--backends",
                              "leaky,leaky-error", "--repeats", "1", "--executor", "serial",
                              "--out", cmp, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("runs.csv", "runs.jsonl", "summary.json", "report.html"):
        text = (cmp / name).read_text()
        assert TOKEN not in text, name
    assert "***" in (cmp / "runs.csv").read_text()
    assert TOKEN not in proc.stdout + proc.stderr


# ------------------------------------------------------------------ the CLI, signals
def _start(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qanneal", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


def _wait_for(mark: Path, proc: subprocess.Popen, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not mark.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the backend never started"
        time.sleep(0.02)


def test_cli_hog_is_stopped_at_its_time_limit(site):
    began = time.perf_counter()
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "hog",
                              "--time-limit", "0.2", env=_env(site), timeout=60)
    assert time.perf_counter() - began < 15
    assert proc.returncode == 1, proc.stderr
    assert "backend 'hog' did not return within its time limit plus grace; stopped" \
        in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_crash_is_one_line(site):
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "segv",
                              env=_env(site))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: backend 'segv' crashed (signal 11)"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_ctrl_c_stops_a_gil_holding_plugin_without_a_time_limit(site, tmp_path, sig):
    mark = tmp_path / "started"
    proc = _start("solve", PROBLEMS / "maxcut-small.yaml", "-b", "hog",
                  env=_env(site, QANNEAL_TEST_MARK=str(mark)))
    _wait_for(mark, proc)
    sent = time.perf_counter()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert time.perf_counter() - sent < 8  # the interrupt grace (3 s) and the kill
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err


def test_cli_ctrl_c_keeps_a_cooperative_plugins_answer(site, tmp_path):
    mark, out_json = tmp_path / "started", tmp_path / "r.json"
    proc = _start("solve", PROBLEMS / "maxcut-small.yaml", "-b", "patient", "--json",
                  out_json, env=_env(site, QANNEAL_TEST_MARK=str(mark)))
    _wait_for(mark, proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "best answer found so far" in err
    result = json.loads(out_json.read_text())
    assert result["status"] == "interrupted" and result["solution"] is not None


def test_cli_tune_honours_ctrl_c_and_does_not_write(tmp_path, site):
    problem = tmp_path / "knapsack.yaml"
    problem.write_text((PROBLEMS / "knapsack-small.yaml").read_text())
    before = problem.read_text()
    mark = tmp_path / "started"
    proc = _start("tune", problem, "-b", "patient", "--write", "--max-rounds", "10",
                  "--time-limit", "30", env=_env(site, QANNEAL_TEST_MARK=str(mark)))
    _wait_for(mark, proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "stopped: interrupted" in out  # the rounds so far are shown
    assert "not written" in err
    assert problem.read_text() == before


def test_cli_tune_in_process_backend_honours_ctrl_c(tmp_path):
    problem = tmp_path / "knapsack.yaml"
    problem.write_text((PROBLEMS / "knapsack-small.yaml").read_text())
    before = problem.read_text()
    proc = _start("tune", problem, "-b", "sa", "--write", "-o", "num_reads=1000000",
                  env={})
    time.sleep(3)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.perf_counter() - sent < 6
    assert proc.returncode == 130, err
    assert "stopped: interrupted" in out and "penalties not written" in err
    assert problem.read_text() == before


def test_cli_ctrl_c_during_tabu_returns_its_answer(tmp_path):
    out_json = tmp_path / "r.json"
    proc = _start("solve", PROBLEMS / "maxcut-small.yaml", "-b", "tabu", "-o",
                  "num_reads=40", "-o", "timeout=500", "--json", out_json, env={})
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    result = json.loads(out_json.read_text())
    assert result["status"] == "interrupted" and result["objective"] is not None


def test_cli_ctrl_c_during_calibration_returns_the_rounds_best(site, tmp_path):
    mark, out_json = tmp_path / "started", tmp_path / "r.json"
    proc = _start("solve", PROBLEMS / "knapsack-small.yaml", "-b", "patient",
                  "--penalty-mode", "auto", "--json", out_json,
                  env=_env(site, QANNEAL_TEST_MARK=str(mark)))
    _wait_for(mark, proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    result = json.loads(out_json.read_text())
    assert result["status"] == "interrupted"
    assert result["info"]["penalty_calibration"]["stopped"] == "interrupted"
    assert result["solution"] is not None  # the first round's best answer


def test_cli_huge_plugin_error_is_one_short_line(site):
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "huge-error",
                              env=_env(site))
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 320, len(proc.stderr)
    assert lines[0].startswith("error: backend 'huge-error' failed: RuntimeError: first "
                               "Traceback (most recent call last): \\x1b[2Jyyy")
    assert lines[0].endswith("y...") and "\x1b" not in proc.stderr


def test_cli_plugin_info_is_printed_short_and_escaped(site):
    # A plugin's info values reach the 'backend:' line: 5 MB, an ANSI sequence and a
    # line break forging an 'error:' line were printed as they were.
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "huge-info",
                              env=_env(site))
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) < 2000 and "\x1b" not in proc.stdout
    assert not any(line.startswith("error:") for line in proc.stdout.splitlines())
    backend = [ln for ln in proc.stdout.splitlines() if ln.startswith("backend: ")]
    assert backend == ["backend: restarts r error: x · kernel k\\x1b[31m" + "z" * 48 + "..."]


def test_plugin_info_is_written_capped(site, tmp_path):
    # What is written (r.json; compare's runs.jsonl and runs.csv) was the plugin's
    # 5 MB string, whole; it is cut at MAX_INFO_CHARS with a marker.
    from qanneal.isolation import MAX_INFO_CHARS

    out = tmp_path / "r.json"
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "huge-info",
                              "--json", out, env=_env(site))
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size < 3 * MAX_INFO_CHARS
    kernel = json.loads(out.read_text())["info"]["kernel"]
    length = len("k\x1b[31m") + 5_000_000  # HugeInfo's kernel value
    assert kernel.endswith(f"... [cut: {length} characters]")
    runs = tmp_path / "cmp"
    proc = run_cli_subprocess("compare", PROBLEMS / "maxcut-small.yaml", "-b", "huge-info",
                              "--time-budget", "1", "--out", runs, env=_env(site))
    assert proc.returncode == 0, proc.stderr
    for name in ("runs.jsonl", "runs.csv"):  # one line per run (and a CSV header)
        lines = (runs / name).read_text().splitlines()
        assert len(lines) >= 2 and max(map(len, lines)) < 3 * MAX_INFO_CHARS
