"""``AnnealSampler``: qanneal's engine as a ``dimod.Sampler``, usable anywhere in Ocean.

A drop-in replacement for ``dwave.samplers.SimulatedAnnealingSampler``: the same
parameter names and meanings (``num_reads``, ``num_sweeps``, ``beta_range``,
``beta_schedule_type`` with ``custom`` and ``beta_schedule``, ``num_sweeps_per_beta``,
``seed``, ``initial_states``, ``initial_states_generator``, ``interrupt_function``), one
row per read, and ``info`` with ``beta_range``, ``beta_schedule_type`` and ``timing``
(``preprocessing_ns``, ``sampling_ns``, ``postprocessing_ns``) as dwave's. The engine's
own report rides along (``kernel``, ``attempts_per_s``, ``best_trace``, ``compile_s``
...), and its extras are extra parameters: ``method`` (``sa`` | ``pt``), ``msc``,
``layout``, ``num_replicas``, ``threads``, ``ramp``, ``time_limit`` (batches of reads
until the budget is used, the ``num_reads`` best kept), ``onehot_groups`` and
``onehot`` (moves inside exactly-one groups, :mod:`qanneal.onehot`), and
``on_improvement`` (called with each new best sample, as the engine finds it).

Where it differs from dwave's, on purpose or for want of a kernel:

* ``randomize_order=True`` and ``proposal_acceptance_criteria="Gibbs"`` run on a
  plain CSR kernel of their own (:mod:`.rules`), slower per attempt than the fast
  in-order Metropolis kernels, and without multi-spin coding, PT or one-hot moves.
* The automatic ``beta_range`` is qanneal's own rule (:mod:`.schedules`), not dwave's;
  :func:`default_beta_range` gives it for a BQM and :func:`_default_ising_beta_range`
  for ``h, J`` with dwave's two knobs.
* ``interrupt_function`` is called after every ``threads`` reads (reads run that many
  at a time). Given an ``interrupt_function`` and no ``threads``, reads run one at a
  time, so it is called after every read as dwave's (an immediate interrupt: 1 row).
* Rows come sorted by energy (a dimod SampleSet is a set). ``num_sweeps=0`` returns the
  initial states in their order, as dwave's.
* Initial states run on the SA CSR/dense kernels: multi-spin coding is then not used
  (``msc='auto'``) and parallel tempering and one-hot moves refuse them.
* Seeds are 32-bit (``0 <= seed < 2**32``), a ``TypeError`` when not an integer.

>>> sampler = AnnealSampler()
>>> ss = sampler.sample_ising({}, {("a", "b"): 1.0, ("b", "c"): 1.0}, num_reads=4, seed=7)
>>> len(ss), float(ss.first.energy), sorted(ss.info["timing"])
(4, -2.0, ['postprocessing_ns', 'preprocessing_ns', 'sampling_ns'])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral
from time import perf_counter_ns
from typing import Any

import dimod

__all__ = ["AnnealSampler", "default_beta_range"]

#: dwave's parameters, then qanneal's extras (the engine's options, a budget, hooks).
_DWAVE_PARAMETERS = (
    "beta_range", "num_reads", "num_sweeps", "num_sweeps_per_beta", "beta_schedule_type",
    "beta_schedule", "seed", "interrupt_function", "initial_states",
    "initial_states_generator", "randomize_order", "proposal_acceptance_criteria")
_QANNEAL_PARAMETERS = (
    "method", "num_replicas", "threads", "layout", "msc", "ramp", "onehot", "onehot_groups",
    "time_limit", "on_improvement")


class AnnealSampler(dimod.Sampler, dimod.Initialized):
    """qanneal's numba annealer (SA, parallel tempering, multi-spin coding) as a dimod
    Sampler; parameters as ``dwave.samplers.SimulatedAnnealingSampler`` plus qanneal's
    (see the module docstring)."""

    # Plain attributes (set per instance) in place of dimod's abstract properties.
    parameters: dict[str, list[str]] = None  # type: ignore[assignment]
    properties: dict[str, Any] = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self.parameters = {name: [] for name in _DWAVE_PARAMETERS + _QANNEAL_PARAMETERS}
        self.parameters["beta_schedule_type"] = ["beta_schedule_options"]
        self.parameters["method"] = ["method_options"]
        self.properties = {"beta_schedule_options": ("linear", "geometric", "custom"),
                           "method_options": ("sa", "pt")}
        self._prepared: Any = None

    def prepare(self, bqm: dimod.BinaryQuadraticModel, onehot_groups: Any = None,
                **options: Any) -> float:
        """Convert ``bqm`` and compile or load its kernel now (the next :meth:`sample` of
        this very ``bqm`` with these engine ``options`` reuses it); returns seconds.

        For callers that keep compilation outside a clock (qanneal's ``anneal`` backend).
        """
        from qanneal.anneal.engine import prepare

        self._prepared = prepare(bqm, onehot_groups, **options)
        return self._prepared.compile_s

    def sample(self, bqm: dimod.BinaryQuadraticModel,
               beta_range: Sequence[float] | None = None,
               num_reads: int | None = None,
               num_sweeps: int | None = None,
               num_sweeps_per_beta: int = 1,
               beta_schedule_type: str = "geometric",
               seed: int | None = None,
               interrupt_function: Callable[[], bool] | None = None,
               beta_schedule: Sequence[float] | None = None,
               initial_states: Any = None,
               initial_states_generator: str = "random",
               randomize_order: bool = False,
               proposal_acceptance_criteria: str = "Metropolis",
               method: str = "sa",
               num_replicas: int | None = None,
               threads: int | None = None,
               layout: str = "auto",
               msc: Any = "auto",
               ramp: bool = True,
               onehot: Any = "auto",
               onehot_groups: Any = None,
               time_limit: float | None = None,
               on_improvement: Callable[[float, dict[Any, int]], None] | None = None,
               **kwargs: Any) -> dimod.SampleSet:
        """Anneal ``bqm``; ``num_reads`` rows (default: one per initial state, else 1).

        Unknown keywords (from composites) are dropped with dimod's
        ``SamplerUnknownArgWarning``.
        """
        from qanneal.anneal.engine import anneal
        from qanneal.anneal.rules import check_rules, prepare_rules

        start = perf_counter_ns()
        self.remove_unknown_kwargs(**kwargs)
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, Integral):
                raise TypeError(f"'seed' should be None or an integer 0 <= seed < 2**32, "
                                f"got {seed!r}")
            if not 0 <= seed < 2**32:
                raise ValueError(f"'seed' should be an integer 0 <= seed < 2**32, got {seed!r}")
            seed = int(seed)
        randomize, gibbs = check_rules(randomize_order, proposal_acceptance_criteria)
        if interrupt_function is not None and not callable(interrupt_function):
            raise TypeError("'interrupt_function' should be a callable")
        if interrupt_function is not None and threads is None:
            threads = 1  # polled after every read, as dwave's (reads run `threads` at a time)
        if num_sweeps is not None and (isinstance(num_sweeps, bool)
                                       or not isinstance(num_sweeps, Integral)):
            raise TypeError(f"'num_sweeps' should be a non-negative integer, got {num_sweeps!r}")
        if num_sweeps is not None and num_sweeps < 0:
            raise ValueError(f"'num_sweeps' should be a non-negative integer, got {num_sweeps!r}")

        given = 0 if initial_states is None else len(dimod.as_samples(initial_states)[0])
        parsed = self.parse_initial_states(
            bqm, num_reads=num_reads, initial_states=initial_states,
            initial_states_generator=initial_states_generator, seed=seed)
        num_reads = parsed.num_reads
        states = parsed.initial_states  # in bqm's vartype; random rows filled by dimod
        if num_sweeps == 0:  # nothing to anneal: the initial states themselves
            info = {"beta_range": None if beta_range is None else list(beta_range),
                    "beta_schedule_type": beta_schedule_type}
            return _timed(states.change_vartype(bqm.vartype), info, start, start,
                          perf_counter_ns())

        options: dict[str, Any] = {
            "num_reads": num_reads, "num_sweeps_per_beta": num_sweeps_per_beta,
            "beta_schedule_type": beta_schedule_type, "method": method, "threads": threads,
            "layout": layout, "msc": msc, "ramp": ramp, "onehot": onehot}
        optional = {"num_sweeps": num_sweeps, "beta_range": beta_range,
                    "beta_schedule": beta_schedule, "num_replicas": num_replicas}
        options.update({k: v for k, v in optional.items() if v is not None})
        init = None
        if given or initial_states_generator != "random":
            order = [states.variables.index(v) for v in bqm.variables]
            init = states.record.sample[:, order]

        def should_stop() -> bool:
            try:  # as dwave's: an interrupt function that raises interrupts
                return bool(interrupt_function())
            except Exception:
                return True

        prepared = self._prepared
        self._prepared = None
        if randomize or gibbs:  # their own kernel (see .rules for why)
            prepared = prepare_rules(bqm, randomize, gibbs, onehot_groups, init is not None,
                                     **options)
            options = dict(prepared.options)  # msc left out
            sampling = perf_counter_ns()
        elif (prepared is not None and prepared.bqm is bqm
                and prepared.options == options and prepared.initial_states == (init is not None)):
            sampling = perf_counter_ns()  # prepared (compiled) before this call
        else:
            from qanneal.anneal.engine import prepare

            prepared = prepare(bqm, onehot_groups, init is not None, **options)
            sampling = perf_counter_ns()
        result = anneal(bqm, seed=seed, time_limit=time_limit,
                        should_stop=should_stop if interrupt_function is not None else None,
                        prepared=prepared, onehot_groups=onehot_groups,
                        on_improvement=on_improvement, initial_states=init, **options)
        done = perf_counter_ns()
        info = dict(result.info)
        info["beta_range"] = (info.get("beta_range") or
                              (None if beta_range is None else list(beta_range)))
        info["beta_schedule_type"] = beta_schedule_type
        info["seed"] = result.params["seed"]
        return _timed(result.sampleset, info, start, sampling, done)


def _timed(sampleset: dimod.SampleSet, info: dict[str, Any], start: int, sampling: int,
           done: int) -> dimod.SampleSet:
    """``sampleset`` with ``info`` and dwave's ``timing`` (ns: before, in and after the
    anneal; each at least 1 so that none reads as "not measured")."""
    sampleset.info.update(info)
    sampleset.info["timing"] = {
        "preprocessing_ns": max(1, sampling - start),
        "sampling_ns": max(1, done - sampling),
        "postprocessing_ns": max(1, perf_counter_ns() - done),
    }
    return sampleset


def default_beta_range(bqm: dimod.BinaryQuadraticModel) -> list[float]:
    """``[hot, cold]``: the ``beta_range`` :class:`AnnealSampler` anneals ``bqm`` over
    when none is given (qanneal's rule, :func:`qanneal.anneal.schedules.auto_beta_range`;
    the same for the BQM in either vartype).

    >>> default_beta_range(dimod.BQM.from_ising({}, {"ab": 1.0}))
    [0.6931471805599453, 2.302585092994046]
    """
    ising = bqm.spin
    return _default_ising_beta_range(ising.linear, ising.quadratic)


def _default_ising_beta_range(h: Any, J: Any, max_single_qubit_excitation_rate: float = 0.01,
                              scale_T_with_N: bool = False) -> list[float]:
    """``[hot, cold]`` for the Ising model ``h, J`` by qanneal's rule, with the knobs of
    dwave-samplers' function of this name: the acceptance of the smallest step at the
    cold end (1%), and ``scale_T_with_N`` (that rate shared among the variables that
    can take that step; dwave's default is on, qanneal's -- what the sampler uses --
    off). An empty or all-zero model gets ``[0.1, 1.0]``.
    """
    from qanneal.anneal.layout import ising_arrays
    from qanneal.anneal.schedules import auto_beta_range

    if not 0 < max_single_qubit_excitation_rate < 1:
        raise ValueError("'max_single_qubit_excitation_rate' should be in (0, 1), got "
                         f"{max_single_qubit_excitation_rate!r}")
    arrays = ising_arrays(dimod.BQM.from_ising(h, J))
    stored = auto_beta_range(arrays, max_single_qubit_excitation_rate, bool(scale_T_with_N))
    return [b / arrays.scale for b in stored]
