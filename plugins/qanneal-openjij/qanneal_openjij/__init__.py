"""OpenJij backends for qanneal: ``openjij-sa`` (simulated annealing) and ``openjij-sqa``
(simulated quantum annealing, path-integral Monte Carlo).

A separate distribution: qanneal finds these classes through the ``qanneal.backends``
entry points in this package's ``pyproject.toml``; nothing in qanneal imports it.

Two OpenJij behaviours shape the code:

- Seeded OpenJij returns *identical* reads when ``num_reads > 1`` (every read restarts
  from the same seed). So each read is one call with its own seed, derived from the
  run's seed by ``qanneal.backends.base.derive_seeds``: reads differ and the run is
  still reproducible.
- OpenJij's default inverse-temperature range is too cold for Beasley-style QUBOs
  (large integer coefficients): on bqp1000 its median energy was -169494 against
  -171318 with a hotter start. Set ``beta_min`` (e.g. the ``beta_range[0]`` that the
  ``sa`` backend reports in its params) for such problems.

OpenJij (through cimod) sorts the variable labels and reads tuple labels as indices, so
a BQM labelled ``{0, "a", (1, ("x", 2))}`` fails inside it. :class:`OpenJijSASampler`
and :class:`OpenJijSQASampler` are thin ``dimod.Sampler`` wrappers that relabel the BQM
to ``0..n-1`` before OpenJij and the samples back after; the backends sample through
them, so any hashable labels work (dimod's sampler test harness passes on both).

Energies are recomputed on the BQM qanneal passed in, so they are comparable with
every other backend's. Each read that improves on the best energy so far goes to
``RawAnswer.trace`` (seconds since the solve began, the sample), and is reported
through ``Backend.improved``, so qanneal can verify it and stop the run early.

>>> import dimod
>>> bqm = dimod.BQM({"a": -1.0, "b": -1.0}, {("a", "b"): 3.0}, 0.0, "BINARY")
>>> raw = OpenJijSABackend().solve(bqm, seed=3, num_reads=4)
>>> sorted(float(e) for e in raw.sampleset.record.energy)
[-1.0, -1.0, -1.0, -1.0]
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import dimod
import numpy as np

from qanneal.backends.base import Backend, RawAnswer, derive_seeds, merge_options
from qanneal.errors import InputError

__all__ = ["OpenJijSABackend", "OpenJijSQABackend", "OpenJijSASampler",
           "OpenJijSQASampler"]


class _RelabellingSampler(dimod.Sampler):
    """An OpenJij sampler behind a relabelling to ``0..n-1``, so any hashable labels work.

    OpenJij is imported when the sampler is created, not when this module is: listing
    backends stays cheap, and nothing OpenJij starts (its OpenMP runtime) exists in a
    parent process before qanneal forks a worker for the plugin.
    """

    openjij_name: ClassVar[str]

    def __init__(self) -> None:
        import openjij

        self.child = getattr(openjij, self.openjij_name)()

    @property
    def parameters(self) -> dict[str, list[str]]:
        # OpenJij lists only its schedule knobs; num_reads, num_sweeps and seed are
        # keyword arguments of its sample() as well.
        params = {key: list(value) for key, value in self.child.parameters.items()}
        for key in ("num_reads", "num_sweeps", "seed"):
            params.setdefault(key, [])
        return params

    @property
    def properties(self) -> dict[str, Any]:
        return {"child_properties": dict(self.child.properties),
                "openjij_sampler": f"openjij.{self.openjij_name}"}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Sample ``bqm`` with OpenJij; ``parameters`` go to OpenJij's ``sample``.

        The returned set is over ``bqm``'s own labels, in ``bqm``'s variable order, with
        energies computed on ``bqm``.
        """
        # cimod sorts labels (str with int fails) and takes a tuple label for an index
        # (('a',) fails with "invalid length of tuple"): hand it integers only.
        integers, mapping = bqm.relabel_variables_as_integers(inplace=False)
        response = self.child.sample(integers, **parameters)
        variables = list(bqm.variables)
        position = {v: i for i, v in enumerate(variables)}
        index = [position[mapping.get(v, v)] for v in response.variables]
        samples = np.zeros((len(response), len(variables)), dtype=np.int8)
        samples[:, index] = response.record.sample
        return dimod.SampleSet.from_samples_bqm(
            (samples, variables), bqm, num_occurrences=response.record.num_occurrences,
            info=dict(response.info))


class OpenJijSASampler(_RelabellingSampler):
    """``openjij.SASampler`` (simulated annealing) taking any hashable labels.

    >>> import dimod
    >>> bqm = dimod.BQM({0: -1.0, "a": -1.0, (1, ("x", 2)): 0.5}, {(0, "a"): -2.0},
    ...                 0.0, "SPIN")
    >>> ss = OpenJijSASampler().sample(bqm, num_reads=5, seed=1)
    >>> ss.first.sample == {0: 1, "a": 1, (1, ("x", 2)): -1}, float(ss.first.energy)
    (True, -4.5)
    """

    openjij_name = "SASampler"


class OpenJijSQASampler(_RelabellingSampler):
    """``openjij.SQASampler`` (simulated quantum annealing) taking any hashable labels."""

    openjij_name = "SQASampler"


class _OpenJijBackend(Backend):
    """One OpenJij call per read (own seed), anytime under ``time_limit``."""

    consumes = "bqm"
    #: The dimod Sampler (relabelling wrapper around OpenJij) each read goes through.
    sampler_type: ClassVar[type[_RelabellingSampler]]
    defaults: ClassVar[dict[str, Any]]
    #: Options that must be positive integers / positive numbers when given.
    integer_options: ClassVar[tuple[str, ...]] = ("num_reads", "num_sweeps")
    number_options: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import openjij  # noqa: F401
        except ImportError as exc:
            return False, f"openjij is not importable ({exc}); pip install openjij"
        return True, ""

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        params = self._check(merge_options(self.name, self.defaults, options))
        sampler = self.sampler_type()
        kwargs = {k: v for k, v in params.items() if k != "num_reads" and v is not None}
        start = time.perf_counter()
        rows: list[np.ndarray] = []
        variables = list(model.variables)  # the wrapper returns columns in this order
        trace: list[tuple[float, dict[Any, Any]]] = []
        best = float("inf")
        for read_seed in derive_seeds(seed, params["num_reads"]):
            response = sampler.sample(model, num_reads=1, seed=read_seed % (2**31), **kwargs)
            rows.append(np.asarray(response.record.sample[0]))
            sample = dict(zip(variables, rows[-1].tolist()))
            energy = float(response.record.energy[0])  # computed on ``model`` by the wrapper
            if energy < best:  # the anytime curve, in qanneal's energies
                best = energy
                trace.append((time.perf_counter() - start, sample))
                self._report(*trace[-1])
            if time_limit is not None and time.perf_counter() - start >= time_limit:
                break
            if self._stop_requested():
                break
        # Recompute energies on qanneal's BQM (OpenJij's own may differ by the offset).
        sampleset = dimod.SampleSet.from_samples_bqm((np.vstack(rows), variables), model)
        info = {"reads": len(rows), "reads_requested": params["num_reads"],
                "sampler": f"openjij.{self.sampler_type.openjij_name}",
                "sampling_s": time.perf_counter() - start}
        return RawAnswer(sampleset=sampleset, info=info, params=params, trace=trace)

    def _report(self, seconds: float, sample: dict[Any, Any]) -> None:
        improved = getattr(self, "improved", None)  # qanneal versions that support it
        if callable(improved):
            improved(seconds, sample)

    def _stop_requested(self) -> bool:
        stop = getattr(self, "should_stop", None)  # qanneal versions that support it
        return bool(stop()) if callable(stop) else False

    def _check(self, params: dict[str, Any]) -> dict[str, Any]:
        for key in self.integer_options:
            value = params.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise InputError(f"expected a positive integer, got {value!r}", field=key)
        for key in self.number_options:
            value = params.get(key)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float)) or value <= 0):
                raise InputError(f"expected a positive number, got {value!r}", field=key)
        return params


class OpenJijSABackend(_OpenJijBackend):
    """OpenJij's ``SASampler``: classical simulated annealing."""

    name = "openjij-sa"
    description = "OpenJij simulated annealing (plugin qanneal-openjij)"
    sampler_type = OpenJijSASampler
    defaults = {"num_reads": 20, "num_sweeps": None, "beta_min": None, "beta_max": None}
    number_options = ("beta_min", "beta_max")

    def _check(self, params: dict[str, Any]) -> dict[str, Any]:
        params = super()._check(params)
        lo, hi = params["beta_min"], params["beta_max"]
        if lo is not None and hi is not None and lo >= hi:
            raise InputError(f"beta_min ({lo}) must be below beta_max ({hi})",
                             field="beta_min")
        return params


class OpenJijSQABackend(_OpenJijBackend):
    """OpenJij's ``SQASampler``: simulated quantum annealing (Suzuki-Trotter slices)."""

    name = "openjij-sqa"
    description = "OpenJij simulated quantum annealing (plugin qanneal-openjij)"
    sampler_type = OpenJijSQASampler
    defaults = {"num_reads": 10, "num_sweeps": None, "beta": None, "gamma": None,
                "trotter": None}
    integer_options = ("num_reads", "num_sweeps", "trotter")
    number_options = ("beta", "gamma")

