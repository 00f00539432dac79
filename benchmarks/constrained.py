"""Constrained problems: ``anneal`` with and without one-hot moves vs the MILP, at equal time.

Issue 14's side-by-side benchmark. For every instance, configuration, time limit and
seed: one ``qanneal.solve`` of a freshly loaded problem (exactly what ``qanneal solve
FILE --time-limit T`` does: reading and building count against the limit), every
answer verified by the problem's own checker. Configurations:

* ``anneal``: the engine's defaults (one-hot moves on wherever the CQM has exactly-one
  groups), ``threads=1``;
* ``anneal-off``: the same engine on the fully penalised QUBO (``-o onehot=off``),
  ``threads=1``;
* ``milp``: the default MILP solver (HiGHS) on the problem's native formulation,
  ``threads=1``.

Time limits 1, 10 and 60 s; seeds 1, 2, 3 at 1 and 10 s, seed 1 only at 60 s. By
default the 60 s column is run only on ``--long-instances`` (ft06, la01, berlin52, st70,
knapsack-500): all fifteen instances at 60 s would take ~70 minutes on top.

Instances: TSPLIB gr17, bayg29, eil51, berlin52, st70 and DIMACS myciel5, queen6_6
(``../shared/bench``, optima from its ``best_known.csv``; skipped with a message when
absent), JSPLIB ft06, la01-la05 and ft10 (default options; and la01 at ``time_unit``
1 and 5), a seeded random 20 x 15 job shop in Taillard's format (``rand20x15``,
written by :func:`write_taillard`), and
from ``problems/``: partition-planted24, partition-3way, knapsack-dwave, the 500-item
knapsack of ``inequality_table.py`` (its builder, imported), flowshop-taillard.
Reference: the proven optimum where one is known, else one MILP run of up to
``--reference-limit`` seconds (recorded with its status and bound).

Every run is appended to a JSONL file as soon as it ends; a rerun with the same file
skips the runs already there (resume), and ``--report`` prints the markdown tables
from it. The code is the one imported at the start (every module is imported then);
others' commits during a run do not enter it, but a checkout's uncommitted edits do, so
the recorded run was made from a ``git archive`` snapshot of one commit (see
BENCHMARKS.md). Run from the repository root, single threaded::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python benchmarks/constrained.py \\
        --out benchmarks/results/constrained.jsonl
    .venv/bin/python benchmarks/constrained.py --report benchmarks/results/constrained.jsonl
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # run as a script: sibling modules import directly

from inequality_table import write_instances as knapsack_instances  # noqa: E402

from qanneal import solve  # noqa: E402
from qanneal.errors import QanError  # noqa: E402
from qanneal.spec import load_problem  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "bench"
DEFAULT_OUT = HERE / "results" / "constrained.jsonl"
CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {  # label -> (backend, options)
    "anneal": ("anneal", {"threads": 1}),
    "anneal-off": ("anneal", {"threads": 1, "onehot": "off"}),
    "milp": ("milp", {"threads": 1}),
}
LONG_INSTANCES = ("ft06", "la01", "berlin52", "st70", "knapsack-500")
#: Files whose uncommitted edits change what the annealer does (recorded per run).
ENGINE_FILES = ("qanneal/anneal/engine.py", "qanneal/anneal/onehot_kernel.py")


@dataclass
class Instance:
    """One benchmark instance: how to load it and what to compare against."""

    name: str
    kind: str
    path: Path
    ptype: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    reference: float | None = None
    reference_source: str = ""


def _best_known(csv_path: Path, column: str) -> dict[str, float]:
    """``instance -> value`` from a ``best_known.csv`` of ``../shared/bench`` (# comments)."""
    lines = [line for line in csv_path.read_text().splitlines() if not line.startswith("#")]
    return {row["instance"]: float(row[column]) for row in csv.DictReader(lines)}


def build_instances(bench: Path, folder: Path) -> tuple[list[Instance], list[str]]:
    """The instances in table order, and a message per instance skipped."""
    found: list[Instance] = []
    skipped: list[str] = []
    problems = ROOT / "problems"
    tsp = bench / "tsp"
    for name in ("gr17", "bayg29", "eil51", "berlin52", "st70"):
        if (tsp / f"{name}.tsp").is_file() and (tsp / "best_known.csv").is_file():
            ref = _best_known(tsp / "best_known.csv", "optimal_tour_length")[name]
            found.append(Instance(name, "tsp", tsp / f"{name}.tsp", "tsp", {}, ref,
                                  "proven optimum (best_known.csv)"))
        else:
            skipped.append(f"{name}: {tsp / (name + '.tsp')} not found")
    col = bench / "coloring"
    for name in ("myciel5", "queen6_6"):
        if (col / f"{name}.col").is_file() and (col / "best_known.csv").is_file():
            ref = _best_known(col / "best_known.csv", "chromatic_number")[name]
            found.append(Instance(name, "coloring", col / f"{name}.col", "coloring", {},
                                  ref, "chromatic number (best_known.csv)"))
        else:
            skipped.append(f"{name}: {col / (name + '.col')} not found")
    found.append(Instance("partition-planted24", "partition",
                          problems / "partition-planted24.yaml", reference=45,
                          reference_source="proven optimum (problem file)"))
    found.append(Instance("partition-3way", "partition", problems / "partition-3way.yaml"))
    knap = knapsack_instances(folder)  # inequality_table.py's builder: the same 500 items
    found.append(Instance("knapsack-dwave", "knapsack", problems / "knapsack-dwave.yaml",
                          reference=3068, reference_source="proven optimum (problem file)"))
    path500, ptype500, options500 = knap["dwave500"]
    found.append(Instance("knapsack-500", "knapsack", path500, ptype500, options500))
    found.append(Instance("flowshop-8x4", "flowshop", problems / "flowshop-taillard.yaml",
                          reference=597, reference_source="optimum (all 8! orders)"))
    jss = bench / "jobshop"
    # Defaults (time_unit auto: unit 1 on ft06, 4 on la01-la05, 7 on ft10), and la01 on
    # two fixed clocks. (Before the auto clock, results files label la01 at unit 1
    # "la01".)
    shops = [(name, name, {}) for name in ("ft06", "la01", "la02", "la03", "la04", "la05",
                                           "ft10")]
    shops += [("la01", "la01-unit1", {"time_unit": 1}), ("la01", "la01-unit5", {"time_unit": 5})]
    for name, label, options in shops:
        if (jss / f"{name}.txt").is_file() and (jss / "best_known.csv").is_file():
            ref = _best_known(jss / "best_known.csv", "optimal_makespan")[name]
            found.append(Instance(label, "jobshop", jss / f"{name}.txt", "jobshop", options,
                                  ref, "optimum (best_known.csv)"))
        else:
            skipped.append(f"{label}: {jss / (name + '.txt')} not found")
    # Issue 14's 20 x 15 Taillard-format job shop. There is no Taillard instance under
    # ../shared, so a seeded random one in Taillard's ranges is written here (needs no
    # bench directory; reference: a MILP run).
    found.append(Instance("rand20x15", "jobshop", write_taillard(folder / "rand20x15.tai"),
                          "jobshop"))
    return found, skipped


def write_taillard(path: Path, jobs: int = 20, machines: int = 15, seed: int = 2026) -> Path:
    """A random job shop in Taillard's format and ranges (durations 1-99, each job a
    random machine order), reproducible from ``seed``."""
    rng = random.Random(seed)
    times = [[rng.randint(1, 99) for _ in range(machines)] for _ in range(jobs)]
    orders = [rng.sample(range(1, machines + 1), machines) for _ in range(jobs)]
    rows = [" ".join(map(str, row)) for row in times + orders]
    path.write_text(f"Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, "
                    f"Lower bound\n{jobs} {machines} {seed} {seed} 0 0\nTimes\n"
                    + "\n".join(rows[:jobs]) + "\nMachines\n" + "\n".join(rows[jobs:]) + "\n")
    return path


def _context() -> dict[str, Any]:
    """What the runs ran on: the commit, whether the engine files had uncommitted edits."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=False).stdout.strip()
        except OSError:
            return ""

    hashes = {f: hashlib.sha256((ROOT / f).read_bytes()).hexdigest()[:12]
              for f in ENGINE_FILES}
    commit = git("rev-parse", "--short", "HEAD")
    if not commit and (ROOT / "COMMIT").is_file():  # a `git archive` snapshot (see above)
        return {"commit": (ROOT / "COMMIT").read_text().strip(), "snapshot": str(ROOT),
                "dirty": False, "engine_sha256": hashes}
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--", "qanneal")),
            "engine_sha256": hashes}


def _import_everything() -> None:
    """Import qanneal's modules now: they load lazily, and a module first imported
    halfway through a 30-minute run would be whatever the checkout holds by then."""
    import importlib
    import pkgutil

    import qanneal

    for mod in pkgutil.walk_packages(qanneal.__path__, "qanneal."):
        try:
            importlib.import_module(mod.name)
        except ImportError:  # an optional extra not installed here (it is not used)
            pass


def _wait_for_strays(limit: float = 300.0) -> float:
    """Wait for threads a timed-out backend left running (the watchdog abandons them,
    it cannot kill them): they would steal CPU from the next run. Seconds waited."""
    start = time.perf_counter()
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(max(0.0, limit - (time.perf_counter() - start)))
    return time.perf_counter() - start


def run_one(inst: Instance, config: str, time_limit: float | None, seed: int) -> dict[str, Any]:
    """One verified solve of a freshly loaded problem, as a JSON-able record."""
    backend, options = CONFIGS[config]
    record: dict[str, Any] = {"instance": inst.name, "kind": inst.kind, "config": config,
                              "time_limit": time_limit, "seed": seed,
                              "reference": inst.reference,
                              "reference_source": inst.reference_source,
                              "loadavg": [round(x, 2) for x in os.getloadavg()],
                              "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    wall = time.perf_counter()
    try:
        problem = load_problem(inst.path, inst.ptype, options=inst.options or None,
                               time_limit=time_limit).problem
        record["problem_options"] = {k: v for k, v in problem.options.items()
                                     if isinstance(v, (int, float, str, bool))}
        result = solve(problem, backend, seed=seed, time_limit=time_limit, **options)
    except QanError as exc:  # e.g. building took the whole limit: no answer, one line
        record.update(objective=None, feasible=False, status="error", error=str(exc),
                      wall_s=round(time.perf_counter() - wall, 3))
        return record
    record.update(
        objective=result.objective if result.feasible else None,
        best_sample_objective=result.objective,  # the best answer even if infeasible
        feasible=result.feasible, status=result.status, sense=result.sense,
        violations=len(result.violations),
        solve_s=round(result.timing.get("solve_s", 0.0), 3),
        total_s=round(result.timing.get("total_s", 0.0), 3),
        build_s=round(result.timing.get("build_s", 0.0), 3),
        wall_s=round(time.perf_counter() - wall, 3),
        num_samples=result.num_samples, num_feasible=result.num_feasible,
        feasible_fraction=(result.num_feasible / result.num_samples
                           if result.num_samples else None),
        backend_status=result.info.get("solver_status", result.info.get("status")),
        bound=result.info.get("bound"), gap=result.info.get("gap"),
        onehot=result.info.get("onehot"), timeout_note=result.info.get("timeout_note"))
    return record


def reference_run(inst: Instance, limit: float) -> dict[str, Any]:
    """The reference for an instance without a known optimum: one MILP run."""
    record = run_one(inst, "milp", limit, 0)
    record["config"] = "reference"
    return record


def _key(rec: dict[str, Any]) -> tuple[Any, ...]:
    return rec["instance"], rec["config"], rec["time_limit"], rec["seed"]


def read_records(paths: list[Path]) -> list[dict[str, Any]]:
    """The JSONL records of one or more files (later duplicates of a run win)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    meta: list[dict[str, Any]] = []
    for path in paths:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                if rec.get("type") == "meta":
                    meta.append(rec)
                else:
                    seen[_key(rec)] = rec
    return meta + list(seen.values())


def plan(instances: list[Instance], limits: list[float], seeds: list[int],
         long_seeds: list[int], long_instances: set[str] | None,
         configs: list[str]) -> list[tuple[Instance, str, float, int]]:
    """Every run, interleaved per instance, time limit and seed across configurations
    (a drift in machine load then hits all three alike)."""
    runs = []
    for inst in instances:
        for limit in limits:
            long = limit >= 60
            if long and long_instances is not None and inst.name not in long_instances:
                continue
            for seed in (long_seeds if long else seeds):
                for config in configs:
                    runs.append((inst, config, limit, seed))
    return runs


def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="qanneal-constrained-"))
    instances, skipped = build_instances(Path(args.bench_dir), folder)
    for message in skipped:
        print(f"skipped {message}", file=sys.stderr)
    if args.instances:
        unknown = set(args.instances) - {i.name for i in instances}
        if unknown:
            sys.exit(f"error: unknown or skipped instance(s): {', '.join(sorted(unknown))}")
        instances = [i for i in instances if i.name in args.instances]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {_key(r) for r in read_records([out]) if r.get("type") != "meta"}
    long_set = None if args.all_long else set(args.long_instances)
    runs = plan(instances, args.time_limits, args.seeds, args.long_seeds, long_set, args.configs)
    todo = [r for r in runs if (r[0].name, r[1], r[2], r[3]) not in done]
    refs = [i for i in instances if i.reference is None
            and (i.name, "reference", args.reference_limit, 0) not in done]
    warm_s = 0.0
    if any(CONFIGS[c][0] == "anneal" for c in args.configs):
        # Compile (or load) every engine kernel now: a first compile inside a run is
        # reported apart by solve, but its tail still lands in that run's wall time.
        from qanneal.anneal.warmup import warm_up

        warm_s = sum(warm_up().values())
    _import_everything()
    started = time.time()
    with out.open("a") as fh:
        def emit(rec: dict[str, Any]) -> None:
            fh.write(json.dumps(rec) + "\n")
            fh.flush()

        emit({"type": "meta", "argv": sys.argv[1:], "runs_planned": len(todo) + len(refs),
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "loadavg": [round(x, 2) for x in os.getloadavg()],
              "env": {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")},
              "niceness": os.nice(0), "warm_up_s": round(warm_s, 1), **_context()})
        for inst in refs:
            rec = reference_run(inst, args.reference_limit)
            rec["stray_wait_s"] = round(_wait_for_strays(), 3)
            emit(rec)
            print(f"{inst.name:22} reference      {rec['objective']} {rec['status']} "
                  f"bound {rec.get('bound')} ({rec['wall_s']:.1f} s)", flush=True)
        for n, (inst, config, limit, seed) in enumerate(todo, 1):
            rec = run_one(inst, config, limit, seed)
            rec["stray_wait_s"] = round(_wait_for_strays(), 3)
            emit(rec)
            frac = rec.get("feasible_fraction")
            print(f"[{n}/{len(todo)}] {inst.name:20} {config:10} {limit:>4g}s seed {seed}: "
                  f"{rec['objective']} {rec['status']}"
                  f"{'' if frac is None else f' ({frac:.0%} feasible)'} "
                  f"wall {rec['wall_s']:.1f} s{' ' + rec['error'] if 'error' in rec else ''}",
                  flush=True)
        emit({"type": "meta", "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "elapsed_s": round(time.time() - started, 1),
              "loadavg": [round(x, 2) for x in os.getloadavg()]})


# --------------------------------------------------------------------------- report


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4g}"


def _gap(value: float | None, ref: float | None, sense: str) -> str:
    if value is None or ref is None or ref == 0:
        return ""
    diff = (value - ref) if sense == "min" else (ref - value)
    if abs(diff) < 1e-9:
        return " (opt)" if ref is not None else ""
    return f" ({diff / abs(ref):+.1%})"


def _median(recs: list[dict[str, Any]], sense: str) -> float | None:
    """Median over seeds, an infeasible seed counting as the worst answer (so a median
    is shown only when at least half of the seeds were feasible)."""
    worst = math.inf if sense == "min" else -math.inf
    vals = [r["objective"] if r["objective"] is not None else worst for r in recs]
    vals.sort(reverse=sense == "max")
    med = vals[(len(vals) - 1) // 2] if len(vals) % 2 else None
    if med is None:  # an even count: the mean of the middle two if both are feasible
        a, b = vals[len(vals) // 2 - 1], vals[len(vals) // 2]
        med = None if math.isinf(a) or math.isinf(b) else statistics.mean([a, b])
    return None if med is None or math.isinf(med) else med


def _anneal_cell(recs: list[dict[str, Any]], ref: float | None, sense: str) -> tuple[str, str]:
    if not recs:
        return "", ""
    feas = [r["objective"] for r in recs if r["objective"] is not None]
    med = _median(recs, sense)
    cell = _fmt(med) + _gap(med, ref, sense) if med is not None else "-"
    if len(recs) > 1 and feas:
        cell += f" [{_fmt(min(feas))}-{_fmt(max(feas))}]"
    cell += f", {len(feas)}/{len(recs)}"
    statuses = {r["status"] for r in recs} - {"ok", "optimal", "feasible", "time_limit"}
    if statuses:
        cell += " " + "/".join(sorted(statuses))
    fracs = [r["feasible_fraction"] for r in recs if r.get("feasible_fraction") is not None]
    samples = f"{statistics.median(fracs):.0%}" if fracs else "-"
    return cell, samples


def _milp_cell(recs: list[dict[str, Any]], ref: float | None, sense: str) -> str:
    if not recs:
        return ""
    feas = [r["objective"] for r in recs if r["objective"] is not None]
    med = _median(recs, sense)
    cell = _fmt(med) + _gap(med, ref, sense) if med is not None else "-"
    if len(recs) > 1 and feas and min(feas) != max(feas):
        cell += f" [{_fmt(min(feas))}-{_fmt(max(feas))}]"
    statuses = sorted({r["status"] for r in recs})
    counts = [f"{s}" + (f" {sum(r['status'] == s for r in recs)}/{len(recs)}"
                        if len(statuses) > 1 else "") for s in statuses]
    cell += " " + ", ".join(counts)
    bounds = [r["bound"] for r in recs if r.get("bound") is not None
              and r["status"] != "optimal"]
    if bounds:
        cell += f" (bound {_fmt(statistics.median(bounds))})"
    return cell


def report(paths: list[Path]) -> str:
    records = read_records(paths)
    meta = [r for r in records if r.get("type") == "meta"]
    runs = [r for r in records if r.get("type") != "meta"]
    by: dict[tuple[str, str, float], list[dict[str, Any]]] = defaultdict(list)
    refs: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    info: dict[str, dict[str, Any]] = {}
    # Table order: the run order (reference runs come first in the file, so last here).
    for r in sorted(runs, key=lambda r: r["config"] == "reference"):
        if r["instance"] not in order:
            order.append(r["instance"])
    for r in runs:
        if r["config"] == "reference":
            refs[r["instance"]] = r
            continue
        by[(r["instance"], r["config"], r["time_limit"])].append(r)
        if r.get("problem_options"):
            info.setdefault(r["instance"], r["problem_options"])
    lines = []
    starts = [m for m in meta if "started" in m]
    ends = [m for m in meta if "finished" in m]
    if starts:
        lines.append(f"Runs: {len(runs)}; started {starts[0]['started']} (load average "
                     f"{starts[0]['loadavg']}), commit {starts[0].get('commit')}"
                     f"{' + uncommitted edits' if starts[0].get('dirty') else ''}"
                     + (f"; finished {ends[-1]['finished']} (load average {ends[-1]['loadavg']},"
                        f" {sum(e['elapsed_s'] for e in ends) / 60:.0f} min)" if ends else "")
                     + ".\n")
    loads = [r["loadavg"][0] for r in runs if "loadavg" in r]
    if loads:
        lines.append(f"1-minute load average at the start of the runs: median "
                     f"{statistics.median(loads):.2f}, range {min(loads):.2f}-{max(loads):.2f}.\n")
    lines.append("| instance | time | reference | anneal (one-hot): median [min-max], "
                 "feasible seeds | samples feasible | anneal onehot=off | samples feasible | "
                 "milp (HiGHS) |")
    lines.append("|---|---|---|---|---|---|---|---|")
    limits = sorted({r["time_limit"] for r in runs if r["config"] != "reference"})
    for name in order:
        sense = next((r.get("sense") for r in runs if r["instance"] == name and r.get("sense")),
                     "min")
        kind = next(r["kind"] for r in runs if r["instance"] == name)
        ref = next((r["reference"] for r in runs if r["instance"] == name
                    and r.get("reference") is not None), None)
        ref_text = _fmt(ref)
        if ref is None and name in refs:
            rr = refs[name]
            ref = rr["objective"]
            ref_text = (f"{_fmt(ref)} (MILP {rr['status']}"
                        + (f", bound {_fmt(rr['bound'])}" if rr.get("bound") is not None
                           and rr["status"] != "optimal" else "") + ")")
        label = name
        opts = info.get(name, {})
        if "horizon" in opts:
            label += f" (horizon {opts['horizon']}"
            label += f", unit {opts['time_unit']})" if opts.get("time_unit", 1) != 1 else ")"
        elif "k" in opts and kind == "coloring":
            label += f" (k <= {opts['k']})"
        for limit in limits:
            cells = [by.get((name, c, limit), []) for c in ("anneal", "anneal-off", "milp")]
            if not any(cells):
                continue
            a, a_s = _anneal_cell(cells[0], ref, sense)
            o, o_s = _anneal_cell(cells[1], ref, sense)
            m = _milp_cell(cells[2], ref, sense)
            lines.append(f"| {label} | {limit:g} s | {ref_text} | {a} | {a_s} | {o} | {o_s} "
                         f"| {m} |")
            label, ref_text = "", ""
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="JSONL file (appended)")
    parser.add_argument("--report", nargs="+", metavar="JSONL",
                        help="print the markdown table of these result files and exit")
    parser.add_argument("--bench-dir", default=str(DEFAULT_BENCH))
    parser.add_argument("--instances", nargs="+", default=None)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--time-limits", type=float, nargs="+", default=[1.0, 10.0, 60.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--long-seeds", type=int, nargs="+", default=[1],
                        help="seeds at time limits of 60 s and more")
    parser.add_argument("--long-instances", nargs="+", default=list(LONG_INSTANCES),
                        help="instances run at time limits of 60 s and more")
    parser.add_argument("--all-long", action="store_true",
                        help="run every instance at the long time limits")
    parser.add_argument("--reference-limit", type=float, default=300.0,
                        help="MILP time limit of the reference run of an instance with "
                             "no known optimum")
    args = parser.parse_args(argv)
    if args.report:
        print(report([Path(p) for p in args.report]))
        return
    run(args)


if __name__ == "__main__":
    main()
