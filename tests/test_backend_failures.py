"""A broken backend plugin is reported by name with its message and takes nothing down.

The plugins are installed the way pip would, minus pip: a ``*.dist-info`` directory
with an ``entry_points.txt`` on ``sys.path`` (or ``PYTHONPATH`` for a subprocess).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import networkx as nx
import pytest
from conftest import PROBLEMS, run_cli_subprocess, write_fake_distribution

from qanneal import solve
from qanneal.errors import BackendError
from qanneal.problems.maxcut import maxcut_problem
from qanneal.registry import backend_info, backend_names, list_backends

PLUGINS = {
    "broken-import": "qanneal_broken_import:Whatever",
    "raises-in-solve": "qanneal_bad_plugins:RaisingBackend",
    "returns-nothing": "qanneal_bad_plugins:NothingBackend",
    "returns-garbage": "qanneal_bad_plugins:GarbageBackend",
    "not-a-backend": "qanneal_bad_plugins:NotABackend",
}

BAD_PLUGINS = '''
from qanneal.backends.base import Backend, RawAnswer


class RaisingBackend(Backend):
    name = "raises-in-solve"
    consumes = "bqm"
    description = "divides by zero"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        return 1 / 0


class NothingBackend(Backend):
    name = "returns-nothing"
    consumes = "bqm"
    description = "returns None"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        return None


class GarbageBackend(Backend):
    name = "returns-garbage"
    consumes = "bqm"
    description = "returns an empty RawAnswer"

    def solve(self, model, *, seed=None, time_limit=None, **options):
        return RawAnswer()


class NotABackend:
    pass
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory that looks like site-packages with one badly behaved distribution."""
    return write_fake_distribution(
        tmp_path_factory.mktemp("site"), "qanneal-bad-plugins", PLUGINS,
        {"qanneal_broken_import": "raise RuntimeError('plugin exploded on import')\n",
         "qanneal_bad_plugins": textwrap.dedent(BAD_PLUGINS)})


@pytest.fixture
def problem():
    return maxcut_problem(nx.cycle_graph(6))


# ------------------------------------------------------------------ Python API
def test_registry_sees_them_and_lists_the_broken_ones_as_unavailable(installed):
    assert set(PLUGINS) <= set(backend_names())
    infos = {info.name: info for info in list_backends()}  # does not raise
    broken = infos["broken-import"]
    assert not broken.available and broken.distribution == "qanneal-bad-plugins"
    assert "plugin exploded on import" in broken.reason and "RuntimeError" in broken.reason
    assert "not a qanneal Backend" in infos["not-a-backend"].reason
    assert infos["raises-in-solve"].available  # it only fails when it runs
    assert infos["sa"].available


@pytest.mark.parametrize("name, message", [
    ("broken-import", "failed to import qanneal_broken_import:Whatever: RuntimeError: "
                      "plugin exploded on import"),
    ("not-a-backend", "is not a qanneal Backend subclass"),
    ("raises-in-solve", "ZeroDivisionError: division by zero"),
    ("returns-nothing", "returned no samples or solutions"),
    ("returns-garbage", "returned no samples or solutions"),
])
def test_api_raises_one_backend_error_naming_the_backend(installed, problem, name, message):
    with pytest.raises(BackendError) as info:
        solve(problem, name)
    text = str(info.value)
    assert text.startswith(f"backend {name!r}")
    assert message in text
    assert "\n" not in info.value.one_line()
    # ... and the process goes on: a core backend still solves.
    assert solve(problem, "sa", seed=1).objective == 6.0


# ------------------------------------------------------------------ CLI, in process
@pytest.mark.parametrize("name, message", [
    ("broken-import", "plugin exploded on import"),
    ("raises-in-solve", "ZeroDivisionError"),
    ("returns-nothing", "returned no samples or solutions"),
])
def test_cli_exit_2_with_one_line(installed, run_cli, name, message):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", name)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(f"error: backend {name!r}") and message in lines[0]
    assert "Traceback" not in run.out + run.err


def test_cli_backends_still_lists_everything(installed, run_cli):
    run = run_cli("backends", "--json", "-")
    assert run.code == 0
    rows = {row["name"]: row for row in json.loads(run.out)}
    assert not rows["broken-import"]["available"]
    assert "plugin exploded on import" in rows["broken-import"]["reason"]
    assert rows["sa"]["available"] and rows["milp"]["available"]
    assert backend_info("broken-import").reason == rows["broken-import"]["reason"]


# ------------------------------------------------------------------ fresh interpreters
def _env(site: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path}


def test_cli_subprocess_broken_import(site):
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "--backend",
                              "broken-import", env=_env(site))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "plugin exploded on import" in proc.stderr and "Traceback" not in proc.stderr


def test_a_comparison_reports_the_failures_and_keeps_the_good_runs(site, tmp_path):
    out = tmp_path / "cmp"
    proc = run_cli_subprocess(
        "compare", PROBLEMS / "maxcut-small.yaml",
        "--backends", "sa,raises-in-solve,returns-nothing,broken-import",
        "--repeats", "1", "--executor", "serial", "--out", out, env=_env(site), timeout=300)
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text
    assert proc.returncode == 0, text
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    by_backend = {run["backend"]: run for run in runs}
    assert by_backend["sa"]["objective"] == 46  # the good backend's run survived
    for name in ("raises-in-solve", "returns-nothing", "broken-import"):
        assert name in text  # each failure is named on screen ...
    # ... and recorded with its message (the table wraps text to the terminal width).
    assert by_backend["raises-in-solve"]["status"] == "error"
    assert "ZeroDivisionError: division by zero" in by_backend["raises-in-solve"]["error"]
    assert "returned no samples" in by_backend["returns-nothing"]["error"]
    summary = json.loads((out / "summary.json").read_text())
    broken = {b["name"]: b for b in summary["backends"]}["broken-import"]
    assert not broken["available"] and "plugin exploded on import" in broken["reason"]
