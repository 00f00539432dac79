"""Any ``dimod.Sampler`` as a backend: one wrapper adds what a backend needs.

:func:`sampler_backend` turns a Sampler class -- registered in the
``qanneal.backends`` entry-point group (``mine = "pkg.mod:MySampler"``) or named on
the command line (``--backend pkg.mod:MySampler``) -- into a :class:`Backend`:

* **seed**: each call gets a 31-bit seed derived from the run's seed
  (:func:`seed_stream`), when the sampler takes ``seed``;
* **time limit** by restarts: a one-read probe measures what a read costs, then
  batches of up to ``num_reads`` reads until the budget is spent (as the ``sa``
  backend); a sampler that takes ``interrupt_function`` is also told to stop at the
  deadline or when the caller stops the run;
* **anytime trace**: each batch's best sample when it improves (:class:`AnytimeTrace`);
* **verification**: the samples must cover exactly the model's variables, and the
  energies the sampler reports must be the model's (dimod recomputes them); otherwise
  the run fails with one line naming the sampler.

Options are the sampler's own ``parameters`` (anything else is a one-line error), or,
for a subclass that declares ``defaults`` (the built-in ``sa``: qanneal's defaults over
dwave-samplers' ``SimulatedAnnealingSampler``), exactly those, defaults filled in; the
parameters used are returned, ``None`` ones filled from the sampler's ``info``
(``beta_range``). ``check_options`` refuses a run before any call (``sa``: memory).

>>> import dimod
>>> backend = sampler_backend(dimod.SimulatedAnnealingSampler, "dimod-sa")()
>>> bqm = dimod.BQM({"a": -1.0}, {("a", "b"): 2.0}, 0.0, "BINARY")
>>> answer = backend.solve(bqm, seed=1, num_reads=4)
>>> float(answer.sampleset.first.energy), answer.info["calls"]
(-1.0, 1)
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import dimod
import numpy as np

from qanneal.backends.base import AnytimeTrace, Backend, RawAnswer, merge_options, seed_stream
from qanneal.errors import BackendError, InputError, did_you_mean

#: Batch size under a time limit when ``num_reads`` is not given.
DEFAULT_BATCH = 10


class SamplerBackend(Backend):
    """Base of the wrappers :func:`sampler_backend` makes (``sampler_class`` is set there)
    and of built-in backends that are a registration of a sampler (``sampler_path``,
    imported on first use so that listing backends stays cheap)."""

    consumes = "bqm"
    #: Set by :func:`sampler_backend` only: :mod:`qanneal.isolation` takes a class with
    #: it for third-party code (a worker process), so built-ins use ``sampler_path``.
    sampler_class: ClassVar[type[dimod.Sampler]]
    #: ``"module:Class"`` of a built-in registration's sampler, imported on first use.
    sampler_path: ClassVar[str | None] = None
    _resolved: ClassVar[type[dimod.Sampler] | None] = None

    @classmethod
    def sampler_type(cls) -> type[dimod.Sampler]:
        """The wrapped sampler class."""
        if hasattr(cls, "sampler_class"):
            return cls.sampler_class
        if cls._resolved is None:
            import importlib

            module, _, name = (cls.sampler_path or "").partition(":")
            cls._resolved = getattr(importlib.import_module(module), name)
        return cls._resolved  # type: ignore[return-value]

    @classmethod
    def check_options(cls, params: dict[str, Any], model: dimod.BinaryQuadraticModel) -> None:
        """Refuse ``params`` (defaults filled in) for ``model`` before any call; raise
        :class:`qanneal.errors.InputError`. Default: nothing to check."""

    def solve(self, model: dimod.BinaryQuadraticModel, *, seed: int | None = None,
              time_limit: float | None = None, **options: Any) -> RawAnswer:
        sampler_class = self.sampler_type()
        try:
            sampler = sampler_class()
        except Exception as exc:
            raise BackendError(self.name, f"cannot create {sampler_class.__name__}: "
                                          f"{type(exc).__name__}: {exc}") from None
        accepted = set(sampler.parameters)
        if self.defaults is not None:  # declared: exactly these, defaults filled in
            params = merge_options(self.name, self.defaults, options)
        else:
            params = dict(options)
            for key in options:
                if key not in accepted:
                    raise InputError(
                        f"unknown option {key!r} for backend {self.name!r}"
                        f"{did_you_mean(key, accepted)}; allowed: "
                        f"{', '.join(sorted(accepted - {'seed', 'interrupt_function'})) or '(none)'}",
                        field=key)
        self.check_options(params, model)
        start = time.perf_counter()
        deadline = None if time_limit is None else start + time_limit
        kwargs = {k: v for k, v in params.items() if v is not None}
        if "interrupt_function" in accepted:
            kwargs["interrupt_function"] = lambda: self.should_stop() or (
                deadline is not None and time.perf_counter() >= deadline)
        seeds = seed_stream(seed)
        trace = AnytimeTrace(self, start)
        batches: list[dimod.SampleSet] = []
        reads = kwargs.get("num_reads") or DEFAULT_BATCH
        batch = 1 if time_limit is not None else None  # a probe first under a budget
        while True:
            call = dict(kwargs)
            if "seed" in accepted:
                call["seed"] = next(seeds)
            if batch is not None and "num_reads" in accepted:
                call["num_reads"] = batch
            batches.append(self._verified(model, sampler.sample(model, **call)))
            trace.add_sampleset(batches[-1])
            elapsed = time.perf_counter() - start
            if time_limit is None or elapsed >= time_limit or self.should_stop():
                break
            per_call = elapsed / len(batches)
            if "num_reads" in accepted:
                per_read = elapsed / max(1, sum(len(b) for b in batches))
                batch = min(reads, int((time_limit - elapsed) / per_read))
                if batch < 1:
                    break
            elif elapsed + per_call > time_limit:
                break
        sampleset = dimod.concatenate(batches) if len(batches) > 1 else batches[0]
        for key, value in params.items():  # what the sampler chose (e.g. its beta_range)
            if value is None and key in batches[0].info:
                chosen = batches[0].info[key]
                params[key] = list(chosen) if isinstance(chosen, (list, tuple)) else chosen
        # "batches" as every batch backend reports it (shown by `qanneal solve`)
        info = {"calls": len(batches), "batches": len(batches),
                "num_reads_total": len(sampleset),
                "sampler": f"{sampler_class.__module__}:{sampler_class.__name__}"}
        return RawAnswer(sampleset=sampleset, info=info, params=params, trace=trace.entries)

    def _verified(self, model: dimod.BinaryQuadraticModel, ss: Any) -> dimod.SampleSet:
        """``ss`` in the model's vartype, if its variables and energies are the model's."""
        if not isinstance(ss, dimod.SampleSet):
            raise BackendError(self.name, f"sample() returned {type(ss).__name__}, "
                                          "not a dimod SampleSet")
        if set(ss.variables) != set(model.variables):
            raise BackendError(self.name, f"samples cover {len(ss.variables)} variables, the "
                                          f"model has {model.num_variables} (other labels)")
        ss = ss.change_vartype(model.vartype) if ss.vartype is not model.vartype else ss
        if len(ss):
            expected = model.energies(ss)
            # A sampler that tracks its energy by flips accumulates rounding on the scale
            # of the biases, not of the energy: a dense portfolio model (|biases| ~100,
            # energies ~1e-3) drifted by 3.5e-7 under dwave-samplers' SA, which a fixed
            # 1e-9 refused as a wrong energy. The tolerance scales with the biases; the
            # model's own energies are kept.
            ldata, (_, _, qdata), offset = model.to_numpy_vectors()
            scale = abs(offset) + float(np.abs(ldata).sum() + np.abs(qdata).sum())
            if not np.allclose(ss.record.energy, expected, rtol=1e-9,
                               atol=1e-9 * max(1.0, scale)):
                worst = int(np.argmax(np.abs(ss.record.energy - expected)))
                raise BackendError(self.name, f"reported energy {ss.record.energy[worst]!r} "
                                              f"differs from the model's {expected[worst]!r}")
            ss.record.energy[:] = expected
        return ss


def sampler_backend(cls: type[dimod.Sampler], name: str) -> type[SamplerBackend]:
    """A :class:`Backend` class named ``name`` that runs ``cls`` (a dimod Sampler)."""
    doc = (cls.__doc__ or "").strip().splitlines()
    first = doc[0].strip() if doc else ""
    return type(f"{cls.__name__}Backend", (SamplerBackend,), {
        "name": name,
        "sampler_class": cls,
        "description": f"dimod sampler {cls.__module__}:{cls.__name__}"
                       + (f" ({first.rstrip('.')})" if first and len(first) < 80 else ""),
        "__module__": __name__,
    })

