"""Solver adapters for the side-by-side suite: one call = one batch of independent reads.

Every restart-type adapter has ``prepare(instance)`` (once per instance and seed,
untimed: e.g. asking qanneal for its beta range) and ``batch(bqm, seed, reads)``
(timed by the caller) returning a :class:`Batch`. The harness (:mod:`run`) calls
``batch`` in a loop with fresh derived seeds until the wall budget is spent.

* ``dwave-sa``: dwave-samplers ``SimulatedAnnealingSampler`` at its defaults. Its default
  beta range is computed in Python on every call (4-60 ms); the adapter takes the range
  the first call reports (``info['beta_range']``) and passes it back explicitly
  afterwards -- same samples distribution, no repeated set-up cost.
* ``dwave-sa-qrange``: the same sampler, 1000 sweeps geometric, with the beta range
  qanneal's ``anneal`` computes (``RawAnswer.params['beta_range']``): a fair test of
  the schedule vs the kernel.
* ``openjij-sa``: OpenJij ``SASampler`` defaults, one read per call with its own derived
  seed (seeded OpenJij with ``num_reads > 1`` returns identical reads; PEERS.md).
* ``tabu``: dwave-samplers ``TabuSampler`` defaults (20 ms per read).
* ``anneal-sa`` / ``anneal-pt``: qanneal's ``anneal`` backend, ``method`` sa (multi-spin
  coding chosen automatically where it applies) or pt, single thread. ``anneal-sa``
  restarts the way ``anneal(time_limit=...)`` does (the harness's loop stands in for the
  engine's): call ``k`` anneals :func:`qanneal.anneal.engine.batch_sweeps` ``(k, 1000)``
  sweeps -- 125, 250, 500, then 1000 -- so a first answer comes early.
  ``anneal-sa-flat`` (not run by default) is the same with every call at 1000 sweeps
  (``ramp=False``), the comparison that shows what the ramp buys.
* ``milp-highs`` / ``milp-cbc``: qanneal's ``milp`` backend through ``qanneal.solve``
  (one run per budget; only on constrained instances where a native MILP exists).
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np

#: Solvers run by default, in round-robin order; the reference for ratios comes first.
DEFAULT_SOLVERS = ("dwave-sa", "dwave-sa-qrange", "openjij-sa", "tabu", "anneal-sa",
                   "anneal-pt", "milp-highs", "milp-cbc")
REFERENCE = "dwave-sa"


@dataclass
class Batch:
    """The reads of one call: samples (k, n) in the BQM's variable order, energies."""

    samples: np.ndarray
    energies: np.ndarray
    reads: int
    attempts: int = 0  # spin-flip attempts (0 when the solver does not count them)
    info: dict[str, Any] = field(default_factory=dict)


def _batch_of(ss: dimod.SampleSet, bqm: dimod.BinaryQuadraticModel, attempts: int = 0,
              info: dict[str, Any] | None = None) -> Batch:
    if list(ss.variables) == list(bqm.variables):
        samples = ss.record.sample
    else:  # put the columns in the BQM's variable order
        position = {v: i for i, v in enumerate(ss.variables)}
        samples = ss.record.sample[:, [position[v] for v in bqm.variables]]
    counts = ss.record.num_occurrences
    if np.any(counts != 1):  # expand aggregated rows: every read counts for p_s
        samples = np.repeat(samples, counts, axis=0)
        energies = np.repeat(ss.record.energy, counts)
    else:
        energies = ss.record.energy
    return Batch(np.asarray(samples), np.asarray(energies, dtype=float), len(energies),
                 attempts, info or {})


class Solver:
    """A restart-type solver (one call = ``reads`` independent reads)."""

    name = ""
    kind = "restart"
    #: reads of the first call; later calls are resized towards the batch time
    first_reads = 1
    #: reads are rounded up to a multiple of this (multi-spin coding: 64 per word)
    read_quantum = 1

    def call_weight(self, call: int) -> float:
        """Relative cost per read of call ``call`` (0-based); the harness sizes calls by it."""
        return 1.0

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, ""

    def applies(self, instance: Any) -> bool:
        return True

    def prepare(self, instance: Any) -> None:
        """Untimed per-instance set-up."""

    def batch(self, bqm: dimod.BinaryQuadraticModel, seed: int, reads: int) -> Batch:
        raise NotImplementedError


class DwaveSA(Solver):
    name = "dwave-sa"
    num_sweeps = 1000

    @classmethod
    def available(cls) -> tuple[bool, str]:
        ok = importlib.util.find_spec("dwave.samplers") is not None
        return ok, "" if ok else "dwave-samplers not installed"

    def prepare(self, instance: Any) -> None:
        from dwave.samplers import SimulatedAnnealingSampler

        self.sampler = SimulatedAnnealingSampler()
        self.beta_range: list[float] | None = None

    def batch(self, bqm: dimod.BinaryQuadraticModel, seed: int, reads: int) -> Batch:
        kwargs: dict[str, Any] = {"num_reads": reads, "seed": seed}
        if self.beta_range is not None:
            kwargs["beta_range"] = self.beta_range
        ss = self.sampler.sample(bqm, **kwargs)
        if self.beta_range is None:
            self.beta_range = [float(b) for b in ss.info["beta_range"]]
        return _batch_of(ss, bqm, reads * self.num_sweeps * bqm.num_variables,
                         {"beta_range": self.beta_range})


class DwaveSAQRange(DwaveSA):
    name = "dwave-sa-qrange"

    def prepare(self, instance: Any) -> None:
        from dwave.samplers import SimulatedAnnealingSampler

        from qanneal.backends.anneal import AnnealBackend

        self.sampler = SimulatedAnnealingSampler()
        # qanneal's automatic range, in the BQM's energy units (the engine reports it)
        probe = AnnealBackend().solve(instance.bqm, seed=0, num_reads=1, num_sweeps=1,
                                      threads=1, msc=False)
        self.beta_range = [float(b) for b in probe.params["beta_range"]]

    def batch(self, bqm: dimod.BinaryQuadraticModel, seed: int, reads: int) -> Batch:
        ss = self.sampler.sample(bqm, num_reads=reads, seed=seed, num_sweeps=self.num_sweeps,
                                 beta_range=self.beta_range, beta_schedule_type="geometric")
        return _batch_of(ss, bqm, reads * self.num_sweeps * bqm.num_variables,
                         {"beta_range": self.beta_range})


class OpenJijSA(Solver):
    name = "openjij-sa"
    num_sweeps = 1000  # OpenJij's default

    @classmethod
    def available(cls) -> tuple[bool, str]:
        ok = importlib.util.find_spec("openjij") is not None
        return ok, "" if ok else "openjij not installed"

    def prepare(self, instance: Any) -> None:
        import openjij

        self.sampler = openjij.SASampler()

    def batch(self, bqm: dimod.BinaryQuadraticModel, seed: int, reads: int) -> Batch:
        seeds = np.random.SeedSequence(seed).generate_state(reads)
        parts = [_batch_of(self.sampler.sample(bqm, num_reads=1, seed=int(s) & 0x7FFFFFFF), bqm)
                 for s in seeds]
        return Batch(np.concatenate([p.samples for p in parts]),
                     np.concatenate([p.energies for p in parts]), reads,
                     reads * self.num_sweeps * bqm.num_variables)


class Tabu(Solver):
    name = "tabu"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        ok = importlib.util.find_spec("dwave.samplers") is not None
        return ok, "" if ok else "dwave-samplers not installed"

    def prepare(self, instance: Any) -> None:
        from dwave.samplers import TabuSampler

        self.sampler = TabuSampler()

    def batch(self, bqm: dimod.BinaryQuadraticModel, seed: int, reads: int) -> Batch:
        return _batch_of(self.sampler.sample(bqm, num_reads=reads, seed=seed), bqm)


class AnnealSA(Solver):
    name = "anneal-sa"
    method = "sa"
    ramp = True
    num_sweeps = 1000  # the engine's default

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            from qanneal.backends.anneal import AnnealBackend  # noqa: F401
        except ImportError as exc:
            return False, f"qanneal anneal backend not importable: {exc}"
        return True, ""

    def options(self) -> dict[str, Any]:
        return {"method": self.method, "threads": 1}

    def prepare(self, instance: Any) -> None:
        from qanneal.backends.anneal import AnnealBackend

        self.backend = AnnealBackend()
        # untimed warm-up: numba compilation / cache load for this kernel
        probe = self.backend.solve(instance.bqm, seed=0, num_reads=1, num_sweeps=2,
                                   **self.options())
        self.kernel = probe.info.get("kernel")
        msc = self.kernel == "msc"
        # Multi-spin coding anneals 64 replicas per word, 8 words per SIMD vector.
        self.first_reads = 512 if msc else 1
        self.read_quantum = 512 if msc else 1
        self.calls = 0

    def sweeps(self, call: int) -> int:
        from qanneal.anneal.engine import batch_sweeps

        return batch_sweeps(call, self.num_sweeps, self.ramp and self.method == "sa")

    def call_weight(self, call: int) -> float:
        return self.sweeps(call) / self.num_sweeps

    def batch(self, bqm: dimod.BinaryQuadraticModel, seed: int, reads: int) -> Batch:
        sweeps = self.sweeps(self.calls)
        self.calls += 1
        raw = self.backend.solve(bqm, seed=seed, num_reads=reads, num_sweeps=sweeps,
                                 **self.options())
        info = {k: raw.info.get(k) for k in ("kernel", "beta_range", "swap_acceptance",
                                             "num_replicas", "kernel_time")
                if raw.info.get(k) is not None}
        out = _batch_of(raw.sampleset, bqm, int(raw.info.get("flip_attempts", 0)), info)
        return out


class AnnealSAFlat(AnnealSA):
    name = "anneal-sa-flat"
    ramp = False


class AnnealPT(AnnealSA):
    name = "anneal-pt"
    method = "pt"


class Milp:
    """qanneal's ``milp`` backend, one run per budget, through ``qanneal.solve``."""

    kind = "oneshot"

    def __init__(self, solver: str):
        self.solver = solver
        self.name = f"milp-{solver}"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            from qanneal.backends.milp import MilpBackend  # noqa: F401
        except ImportError as exc:
            return False, f"milp backend not importable: {exc}"
        return True, ""

    def applies(self, instance: Any) -> bool:
        # Meaningful only where a native MILP exists and the instance is small
        # (PEERS.md: on n=800 max-cut the MILPs trail SA by 4-32% after 30 s).
        return (instance.problem is not None and instance.problem.milp is not None
                and instance.family in ("tsp", "jobshop", "generated")
                and instance.bqm.num_variables <= 2000)

    def run(self, instance: Any, seed: int, budget: float) -> dict[str, Any]:
        import qanneal

        t0 = time.perf_counter()
        result = qanneal.solve(instance.problem, "milp", seed=seed, time_limit=budget,
                               solver=self.solver, threads=1)
        wall = time.perf_counter() - t0
        return {"objective": result.objective if result.feasible else None,
                "feasible": bool(result.feasible), "status": result.status, "solve_s": result.timing.get("solve_s", wall), "wall": wall}


def make_solver(name: str) -> Any:
    """The adapter named ``name`` (one of :data:`DEFAULT_SOLVERS`)."""
    table: dict[str, Any] = {
        "dwave-sa": DwaveSA, "dwave-sa-qrange": DwaveSAQRange, "openjij-sa": OpenJijSA,
        "tabu": Tabu, "anneal-sa": AnnealSA, "anneal-sa-flat": AnnealSAFlat,
        "anneal-pt": AnnealPT,
    }
    if name in table:
        return table[name]()
    if name in ("milp-highs", "milp-cbc"):
        return Milp(name.split("-", 1)[1])
    raise ValueError(f"unknown solver {name!r}; choose from "
                     f"{', '.join([*DEFAULT_SOLVERS, 'anneal-sa-flat'])}")
