"""Backends and problem types, discovered through entry points.

Built-ins register in qanneal's own ``pyproject.toml`` under the same groups a third
party uses (``qanneal.backends``, ``qanneal.problems``): there is no second-class
plugin. Loading is lazy, and a plugin that fails to import is reported with its name
and message; it never takes the CLI down.

A backend entry point may name a :class:`Backend` subclass or any ``dimod.Sampler``
subclass (wrapped once by :func:`qanneal.backends.sampler.sampler_backend`: seed, time
limit by restarts, anytime trace, verification). A sampler that is not registered can
be named as ``module:Class`` wherever a backend name goes (``--backend
dwave.samplers:SimulatedAnnealingSampler``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from qanneal.backends.base import Backend
from qanneal.errors import BackendError, BackendUnavailable, UnknownNameError
from qanneal.problems.base import ProblemType

BACKEND_GROUP = "qanneal.backends"
PROBLEM_GROUP = "qanneal.problems"
DEFAULT_BACKEND = "sa"


@dataclass(frozen=True)
class BackendInfo:
    """What ``qanneal backends`` shows for one backend."""

    name: str
    consumes: str
    available: bool
    reason: str
    description: str
    distribution: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep)  # first distribution wins, as importlib orders them
    return found


def refresh() -> None:
    """Forget cached entry points (after installing a plugin in the same process)."""
    _entry_points.cache_clear()
    load_backend.cache_clear()
    load_problem_type.cache_clear()


def backend_names() -> list[str]:
    return sorted(_entry_points(BACKEND_GROUP))


def problem_type_names() -> list[str]:
    return sorted(_entry_points(PROBLEM_GROUP))


@cache
def load_backend(name: str) -> type[Backend]:
    """The backend class registered as ``name``.

    Raises :class:`UnknownNameError` for an unregistered name and
    :class:`BackendError` when the plugin fails to import or is not a Backend.
    """
    eps = _entry_points(BACKEND_GROUP)
    if name in eps:
        value = eps[name].value
        loader = eps[name].load
    elif is_class_path(name):
        value = name
        loader = EntryPoint(name, name, BACKEND_GROUP).load
    else:
        raise UnknownNameError("backend", name, eps, field="backend")
    try:
        obj = loader()
    except Exception as exc:  # a broken plugin must not take the CLI down
        raise BackendError(name, f"failed to import {value}: "
                                 f"{type(exc).__name__}: {exc}") from None
    if isinstance(obj, type) and issubclass(obj, Backend):
        return obj
    import dimod

    if isinstance(obj, type) and issubclass(obj, dimod.Sampler):
        from qanneal.backends.sampler import sampler_backend

        return sampler_backend(obj, name)
    raise BackendError(name, f"{value} is not a qanneal Backend subclass (nor a dimod "
                             "Sampler subclass)")


def is_class_path(name: str) -> bool:
    """Whether ``name`` has the form ``package.module:Class`` (a backend by import path).

    >>> is_class_path("dwave.samplers:SimulatedAnnealingSampler"), is_class_path("sa")
    (True, False)
    """
    module, sep, attr = name.partition(":")
    return bool(sep) and all(p.isidentifier() for p in module.split(".")) and all(
        p.isidentifier() for p in attr.split("."))


def get_backend(name: str, options: dict[str, Any] | None = None) -> Backend:
    """An instance of backend ``name`` that can run here with ``options``, or a one-line
    error why not."""
    cls = load_backend(name)
    try:
        ok, reason = cls.available_for(dict(options or {}))
    except Exception as exc:
        ok, reason = False, f"availability check raised {type(exc).__name__}: {exc}"
    if not ok:
        raise BackendUnavailable(name, reason)
    return cls()


def backend_info(name: str, options: dict[str, Any] | None = None) -> BackendInfo:
    """What ``qanneal backends`` shows for ``name`` (availability with ``options``)."""
    ep = _entry_points(BACKEND_GROUP)[name]
    dist = ep.dist.name if ep.dist is not None else "?"
    try:
        cls = load_backend(name)
    except BackendError as exc:
        return BackendInfo(name, "?", False, str(exc), "", dist)
    try:
        ok, reason = cls.available_for(dict(options or {}))
    except Exception as exc:
        ok, reason = False, f"availability check raised {type(exc).__name__}: {exc}"
    return BackendInfo(name, cls.consumes, bool(ok), reason or "", cls.description, dist)


def backend_distribution(cls: type) -> str | None:
    """The distribution whose ``qanneal.backends`` entry point registers ``cls`` (None:
    registered by none; ``qanneal`` for the built-ins). :mod:`qanneal.isolation` runs
    the backends of other distributions in a worker process."""
    value = f"{cls.__module__}:{cls.__qualname__}"
    for ep in _entry_points(BACKEND_GROUP).values():
        if ep.value.replace(" ", "") == value:
            return ep.dist.name if ep.dist is not None else "?"
    return None


def list_backends() -> list[BackendInfo]:
    """Every registered backend, whether it can run here, and why not."""
    return [backend_info(name) for name in backend_names()]


@cache
def load_problem_type(name: str) -> ProblemType:
    """The problem type registered as ``name``."""
    eps = _entry_points(PROBLEM_GROUP)
    if name not in eps:
        raise UnknownNameError("problem type", name, eps, field="problem")
    try:
        obj = eps[name].load()
    except Exception as exc:
        raise BackendError(name, f"problem type failed to import {eps[name].value}: "
                                 f"{type(exc).__name__}: {exc}") from None
    if not isinstance(obj, ProblemType):
        raise BackendError(name, f"{eps[name].value} is not a qanneal ProblemType")
    return obj


def problem_type_for_extension(suffix: str) -> list[str]:
    """Problem types that read files with this extension (for a helpful error)."""
    out = []
    for name in problem_type_names():
        try:
            if suffix.lower() in load_problem_type(name).extensions:
                out.append(name)
        except BackendError:
            continue
    return out
