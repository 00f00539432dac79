"""qanneal.hybrid: the annealer as dwave-hybrid Runnables in real workflows, checked
against brute force (dimod.ExactSolver)."""

from __future__ import annotations

import importlib
import itertools
import sys
import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

hybrid = pytest.importorskip("hybrid", reason="dwave-hybrid not installed "
                             "(pip install qanneal[hybrid])")

from qanneal.hybrid import AnnealProblemSampler, AnnealSubproblemSampler  # noqa: E402


def glass(n: int, seed: int) -> dimod.BinaryQuadraticModel:
    """A sparse-ish +-1 spin glass with small random fields."""
    rng = np.random.default_rng(seed)
    J = {(u, v): float(rng.choice((-1, 1)))
         for u, v in itertools.combinations(range(n), 2) if rng.random() < 0.4}
    return dimod.BQM.from_ising({v: float(rng.normal(scale=0.3)) for v in range(n)}, J)


def start(bqm: dimod.BinaryQuadraticModel, seed: int) -> hybrid.State:
    rng = np.random.default_rng(seed)
    sample = {v: int(rng.choice((-1, 1))) for v in bqm.variables}
    return hybrid.State.from_sample(sample, bqm)


def islands(k: int, m: int, seed: int) -> dimod.BinaryQuadraticModel:
    """``k`` disconnected dense spin glasses of ``m`` variables each, labelled (c, i)."""
    rng = np.random.default_rng(seed)
    bqm = dimod.BQM("SPIN")
    for c in range(k):
        for u, v in itertools.combinations(range(m), 2):
            bqm.add_quadratic((c, u), (c, v), float(rng.choice((-1, 1)) * rng.uniform(0.5, 1.5)))
        for u in range(m):
            bqm.add_linear((c, u), float(rng.normal(scale=0.3)))
    return bqm


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_decomposer_sampler_composer_loop_reaches_the_exact_optimum(seed):
    # Four islands of five: a breadth-first subproblem of five is one island, rolling
    # history moves to the next one each iteration, so four iterations anneal every
    # island once, each from the current sample. The optimum is the sum of the islands'
    # brute-force optima.
    bqm = islands(4, 5, seed)
    best = sum(dimod.ExactSolver().sample(
        dimod.BQM({v: b for v, b in bqm.linear.items() if v[0] == c},
                  {e: b for e, b in bqm.quadratic.items() if e[0][0] == c}, 0, "SPIN")
    ).first.energy for c in range(4))
    branch = (hybrid.EnergyImpactDecomposer(size=5, rolling_history=1.0, traversal="bfs")
              | AnnealSubproblemSampler(num_reads=4, num_sweeps=100, seed=1)
              | hybrid.SplatComposer())
    state = hybrid.Loop(branch, max_iter=4).run(start(bqm, seed)).result()
    assert state.samples.first.energy == pytest.approx(best)
    assert bqm.energy(state.samples.first.sample) == pytest.approx(best)


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_kerberos_like_workflow_reaches_the_exact_optimum(seed):
    # A whole-problem anneal and a decomposition branch side by side, the better state
    # kept, looped (the shape of dwave-hybrid's Kerberos, without a QPU).
    bqm = glass(16, seed=seed)
    best = dimod.ExactSolver().sample(bqm).first.energy
    workflow = hybrid.Loop(
        hybrid.Parallel(
            AnnealProblemSampler(num_reads=2, num_sweeps=50, seed=2),
            hybrid.EnergyImpactDecomposer(size=5)
            | AnnealSubproblemSampler(num_reads=2, num_sweeps=50, seed=3)
            | hybrid.SplatComposer(),
        ) | hybrid.ArgMin(), max_iter=4)
    state = workflow.run(start(bqm, 2)).result()
    assert state.samples.first.energy == pytest.approx(best)


def test_the_same_seeds_give_the_same_workflow_result():
    bqm = glass(20, seed=5)

    def run() -> np.ndarray:
        sampler = AnnealProblemSampler(num_reads=3, num_sweeps=20, seed=9)
        state = start(bqm, 4)
        for _ in range(3):  # each call draws its own seed from the generator
            state = sampler.run(state).result()
        return state.samples.record.sample

    assert np.array_equal(run(), run())


def test_a_halted_sampler_returns_early_and_runs_fully_next_time():
    bqm = glass(12, seed=2)
    sampler = AnnealProblemSampler(num_reads=40, num_sweeps=50, seed=1, threads=1)
    sampler.halt()  # e.g. a Race whose other branch finished first
    halted = sampler.run(start(bqm, 3)).result()
    assert len(halted.samples) == 1 and halted.samples.info["interrupted"]
    full = sampler.run(start(bqm, 3)).result()
    assert len(full.samples) == 40


def test_extra_options_reach_the_sampler():
    bqm = glass(10, seed=4)
    sampler = AnnealProblemSampler(num_reads=2, num_sweeps=10, seed=1,
                                   proposal_acceptance_criteria="Gibbs", randomize_order=True)
    state = sampler.run(start(bqm, 1)).result()
    assert state.samples.info["kernel"] == "sa-csr-rules"


def test_without_dwave_hybrid_the_import_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "hybrid", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "qanneal.hybrid")
    with pytest.raises(ImportError, match=r"pip install qanneal\[hybrid\]"):
        importlib.import_module("qanneal.hybrid")


# dimod's generated tests on hybrid's dimod.Sampler face of a workflow made of our Runnable.
@dimod.testing.load_sampler_bqm_tests(
    hybrid.HybridSampler(AnnealProblemSampler(num_reads=1, num_sweeps=50, seed=1)))
class TestDimodHarnessThroughHybridSampler(unittest.TestCase):
    """Labels, vartypes, energies and empty models through a one-Runnable workflow."""
