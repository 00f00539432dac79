"""The problem-type interface: how a registered type builds a Problem from data.

A problem type is plain data: a name, pydantic models for its ``data:`` and
``options:`` sections (which also give ``qanneal schema`` its content), the file
extensions it reads directly, and a ``build`` function. Built-in types and plugins
register the same way, through the ``qanneal.problems`` entry-point group.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from qanneal.errors import InputError
from qanneal.formats._common import data_suffix
from qanneal.model import Problem
from qanneal.validation import validate


class Strict(BaseModel):
    """Base of every data/options model: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class FileData(Strict):
    """Fields every ``data:`` section accepts: a file (relative to the problem file)."""

    file: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class ProblemType:
    """A registered problem type.

    ``build(data, options, base_dir)`` receives validated ``data_model`` and
    ``options_model`` instances; file paths in ``data.file`` are relative to
    ``base_dir`` (resolve them with :func:`resolve_path`).
    """

    name: str
    description: str
    data_model: type[FileData]
    options_model: type[Strict]
    build: Callable[[Any, Any, Path], Problem]
    extensions: tuple[str, ...] = ()

    def from_spec(self, data: Any, options: Mapping[str, Any] | None = None, *,
                  base_dir: Path | None = None, source: str | None = None,
                  line_of: Callable[[tuple[Any, ...]], int | None] | None = None) -> Problem:
        """Validate the ``data:`` and ``options:`` sections and build the problem."""
        if isinstance(data, str):  # `data: graph.rud` is short for `data: {file: graph.rud}`
            data = {"file": data}
        if data is None:
            raise InputError("required section is missing", file=source, field="data")
        d = validate(self.data_model, data, file=source, prefix="data", line_of=line_of)
        o = validate(self.options_model, dict(options or {}), file=source, prefix="options",
                     line_of=line_of)
        start = time.perf_counter()
        try:
            problem = self.build(d, o, base_dir or Path.cwd())
        except InputError as exc:
            raise exc.at(file=source) from None
        problem.build_s = time.perf_counter() - start
        problem.source = source
        return problem

    def from_file(self, path: str | Path, options: Mapping[str, Any] | None = None,
                  format: str | None = None) -> Problem:
        """Build straight from a data file in a format this type reads."""
        path = Path(path)
        problem = self.from_spec({"file": str(path.resolve()), "format": format}, options,
                                 base_dir=path.parent, source=str(path))
        if problem.name is None:
            problem.name = path.stem
        return problem


def resolve_path(name: str, base_dir: Path, *, field: str = "data.file") -> Path:
    """A data file named in a problem file, resolved relative to that file; must exist."""
    path = Path(name)
    if not path.is_absolute():
        path = base_dir / path
    try:
        path = path.resolve()
    except (OSError, RuntimeError):  # pathlib raises RuntimeError on a symlink loop
        raise InputError(f"cannot open {path}: a symlink loop", field=field) from None
    if not path.is_file():
        raise InputError(f"file not found: {path} (paths are relative to the problem file)",
                         field=field)
    return path


def pick_format(path: Path, explicit: str | None, known: Mapping[str, str],
                field: str = "data.format") -> str:
    """The format of a data file: explicit, else from its extension."""
    if explicit:
        if explicit not in set(known.values()):
            raise InputError(f"unknown format {explicit!r}; allowed: "
                             f"{', '.join(sorted(set(known.values())))}", field=field)
        return explicit
    fmt = known.get(data_suffix(path))  # past .gz / .xz: 'x.qs.xz' is a .qs file
    if fmt is None:
        raise InputError(f"cannot tell the format of {path.name} from its extension; "
                         f"use one of {', '.join(sorted(known))} or set format "
                         f"({', '.join(sorted(set(known.values())))})", field=field)
    return fmt
