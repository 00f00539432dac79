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
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from qanneal.errors import InputError
from qanneal.io import jsonable

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
    path = Path(source).resolve()
    files = [path]
    if path.suffix.lower() not in YAML_SUFFIXES:
        return files
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
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
        ref = (ref if ref.is_absolute() else path.parent / ref).resolve()
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


def load_result_json(path: str | Path) -> dict[str, Any]:
    """A result written by ``qanneal solve --json``, with its manifest checked."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"file not found: {p.resolve()}", file=p) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a result JSON file: {exc}", file=p) from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("run"), dict):
        raise InputError("no run manifest in this file; write one with "
                         "`qanneal solve FILE --json OUT`", file=p, field="manifest")
    if manifest.get("problem", {}).get("source") is None:
        raise InputError("the run did not come from a file (built in Python), so it "
                         "cannot be replayed from the command line", file=p,
                         field="manifest.problem.source")
    return data


def replay(path: str | Path) -> tuple[Result, bool, list[str]]:
    """Rerun the solve recorded in the result JSON at ``path``.

    Returns the new result, whether it reproduced the recorded one (same feasibility,
    objective, solution, energy and penalty weights) and every difference found,
    inputs and versions included (a changed input is reported, not refused).
    """
    from qanneal.result import versions
    from qanneal.solve import solve
    from qanneal.spec import load_problem

    recorded = load_result_json(path)
    manifest = recorded["manifest"]
    problem_info, run = manifest["problem"], manifest["run"]
    source = Path(problem_info["source"])
    if not source.is_file():
        raise InputError(f"the problem file of the run is gone: {source}", file=path,
                         field="manifest.problem.source")
    differences: list[str] = []
    for name, digest in (problem_info.get("inputs") or {}).items():
        if not Path(name).is_file():
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
