"""The engine's entry point: options -> kernel choice -> batches of reads -> samples.

:func:`anneal` validates the options, converts the BQM once (:mod:`.layout`), picks
the kernel (multi-spin coding, CSR integer/real, dense; SA or parallel tempering),
and runs batches of ``num_reads`` reads until ``time_limit`` is used up (at least one
batch). It keeps the ``num_reads`` best samples seen, ranked by energies dimod
computes from the BQM (never the kernel's), and returns them in the BQM's own
variables and vartype.

Reproducibility: read ``r`` of batch ``b`` is seeded from
``SeedSequence(seed, spawn_key=(b,))``, so a given seed gives the same samples
whatever the thread count (the number of batches under ``time_limit`` of course
depends on the machine).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
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
    "beta_schedule_type": "geometric",
    "method": "sa",
    "num_replicas": None,  # PT: ~0.75 sqrt(n) clipped to 8..64 (3-regular n=2000: 34)
    "threads": None,  # None: every core numba may use
    "layout": "auto",
    "msc": "auto",
}
_CHOICES = {
    "beta_schedule_type": ("geometric", "linear"),
    "method": ("sa", "pt"),
    "layout": ("auto", "csr", "dense"),
    "msc": ("auto", True, False),
}
_MAX_BATCHES = 100_000


@dataclass
class AnnealResult:
    """What :func:`anneal` returns: samples, engine statistics and the parameters used."""

    sampleset: dimod.SampleSet
    info: dict[str, Any]
    params: dict[str, Any]


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
    if isinstance(params["msc"], str) and params["msc"].lower() in ("true", "false"):
        params["msc"] = params["msc"].lower() == "true"
    for key, allowed in _CHOICES.items():
        if params[key] not in allowed:
            raise InputError(
                f"must be one of {', '.join(map(str, allowed))}, got {params[key]!r}", field=key)
    params["num_sweeps"] = _positive_int(params, "num_sweeps")
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
    return params


def _batch_seeds(entropy: int, batch: int, count: int) -> np.ndarray:
    return np.random.SeedSequence(entropy, spawn_key=(batch,)).generate_state(
        count, dtype=np.uint64)


class _Runner:
    """One prepared kernel: ``run(seeds) -> (spins (k, n) int8, energies in BQM units)``."""

    def __init__(self, arrays: IsingArrays, params: dict[str, Any], beta_stored: tuple[float, float]):
        self.arrays = a = arrays
        self.method = params["method"]
        msc_ok = a.msc_applicable() and msc.msc_supported(a.degrees)
        if params["msc"] is True and not msc_ok:
            raise InputError(
                "multi-spin coding needs h = 0, every |J| equal and degree <= "
                f"{msc.MAX_DEGREE} (in Ising form); this problem does not qualify", field="msc")
        self.use_msc = self.method == "sa" and msc_ok and params["msc"] is not False
        self.layout = "csr" if self.use_msc or self.method == "pt" else choose_layout(
            a, params["layout"])
        self.tsize = table_size(a)
        if self.use_msc:
            self.kernel = "msc"
            self.betas = beta_schedule(beta_stored, params["num_sweeps"],
                                       params["beta_schedule_type"])
            self.masks = msc.edge_masks(a.data)
        elif self.method == "pt":
            self.kernel = "pt-csr-int" if self.tsize else "pt-csr"
            self.ladder = pt.beta_ladder(beta_stored, params["num_replicas"])
            self.table = threshold_table(self.ladder, self.tsize)
        else:
            self.betas = beta_schedule(beta_stored, params["num_sweeps"],
                                       params["beta_schedule_type"])
            if self.layout == "dense":
                self.kernel = "sa-dense-table" if self.tsize else "sa-dense"
                self.table = threshold_table(self.betas, self.tsize)
                self.dense = a.ensure_dense()
            else:
                self.kernel = "sa-csr-int" if self.tsize else "sa-csr"
                self.table = threshold_table(self.betas, self.tsize) if self.tsize else None
        self.num_sweeps = params["num_sweeps"]

    def seeds_per_batch(self, num_reads: int) -> int:
        if not self.use_msc:
            return num_reads
        # MSC sweeps words eight at a time (one SIMD vector, 512 replicas): the extra
        # replicas cost nothing, so every batch fills its vectors. Not more per thread:
        # results must not depend on the thread count (ask for more reads instead).
        return msc.LANES * -(-num_reads // (64 * msc.LANES))

    def attempts(self, num_seeds: int) -> int:
        n = self.arrays.num_variables
        if self.use_msc:
            return 64 * num_seeds * self.num_sweeps * n
        if self.method == "pt":
            return num_seeds * len(self.ladder) * self.num_sweeps * n
        return num_seeds * self.num_sweeps * n

    def run(self, seeds: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        a = self.arrays
        n = a.num_variables
        k = len(seeds)
        extra: dict[str, Any] = {}
        if self.use_msc:
            words = np.empty((k, n), dtype=np.uint64)
            msc.msc_anneal(a.indptr, a.indices, self.masks, self.betas, seeds, words)
            return msc.unpack(words), extra
        spins = np.empty((k, n), dtype=np.int8)
        energy = np.empty(k, dtype=np.float64)
        if self.method == "pt":
            swaps = np.zeros(k, dtype=np.int64)
            if self.tsize:
                pt.pt_csr_int(a.h, a.indptr, a.indices, a.data, self.ladder, self.table,
                              self.num_sweeps, seeds, spins, energy, swaps)
            else:
                pt.pt_csr(a.h, a.indptr, a.indices, a.data, self.ladder, self.num_sweeps,
                          seeds, spins, energy, swaps)
            pairs = max(len(self.ladder) - 1, 1)
            extra["swap_acceptance"] = float(swaps.sum()) / (k * self.num_sweeps * pairs / 2)
        elif self.layout == "dense":
            kernels.anneal_dense(a.h, self.dense, self.betas, self.table, seeds, spins, energy)
        elif self.tsize:
            kernels.anneal_csr_int(a.h, a.indptr, a.indices, a.data, self.table, seeds,
                                   spins, energy)
        else:
            kernels.anneal_csr(a.h, a.indptr, a.indices, a.data, self.betas, seeds, spins,
                               energy)
        return spins, extra


def _empty_result(bqm: dimod.BinaryQuadraticModel, params: dict[str, Any]) -> AnnealResult:
    ss = dimod.SampleSet.from_samples_bqm((np.empty((1, 0), dtype=np.int8), []), bqm)
    return AnnealResult(ss, {"sweeps": 0, "restarts": 0, "batches": 0, "flip_attempts": 0,
                             "attempts_per_s": 0.0, "beta_range": None}, params)


def anneal(bqm: dimod.BinaryQuadraticModel, *, seed: int | None = None,
           time_limit: float | None = None, should_stop: Callable[[], bool] | None = None,
           **options: Any) -> AnnealResult:
    """Anneal ``bqm``; see :data:`DEFAULTS` for the options.

    ``should_stop`` is polled between batches: when it turns true (Ctrl-C, or the
    caller's watchdog) the best samples so far are returned.

    >>> bqm = dimod.BQM({"a": 1.0, "b": -1.0}, {("a", "b"): -0.5}, 0.0, "SPIN")
    >>> res = anneal(bqm, seed=1, num_reads=2, num_sweeps=20)
    >>> {v: int(s) for v, s in res.sampleset.first.sample.items()}
    {'a': -1, 'b': 1}
    >>> float(res.sampleset.first.energy)
    -1.5
    >>> res.params["num_reads"], res.info["kernel"]
    (2, 'sa-dense-table')
    """
    params = _validate(options)
    if time_limit is not None and not time_limit > 0:
        raise InputError(f"must be a positive number of seconds, got {time_limit!r}",
                         field="time_limit")
    if params["num_reads"] is None:
        params["num_reads"] = 4 if params["method"] == "pt" else 16
    threads = min(params["threads"] or numba.config.NUMBA_NUM_THREADS,
                  numba.config.NUMBA_NUM_THREADS)
    params["threads"] = threads
    entropy = np.random.SeedSequence(seed).entropy
    params["seed"] = int(entropy)
    if bqm.num_variables == 0:
        return _empty_result(bqm, params)

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
    num_reads = params["num_reads"]
    per_batch = runner.seeds_per_batch(num_reads)

    best_spins = np.empty((0, arrays.num_variables), dtype=np.int8)
    best_energy = np.empty(0)
    extras: list[dict[str, Any]] = []
    kernel_time = 0.0
    batches = 0
    start = time.perf_counter()
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        while True:
            t0 = time.perf_counter()
            spins, extra = runner.run(_batch_seeds(entropy, batches, per_batch))
            kernel_time += time.perf_counter() - t0
            batches += 1
            extras.append(extra)
            # Energies from dimod, once per sample: they rank the pool and are returned.
            energy = bqm.energies((spins if bqm.vartype is dimod.SPIN
                                   else ((spins + 1) // 2).astype(np.int8), arrays.variables))
            pool = np.concatenate([best_energy, energy])
            keep = np.argsort(pool, kind="stable")[:num_reads]
            best_spins = np.concatenate([best_spins, spins])[keep]
            best_energy = pool[keep]
            elapsed = time.perf_counter() - start
            if time_limit is None or batches >= _MAX_BATCHES:
                break
            if should_stop is not None and should_stop():
                break
            if elapsed + elapsed / batches > time_limit:  # the next batch would overrun
                break
    finally:
        numba.set_num_threads(previous)

    samples = best_spins if bqm.vartype is dimod.SPIN else ((best_spins + 1) // 2).astype(np.int8)
    sampleset = dimod.SampleSet.from_samples((samples, arrays.variables), bqm.vartype,
                                             energy=best_energy)
    attempts = runner.attempts(per_batch) * batches
    info: dict[str, Any] = {
        "kernel": runner.kernel,
        "layout": runner.layout,
        "sweeps": params["num_sweeps"],
        "batches": batches,
        "restarts": batches - 1,
        "reads_total": batches * (64 * per_batch if runner.use_msc else per_batch),
        "flip_attempts": attempts,
        "attempts_per_s": attempts / kernel_time if kernel_time > 0 else 0.0,
        "kernel_time": kernel_time,
        "beta_range": list(params["beta_range"]),
        "threads": threads,
        "integer_table": runner.tsize > 0,
    }
    if runner.method == "pt":
        info["num_replicas"] = len(runner.ladder)
        info["swap_acceptance"] = float(np.mean([e["swap_acceptance"] for e in extras]))
    if runner.use_msc:
        info["msc_replicas_per_batch"] = 64 * per_batch
    return AnnealResult(sampleset, info, params)
