"""Compile the engine's numba kernels ahead of time, and say so when a run must compile.

numba compiles a kernel on its first call and caches the machine code on disk
(``cache=True``; ``NUMBA_CACHE_DIR`` moves the cache). A fresh install therefore pays
the compile once: :func:`warm_up` (``qanneal warmup``, run by ``make demo``) pays it
ahead for every kernel, so a user's first run only loads them (0.1-0.3 s).

When a run still has to compile (a cleared cache, a new numba, an edited kernel),
:func:`announce_compile` says so on stderr through the ``qanneal`` logger before the
work starts; :func:`qanneal.anneal.engine.prepare` does it outside every clock.

Cold compile on this machine kind (2 cores; CPU seconds, measured with
``qanneal warmup`` on an empty ``NUMBA_CACHE_DIR``) is in :data:`COLD_COMPILE_S`.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import dimod

from qanneal.anneal import kernels, msc, onehot_kernel, pt, rules, schedules

log = logging.getLogger("qanneal")

#: Approximate cold compile of each kernel, CPU seconds, measured on an empty cache
#: after numba's own start-up (msc was ~78 s before its sweep stopped being IR-inlined).
COLD_COMPILE_S: dict[str, float] = {
    "msc": 9.2,
    "sa-csr-int": 2.0,
    "sa-csr": 1.4,
    "sa-dense-table": 1.9,
    "sa-dense": 1.9,
    "pt-csr-int": 6.7,
    "pt-csr": 3.3,
    "sa-onehot": 11.2,  # with ejection chains (was 6.5)
    "sa-csr-rules": 1.3,
}

#: The numba entry points each kernel calls from Python (what a run compiles or loads).
_ENTRIES: dict[str, tuple[Any, ...]] = {
    "msc": (msc._padded_layout, msc._anneal),
    "sa-csr-int": (kernels.anneal_csr_int, schedules._fill_table),
    "sa-csr": (kernels.anneal_csr,),
    "sa-dense-table": (kernels.anneal_dense, schedules._fill_table),
    "sa-dense": (kernels.anneal_dense,),
    "pt-csr-int": (pt.pt_csr_int, schedules._fill_table),
    "pt-csr": (pt.pt_csr,),
    "sa-onehot": (onehot_kernel.anneal_onehot, onehot_kernel.probe_moves),
    # random order / Gibbs updates (AnnealSampler's dwave options), see rules.py
    "sa-csr-rules": (rules.anneal_rules,),
}

KERNELS = tuple(COLD_COMPILE_S)


def _cached(dispatcher: Any) -> bool:
    """Whether ``dispatcher`` is compiled in this process or has a current disk cache."""
    if dispatcher.signatures:
        return True
    try:  # numba's private cache index: present and stamped with the current source
        return bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # unknown numba internals: assume the worst, say it may compile
        return False


def needs_compile(kernel: str) -> bool:
    """Whether running ``kernel`` now would compile rather than load it.

    >>> needs_compile("no-such-kernel")
    False
    """
    return not all(_cached(d) for d in _ENTRIES.get(kernel, ()))


def announce_compile(kernel: str) -> None:
    """Say on stderr (the ``qanneal`` logger) that ``kernel`` is about to compile."""
    if needs_compile(kernel):
        log.warning("compiling the annealing kernel %r once, ~%.0f s (later runs load it "
                    "from numba's cache; `qanneal warmup` compiles every kernel ahead)",
                    kernel, COLD_COMPILE_S.get(kernel, 5.0))


def _stand_in(kernel: str) -> tuple[dimod.BinaryQuadraticModel, dict[str, Any]]:
    """A tiny BQM and the options that make the engine pick ``kernel`` for it.

    The kernels' argument types do not depend on the instance (float64 fields, int64
    row pointers, int32 columns), so compiling on a stand-in serves every problem.
    """
    n = 24
    ring = {(i, (i + 1) % n): 1.0 for i in range(n)}
    chords = {(i, (i + 7) % n): float(1 + i % 3) for i in range(0, n, 2)}
    integral = dimod.BQM({0: 1.0}, {**ring, **chords}, 0.0, "SPIN")
    real = dimod.BQM({0: math.pi}, {e: w * math.sqrt(2) + 0.1 * i
                                    for i, (e, w) in enumerate({**ring, **chords}.items())},
                     0.0, "SPIN")
    choices = {
        "msc": (dimod.BQM({}, ring, 0.0, "SPIN"), {"msc": True}),
        "sa-csr-int": (integral, {"layout": "csr", "msc": False}),
        "sa-csr": (real, {"layout": "csr", "msc": False}),
        "sa-dense-table": (integral, {"layout": "dense", "msc": False}),
        "sa-dense": (real, {"layout": "dense", "msc": False}),
        "pt-csr-int": (integral, {"method": "pt", "num_replicas": 2}),
        "pt-csr": (real, {"method": "pt", "num_replicas": 2}),
        "sa-onehot": _onehot_stand_in(),
        "sa-csr-rules": (real, {}),
    }
    return choices[kernel]


def _onehot_stand_in() -> tuple[dimod.BinaryQuadraticModel, dict[str, Any]]:
    """A 3 x 3 permutation block, a one-hot group and a free variable (every move)."""
    from qanneal.onehot import Block, Group, OneHotGroups

    grid = [[(r, c) for c in range(3)] for r in range(3)]
    cells = [v for row in grid for v in row]
    bqm = dimod.BQM({v: 0.5 * i for i, v in enumerate(cells)},
                    {(cells[i], cells[i + 1]): 1.0 + i for i in range(len(cells) - 1)},
                    0.0, "BINARY")
    bqm.add_linear_from({"g0": 1.0, "g1": -1.0, "free": 0.25})
    bqm.add_quadratic("g0", "free", 2.0)
    groups = OneHotGroups([Group(["g0", "g1"], 1, "g")], [Block(grid, [1, 1, 1])])
    return bqm, {"onehot_groups": groups}


def warm_up(kernel_names: Iterable[str] = KERNELS,
            progress: Callable[[str, float, bool], None] | None = None) -> dict[str, float]:
    """Compile (or load) each kernel in ``kernel_names``; returns seconds per kernel.

    ``progress(kernel, seconds, compiled)`` is called after each one.

    >>> seconds = warm_up(["sa-dense-table"])
    >>> sorted(seconds), seconds["sa-dense-table"] >= 0
    (['sa-dense-table'], True)
    """
    from qanneal.anneal.engine import prepare

    spent: dict[str, float] = {}
    quiet = log.disabled
    log.disabled = True  # compiling is the point here: no "compiling ..." notices
    try:
        for name in kernel_names:
            spent[name] = _warm_one(name, prepare, progress)
    finally:
        log.disabled = quiet
    return spent


def _warm_one(name: str, prepare: Callable[..., Any],
              progress: Callable[[str, float, bool], None] | None) -> float:
    """Compile or load one kernel through the engine's own :func:`prepare`."""
    if name not in COLD_COMPILE_S:
        raise ValueError(f"unknown kernel {name!r}; known: {', '.join(KERNELS)}")
    compiled = needs_compile(name)
    bqm, options = _stand_in(name)
    if name == rules.KERNEL:  # not one the engine picks: the sampler's own prepare
        prepare = functools.partial(rules.prepare_rules, randomize=True, gibbs=True)
    t0 = time.perf_counter()
    runner = prepare(bqm, num_sweeps=2, num_reads=1, **options).runner
    seconds = time.perf_counter() - t0
    if runner is None or runner.kernel != name:  # the stand-in must pick its kernel
        raise RuntimeError(f"warm-up stand-in for {name!r} chose "
                           f"{getattr(runner, 'kernel', None)!r}; please report this bug")
    if progress is not None:
        progress(name, seconds, compiled)
    return seconds


def ready() -> bool:
    """Whether every kernel is compiled or cached (a first run will not compile).

    >>> isinstance(ready(), bool)
    True
    """
    return not any(needs_compile(k) for k in KERNELS)


__all__ = ["COLD_COMPILE_S", "KERNELS", "announce_compile", "needs_compile", "ready",
           "warm_up"]
