"""Any dimod Sampler as a backend: entry points, ``module:Class`` names, the wrapper's
seed, time limit by restarts, anytime trace and verification."""

from __future__ import annotations

import threading
import time
from importlib.metadata import EntryPoint

import dimod
import networkx as nx
import numpy as np
import pytest
from conftest import PROBLEMS

import qanneal
from qanneal import registry
from qanneal.backends.base import Backend
from qanneal.backends.sampler import sampler_backend
from qanneal.errors import BackendError, InputError, UnknownNameError

DWAVE_SA = "dwave.samplers:SimulatedAnnealingSampler"


class WrongEnergySampler(dimod.Sampler):
    """A user's sampler whose energies are off by one (the wrapper must refuse them)."""

    parameters: dict = {"num_reads": []}
    properties: dict = {}

    def sample(self, bqm, num_reads=1, **kwargs):
        ss = dimod.RandomSampler().sample(bqm, num_reads=num_reads)
        return dimod.SampleSet.from_samples((ss.record.sample, ss.variables), bqm.vartype,
                                            energy=ss.record.energy + 1)


class LosesAVariableSampler(dimod.Sampler):
    """A user's sampler that forgets the model's last variable."""

    parameters: dict = {}
    properties: dict = {}

    def sample(self, bqm, **kwargs):
        kept = list(bqm.variables)[:-1]
        return dimod.SampleSet.from_samples(({v: 0 for v in kept}), bqm.vartype, energy=0.0)


def small_glass(n: int = 10, seed: int = 1) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    return dimod.BQM.from_ising({v: float(rng.normal()) for v in range(n)},
                                {(u, v): float(rng.choice((-1, 1)))
                                 for u in range(n) for v in range(u + 1, n)})


@pytest.fixture
def registered(monkeypatch):
    """The backend group plus entry points given by the test (real EntryPoint objects)."""
    base = dict(registry._entry_points(registry.BACKEND_GROUP))

    def install(**eps: str) -> None:
        group = {**base, **{name: EntryPoint(name, value, registry.BACKEND_GROUP)
                            for name, value in eps.items()}}
        monkeypatch.setattr(registry, "_entry_points",
                            lambda g: group if g == registry.BACKEND_GROUP else {})
        registry.load_backend.cache_clear()

    yield install
    registry.load_backend.cache_clear()


def test_entry_point_naming_a_sampler_is_a_backend(registered):
    registered(**{"dwave-sa": DWAVE_SA})
    cls = registry.load_backend("dwave-sa")
    assert issubclass(cls, Backend) and cls.consumes == "bqm" and cls.name == "dwave-sa"
    bqm = small_glass()
    answer = registry.get_backend("dwave-sa").solve(bqm, seed=3, num_reads=20)
    assert answer.sampleset.first.energy == pytest.approx(
        dimod.ExactSolver().sample(bqm).first.energy)
    assert "dwave-sa" in {b.name for b in registry.list_backends()}


def test_module_class_names_a_backend_and_seeds_reproduce():
    cls = registry.load_backend(DWAVE_SA)
    bqm = small_glass(seed=2)
    a = cls().solve(bqm, seed=5, num_reads=8, num_sweeps=20).sampleset
    b = cls().solve(bqm, seed=5, num_reads=8, num_sweeps=20).sampleset
    c = cls().solve(bqm, seed=6, num_reads=8, num_sweeps=20).sampleset
    assert np.array_equal(a.record.sample, b.record.sample)
    assert not np.array_equal(a.record.sample, c.record.sample)


def test_qanneal_own_sampler_by_path_solves_a_problem():
    problem = qanneal.problems.maxcut.maxcut_problem(nx.petersen_graph())
    result = qanneal.solve(problem, "qanneal.anneal.sampler:AnnealSampler", seed=1)
    assert result.feasible and result.objective == 12


def test_time_limit_by_restarts_with_an_anytime_trace():
    cls = registry.load_backend(DWAVE_SA)
    t0 = time.perf_counter()
    answer = cls().solve(small_glass(30), seed=1, time_limit=0.4, num_reads=4, num_sweeps=200)
    spent = time.perf_counter() - t0
    assert answer.info["calls"] > 2 and spent < 0.4 + 0.3
    assert answer.trace and all(t1 < t2 for (t1, _), (t2, _) in zip(answer.trace,
                                                                    answer.trace[1:]))


def test_sampler_without_num_reads_or_seed_runs_once():
    cls = registry.load_backend("dimod:ExactSolver")
    answer = cls().solve(small_glass(6), seed=1)
    assert answer.info["calls"] == 1 and len(answer.sampleset) == 2**6


def test_the_caller_stop_reaches_an_interruptible_sampler():
    backend = registry.load_backend("qanneal.anneal.sampler:AnnealSampler")()
    backend.stop_event = threading.Event()
    backend.stop_event.set()
    answer = backend.solve(small_glass(20), seed=1, num_reads=40, threads=1)
    assert len(answer.sampleset) == 1 and answer.sampleset.info["interrupted"]


def test_wrong_energies_and_missing_variables_are_refused():
    bqm = small_glass(5)
    with pytest.raises(BackendError, match="reported energy"):
        sampler_backend(WrongEnergySampler, "wrong")().solve(bqm, num_reads=3)
    with pytest.raises(BackendError, match="variables"):
        sampler_backend(LosesAVariableSampler, "lossy")().solve(bqm)


def test_unknown_option_is_one_line():
    with pytest.raises(InputError, match="unknown option 'num_sweep'.*num_sweeps"):
        registry.load_backend(DWAVE_SA)().solve(small_glass(4), num_sweep=10)


def test_bad_paths_are_one_line_errors():
    with pytest.raises(BackendError, match="No module named 'nosuch'"):
        registry.load_backend("nosuch.mod:Sampler")
    with pytest.raises(BackendError, match=r"not a qanneal Backend subclass \(nor a dimod Sampler"):
        registry.load_backend("qanneal.errors:InputError")
    with pytest.raises(UnknownNameError):
        registry.load_backend("not a path")


def test_cli_backend_module_class(run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", DWAVE_SA, "--seed", "1")
    assert run.code == 0 and "feasible: yes" in run.out
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "nosuch.mod:Sampler")
    assert run.code == 2 and len(run.err.strip().splitlines()) == 1
    assert "failed to import nosuch.mod:Sampler" in run.err


class SegfaultSampler(dimod.Sampler):
    """A user's sampler that crashes the process it runs in."""

    parameters: dict = {}
    properties: dict = {}

    def sample(self, bqm, **kwargs):
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV


def test_third_party_samplers_run_isolated_and_qanneal_own_do_not():
    from qanneal.isolation import wants_worker

    assert wants_worker(sampler_backend(WrongEnergySampler, "user")())
    assert wants_worker(sampler_backend(dimod.ExactSolver, "exact-dimod")())
    assert not wants_worker(sampler_backend(qanneal.AnnealSampler, "own")())


def test_a_crashing_sampler_named_by_path_is_one_line(run_cli):
    out = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend",
                  "test_sampler_backend:SegfaultSampler", "--time-limit", "5")
    assert out.code == 2, out.err
    assert "crashed (signal 11)" in out.err and "Traceback" not in out.err


def test_compare_takes_a_sampler_by_path():
    c = qanneal.compare([PROBLEMS / "maxcut-small.yaml"],
                        ["sa", "dwave.samplers:SteepestDescentSolver"], repeats=1, seed=3,
                        executor="serial", time_budget=0.3)
    names = {row["backend"] for row in c.summary}
    assert names == {"sa", "dwave.samplers:SteepestDescentSolver"}


def test_sa_is_a_registration_of_dwave_sa_through_the_wrapper():
    from dwave.samplers import SimulatedAnnealingSampler

    from qanneal.backends.base import derive_seeds
    from qanneal.backends.sa import SimulatedAnnealingBackend

    bqm = small_glass(12, seed=4)
    answer = SimulatedAnnealingBackend().solve(bqm, seed=7, num_sweeps=200)
    # One call of the declared 50 reads, seeded with the run's first derived seed.
    direct = SimulatedAnnealingSampler().sample(bqm, num_reads=50, num_sweeps=200,
                                                beta_schedule_type="geometric",
                                                seed=derive_seeds(7, 1)[0])
    assert np.array_equal(answer.sampleset.record.sample, direct.record.sample)
    assert answer.params["beta_range"] == list(direct.info["beta_range"])
    assert answer.info["batches"] == 1 and answer.info["sampler"].endswith(
        ":SimulatedAnnealingSampler")
    with pytest.raises(InputError, match="allowed: beta_range, beta_schedule_type, num_reads"):
        SimulatedAnnealingBackend().solve(bqm, num_sweeps_per_beta=2)  # not declared
    from qanneal.errors import TooLargeError

    with pytest.raises(TooLargeError, match="num_sweeps"):  # memory, before any call
        SimulatedAnnealingBackend().solve(bqm, num_sweeps=10**11)


def test_rounding_drift_on_a_dense_model_is_not_a_wrong_energy():
    # 840 one-hot lot bits, |biases| up to ~120, energies ~1e-3: dwave-samplers' SA
    # drifts by ~3e-7 from the model's energy, which a fixed 1e-9 refused as wrong.
    from qanneal import solve
    from qanneal.spec import load_problem

    spec = load_problem(PROBLEMS / "portfolio-prices40.csv", "portfolio",
                        options={"lots": 20, "encoding": "one-hot"})
    result = solve(spec.problem, "sa", seed=1, num_reads=1, num_sweeps=100)
    bqm, _ = spec.problem.to_bqm()
    assert result.energy == bqm.energies(result.sampleset)[0]  # the model's own energy
