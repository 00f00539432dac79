"""Problem files: YAML read with ``yaml.safe_load``, validated with pydantic.

A problem file names a registered problem type, its data (inline, or a file relative
to the problem file), and optionally backends, seed, time limit, known optimum and
penalty weights::

    problem: maxcut
    name: petersen
    data:
      file: petersen.rud       # or inline: edges: [[0, 1], [1, 2, 2.5], ...]
    backends: [sa, tabu]       # or a mapping: {sa: {num_reads: 100}, exact: {}}
    seed: 7
    known_optimum: 12

Every error names the file, the line where known, the field and what is allowed.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, PositiveFloat, field_validator
from pydantic_core import PydanticCustomError

from qanneal import sizing
from qanneal.errors import (
    InputError,
    QanError,
    UnknownNameError,
    did_you_mean,
    printable,
    safe_resolve,
)
from qanneal.formats._common import data_suffix
from qanneal.inequalities import check_spec
from qanneal.io import register_input
from qanneal.model import Problem
from qanneal.problems.base import Strict
from qanneal.registry import (
    backend_names,
    is_class_path,
    load_backend,
    load_problem_type,
    problem_type_for_extension,
    problem_type_names,
)
from qanneal.safeyaml import YamlLimitError, compose_yaml, construct_yaml, node_path
from qanneal.validation import MAX_SECONDS, field_path, validate

YAML_SUFFIXES = (".yaml", ".yml")
#: YAML problem files larger than this are refused unread (PyYAML builds ~1 MB/s).
MAX_PROBLEM_FILE_BYTES = 32 * 2**20

PenaltyValue = PositiveFloat | Literal["default", "auto", "dimod"]


class ProblemFile(Strict):
    """The top level of a qanneal problem file."""

    problem: str = Field(description="registered problem type (see `qanneal schema`)")
    name: str | None = Field(None, description="instance name shown in reports")
    data: dict[str, Any] | str = Field(
        description="the problem's data: inline fields, or {file: PATH} relative to this file")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="build options of the problem type")
    backends: list[str] | dict[str, dict[str, Any] | None] | None = Field(
        None, description="backends to use: names, or name -> options; the first is the default")
    seed: int | None = Field(None, ge=0, lt=2**63, description="seed for reproducible runs")
    time_limit: PositiveFloat | None = Field(None, le=MAX_SECONDS,
                                             description="wall-clock budget per run (s)")
    known_optimum: float | None = Field(None, description="best-known objective, for gaps")
    penalties: PenaltyValue | dict[str, PenaltyValue] | None = Field(
        None, description="penalty weight for every constraint, or per constraint/group; "
                          "'auto' calibrates, 'dimod' uses dimod's default multiplier")
    inequalities: str | dict[str, Any] | None = Field(
        None, description="how inequalities become penalties, for all or per constraint/"
                          "group: slack (dimod's slack variables), unbalanced (no slack; "
                          "{l1: .., l2: ..} to set its multipliers) or auto (the default: "
                          "unbalanced where the slack would need 5 or more bits)")

    @field_validator("inequalities")
    @classmethod
    def _check_inequalities(cls, value: Any) -> Any:
        try:
            check_spec(value)
        except InputError as exc:  # the message without its field: pydantic adds the path
            message = exc.message
            if isinstance(value, str):  # the error line shows the value itself
                message = message.split("; got ")[0]
            if exc.field != "inequalities":
                message = f"{exc.field.removeprefix('inequalities.')}: {message}"
            raise PydanticCustomError("inequalities", message) from None
        return value


@dataclass
class Spec:
    """A loaded problem file: the built problem and the run settings it names."""

    problem: Problem
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int | None = None
    time_limit: float | None = None
    path: Path | None = None


def max_problem_file_bytes() -> int:
    """The size limit of YAML problem files: 32 MiB, or ``QANNEAL_MAX_PROBLEM_FILE_MB``."""
    raw = os.environ.get("QANNEAL_MAX_PROBLEM_FILE_MB")
    if raw is None:
        return MAX_PROBLEM_FILE_BYTES
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise InputError(f"expected a positive number of MiB, got {printable(raw, 40)}",
                         field="QANNEAL_MAX_PROBLEM_FILE_MB")
    return int(mb * 2**20)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"file not found: {safe_resolve(path)}", file=path) from None
    except OSError as exc:  # a symlink loop (ELOOP), a name too long, no permission
        raise InputError(f"cannot open file: {exc.strerror or exc}", file=path) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file (a directory or a device?); expected a YAML "
                         "problem file", file=path)
    limit = max_problem_file_bytes()
    if st.st_size > limit:
        # Checked before reading: parsing a huge YAML file takes minutes for nothing.
        raise InputError(f"problem file is {st.st_size / 2**20:.0f} MiB, more than the "
                         f"{limit / 2**20:.0f} MiB limit; put large data in a data file and "
                         "name it under data.file (or raise QANNEAL_MAX_PROBLEM_FILE_MB)",
                         file=path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=path) from None
    register_input(path)  # no output of this run may overwrite it
    if len(raw) > limit:  # grew since stat
        raise InputError(f"problem file is larger than the {limit / 2**20:.0f} MiB limit",
                         file=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                         file=path) from None
    node = None
    try:
        # One parse: the node graph maps fields to line numbers, and is checked for
        # depth and alias bombs before any value is built from it.
        node = compose_yaml(text)
        value = construct_yaml(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, node) from None
    return value, node


def _yaml_error(exc: yaml.YAMLError, path: Path | str, root: yaml.Node | None) -> InputError:
    """A YAML error as one InputError with the line and, for a refused value, its field."""
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = mark.line + 1 if mark else None
    if not isinstance(exc, YamlLimitError):
        return InputError(f"invalid YAML: {what}", file=path, line=line)
    loc = node_path(root, exc.node)
    if loc == ("time_limit",) and "finite" in what:
        what += "; leave time_limit out for no limit"
    return InputError(what, file=path, line=line, field=field_path(loc) if loc else None)


def _line_finder(root: yaml.Node | None):
    def line_of(loc: tuple[Any, ...]) -> int | None:
        node = root
        best = None
        for part in loc:
            if node is None:
                break
            best = node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode):
                match = [(k, v) for k, v in node.value if k.value == str(part)]
                if not match:
                    return best
                key, node = match[0]
                best = key.start_mark.line + 1
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return best
                node = node.value[part]
                best = node.start_mark.line + 1
            else:
                break
        return best if node is None else node.start_mark.line + 1

    return line_of


def load(path: str | Path, options: dict[str, Any] | None = None, *,
         time_limit: float | None = None, timed: bool = False) -> Spec:
    """Load and build a YAML problem file; ``options`` override its ``options:`` section.

    Reading and building count against a run's time limit: ``time_limit``, else (with
    ``timed``: the file is loaded to be solved) the file's own ``time_limit:``. Past it
    they stop with one line saying so (:func:`building_within`). ``problem.build_s`` is
    the time from the file's first byte, so :func:`~qanneal.solve.solve` gives the
    backend only what is left.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "tri.yaml").write_text("problem: maxcut\\ndata:\\n  edges: [[0, 1], [1, 2], [0, 2]]\\n")
    >>> spec = load(d / "tri.yaml")
    >>> spec.problem.kind, spec.problem.num_variables
    ('maxcut', 3)
    """
    start = time.perf_counter()
    path = Path(path)
    value, root = _read_yaml(path)
    line_of = _line_finder(root)
    if not isinstance(value, dict):
        raise InputError("a problem file is a YAML mapping with at least 'problem' and 'data'",
                         file=path, line=1)
    parsed = validate(ProblemFile, value, file=str(path), line_of=line_of)
    try:
        problem_type = load_problem_type(parsed.problem)
    except InputError as exc:
        raise exc.at(file=path, line=line_of(("problem",))) from None
    backends = _backend_options(parsed.backends, path, line_of)
    if time_limit is None and timed:
        time_limit = parsed.time_limit
    with building_within(time_limit, start):
        problem = problem_type.from_spec(parsed.data, {**parsed.options, **(options or {})},
                                         base_dir=path.parent,
                                         source=str(path), line_of=line_of)
    problem.build_s = time.perf_counter() - start
    problem.name = parsed.name or problem.name or path.stem
    problem.build_overrides = dict(options or {})  # so a run manifest can replay it
    changed = any(parsed.options.get(k) != v for k, v in (options or {}).items())
    if parsed.known_optimum is not None and not changed:
        # The file's known optimum belongs to the file's options; with other options
        # it would report a false gap.
        problem.known_optimum = parsed.known_optimum
    if parsed.penalties is not None:
        # The file's weights go over the problem type's own, not instead of them.
        if problem.base_penalties is None:
            problem.base_penalties, problem.penalties = problem.penalties, None
        problem.penalties = parsed.penalties
        try:
            problem.penalty_weights()
        except InputError as exc:
            raise exc.at(file=path, line=line_of(("penalties",))) from None
    if parsed.inequalities is not None:
        problem.inequalities = parsed.inequalities
        try:
            problem.unbalanced()  # names a constraint or group that exists?
        except InputError as exc:
            raise exc.at(file=path, line=line_of(("inequalities",))) from None
    return Spec(problem=problem, backends=backends, seed=parsed.seed,
                time_limit=parsed.time_limit, path=path)


def _backend_options(backends: Any, path: Path, line_of: Any) -> dict[str, dict[str, Any]]:
    if backends is None:
        return {}
    if isinstance(backends, list):
        backends = {name: {} for name in backends}
    known = backend_names()
    for name in backends:
        if name not in known and not is_class_path(name):  # module:Class: a dimod Sampler
            raise UnknownNameError("backend", name, known, file=path,
                                   line=line_of(("backends", name)) or line_of(("backends",)),
                                   field="backends")
        allowed = _declared_options(name)
        for key in backends[name] or {}:
            if allowed is not None and key not in allowed:
                raise InputError(
                    f"unknown option for backend {name!r}{did_you_mean(key, allowed)}; "
                    f"allowed: {', '.join(sorted(allowed)) or '(none)'}", file=path,
                    line=line_of(("backends", name, key)), field=f"backends.{name}.{key}")
    return {name: dict(opts or {}) for name, opts in backends.items()}


def _declared_options(name: str) -> dict[str, Any] | None:
    try:
        return load_backend(name).defaults
    except QanError:  # a broken plugin is reported when it is used, not here
        return None


def load_problem(path: str | Path, problem_type: str | None = None, *,
                 format: str | None = None, options: dict[str, Any] | None = None,
                 time_limit: float | None = None, timed: bool = False) -> Spec:
    """A problem file (YAML) or a data file in a format a problem type reads.

    For a data file, ``problem_type`` names the type; it may be left out when exactly
    one registered type reads files with that extension. With ``time_limit`` (s),
    reading and building stop once it is used up (:func:`building_within`); ``timed``:
    a problem file's own ``time_limit:`` counts when ``time_limit`` is None (see
    :func:`load`).
    """
    start = time.perf_counter()
    path = Path(path)
    if path.suffix.lower() in YAML_SUFFIXES and format is None:
        spec = load(path, options, time_limit=time_limit, timed=timed)
        if problem_type is not None and problem_type != spec.problem.kind:
            raise InputError(f"the file says problem: {spec.problem.kind}, but "
                             f"--problem {problem_type} was given; drop one", file=path)
        return spec
    try:
        path.stat()
    except FileNotFoundError:
        raise InputError(f"file not found: {safe_resolve(path)}", file=path) from None
    except OSError as exc:  # a symlink loop (ELOOP), a name too long, no permission
        raise InputError(f"cannot open file: {exc.strerror or exc}", file=path) from None
    if problem_type is None:
        suffix = data_suffix(path)  # past .gz / .xz: 'x.qs.xz' is a .qs file
        candidates = problem_type_for_extension(suffix)
        if len(candidates) != 1:
            hint = (f"one of: {', '.join(candidates)}" if candidates
                    else f"one of: {', '.join(problem_type_names())}")
            raise InputError(f"cannot tell the problem type from the extension "
                             f"{suffix or '(none)'!r}; pass --problem ({hint})",
                             file=path)
        problem_type = candidates[0]
    ptype = load_problem_type(problem_type)
    with building_within(time_limit, start):
        problem = ptype.from_file(path, options, format=format)
    problem.build_s = time.perf_counter() - start
    problem.build_overrides = dict(options or {})
    return Spec(problem=problem, path=path)


def building_within(time_limit: float | None, start: float) -> Any:
    """A build deadline (:func:`qanneal.sizing.deadline`) ``time_limit`` seconds after
    ``start`` (a ``perf_counter`` value); no deadline (an outer one stays) for None.

    The format readers look at it as they read (every 64K characters) and the builders
    in their loops, so a file too big to read and build in the run's whole budget stops
    at the budget with one line, instead of being read for 30 s and then refused.
    """
    if time_limit is None:
        return contextlib.nullcontext()
    return sizing.deadline(time_limit - (time.perf_counter() - start),
                           f"the time limit ({time_limit:g} s)")


def schema() -> dict[str, Any]:
    """JSON schema of problem files, with each registered type's data and options."""
    out = ProblemFile.model_json_schema()
    types = {}
    for name in problem_type_names():
        try:
            ptype = load_problem_type(name)
        except Exception:  # a broken plugin should not hide the others' schemas
            continue
        types[name] = {
            "description": ptype.description,
            "data": ptype.data_model.model_json_schema(),
            "options": ptype.options_model.model_json_schema(),
            "extensions": list(ptype.extensions),
        }
    out["x-problem-types"] = types
    return out
