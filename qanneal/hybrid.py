"""qanneal's annealer as dwave-hybrid Runnables (needs ``pip install qanneal[hybrid]``).

:class:`AnnealProblemSampler` and :class:`AnnealSubproblemSampler` are what
dwave-hybrid's ``SimulatedAnnealingProblemSampler`` / ``...SubproblemSampler`` are,
with :class:`qanneal.AnnealSampler` in place of dwave-samplers' SA: they sample
``state.problem`` (``state.subproblem``) starting from ``state.samples``
(``state.subsamples``, or the samples on the subproblem's variables when the
subsamples are another subproblem's) and put their answer back into the state, so they slot into any
workflow (``Loop``, ``Race``, decomposer | sampler | composer ...)::

    import hybrid
    from qanneal.hybrid import AnnealSubproblemSampler

    branch = (hybrid.EnergyImpactDecomposer(size=20)
              | AnnealSubproblemSampler(num_reads=4, seed=1)
              | hybrid.SplatComposer())
    workflow = hybrid.LoopUntilNoImprovement(branch, convergence=3)
    state = workflow.run(hybrid.State.from_sample(hybrid.random_sample(bqm), bqm)).result()

Every keyword of :meth:`qanneal.AnnealSampler.sample` (``num_sweeps``, ``beta_range``,
``method``, ``randomize_order``, ``time_limit`` ...) is accepted by the constructors.
``seed`` seeds a generator that gives each call its own seed: a workflow is
reproducible, and its iterations do not repeat one another. ``halt()`` (a ``Race``
whose other branch won) interrupts the anneal between rounds of reads.
"""

from __future__ import annotations

import threading
from typing import Any

try:
    import hybrid
    from hybrid import traits
except ImportError as exc:  # an optional extra: say how to get it
    raise ImportError("qanneal.hybrid needs dwave-hybrid: pip install qanneal[hybrid] "
                      f"(or pip install dwave-hybrid); {exc}") from exc

import numpy as np

from qanneal.anneal.sampler import AnnealSampler

__all__ = ["AnnealProblemSampler", "AnnealSubproblemSampler"]

#: One anneal at a time across the workflow's threads: each already uses every core, and
#: numba's workqueue threading layer (where OpenMP/TBB are missing) aborts the process on
#: parallel kernels launched from two threads at once.
_ANNEALING = threading.Lock()


class _AnnealRunnable(hybrid.Runnable):
    """Shared by both Runnables: the options, the per-call seeds, the stop event."""

    def __init__(self, num_reads: int | None = None, num_sweeps: int = 1000,
                 beta_range: Any = None, beta_schedule_type: str = "geometric",
                 initial_states_generator: str = "random", seed: int | None = None,
                 threads: int | None = None, **options: Any):
        super().__init__()
        self.num_reads = num_reads
        self.num_sweeps = num_sweeps
        self.beta_range = beta_range
        self.beta_schedule_type = beta_schedule_type
        self.initial_states_generator = initial_states_generator
        self.options = options
        self.sampler = AnnealSampler()
        self._seeds = np.random.default_rng(seed)
        self._seed_lock = threading.Lock()
        if threads is None:  # all cores; the stop event is then polled every round
            import numba

            threads = numba.config.NUMBA_NUM_THREADS
        self.threads = threads
        self._stop_event = threading.Event()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num_reads={self.num_reads!r}, "
                f"num_sweeps={self.num_sweeps!r}, "
                f"initial_states_generator={self.initial_states_generator!r})")

    def _sample(self, bqm: Any, initial: Any) -> Any:
        with self._seed_lock:  # Runnables may run in threads (Race, Parallel)
            seed = int(self._seeds.integers(2**32))
        try:
            with _ANNEALING:
                return self.sampler.sample(
                    bqm, num_reads=self.num_reads, num_sweeps=self.num_sweeps,
                    beta_range=self.beta_range, beta_schedule_type=self.beta_schedule_type,
                    initial_states=initial,
                    initial_states_generator=self.initial_states_generator,
                    interrupt_function=self._stop_event.is_set, seed=seed,
                    threads=self.threads, **self.options)
        finally:  # a halt ends this call only (dwave's stays set for every later one)
            self._stop_event.clear()

    def halt(self) -> None:
        self._stop_event.set()


class AnnealProblemSampler(_AnnealRunnable, traits.ProblemSampler, traits.SISO):
    """qanneal's annealer on the whole problem (``state.problem``), from
    ``state.samples``; as dwave-hybrid's ``SimulatedAnnealingProblemSampler``."""

    def next(self, state: Any, **runopts: Any) -> Any:
        return state.updated(samples=self._sample(state.problem, state.samples))


class AnnealSubproblemSampler(_AnnealRunnable, traits.SubproblemSampler, traits.SISO):
    """qanneal's annealer on ``state.subproblem``, from ``state.subsamples``; as
    dwave-hybrid's ``SimulatedAnnealingSubproblemSampler``."""

    def next(self, state: Any, **runopts: Any) -> Any:
        return state.updated(subsamples=self._sample(state.subproblem, _start_of(state)))


def _start_of(state: Any) -> Any:
    """Initial states for ``state.subproblem``: ``state.subsamples`` when they are its,
    else the current ``state.samples`` on its variables, else none (random starts).

    Decomposers set a new subproblem but leave the last iteration's subsamples, whose
    variables differ: dwave-hybrid's SA subproblem sampler then fails in a ``Loop``
    ("mismatch between variables"); starting from the current samples is what the
    decomposer cut the subproblem out of.
    """
    sub, variables = state.subsamples, state.subproblem.variables
    if sub is not None and set(sub.variables) == set(variables):
        return sub
    samples = state.samples
    if samples is not None and len(samples) and set(variables) <= set(samples.variables):
        columns = [samples.variables.index(v) for v in variables]
        return samples.record.sample[:, columns], list(variables)
    return None
