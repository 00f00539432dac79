"""The backend interface: what a solver must provide to be dispatched by qanneal.

A backend is tiny on purpose (compare ``dimod.Sampler``): a name, what it consumes,
whether it can run here, and ``solve``. Built-in backends and plugins implement
exactly this class and register through the ``qanneal.backends`` entry-point group.

A backend never knows which problem type it is solving: it receives a BQM, a CQM or
a MILP formulation and returns a :class:`RawAnswer`. Decoding and verification are
done afterwards by the problem, for every backend alike.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import dimod

Consumes = Literal["bqm", "cqm", "milp"]


@dataclass
class RawAnswer:
    """What a backend returns.

    Exactly one of ``sampleset`` (assignments of the model's variables, for BQM and
    CQM backends, and for MILP backends solving a linearised model) and
    ``solutions`` (answers already in problem terms, from a native MILP formulation)
    is set.

    ``info`` carries what the backend itself reports: its own timings
    (``qpu_access_time`` ...), a solver ``status`` (``optimal``, ``feasible``,
    ``time_limit``, ``infeasible``...), a ``bound`` and ``gap``, chain breaks.
    ``params`` are the parameters actually used (defaults filled in), so a run can be
    replayed.

    ``trace`` is the anytime curve with its answers: ``(seconds since the backend's
    solve began, answer)`` at every improvement, the answer a sample of the model's
    variables (a mapping) or, for a native MILP, a solution in problem terms. The caller
    decodes and verifies each one (:mod:`qanneal.solve`), so a time to target is the time
    a *verified* answer reached it. Empty when the backend cannot tell.
    """

    sampleset: dimod.SampleSet | None = None
    solutions: list[Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    trace: list[tuple[float, Any]] = field(default_factory=list)


class Backend(abc.ABC):
    """Base class of every backend.

    Subclasses set the class attributes and implement :meth:`solve`; override
    :meth:`available` when the backend needs something this machine may lack.

    Example: a complete backend that returns dimod's random samples.

    >>> import dimod
    >>> class RandomBackend(Backend):
    ...     name = "random"
    ...     consumes = "bqm"
    ...     description = "uniform random samples (a baseline)"
    ...     def solve(self, model, *, seed=None, time_limit=None, num_reads=10):
    ...         ss = dimod.RandomSampler().sample(model, num_reads=num_reads, seed=seed)
    ...         return RawAnswer(sampleset=ss, params={"num_reads": num_reads})
    >>> bqm = dimod.BQM({"a": -1.0}, {}, 0.0, "BINARY")
    >>> RandomBackend().solve(bqm, seed=1).sampleset.first.energy in (0.0, -1.0)
    True
    """

    #: Registered name, as used on the command line (``--backend NAME``).
    name: ClassVar[str]
    #: What the backend consumes: ``"bqm"``, ``"cqm"`` or ``"milp"``.
    consumes: ClassVar[Consumes]
    #: One line for ``qanneal backends``.
    description: ClassVar[str] = ""
    #: Largest number of variables this backend accepts (None: no limit).
    max_variables: ClassVar[int | None] = None
    #: Whether the backend builds a dense n x n matrix (checked against memory first).
    dense_matrix: ClassVar[bool] = False
    #: Whether the backend can keep one-hot groups satisfied by its moves (it then gets
    #: the BQM without their penalties and ``onehot_groups=``; see :meth:`uses_onehot`).
    onehot_moves: ClassVar[bool] = False
    #: The options ``solve`` accepts, with their defaults (None: not declared). Declared
    #: options let a problem file's ``backends:`` section be checked before anything runs.
    defaults: ClassVar[dict[str, Any] | None] = None

    #: Set by the caller for each run; see :meth:`should_stop`.
    stop_event: Any = None
    #: Set by the caller for a run that may stop early (None: nobody listens); see
    #: :meth:`improved`.
    on_improvement: Any = None

    def should_stop(self) -> bool:
        """True once the caller gave up on this run (time limit passed, Ctrl-C, or a
        verified answer reached the caller's ``stop_at``).

        Anytime backends check it between batches and return what they have so far.
        """
        return self.stop_event is not None and self.stop_event.is_set()

    def improved(self, seconds: float, answer: Any) -> None:
        """Report a new best answer as it is found: anytime backends call it with each
        :attr:`RawAnswer.trace` entry, as they record it.

        The caller (:func:`qanneal.solve.solve` with ``stop_at``) decodes and verifies
        the answer and, once it reaches the target, sets the stop event, so the next
        :meth:`should_stop` is true. Backends only ever see samples, never objectives:
        this is how a run stops at a proven optimum. Cheap when nobody listens.
        """
        if self.on_improvement is not None:
            self.on_improvement(seconds, answer)

    def prepare(self, model: Any, **options: Any) -> float:
        """One-off work before the run's clock starts; returns its seconds.

        Called by :func:`qanneal.solve.solve` outside the time limit and the watchdog,
        with the model and options the next :meth:`solve` gets. Backends that compile
        code on first use (the ``anneal`` engine's numba kernels) do it here, so it is
        never charged to a user's budget nor to the reported solve time
        (``timing["compile_s"]`` holds it). Default: nothing to do.
        """
        return 0.0

    @classmethod
    def warm_up(cls, progress: Any = None) -> dict[str, float]:
        """Compile ahead, once per machine, whatever this backend compiles on first use.

        ``qanneal warmup`` (run by the README's set-up) calls it for every installed
        backend; returns seconds per compiled part. ``progress(part, seconds, compiled)``
        is called after each part. Default: nothing to compile.
        """
        return {}

    @classmethod
    def uses_onehot(cls, options: dict[str, Any]) -> bool:
        """Whether a run with ``options`` moves inside one-hot groups (then
        :func:`qanneal.solve.prepare_model` leaves their penalties out and hands the
        groups to :meth:`prepare` and :meth:`solve` as ``onehot_groups``)."""
        return cls.onehot_moves

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """Whether the backend can run here, and if not, why and how to fix it."""
        return True, ""

    @classmethod
    def available_for(cls, options: dict[str, Any]) -> tuple[bool, str]:
        """Whether the backend can run here with these ``options`` (default: :meth:`available`).

        Override when an option changes what the backend needs, e.g. ``qpu`` with
        ``mock: true`` runs offline on a simulated QPU and needs no token.
        """
        return cls.available()

    @abc.abstractmethod
    def solve(self, model: Any, *, seed: int | None = None, time_limit: float | None = None,
              **options: Any) -> RawAnswer:
        """Solve ``model`` (a BQM, CQM or MILP formulation, per :attr:`consumes`).

        ``seed`` makes the run reproducible; ``time_limit`` is a wall-clock budget in
        seconds the backend should honour (the caller also enforces it from outside
        where it can). Unknown ``options`` raise :class:`qanneal.errors.InputError`.
        """


class AnytimeTrace:
    """The anytime curve of a batch backend: each batch's best sample, when it improves
    on the best energy so far, with the seconds since ``start`` (``RawAnswer.trace``).

    Each entry is also reported through :meth:`Backend.improved`, so a caller can stop
    the run early.

    >>> import time, dimod
    >>> class Quiet(Backend):
    ...     name, consumes = "quiet", "bqm"
    ...     def solve(self, model, **kw): ...
    >>> trace = AnytimeTrace(Quiet(), time.perf_counter())
    >>> bqm = dimod.BQM({"a": 1.0}, {}, 0.0, "BINARY")
    >>> for a in (1, 0, 1):
    ...     trace.add_sampleset(dimod.SampleSet.from_samples_bqm({"a": a}, bqm))
    >>> [answer for _, answer in trace.entries]
    [{'a': 1}, {'a': 0}]
    """

    def __init__(self, backend: Backend, start: float) -> None:
        self.backend = backend
        self.start = start
        self.best = float("inf")
        self.entries: list[tuple[float, Any]] = []

    def add(self, sample: Any, energy: float) -> None:
        """Record ``sample`` (a mapping of the model's variables) if ``energy`` improves."""
        import time

        if not energy < self.best:
            return
        self.best = float(energy)
        seconds = time.perf_counter() - self.start
        # Plain Python numbers: numpy scalars would leak into decoders and JSON.
        answer = {k: v.item() if hasattr(v, "item") else v for k, v in sample.items()}
        self.entries.append((seconds, answer))
        self.backend.improved(seconds, answer)

    def add_sampleset(self, sampleset: dimod.SampleSet) -> None:
        """Record the lowest-energy sample of ``sampleset`` if it improves."""
        if len(sampleset):
            first = sampleset.first
            self.add(first.sample, first.energy)


def merge_options(backend: str, defaults: dict[str, Any], options: dict[str, Any]
                  ) -> dict[str, Any]:
    """Defaults overlaid with ``options``; an unknown option name is a one-line error."""
    from qanneal.errors import InputError, did_you_mean

    for key in options:
        if key not in defaults:
            raise InputError(
                f"unknown option {key!r} for backend {backend!r}{did_you_mean(key, defaults)}; "
                f"allowed: {', '.join(sorted(defaults)) or '(none)'}", field=key)
    return {**defaults, **options}


def derive_seeds(seed: int | None, count: int) -> list[int]:
    """``count`` independent 32-bit seeds from one master seed (None: fresh entropy)."""
    import numpy as np

    sequence = np.random.SeedSequence(seed)
    # 31 bits: dwave-samplers and others reject seeds of 2**31 and above.
    return [int(s.generate_state(1)[0]) & 0x7FFFFFFF for s in sequence.spawn(count)]


def seed_stream(seed: int | None) -> Iterator[int]:
    """An endless stream of independent 31-bit seeds from one master seed, made lazily.

    The first ``n`` values equal ``derive_seeds(seed, n)``.

    >>> from itertools import islice
    >>> list(islice(seed_stream(5), 3)) == derive_seeds(5, 3)
    True
    """
    import numpy as np

    sequence = np.random.SeedSequence(seed)
    while True:
        for child in sequence.spawn(64):
            yield int(child.generate_state(1)[0]) & 0x7FFFFFFF
