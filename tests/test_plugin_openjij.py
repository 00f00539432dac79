"""The OpenJij plugin: found by entry point only, distinct seeded reads, honest energies."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
import unittest
from pathlib import Path

import dimod
import networkx as nx
import numpy as np
import pytest
from conftest import PROBLEMS, ROOT

from qanneal import solve
from qanneal.errors import InputError
from qanneal.isolation import wants_worker
from qanneal.problems.maxcut import maxcut_problem
from qanneal.problems.model import model_problem
from qanneal.problems.qubo import qubo_problem
from qanneal.registry import backend_info, load_backend

qanneal_openjij = pytest.importorskip("qanneal_openjij",
                                      reason="plugin not installed (make installs it)")

#: Labels OpenJij cannot take itself: cimod sorts them (str < int fails) and reads a
#: tuple label as an index (('b',) fails with "invalid length of tuple").
MIXED_LABELS = [0, "a", (1, ("x", 2)), ("b",), 3.5, frozenset({1})]


def mixed_label_bqm() -> dimod.BinaryQuadraticModel:
    """A dense +-3 spin glass on MIXED_LABELS whose ground state (-23) is unique."""
    rng = random.Random(2)
    bqm = dimod.BQM("SPIN")
    for v in MIXED_LABELS:
        bqm.add_variable(v, rng.randint(-3, 3))
    for u, v in itertools.combinations(MIXED_LABELS, 2):
        bqm.add_interaction(u, v, rng.randint(-3, 3))
    return bqm


@pytest.mark.parametrize("name", ["openjij-sa", "openjij-sqa"])
def test_registered_by_its_own_distribution(name):
    info = backend_info(name)
    assert info.available and info.distribution == "qanneal-openjij"
    assert load_backend(name).__module__ == "qanneal_openjij"


def test_the_core_never_imports_the_plugin():
    importing = re.compile(r"^\s*(import|from)\s+(openjij|qanneal_openjij)\b", re.M)
    assert [p for p in (ROOT / "qanneal").rglob("*.py")
            if importing.search(p.read_text(encoding="utf-8"))] == []
    code = ("import sys, networkx as nx, qanneal; "
            "from qanneal.problems.maxcut import maxcut_problem; "
            "qanneal.solve(maxcut_problem(nx.cycle_graph(4)), 'sa', seed=1); "
            "print('qanneal_openjij' in sys.modules, 'openjij' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False False"


@pytest.mark.parametrize("name, optimum, graph", [
    ("openjij-sa", 12.0, nx.petersen_graph()),
    ("openjij-sqa", 6.0, nx.cycle_graph(6)),
])
def test_known_optima(name, optimum, graph):
    result = solve(maxcut_problem(graph), name, seed=4)
    assert result.feasible and result.objective == optimum


def test_reads_differ_yet_the_run_is_reproducible():
    bqm = dimod.generators.gnp_random_bqm(40, 0.3, "SPIN", random_state=2)
    problem = qubo_problem(bqm)
    a = solve(problem, "openjij-sa", seed=9, num_reads=8, num_sweeps=1)
    b = solve(problem, "openjij-sa", seed=9, num_reads=8, num_sweeps=1)
    assert a.num_samples == 8
    assert a.solution == b.solution and a.energy == b.energy
    backend = load_backend("openjij-sa")()
    samples = backend.solve(problem.to_bqm()[0], seed=9, num_reads=8, num_sweeps=1
                            ).sampleset.record.sample
    assert len({row.tobytes() for row in samples}) > 1  # seeded OpenJij alone repeats reads


@pytest.mark.parametrize("name", ["openjij-sa", "openjij-sqa"])
def test_energies_are_recomputed_on_qanneals_bqm(name):
    bqm = dimod.generators.gnp_random_bqm(12, 0.5, "BINARY", random_state=5)
    bqm.offset = 7.5
    backend = load_backend(name)()
    sampleset = backend.solve(bqm, seed=1, num_reads=3).sampleset
    assert np.allclose(sampleset.record.energy, bqm.energies(sampleset))


def test_time_limit_stops_after_the_read_in_progress():
    bqm = dimod.generators.gnp_random_bqm(30, 0.5, "SPIN", random_state=1)
    backend = load_backend("openjij-sa")()
    raw = backend.solve(bqm, seed=1, time_limit=1e-6, num_reads=50)
    assert raw.info["reads"] == 1 and raw.info["reads_requested"] == 50


@pytest.mark.parametrize("options, field", [
    ({"num_reads": 0}, "num_reads"),
    ({"beta_min": -1.0}, "beta_min"),
    ({"beta_min": 5.0, "beta_max": 1.0}, "beta_min"),
    ({"temperature": 3}, "temperature"),
])
def test_bad_options(options, field):
    with pytest.raises(InputError) as info:
        solve(maxcut_problem(nx.cycle_graph(4)), "openjij-sa", **options)
    assert info.value.field == field


def test_cli_runs_the_plugin(run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "openjij-sqa",
                  "-o", "num_reads=2")
    assert run.code == 0, run.err
    assert "cut value: 46" in run.out  # the known optimum of the example file


def test_plugin_guide_example_is_the_shipped_layout():
    guide = (ROOT / "plugins" / "README.md").read_text(encoding="utf-8")
    pyproject = (ROOT / "plugins" / "qanneal-openjij" / "pyproject.toml").read_text()
    assert '[project.entry-points."qanneal.backends"]' in guide
    assert '[project.entry-points."qanneal.backends"]' in pyproject
    assert Path(ROOT / "plugins" / "qanneal-openjij" / "qanneal_openjij" / "__init__.py").exists()


def test_the_guides_example_backend_runs():
    guide = (ROOT / "plugins" / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(# my_plugin/__init__.py.*?)```", guide, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "plugins/README.md", "exec"), namespace)  # noqa: S102
    backend = namespace["GreedyBackend"]()
    problem = maxcut_problem(nx.petersen_graph())
    result = solve(problem, backend, seed=1, num_reads=200)
    assert result.feasible and result.objective == 12.0
    with pytest.raises(InputError):
        solve(problem, backend, num_raeds=3)


# --- any labels (issue 15) ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["openjij-sa", "openjij-sqa"])
def test_labels_that_do_not_sort_together_reach_the_exact_optimum(name):
    # Was: TypeError: '<' not supported between instances of 'str' and 'int' (in cimod).
    bqm = mixed_label_bqm()
    exact = dimod.ExactSolver().sample(bqm)
    assert exact.first.energy == -23.0 and np.sum(exact.record.energy == -23.0) == 1
    result = solve(model_problem(bqm), name, seed=1, num_reads=5)
    assert result.feasible and result.objective == -23.0
    assert result.solution == {v: int(x) for v, x in exact.first.sample.items()}


@pytest.mark.parametrize("name", ["openjij-sa", "openjij-sqa"])
def test_samples_and_trace_come_back_in_the_models_labels(name):
    bqm = mixed_label_bqm()
    raw = load_backend(name)().solve(bqm, seed=3, num_reads=4)
    assert list(raw.sampleset.variables) == list(bqm.variables)
    assert np.allclose(raw.sampleset.record.energy, bqm.energies(raw.sampleset))
    assert raw.trace and all(set(answer) == set(MIXED_LABELS) for _, answer in raw.trace)
    energies = [bqm.energy(answer) for _, answer in raw.trace]
    assert energies == sorted(energies, reverse=True)  # each one an improvement
    assert energies[-1] == raw.sampleset.first.energy


@pytest.mark.parametrize("cls", ["OpenJijSASampler", "OpenJijSQASampler"])
def test_wrapper_maps_labels_back_even_when_they_collide_with_integers(cls):
    # 1 and 0 are labels *and* targets of the relabelling; 2 is taken by 'z'.
    bqm = dimod.BQM({1: -5.0, 0: 4.0, "z": -1.0}, {(1, "z"): -2.0}, 0.5, "BINARY")
    ss = getattr(qanneal_openjij, cls)().sample(bqm, num_reads=3, seed=1)
    assert ss.first.sample == {1: 1, 0: 0, "z": 1} and ss.first.energy == -7.5
    assert ss.vartype is dimod.BINARY and list(ss.variables) == list(bqm.variables)


def test_openjij_in_the_parent_does_not_hang_the_forked_worker():
    # OpenJij starts an OpenMP runtime; the plugin runs in a forked child. Use it in the
    # parent first, then solve through the worker, in a fresh interpreter.
    assert wants_worker(load_backend("openjij-sa")())
    code = ("import networkx as nx, qanneal, qanneal_openjij; "
            "from qanneal.problems.maxcut import maxcut_problem; "
            "qanneal_openjij.OpenJijSASampler().sample_ising({0: 1}, {(0, 1): -1}, seed=1); "
            "r = qanneal.solve(maxcut_problem(nx.cycle_graph(6)), 'openjij-sa', seed=2); "
            "print(r.objective)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6.0"


@dimod.testing.load_sampler_bqm_tests(qanneal_openjij.OpenJijSASampler)
class TestSASamplerDimodHarness(unittest.TestCase):
    """dimod's generated tests (empty models, tuple labels, vartypes, energies)."""


@dimod.testing.load_sampler_bqm_tests(qanneal_openjij.OpenJijSQASampler)
class TestSQASamplerDimodHarness(unittest.TestCase):
    """dimod's generated tests (empty models, tuple labels, vartypes, energies)."""
