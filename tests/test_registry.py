"""The registry: built-ins and an out-of-tree backend found through real entry points."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from conftest import run_cli_subprocess

from qanneal.registry import backend_names, list_backends, problem_type_names

PLUGIN_MODULE = textwrap.dedent('''
    """A tiny out-of-tree backend: greedy single flips from all-zeros."""
    import dimod
    from qanneal.backends.base import Backend, RawAnswer, merge_options

    class GreedyBackend(Backend):
        name = "greedy-demo"
        consumes = "bqm"
        description = "steepest descent from all zeros (test plugin)"
        defaults = {"starts": 1}

        def solve(self, model, *, seed=None, time_limit=None, **options):
            from dwave.samplers import SteepestDescentSolver
            params = merge_options(self.name, self.defaults, options)
            start = {v: 0 if model.vartype is dimod.BINARY else -1 for v in model.variables}
            ss = SteepestDescentSolver().sample(model, initial_states=[start])
            return RawAnswer(sampleset=ss, params=params)
''')


def make_plugin(root: Path) -> dict[str, str]:
    """A distribution on disk: a module plus a dist-info with an entry point."""
    (root / "greedy_demo.py").write_text(PLUGIN_MODULE)
    info = root / "greedy_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: greedy-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[qanneal.backends]\ngreedy-demo = greedy_demo:GreedyBackend\n")
    path = os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path}


def test_builtins_are_registered_through_entry_points():
    assert {"sa", "tabu", "exact"} <= set(backend_names())
    assert {"maxcut", "qubo"} <= set(problem_type_names())
    infos = {i.name: i for i in list_backends()}
    assert infos["sa"].available and infos["sa"].consumes == "bqm"
    assert infos["exact"].consumes == "cqm"
    assert infos["sa"].distribution == "qanneal"


def test_out_of_tree_backend_is_listed_and_solves(tmp_path):
    env = make_plugin(tmp_path)
    listed = run_cli_subprocess("backends", "--json", "-", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["greedy-demo"]["available"] is True
    assert rows["greedy-demo"]["distribution"] == "greedy-demo"
    problem = Path(__file__).parent.parent / "problems" / "maxcut-small.yaml"
    solved = run_cli_subprocess("solve", problem, "--backend", "greedy-demo", "--json", "-",
                                env=env)
    assert solved.returncode == 0, solved.stderr
    result = json.loads(solved.stdout)
    assert result["backend"] == "greedy-demo" and result["feasible"] is True


def test_listing_in_a_table(run_cli):
    run = run_cli("backends")
    assert run.code == 0
    assert "sa" in run.out and "consumes" in run.out
