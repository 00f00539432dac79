"""The engine's entry point: options -> kernel choice -> batches of reads -> samples.

:func:`anneal` validates the options, converts the BQM once (:mod:`.layout`), picks
the kernel (multi-spin coding, CSR integer/real, dense; SA or parallel tempering),
and runs batches of ``num_reads`` reads until ``time_limit`` is used up (at least one
batch). It keeps the ``num_reads`` best samples seen and returns them in the BQM's own
variables and vartype.

Energies: dimod computes them from the BQM for every sample (never taken from a
kernel's running tally), except under multi-spin coding, where a vector of 512
replicas anneals so cheaply that evaluating 512 unpacked samples with dimod cost as
much as 20-150 sweeps (15% of a 1000-sweep call on Gset G1). There the final words are
counted by :func:`.msc.msc_anneal` (bit-sliced, from the final state), and the best
sample's energy is checked against dimod's on every call.

Anytime runs (``time_limit``, SA): the first batches anneal 1/8, 1/4 and 1/2 of
``num_sweeps`` (:func:`batch_sweeps`), then every batch the full schedule. A first
answer comes ~8x sooner -- on easy instances that is when the target is hit (Gset G1:
6 of 512 multi-spin replicas reach the best-known cut in 125 sweeps) -- and a budget
shorter than one full batch still ends near its limit. The cost is at most 7/8 of one
full batch. ``ramp=False`` runs every batch at ``num_sweeps``. ``info["best_trace"]``
is the anytime curve: ``[seconds since start, best energy]`` at every improvement.

Reproducibility: read ``r`` of batch ``b`` is seeded from
``SeedSequence(seed, spawn_key=(b,))``, so a given seed gives the same samples
whatever the thread count (the number of batches under ``time_limit`` of course
depends on the machine).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dimod
import numba
import numpy as np

from qanneal.anneal import kernels, msc, pt
from qanneal.anneal.layout import IsingArrays, choose_layout, ising_arrays, table_size
from qanneal.anneal.schedules import auto_beta_range, beta_schedule, threshold_table
from qanneal.errors import InputError

#: Options and their defaults; ``None`` means "chosen from the problem or the method".
DEFAULTS: dict[str, Any] = {
    "num_reads": None,  # 16 for SA (MSC anneals 512 replicas a vector), 4 runs for PT
    "num_sweeps": 1000,
    "beta_range": None,  # [beta_min, beta_max] in the BQM's energy units; None: automatic
    "beta_schedule_type": "geometric",  # or "linear", or "custom" with beta_schedule
    "beta_schedule": None,  # custom: the betas swept, in the BQM's energy units
    "num_sweeps_per_beta": 1,  # sweeps at each beta (num_sweeps must be a multiple)
    "method": "sa",
    "num_replicas": None,  # PT: ~0.75 sqrt(n) clipped to 8..64 (3-regular n=2000: 34)
    "threads": None,  # None: every core numba may use
    "layout": "auto",
    "msc": "auto",
    "ramp": True,  # anytime runs (time_limit) start with shorter anneals; see batch_sweeps
    "onehot": "auto",  # one-hot moves when groups are handed over (onehot_groups); "off"
    "chain": 0,  # one-hot moves: longest ejection chain (onehot_kernel._chain); 0/1: none
    "chain_share": 0.25,  # ... tried in this share of uphill single-one group moves
}
_CHOICES = {
    "beta_schedule_type": ("geometric", "linear", "custom"),
    "method": ("sa", "pt"),
    "layout": ("auto", "csr", "dense"),
    "msc": ("auto", True, False),
    "ramp": (True, False),
    "onehot": ("auto", "off"),
}
_MAX_BATCHES = 100_000
#: Anytime ramp: batch b < RAMP_STEPS anneals num_sweeps / 2**(RAMP_STEPS - b) sweeps.
RAMP_STEPS = 3
#: ... but never fewer sweeps than this.
RAMP_MIN_SWEEPS = 10


def batch_sweeps(batch: int, num_sweeps: int, ramp: bool = True) -> int:
    """Sweeps of batch ``batch`` (0-based) of an anytime run.

    >>> [batch_sweeps(b, 1000) for b in range(5)]
    [125, 250, 500, 1000, 1000]
    >>> [batch_sweeps(b, 1000, ramp=False) for b in range(2)], batch_sweeps(0, 40)
    ([1000, 1000], 10)
    """
    if not ramp or batch >= RAMP_STEPS:
        return num_sweeps
    return min(num_sweeps, max(RAMP_MIN_SWEEPS, num_sweeps >> (RAMP_STEPS - batch)))


@dataclass
class AnnealResult:
    """What :func:`anneal` returns: samples, engine statistics and the parameters used."""

    sampleset: dimod.SampleSet
    info: dict[str, Any]
    params: dict[str, Any]
    #: ``(seconds since the clock started, best sample)`` at every improvement, in the
    #: order of ``sampleset.variables``: the answers behind ``info["best_trace"]``.
    trace: list[tuple[float, np.ndarray]] = field(default_factory=list)


def _positive_int(params: dict[str, Any], key: str) -> int:
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"must be a positive integer, got {value!r}", field=key)
    return int(value)


def _validate(options: dict[str, Any]) -> dict[str, Any]:
    for key in options:
        if key not in DEFAULTS:
            raise InputError(
                f"unknown option {key!r} for backend 'anneal'; "
                f"allowed: {', '.join(sorted(DEFAULTS))}", field=key)
    params = {**DEFAULTS, **options}
    for key in ("msc", "ramp"):
        if isinstance(params[key], str) and params[key].lower() in ("true", "false"):
            params[key] = params[key].lower() == "true"
    # YAML 1.1 reads a bare `off` (``-o onehot=off``, a problem file) as False.
    if isinstance(params["onehot"], bool):
        params["onehot"] = "auto" if params["onehot"] else "off"
    for key, allowed in _CHOICES.items():
        if params[key] not in allowed:
            raise InputError(
                f"must be one of {', '.join(map(str, allowed))}, got {params[key]!r}", field=key)
    params["num_sweeps"] = _positive_int(params, "num_sweeps")
    chain = params["chain"]
    if isinstance(chain, bool) or not isinstance(chain, (int, np.integer)) or not 0 <= chain <= 64:
        raise InputError(f"must be an integer from 0 (no chains) to 64, got {chain!r}",
                         field="chain")
    share = params["chain_share"]
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise InputError(f"must be a number from 0 to 1, got {share!r}", field="chain_share")
    if params["num_replicas"] is not None:
        params["num_replicas"] = _positive_int(params, "num_replicas")
    if params["num_reads"] is not None:
        params["num_reads"] = _positive_int(params, "num_reads")
    if params["threads"] is not None:
        params["threads"] = _positive_int(params, "threads")
    br = params["beta_range"]
    if br is not None:
        try:
            lo, hi = (float(b) for b in br)
        except (TypeError, ValueError):
            raise InputError(f"must be two numbers [beta_min, beta_max], got {br!r}",
                             field="beta_range") from None
        if not (0 <= lo <= hi) or not math.isfinite(hi) or (
                params["beta_schedule_type"] == "geometric" and lo == 0):
            raise InputError("needs 0 < beta_min <= beta_max (0 <= for a linear schedule), "
                             f"got {br!r}", field="beta_range")
        params["beta_range"] = [lo, hi]
    params["num_sweeps_per_beta"] = _positive_int(params, "num_sweeps_per_beta")
    _validate_schedule(params, options)
    return params


def _validate_schedule(params: dict[str, Any], options: dict[str, Any]) -> None:
    """``beta_schedule`` with ``beta_schedule_type: custom`` (then it fixes num_sweeps and
    beta_range), ``num_sweeps`` a multiple of ``num_sweeps_per_beta`` otherwise."""
    per = params["num_sweeps_per_beta"]
    if params["beta_schedule_type"] != "custom":
        if params["beta_schedule"] is not None:
            raise InputError("is only taken with beta_schedule_type: custom",
                             field="beta_schedule")
        if params["num_sweeps"] % per:
            raise InputError(f"must be a multiple of num_sweeps_per_beta ({per}), got "
                             f"{params['num_sweeps']}", field="num_sweeps")
        return
    if params["method"] != "sa":
        raise InputError("a custom beta_schedule is for SA (method: sa); parallel tempering "
                         "takes beta_range", field="beta_schedule")
    raw = params["beta_schedule"]
    if raw is None:
        raise InputError("beta_schedule_type: custom needs beta_schedule (a list of betas)",
                         field="beta_schedule")
    try:
        betas = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"must be a list of numbers, got {raw!r}",
                         field="beta_schedule") from None
    # +inf is a greedy (zero-temperature) sweep: allowed, as in dwave-samplers.
    if betas.size == 0 or np.isnan(betas).any() or (betas < 0).any():
        raise InputError("must be a non-empty list of betas >= 0", field="beta_schedule")
    sweeps = betas.size * per
    if "num_sweeps" in options and params["num_sweeps"] != sweeps:
        raise InputError(f"must be len(beta_schedule) * num_sweeps_per_beta = {sweeps} (or "
                         f"left out) with a custom schedule, got {params['num_sweeps']}",
                         field="num_sweeps")
    br = params["beta_range"]
    if br is not None and (br[0] != betas[0] or br[-1] != betas[-1]):
        raise InputError("must be left out, or equal the custom schedule's first and last "
                         "betas", field="beta_range")
    params["beta_schedule"] = betas.tolist()
    params["num_sweeps"] = sweeps
    params["beta_range"] = [float(betas[0]), float(betas[-1])]


def _batch_seeds(entropy: int, batch: int, count: int) -> np.ndarray:
    return np.random.SeedSequence(entropy, spawn_key=(batch,)).generate_state(
        count, dtype=np.uint64)


class _Runner:
    """One prepared kernel: ``run(seeds, sweeps) -> (spins (k, n) int8, stored energies
    or None, extra info)``."""

    def __init__(self, arrays: IsingArrays, params: dict[str, Any], beta_stored: tuple[float, float]):
        self.arrays = a = arrays
        self.method = params["method"]
        self.beta_stored = beta_stored
        self.schedule_type = params["beta_schedule_type"]
        self.per_beta = params["num_sweeps_per_beta"]
        self.custom = (None if params["beta_schedule"] is None
                       else np.asarray(params["beta_schedule"], dtype=np.float64))
        msc_ok = a.msc_applicable() and msc.msc_supported(a.degrees)
        if params["msc"] is True and not msc_ok:
            raise InputError(
                "multi-spin coding needs h = 0, every |J| equal and degree <= "
                f"{msc.MAX_DEGREE} (in Ising form); this problem does not qualify", field="msc")
        self.use_msc = self.method == "sa" and msc_ok and params["msc"] is not False
        self.layout = "csr" if self.use_msc or self.method == "pt" else choose_layout(
            a, params["layout"])
        self.tsize = table_size(a)
        self._schedules: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        if self.use_msc:
            self.kernel = "msc"
            self.masks = msc.edge_masks(a.data)
        elif self.method == "pt":
            self.kernel = "pt-csr-int" if self.tsize else "pt-csr"
            self.ladder = pt.beta_ladder(beta_stored, params["num_replicas"])
            self.table = threshold_table(self.ladder, self.tsize)
        elif self.layout == "dense":
            self.kernel = "sa-dense-table" if self.tsize else "sa-dense"
            self.dense = a.ensure_dense()
        else:
            self.kernel = "sa-csr-int" if self.tsize else "sa-csr"

    def schedule(self, sweeps: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(betas, threshold table or None) of an SA anneal of ``sweeps`` sweeps."""
        if sweeps not in self._schedules:
            if self.custom is not None:  # in BQM units; every batch anneals all of it
                betas = self.custom * self.arrays.scale
            else:
                steps = max(1, sweeps // self.per_beta)
                # One beta only: the cold end (a single sweep at the target, as dwave).
                betas = (np.array([self.beta_stored[1]]) if steps == 1 else
                         beta_schedule(self.beta_stored, steps, self.schedule_type))
            betas = np.repeat(betas, self.per_beta)[:max(sweeps, 1)]
            table = None
            if not self.use_msc and (self.layout == "dense" or self.tsize):
                table = threshold_table(betas, self.tsize)
            self._schedules[sweeps] = (betas, table)
        return self._schedules[sweeps]

    def seeds_per_batch(self, num_reads: int) -> int:
        if not self.use_msc:
            return num_reads
        # MSC sweeps words eight at a time (one SIMD vector, 512 replicas): the extra
        # replicas cost nothing, so every batch fills its vectors. Not more per thread:
        # results must not depend on the thread count (ask for more reads instead).
        return msc.LANES * -(-num_reads // (64 * msc.LANES))

    def attempts(self, num_seeds: int, sweeps: int) -> int:
        n = self.arrays.num_variables
        if self.use_msc:
            return 64 * num_seeds * sweeps * n
        if self.method == "pt":
            return num_seeds * len(self.ladder) * sweeps * n
        return num_seeds * sweeps * n

    def run(self, seeds: np.ndarray, sweeps: int, init: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
        """Anneal one read per seed; ``init``: (reads, n) int8 start spins (SA CSR and
        dense kernels only; :func:`prepare` keeps MSC and PT away from them)."""
        a = self.arrays
        n = a.num_variables
        k = len(seeds)
        if init is None:  # (0, n): random starts, the same kernel signature
            init = np.empty((0, n), dtype=np.int8)
        extra: dict[str, Any] = {}
        if self.use_msc:
            betas, _ = self.schedule(sweeps)
            words = np.empty((k, n), dtype=np.uint64)
            stored = msc.msc_anneal(a.indptr, a.indices, self.masks, betas, seeds, words)
            return msc.unpack(words), stored, extra
        spins = np.empty((k, n), dtype=np.int8)
        energy = np.empty(k, dtype=np.float64)
        if self.method == "pt":
            swaps = np.zeros(k, dtype=np.int64)
            if self.tsize:
                pt.pt_csr_int(a.h, a.indptr, a.indices, a.data, self.ladder, self.table,
                              sweeps, seeds, spins, energy, swaps)
            else:
                pt.pt_csr(a.h, a.indptr, a.indices, a.data, self.ladder, sweeps,
                          seeds, spins, energy, swaps)
            pairs = max(len(self.ladder) - 1, 1)
            extra["swap_acceptance"] = float(swaps.sum()) / (k * sweeps * pairs / 2)
            return spins, None, extra
        betas, table = self.schedule(sweeps)
        if self.layout == "dense":
            kernels.anneal_dense(a.h, self.dense, betas, table, seeds, init, spins, energy)
        elif self.tsize:
            kernels.anneal_csr_int(a.h, a.indptr, a.indices, a.data, table, seeds, init,
                                   spins, energy)
        else:
            kernels.anneal_csr(a.h, a.indptr, a.indices, a.data, betas, seeds, init, spins,
                               energy)
        return spins, None, extra


def _in_vartype(spins: np.ndarray, vartype: dimod.Vartype) -> np.ndarray:
    """The kernels' +-1 spins as values of ``vartype`` (0/1 for BINARY)."""
    return spins if vartype is dimod.SPIN else ((spins + 1) // 2).astype(np.int8)


def _check_energy(bqm: dimod.BinaryQuadraticModel, sample: np.ndarray,
                  variables: list[Any], energy: float) -> None:
    """Raise if dimod disagrees with an engine-computed energy (a bug, never bad input)."""
    expected = float(bqm.energies((sample[None, :], variables))[0])
    if not math.isclose(expected, energy, rel_tol=1e-9, abs_tol=1e-9):
        raise RuntimeError(f"anneal engine: energy {energy!r} of its best sample differs "
                           f"from dimod's {expected!r}; please report this bug")


def _empty_result(bqm: dimod.BinaryQuadraticModel, params: dict[str, Any]) -> AnnealResult:
    rows = params["num_reads"]  # one (empty) row per read, as dwave-samplers
    ss = dimod.SampleSet.from_samples_bqm((np.empty((rows, 0), dtype=np.int8), []), bqm)
    return AnnealResult(ss, {"sweeps": 0, "restarts": 0, "batches": 0, "flip_attempts": 0,
                             "attempts_per_s": 0.0, "beta_range": None, "compile_s": 0.0},
                        params)


@dataclass
class Prepared:
    """A BQM made ready to anneal: arrays, kernel chosen, kernel compiled or loaded.

    :func:`prepare` makes one; :func:`anneal` reuses it (``prepared=``) so the work is
    not repeated, and so a caller can keep compilation outside a run's clock.
    """

    bqm: dimod.BinaryQuadraticModel
    options: dict[str, Any]
    params: dict[str, Any]
    arrays: IsingArrays | Any = None  # OneHotArrays under one-hot moves
    runner: _Runner | Any = None  # OneHotRunner under one-hot moves
    beta_stored: tuple[float, float] | None = None
    compile_s: float = 0.0  # loading or compiling the kernel (one discarded sweep)
    #: Seconds of one sweep of one read at the hot end, timed once the kernel is loaded:
    #: sizes a time-limited run's first batch (:func:`first_batch_sweeps`).
    sweep_s: float = 0.0
    onehot_groups: Any = None  # the qanneal.onehot.OneHotGroups handed over, if any
    initial_states: bool = False  # prepared for runs from given states (no MSC, no PT)


def uses_onehot(groups: Any, params: dict[str, Any]) -> bool:
    """Whether a run with these (validated) options moves inside the one-hot groups.

    Only SA has the moves (not parallel tempering, nor multi-spin coding when forced),
    on a geometric or linear schedule of one sweep per beta.
    """
    return bool(groups) and params["onehot"] in ("auto", True) and params["method"] == "sa" and (
        params["msc"] is not True) and params["beta_schedule_type"] != "custom" and (
        params["num_sweeps_per_beta"] in (1, None))


def prepare(bqm: dimod.BinaryQuadraticModel, onehot_groups: Any = None,
            initial_states: bool = False, **options: Any) -> Prepared:
    """Validate ``options``, convert ``bqm`` and compile (or load) the kernel it needs.

    The kernel is made ready by one discarded sweep of one read: numba compiles a
    kernel on its first call in a fresh install (several seconds, announced on stderr
    by :mod:`qanneal.anneal.warmup`) and loads it from its cache in a fresh process
    (0.1-0.3 s). Neither must be taken for annealing time: :func:`anneal` starts its
    clock, its time limit and its attempts/s after this, and reports the time apart
    (``info["compile_s"]``).

    ``onehot_groups`` (:class:`qanneal.onehot.OneHotGroups`, from
    :func:`qanneal.onehot.find_groups`): with ``onehot="auto"`` (the default) and SA,
    reads start inside every group and block and move only inside them
    (:mod:`.onehot_kernel`), so ``bqm`` should carry no penalty for them. With
    ``onehot="off"`` they are ignored: ``bqm`` must then penalise them itself.

    ``initial_states=True`` prepares for runs from given states (:func:`anneal`'s
    ``initial_states``): only the SA CSR and dense kernels take them, so multi-spin
    coding is left out under ``msc="auto"`` and refused when forced, as are parallel
    tempering and one-hot moves.

    >>> bqm = dimod.BQM({"a": 1.0, "b": -1.0}, {("a", "b"): -0.5}, 0.0, "SPIN")
    >>> p = prepare(bqm, num_sweeps=10)
    >>> p.runner.kernel, p.compile_s >= 0
    ('sa-dense-table', True)
    """
    from qanneal.anneal.warmup import announce_compile  # imports this module

    params = _validate(options)
    if params["num_reads"] is None:
        params["num_reads"] = 4 if params["method"] == "pt" else 16
    threads = min(params["threads"] or numba.config.NUMBA_NUM_THREADS,
                  numba.config.NUMBA_NUM_THREADS)
    params["threads"] = threads
    prepared = Prepared(bqm, dict(options), params, onehot_groups=onehot_groups,
                        initial_states=initial_states)
    if initial_states:
        if params["method"] == "pt" or params["msc"] is True:
            raise InputError("initial states are taken by SA without multi-spin coding "
                             "only (method: sa, msc: auto or false)", field="initial_states")
        if uses_onehot(onehot_groups, params):
            raise InputError("initial states are not taken with one-hot moves; pass "
                             "onehot: off", field="initial_states")
        params["msc"] = False
    if bqm.num_variables == 0:
        return prepared
    if uses_onehot(onehot_groups, params):
        return _prepare_onehot(prepared, threads)
    arrays = ising_arrays(bqm)
    if params["num_replicas"] is None:
        # Energy fluctuations grow like sqrt(n), so neighbouring temperatures must get
        # closer: 16 replicas gave 8% swap acceptance on 3-regular n=2000, 32 gave 36%.
        params["num_replicas"] = int(np.clip(math.ceil(0.75 * math.sqrt(arrays.num_variables)),
                                             8, 64))
    if params["beta_range"] is None:
        beta_stored = auto_beta_range(arrays)
        params["beta_range"] = [b / arrays.scale for b in beta_stored]
    else:
        beta_stored = tuple(b * arrays.scale for b in params["beta_range"])
    runner = _Runner(arrays, params, beta_stored)
    _check_memory(params, arrays.num_variables,
                  table=runner.tsize if not runner.use_msc else 0,
                  per_batch=runner.seeds_per_batch(params["num_reads"]) * (
                      64 if runner.use_msc else 1))
    announce_compile(runner.kernel)
    prepared.compile_s, prepared.sweep_s = _load_kernel(runner, threads)
    prepared.arrays, prepared.runner, prepared.beta_stored = arrays, runner, beta_stored
    return prepared


def _check_memory(params: dict[str, Any], n: int, *, table: int, per_batch: int) -> None:
    """Refuse a run whose schedules and samples would not fit, before allocating them.

    Per distinct batch length (the anytime ramp's 1/8..1 of ``num_sweeps``: < 2x) one
    beta per sweep and, for integer problems, a threshold table of ``table`` int64 per
    sweep; a batch's spins and the kept pool of ``num_reads`` samples (int8, with their
    float64 energies). ``-o num_sweeps=1000000000`` asked for 13 GB before this check.
    """
    from qanneal import sizing

    sweeps = params["num_sweeps"]
    need = 2 * sweeps * 8 * (1 + table) + (per_batch + 2 * params["num_reads"]) * (n + 8)
    sizing.check(f"annealing {params['num_reads']} reads of {sweeps} sweeps", need,
                 "give fewer num_sweeps or num_reads",
                 counts=f"{sizing.amount(sweeps)} sweeps x {table + 1} table entries, "
                        f"{sizing.amount(n)} variables")


def _load_kernel(runner: Any, threads: int) -> tuple[float, float]:
    """Compile or load the runner's kernel, then time its sweeps: ``(compile_s,
    sweep_s)``.

    Loading is one discarded sweep of one read (its time is ``compile_s``). ``sweep_s``
    is the seconds per sweep of one read, from discarded runs of one and of three
    sweeps, the difference halved (a call's own cost, ~ms for thread start-up and
    allocations, is most of a one-sweep run on a small model); the least of a few
    tries, since being descheduled only ever adds time (on a busy machine a
    16-variable model's estimate came out 100x too high and cut its first batch); one
    try where a sweep is dear (~ms). Short schedules sit at the hot end, where most
    moves are accepted: the dearest sweeps, so the estimate errs on the safe side.
    """
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        seeds = np.zeros(1, dtype=np.uint64)
        t0 = time.perf_counter()
        runner.run(seeds, 1)
        compile_s = time.perf_counter() - t0
        sweep_s = math.inf
        for _ in range(5):
            t0 = time.perf_counter()
            runner.run(seeds, 1)
            t1 = time.perf_counter()
            runner.run(seeds, 3)
            t2 = time.perf_counter()
            sweep_s = min(sweep_s, max(0.0, (t2 - t1) - (t1 - t0)) / 2)
            if t2 - t0 > 0.01:
                break
        return compile_s, sweep_s
    finally:
        numba.set_num_threads(previous)


#: Share of a time limit the first batch of an anytime run may take by its estimate.
FIRST_BATCH_SHARE = 0.25


def first_batch_sweeps(sweeps: int, sweep_s: float, rounds: int, time_limit: float) -> int:
    """Sweeps of an anytime run's first batch: ``sweeps`` (the ramp's first step), or
    fewer when ``rounds`` (reads per thread) reads of that many sweeps at ``sweep_s``
    each would take more than :data:`FIRST_BATCH_SHARE` of ``time_limit``: on a big
    model (a time-indexed job-shop: 21k variables, ~1000 couplings each) a 125-sweep
    batch of 16 reads takes minutes, and nothing would come back within the limit.

    >>> first_batch_sweeps(125, 1e-4, 8, 10.0), first_batch_sweeps(125, 0.02, 16, 10.0)
    (125, 7)
    """
    if sweep_s <= 0.0:
        return sweeps
    fit = int(FIRST_BATCH_SHARE * time_limit / (sweep_s * max(rounds, 1)))
    return max(1, min(sweeps, fit))


def _prepare_onehot(prepared: Prepared, threads: int) -> Prepared:
    """:func:`prepare` for one-hot moves: arrays, temperature range, kernel loaded."""
    from qanneal.anneal import onehot_kernel
    from qanneal.anneal.warmup import announce_compile  # imports this module

    params = prepared.params
    groups = onehot_kernel.check_groups(prepared.onehot_groups)
    announce_compile(onehot_kernel.OneHotRunner.kernel)
    arrays = onehot_kernel.onehot_arrays(prepared.bqm, groups)
    if params["beta_range"] is None:
        beta = onehot_kernel.auto_beta_range(arrays)
        params["beta_range"] = list(beta)
    else:
        beta = tuple(params["beta_range"])
    _check_memory(params, prepared.bqm.num_variables, table=0, per_batch=params["num_reads"])
    runner = onehot_kernel.OneHotRunner(arrays, beta, params["beta_schedule_type"],
                                        chain=int(params["chain"]),
                                        chain_share=float(params["chain_share"]))
    # Only loading the kernel is compile time: the arrays and the temperature probe are
    # model conversion (seconds on a big job-shop), which the caller charges to the budget.
    prepared.compile_s, prepared.sweep_s = _load_kernel(runner, threads)
    prepared.arrays, prepared.runner, prepared.beta_stored = arrays, runner, beta
    return prepared


def anneal(bqm: dimod.BinaryQuadraticModel, *, seed: int | None = None,
           time_limit: float | None = None, should_stop: Callable[[], bool] | None = None,
           prepared: Prepared | None = None, onehot_groups: Any = None,
           on_improvement: Callable[[float, dict[Any, int]], None] | None = None,
           initial_states: np.ndarray | None = None, **options: Any) -> AnnealResult:
    """Anneal ``bqm``; see :data:`DEFAULTS` for the options.

    ``should_stop`` is polled between batches, and inside a batch after every
    ``threads`` reads (reads run ``threads`` at a time anyway, and each read keeps its
    seed, so the samples do not change): when it turns true (Ctrl-C, the caller's
    watchdog, a sampler's ``interrupt_function``) the best samples so far are returned.
    ``initial_states``: ``(num_reads, n)`` values of the BQM's vartype, columns in
    ``bqm.variables`` order: read ``r`` of every batch starts from row ``r``. ``on_improvement(seconds,
    sample)`` is called with each new trace entry, before ``should_stop`` is polled (a
    caller that verifies answers can stop the run at its target). ``prepared`` (from
    :func:`prepare` on this very ``bqm`` with these ``options``) skips conversion and
    kernel loading; without it they are done here, before the clock starts.

    >>> bqm = dimod.BQM({"a": 1.0, "b": -1.0}, {("a", "b"): -0.5}, 0.0, "SPIN")
    >>> res = anneal(bqm, seed=1, num_reads=2, num_sweeps=20)
    >>> {v: int(s) for v, s in res.sampleset.first.sample.items()}
    {'a': -1, 'b': 1}
    >>> float(res.sampleset.first.energy)
    -1.5
    >>> res.params["num_reads"], res.info["kernel"]
    (2, 'sa-dense-table')
    """
    if time_limit is not None and not time_limit > 0:
        raise InputError(f"must be a positive number of seconds, got {time_limit!r}",
                         field="time_limit")
    with_init = initial_states is not None
    if (prepared is None or prepared.bqm is not bqm or prepared.options != options
            or prepared.onehot_groups is not onehot_groups
            or prepared.initial_states != with_init):
        prepared = prepare(bqm, onehot_groups, with_init, **options)
    params = dict(prepared.params)
    threads = params["threads"]
    entropy = np.random.SeedSequence(seed).entropy
    params["seed"] = int(entropy)
    if prepared.runner is None:
        return _empty_result(bqm, params)
    arrays, runner = prepared.arrays, prepared.runner
    num_reads = params["num_reads"]
    per_batch = runner.seeds_per_batch(num_reads)
    init = None
    if with_init:
        init = np.asarray(initial_states)
        if init.shape != (num_reads, arrays.num_variables):
            raise InputError(f"must be {num_reads} rows (num_reads) of {arrays.num_variables} "
                             f"values, got shape {init.shape}", field="initial_states")
        if bqm.vartype is dimod.BINARY:
            init = 2 * init - 1
        if not np.isin(init, (-1, 1)).all():
            raise InputError(f"values must be those of a {bqm.vartype.name} model",
                             field="initial_states")
        init = np.ascontiguousarray(init, dtype=np.int8)
    # Reads per kernel call when someone may interrupt: one round of the threads (MSC:
    # one vector of seeds per thread).
    # A time limit is watched the same way: a batch stops between rounds when the next
    # round would overrun.
    chunk = per_batch if should_stop is None and time_limit is None else threads * (
        msc.LANES if runner.use_msc else 1)

    best_spins = np.empty((0, arrays.num_variables), dtype=np.int8)
    best_energy = np.empty(0)
    extras: list[dict[str, Any]] = []
    sweeps_run: list[int] = []
    trace: list[list[float]] = []  # [seconds since start, best energy] at each improvement
    trace_samples: list[tuple[float, np.ndarray]] = []  # ... and that best sample
    attempts = 0
    kernel_time = 0.0
    interrupted = False
    # A custom schedule is annealed whole in every batch (no shorter ramp batches).
    ramp = params["ramp"] and time_limit is not None and runner.method == "sa" and (
        params["beta_schedule"] is None)
    # The ramp's steps, cut when the first would overrun (first_batch_sweeps) and then
    # doubling from there; MSC runs are never cut (a vector is fast).
    first = batch_sweeps(0, params["num_sweeps"], ramp)
    if ramp and not runner.use_msc and time_limit is not None:
        first = first_batch_sweeps(first, prepared.sweep_s, -(-per_batch // threads),
                                   time_limit)
    next_sweeps = first
    start = time.perf_counter()
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        while True:
            batch = len(sweeps_run)
            sweeps = next_sweeps
            t0 = time.perf_counter()
            seeds = _batch_seeds(entropy, batch, per_batch)
            parts: list[tuple[np.ndarray, np.ndarray | None, dict[str, Any]]] = []
            out_of_time = False
            for lo in range(0, per_batch, chunk):
                c0 = time.perf_counter()
                if init is None:
                    parts.append(runner.run(seeds[lo:lo + chunk], sweeps))
                else:
                    parts.append(runner.run(seeds[lo:lo + chunk], sweeps, init[lo:lo + chunk]))
                if lo + chunk >= per_batch:
                    break
                if should_stop is not None and should_stop():
                    interrupted = True
                    break
                c1 = time.perf_counter()
                if time_limit is not None and c1 - start + (c1 - c0) > time_limit:
                    out_of_time = True  # the next round would overrun: keep these reads
                    break
            done = sum(len(p[0]) for p in parts) // (64 if runner.use_msc else 1)
            spins = np.concatenate([p[0] for p in parts])
            stored = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
            extra = {}
            for key in parts[0][2]:  # per-read rates weighted by reads; counts summed
                values = [p[2][key] * (len(p[0]) if key == "swap_acceptance" else 1)
                          for p in parts]
                extra[key] = sum(values) / (len(spins) if key == "swap_acceptance" else 1)
            kernel_time += time.perf_counter() - t0
            sweeps_run.append(sweeps)
            attempts += runner.attempts(done, sweeps)
            extras.append(extra)
            if stored is not None:  # multi-spin coding: counted from the final words
                energy = arrays.scale * stored + arrays.offset
            else:  # dimod, once per sample: it ranks the pool and is returned
                energy = bqm.energies((_in_vartype(spins, bqm.vartype), arrays.variables))
            pool = np.concatenate([best_energy, energy])
            keep = np.argsort(pool, kind="stable")[:num_reads]
            best_spins = np.concatenate([best_spins, spins])[keep]
            best_energy = pool[keep]
            now = time.perf_counter()
            if not trace or best_energy[0] < trace[-1][1]:
                trace.append([round(now - start, 6), float(best_energy[0])])
                trace_samples.append((now - start, _in_vartype(best_spins[0], bqm.vartype).copy()))
                if on_improvement is not None:
                    on_improvement(now - start, dict(zip(arrays.variables,
                                                         trace_samples[-1][1].tolist())))
            if interrupted or out_of_time or time_limit is None or batch + 1 >= _MAX_BATCHES:
                break
            if should_stop is not None and should_stop():
                interrupted = True
                break
            next_sweeps = min(batch_sweeps(batch + 1, params["num_sweeps"], ramp),
                              first << (batch + 1)) if ramp else params["num_sweeps"]
            # The next batch costs about this one per sweep. With the ramp, a batch that
            # would overrun is shortened to what is left (not under the lesser of
            # RAMP_MIN_SWEEPS and the first batch); without it every batch anneals
            # num_sweeps.
            per_sweep = (now - t0) / sweeps
            if ramp:
                fit = int((time_limit - (now - start)) / per_sweep) if per_sweep > 0 else next_sweeps
                next_sweeps = min(next_sweeps, fit)
                if next_sweeps < min(RAMP_MIN_SWEEPS, first):
                    break
            elif now - start + per_sweep * next_sweeps > time_limit:
                break
    finally:
        numba.set_num_threads(previous)

    samples = _in_vartype(best_spins, bqm.vartype)
    if runner.use_msc:
        _check_energy(bqm, samples[0], arrays.variables, float(best_energy[0]))
    sampleset = dimod.SampleSet.from_samples((samples, arrays.variables), bqm.vartype,
                                             energy=best_energy)
    batches = len(sweeps_run)
    info: dict[str, Any] = {
        "kernel": runner.kernel,
        "layout": runner.layout,
        "sweeps": params["num_sweeps"],
        "batches": batches,
        "batch_sweeps": sweeps_run[:RAMP_STEPS + 1],
        "best_trace": trace,
        "restarts": batches - 1,
        "reads_total": (batches - 1) * (64 * per_batch if runner.use_msc else per_batch)
        + (64 * done if runner.use_msc else done),
        "interrupted": interrupted,
        "flip_attempts": attempts,
        "attempts_per_s": attempts / kernel_time if kernel_time > 0 else 0.0,
        "kernel_time": kernel_time,
        "compile_s": prepared.compile_s,
        "beta_range": list(params["beta_range"]),
        "threads": threads,
        "integer_table": runner.tsize > 0,
    }
    if runner.method == "pt":
        info["num_replicas"] = len(runner.ladder)
        info["swap_acceptance"] = float(np.mean([e["swap_acceptance"] for e in extras]))
    if runner.use_msc:
        info["msc_replicas_per_batch"] = 64 * per_batch
    if runner.kernel == "sa-onehot":
        info["onehot"] = prepared.onehot_groups.summary()
        # Blocks that also get segment reversals (2-opt; onehot_kernel.cyclic_block).
        info["onehot"]["cyclic_blocks"] = int(np.count_nonzero(arrays.cyc_mode))
        info["accepted_moves"] = sum(e["accepted_moves"] for e in extras)
    return AnnealResult(sampleset, info, params, trace_samples)
