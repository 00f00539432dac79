"""Models sized before they are built: estimates, the memory limit, and build deadlines.

Every builder that can blow up (a time-indexed schedule, a position-encoded tour, a
one-hot colouring with a huge ``k``) counts its variables and quadratic terms from the
instance alone, converts them to bytes with the per-item costs below, and calls
:func:`check` *before* allocating. Past the limit it raises
:class:`~qanneal.errors.TooLargeError` with one line: the estimate, the limit and what
to change.

The limit is half of the memory available now (``MemAvailable`` in ``/proc/meminfo``,
else half the physical memory); the environment variable ``QANNEAL_MEMORY_LIMIT``
overrides it (``4G``, ``512M``, plain bytes, or ``75%`` of available memory).

Build deadlines: :func:`solve` runs the (lazy) model build under :func:`deadline`, and
long builder loops call :func:`check_deadline`, so a build that outlasts the user's
time limit stops with a clear message instead of running on.

>>> parse_size("4G"), parse_size("512M"), parse_size("1000")
(4294967296, 536870912, 1000)
>>> ModelSize(variables=10, terms=20, linear=30, constraints=2).bytes
11520
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qanneal.errors import InputError, TooLargeError

ENV_VAR = "QANNEAL_MEMORY_LIMIT"
#: Share of the available memory a model may take when no limit is set.
DEFAULT_FRACTION = 0.5

# Measured per-item costs (RSS growth over item counts, dimod 0.12.23): a quadratic
# term held in a dimod BQM or CQM constraint ~45 bytes (la01 job shop: 11.4M terms,
# 520 MB; its CQM + BQM peaked at 1.5 GB, estimated 1.8 GB); a CQM constraint ~550
# bytes plus ~60 per variable entry (100,000 two-variable rows: 670 bytes each); a
# variable with its Python label and dict entries a few hundred bytes. Rounded up: an
# estimate that errs high refuses early rather than late.
BYTES_PER_TERM = 64
BYTES_PER_VARIABLE = 512
BYTES_PER_LINEAR = 128
BYTES_PER_CONSTRAINT = 640
#: PuLP keeps every variable and every constraint coefficient as Python objects.
PULP_BYTES_PER_VARIABLE = 1200
PULP_BYTES_PER_COEFFICIENT = 250


@dataclass(frozen=True)
class ModelSize:
    """The size of a model before it is built: counts, and bytes estimated from them.

    ``variables``: model variables; ``terms``: quadratic terms (objective, conflict
    constraints or penalty expansions); ``linear``: entries of variables in
    constraints (each one a dict entry in a dimod constraint); ``constraints``: CQM
    constraints (each one a dimod model of its own).
    """

    variables: int
    terms: int = 0
    linear: int = 0
    constraints: int = 0

    @property
    def bytes(self) -> int:
        return (BYTES_PER_VARIABLE * self.variables + BYTES_PER_TERM * self.terms
                + BYTES_PER_LINEAR * self.linear + BYTES_PER_CONSTRAINT * self.constraints)

    def __add__(self, other: ModelSize) -> ModelSize:
        return ModelSize(self.variables + other.variables, self.terms + other.terms,
                         self.linear + other.linear, self.constraints + other.constraints)


def pulp_size(variables: int, coefficients: int) -> int:
    """Bytes a PuLP model of ``variables`` and ``coefficients`` (nonzeros) takes."""
    return PULP_BYTES_PER_VARIABLE * variables + PULP_BYTES_PER_COEFFICIENT * coefficients


def parse_size(text: str) -> int:
    """Bytes from ``'4G'``, ``'512M'``, ``'64K'``, ``'1T'`` (binary units) or plain bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(text)
    scale = 1024 ** "_KMGT".index(match.group(2).upper() or "_")
    return int(float(match.group(1)) * scale)


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable``), else the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def memory_limit() -> tuple[int, str]:
    """The byte limit for one model, and a phrase saying where it comes from."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return int(DEFAULT_FRACTION * available_memory()), f"half of free memory; {ENV_VAR}"
    try:
        if raw.endswith("%"):
            share = float(raw[:-1]) / 100
            if not 0 < share <= 1:
                raise ValueError(raw)
            return int(share * available_memory()), f"{ENV_VAR}={raw} of free memory"
        return parse_size(raw), f"{ENV_VAR}={raw}"
    except ValueError:
        raise InputError(f"{raw!r} is not a size; use e.g. 4G, 512M, 1000000 (bytes) or "
                         "50% (of available memory)", field=ENV_VAR) from None


def gib(n: float) -> str:
    """Bytes as a short human size: ``'7.5 GiB'``, ``'310 MiB'``."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def amount(n: int) -> str:
    """A count, short: ``'278,340'``, ``'512.3 million'``, ``'7.5e+16'``.

    >>> amount(278340), amount(512_300_000), amount(15_509_700_666), amount(7.5e16)
    ('278,340', '512.3 million', '15.5 billion', '7.5e+16')
    """
    if n < 10**6:
        return f"{int(n):,}"
    if n < 10**9:
        return f"{n / 10**6:.1f} million"
    if n < 10**12:
        return f"{n / 10**9:.1f} billion"
    return f"{n:.2g}"


def check(what: str, size: ModelSize | int, fix: str | Callable[[], str], *,
          counts: str | None = None) -> None:
    """Refuse to build ``what`` if its estimated bytes exceed :func:`memory_limit`.

    ``size`` is a :class:`ModelSize` (or bytes); ``fix`` says what to change (or makes
    that text, called only on refusal: a hint may cost seconds to work out). The
    message is one line (under the CLI's 300 characters): estimate, limit, fix.
    """
    need = size.bytes if isinstance(size, ModelSize) else int(size)
    limit, why = memory_limit()
    if need <= limit:
        return
    if counts is None and isinstance(size, ModelSize):
        counts = f"{amount(size.variables)} variables, {amount(size.terms)} terms"
    raise TooLargeError(f"{what} needs ~{gib(need)} ({counts}), over the {gib(limit)} "
                        f"limit ({why}); {fix() if callable(fix) else fix}")


def check_bqm(what: str, cqm_size: ModelSize, bqm_size: ModelSize,
              fix: str | Callable[[], str]) -> None:
    """:func:`check` for a penalised BQM built beside its CQM (both are held at once)."""
    check(f"{what} as a BQM", cqm_size + bqm_size, fix,
          counts=f"{amount(bqm_size.variables)} variables, {amount(bqm_size.terms)} terms, "
                 "with its CQM")


# ---------------------------------------------------------------------- deadlines
_deadline = threading.local()


@contextlib.contextmanager
def deadline(seconds: float | None, what: str = "the time limit") -> Iterator[None]:
    """Builds inside this block stop (:func:`check_deadline`) after ``seconds``."""
    previous = getattr(_deadline, "value", None)
    _deadline.value = None if seconds is None else (time.perf_counter() + seconds, what)
    try:
        yield
    finally:
        _deadline.value = previous


def check_deadline(building: str, done: float | None = None, *,
                   reading: bool = False) -> None:
    """Raise TooLargeError if the current build deadline passed (cheap: call in loops).

    ``done`` (0..1), when given, says how far the build got, for the message;
    ``reading``: ``building`` is a file being read (the format readers), not a model.
    """
    current = getattr(_deadline, "value", None)
    if current is None or time.perf_counter() <= current[0]:
        return
    if reading:
        progress = f" ({done:.0%} read)" if done is not None else ""
        raise TooLargeError(f"reading {building} used up {current[1]}{progress}; give a "
                            "larger time limit (or none), or a smaller file")
    progress = f" ({done:.0%} built)" if done is not None else ""
    raise TooLargeError(f"building {building} outlasted {current[1]}{progress}; make the "
                        "model smaller (see the problem's options) or give more time")
