"""Run manifests: everything needed to rerun a solve, and :func:`replay` to do it.

Every :class:`qanneal.result.Result` carries a manifest (``to_dict()['manifest']``):
the qanneal and dependency versions, the platform, sha256 hashes of the problem file
and the data files it names, the build options, backend, backend options, seed, time
limit, penalty spec and the weights actually used, and the timings. ``replay`` loads a
result JSON, warns when an input or a version changed, reruns the same solve and
reports whether it reproduced (for a seeded local backend without a time limit: the
same solution, objective and energy).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import stat
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    StrictBool,
    StrictInt,
    StrictStr,
)

from qanneal.errors import InputError, printable, safe_resolve
from qanneal.io import jsonable
from qanneal.safeyaml import load_yaml
from qanneal.validation import MAX_SECONDS, validate

if TYPE_CHECKING:  # imported lazily at run time: solve imports this module
    from qanneal.model import Problem
    from qanneal.result import Result

MANIFEST_VERSION = 1
YAML_SUFFIXES = (".yaml", ".yml")


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (cached while the file's size and mtime are unchanged)."""
    p = Path(path).resolve()
    st = p.stat()
    return _sha256(str(p), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(source: str | Path) -> list[Path]:
    """The files a run read: the problem (or data) file and, for a YAML problem file,
    the data files it names (``data: FILE``, ``data.file`` or any ``data.*_file``)."""
    path = Path(os.path.realpath(source))
    files = [path]
    if path.suffix.lower() not in YAML_SUFFIXES:
        return files
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return files
    data = doc.get("data") if isinstance(doc, Mapping) else None
    if isinstance(data, str):  # `data: graph.rud` is short for `data: {file: graph.rud}`
        names = [data]
    elif isinstance(data, Mapping):
        names = [v for k, v in data.items()
                 if isinstance(v, str) and (k == "file" or str(k).endswith("_file"))]
    else:
        names = []
    for name in names:
        ref = Path(name)
        ref = Path(os.path.realpath(ref if ref.is_absolute() else path.parent / ref))
        if ref.is_file():
            files.append(ref)
    return files


def platform_info() -> dict[str, Any]:
    """The machine a run ran on."""
    return {"system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "processor": _cpu_model(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "cpu_count": os.cpu_count()}


@lru_cache(maxsize=1)
def _cpu_model() -> str:
    # platform.processor() is empty on most Linux systems; /proc/cpuinfo names the CPU.
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run_manifest(problem: Problem, backend: str, *, options: Mapping[str, Any],
                 seed: int | None, time_limit: float | None, penalties: Any,
                 weights: Mapping[str, float] | None, polish: bool, repair: bool,
                 params: Mapping[str, Any], timing: Mapping[str, float]) -> dict[str, Any]:
    """The manifest of one solve (JSON-safe)."""
    from qanneal.result import versions

    inputs: dict[str, str] = {}
    source = None
    if problem.source is not None and Path(problem.source).is_file():
        source = str(Path(problem.source).resolve())
        inputs = {str(f): file_sha256(f) for f in input_files(source)}
    return jsonable({
        "manifest_version": MANIFEST_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "platform": platform_info(),
        "problem": {"kind": problem.kind, "name": problem.name, "source": source,
                    "inputs": inputs, "build_overrides": dict(problem.build_overrides or {})},
        "run": {"backend": backend, "options": dict(options), "seed": seed,
                "time_limit": time_limit, "penalties": penalties,
                "inequalities": problem.inequalities,
                "penalties_used": None if weights is None else dict(weights),
                "polish": polish, "repair": repair},
        "params": dict(params),
        "timing": dict(timing),
    })


#: Result files larger than this are refused unread (a result is a few KB to a few MB).
MAX_RESULT_BYTES = 32 * 2**20


class _ProblemInfo(BaseModel):
    model_config = ConfigDict(extra="allow")  # later versions may record more

    kind: StrictStr
    name: StrictStr | None = None
    source: StrictStr | None = None
    inputs: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    build_overrides: dict[StrictStr, Any] = Field(default_factory=dict)


class _RunInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    backend: StrictStr
    options: dict[StrictStr, Any] = Field(default_factory=dict)
    seed: StrictInt | None = Field(None, ge=0, lt=2**63)
    time_limit: PositiveFloat | None = Field(None, le=MAX_SECONDS)
    penalties: Any = None
    penalties_used: Any = None  # only compared with the replay's
    polish: StrictBool = False
    repair: StrictBool = False


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    problem: _ProblemInfo
    run: _RunInfo
    versions: dict[StrictStr, Any] = Field(default_factory=dict)


def _json_constant(name: str) -> Any:
    raise InputError(f"{name} is not allowed; a result file holds finite numbers only")


def _json_int(text: str) -> int:
    # Checked before int(): Python refuses more than 4300 digits with a ValueError.
    if len(text.lstrip("-").lstrip("0")) > 19:
        raise InputError(f"an integer of {len(text)} digits; integers must be between "
                         "-2**63 and 2**63")
    return int(text)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InputError(f"duplicate key {printable(key, 60)!r}; give each key once")
        out[key] = value
    return out


def load_result_json(path: str | Path) -> dict[str, Any]:
    """A result written by ``qanneal solve --json``, with its manifest checked as
    strictly as a problem file (types, finite numbers, no duplicate keys, bounded
    size and nesting): a crafted manifest is one error line, never a traceback."""
    p = Path(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise InputError("not a regular file; expected a result JSON file", file=p)
        if st.st_size > MAX_RESULT_BYTES:
            raise InputError(f"file is {st.st_size / 2**20:.0f} MiB, more than the "
                             f"{MAX_RESULT_BYTES >> 20} MiB a result file may have", file=p)
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file not found: {safe_resolve(p)}", file=p) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read a result JSON file: {exc}", file=p) from None
    try:
        data = json.loads(text, parse_constant=_json_constant, parse_int=_json_int,
                          object_pairs_hook=_json_object)
    except InputError as exc:
        raise exc.at(file=p) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a result JSON file: {exc}", file=p) from None
    except RecursionError:
        raise InputError("not a result JSON file: nested too deeply", file=p) from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("run"), dict):
        raise InputError("no run manifest in this file; write one with "
                         "`qanneal solve FILE --json OUT`", file=p, field="manifest")
    checked = validate(_Manifest, manifest, file=str(p), prefix="manifest")
    if checked.problem.source is None:
        raise InputError("the run did not come from a file (built in Python), so it "
                         "cannot be replayed from the command line", file=p,
                         field="manifest.problem.source")
    return data


def _inside(path: str | Path, roots: list[Path]) -> bool:
    """Whether ``path``, symlinks resolved, lies in one of the folder trees ``roots``."""
    real = Path(os.path.realpath(path))
    return any(real == root or root in real.parents for root in roots)


def replay(path: str | Path, problem_file: str | Path | None = None
           ) -> tuple[Result, bool, list[str]]:
    """Rerun the solve recorded in the result JSON at ``path``.

    Returns the new result, whether it reproduced the recorded one (same feasibility,
    objective, solution, energy and penalty weights) and every difference found,
    inputs and versions included (a changed input is reported, not refused).

    A result file may come from anyone, so replay reads no file outside the result's
    own folder tree: the recorded problem file and its data files must lie there, or
    the problem file is named by the caller (``problem_file``, the command line's
    FILE), whose folder tree is then allowed too. Inputs recorded elsewhere are
    neither read nor hashed (``/etc/shadow`` is not checked for changes).
    """
    from qanneal.result import versions
    from qanneal.solve import solve
    from qanneal.spec import load_problem

    recorded = load_result_json(path)
    manifest = recorded["manifest"]
    problem_info, run = manifest["problem"], manifest["run"]
    roots = [Path(os.path.realpath(Path(path).parent))]
    if problem_file is not None:
        source = Path(problem_file)
        roots.append(Path(os.path.realpath(source)).parent)
    else:
        source = Path(problem_info["source"])
        if not _inside(source, roots):
            raise InputError(
                "name the run's problem file to replay it (qanneal solve FILE --replay "
                f"RESULT): {printable(source, 120)} is outside the result's folder",
                file=path, field="manifest.problem.source")
    if not source.is_file():
        raise InputError(f"the problem file of the run is gone: {printable(source, 120)}",
                         file=path, field="manifest.problem.source")
    for ref in input_files(source)[1:]:  # the data files the problem file names
        if not _inside(ref, roots):
            raise InputError(f"the problem file names {printable(ref, 120)}, outside the "
                             f"folders of the result and the problem file; refusing to "
                             "read it", file=source, field="data")
    differences: list[str] = []
    for name, digest in (problem_info.get("inputs") or {}).items():
        if not _inside(name, roots):
            differences.append(f"input {printable(name, 120)} is outside the result's "
                               "folder: not read (name the problem file to check it)")
        elif not Path(name).is_file():
            differences.append(f"input {name} is missing")
        elif file_sha256(name) != digest:
            differences.append(f"input {name} changed since the run "
                               f"(sha256 {digest[:12]} -> {file_sha256(name)[:12]})")
    now = versions()
    for package, old in (manifest.get("versions") or {}).items():
        if package != "platform" and now.get(package) != old:
            differences.append(f"{package} {old} -> {now.get(package, 'not installed')}")
    if run.get("time_limit") is not None:
        differences.append(f"the run had a {run['time_limit']} s time limit: how much work "
                           "fits in it depends on the machine and its load")
    is_yaml = source.suffix.lower() in YAML_SUFFIXES
    spec = load_problem(source, None if is_yaml else problem_info["kind"],
                        options=problem_info.get("build_overrides") or None)
    if run.get("inequalities") is not None:  # --inequalities, or the file's
        spec.problem.inequalities = run["inequalities"]
    result = solve(spec.problem, run["backend"], seed=run.get("seed"),
                   time_limit=run.get("time_limit"), penalties=run.get("penalties"),
                   polish_samples=bool(run.get("polish")), repair=bool(run.get("repair")),
                   **(run.get("options") or {}))
    fresh = result.to_dict()
    outcome = []
    for key in ("feasible", "objective", "energy", "solution"):
        if fresh.get(key) != recorded.get(key):
            outcome.append(f"{key}: {_short(recorded.get(key))} -> {_short(fresh.get(key))}")
    used = fresh["manifest"]["run"]["penalties_used"]
    if used != run.get("penalties_used"):
        outcome.append("penalty weights differ from the run's")
    return result, not outcome, outcome + differences


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit - 3] + "..."
