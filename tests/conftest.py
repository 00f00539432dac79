"""Shared test helpers: run the CLI in-process and capture its exit code and output."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import settings

# The suite must give the same verdict on every run (a red CI blocks a landing), so
# property tests draw the same examples each time by default; HYPOTHESIS_PROFILE=explore
# searches new random ones (do that when hunting bugs, then pin what it finds).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
SHARED = ROOT.parent / "shared" / "bench"


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``qanneal ARGS`` in this process; returns exit code, stdout and stderr."""
    from qanneal.cli import main

    def run(*args: str) -> CliRun:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


def milp_optimum(problem: Any) -> tuple[Any, float]:
    """Solve a problem's native MILP with CBC; it must be proven optimal and pass the
    problem's own checker. Returns the solution and its objective."""
    import pulp

    formulation = problem.milp()
    formulation.lp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[formulation.lp.status] == "Optimal"
    evaluation = problem.check(formulation.extract())
    assert evaluation.feasible, evaluation.violations
    return evaluation.solution, evaluation.objective


def milp_value(problem: Any) -> float:
    """The proven optimum of a problem's native MILP (see :func:`milp_optimum`)."""
    return milp_optimum(problem)[1]


def node_weighted_graph(n: int, p: float, seed: int) -> nx.Graph:
    """G(n, p) with integer node weights 1..9 (attribute ``weight``)."""
    graph = nx.gnp_random_graph(n, p, seed=seed)
    rnd = random.Random(seed)
    for v in graph:
        graph.nodes[v]["weight"] = rnd.randint(1, 9)
    return graph


def run_cli_subprocess(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
                       cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m qanneal ARGS`` in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "qanneal", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=cwd)


def write_fake_distribution(root: Path, name: str, entry_points: dict[str, str],
                            modules: dict[str, str]) -> Path:
    """An installed-looking distribution ``name`` under ``root`` (put ``root`` on
    ``sys.path`` to install it): a dist-info whose ``qanneal.backends`` entry points are
    ``entry_points`` (name -> ``module:attr``), and ``modules`` (module name -> source)."""
    dist = root / f"{name.replace('-', '_')}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[qanneal.backends]\n" + "".join(
        f"{k} = {v}\n" for k, v in entry_points.items()))
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source)
    return root


@pytest.fixture
def installed(site, monkeypatch):
    """The module's fake distribution (its ``site`` fixture) installed for one test."""
    from qanneal.registry import refresh

    monkeypatch.syspath_prepend(str(site))
    refresh()
    yield site
    refresh()
