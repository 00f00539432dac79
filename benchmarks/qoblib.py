"""QOBLIB as the external yardstick: qanneal on the shared QOBLIB subset, beside the published results.

QOBLIB (Koch et al., arXiv:2504.03832; data CC BY 4.0) is read in place from
``../shared/bench/qoblib/`` (nothing of it is copied into the repository). Its
``_derived/best_known.csv`` gives the best-known values and ``_derived/reference_results.csv``
the published submissions (Gurobi 2 h, the Abs2 GPU QUBO solver, QAOA runs), shown beside
qanneal's numbers by ``--report``.

What runs (each ``solve`` single threaded with ``--time-limit`` seconds; an annealer restarts
until the budget is spent, and stops early once a verified answer reaches the best-known value,
``stop_at``):

* ``mis``: every maximum-independent-set instance with at most ``--mis-max-nodes`` nodes,
  through the ``independent_set`` type on its DIMACS ``.gph`` graph (form ``graph``) and
  through the QOBLIB ``.qs`` QUBO (form ``qs``, minimum = -|I|; reported as |I|), backends
  ``anneal`` and ``sa``; ``milp`` once (seed 1) on the graph.
* ``labs``: the ``.qs`` QUBO of LABS for the N in ``--labs`` (the QUBO minimum is the LABS
  energy E; the z-variables are tied to products by a penalty of 10000), ``anneal``, ``sa``.
* ``ms``: market split, the ``.qs`` QUBO min ||Ax-b||^2 (0 = feasible) with ``anneal``/``sa``,
  and ``milp`` once on the binary linear ``.lp`` (min sum of slacks, 0 = feasible).
* ``portfolio``: the UQO ``.qs`` QUBOs named by ``--portfolio`` (710 variables, constraint
  penalty 1e7 folded in by QOBLIB), ``anneal``, ``sa``.

Every run is appended to a JSONL file (``benchmarks/results/qoblib.jsonl`` by default) as soon
as it ends, with the machine load (``os.getloadavg``) before and after; ``--report`` turns one
or more such files into the markdown table of ``BENCHMARKS.md`` ("QOBLIB").

Run from the repository root::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/qoblib.py \\
        --time-limit 10 --seeds 1 2 3
    .venv/bin/python benchmarks/qoblib.py --report benchmarks/results/qoblib.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_QOBLIB = ROOT.parent / "shared" / "bench" / "qoblib"
DEFAULT_OUT = HERE / "results" / "qoblib.jsonl"
MIS_DIR = "07-independentset"
LABS_QS = "02-labs/models/quadratic_unconstrained/qs_files"
MS_LP = "01-marketsplit/models/binary_linear/lp_files"
CLASSES = ("mis", "labs", "ms", "portfolio")
CLASS_DIR = {"mis": "07-independentset", "labs": "02-labs", "ms": "01-marketsplit",
             "portfolio": "06-portfolio"}
DEFAULT_LABS = "2-20,30,40,50"
DEFAULT_PORTFOLIO = "a010_t10_orig_b004_l0,a010_t10_s00_b004_l0"


@dataclass(frozen=True)
class Task:
    """One ``solve``: an instance in one form with one backend and seed."""

    cls: str
    instance: str
    form: str        # 'graph', 'qs' or 'lp'
    file: Path
    ptype: str       # qanneal problem type
    fmt: str | None  # data format, when the extension does not tell
    backend: str
    seed: int
    target: float    # best-known value in the problem's own terms (stop_at)


# ------------------------------------------------------------------------------ instances
def best_known(root: Path) -> dict[str, dict[str, str]]:
    """``_derived/best_known.csv`` rows by instance name."""
    with open(root / "_derived" / "best_known.csv", newline="") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def parse_ns(text: str) -> list[int]:
    """``'2-20,30'`` -> ``[2, ..., 20, 30]``."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def tasks(root: Path, classes: Sequence[str], seeds: Sequence[int], backends: Sequence[str],
          mis_max_nodes: int, labs: Sequence[int], portfolio: Sequence[str]) -> Iterator[Task]:
    """Every run of the benchmark, instance by instance (all of an instance's runs together)."""
    bk = best_known(root)
    milp_once = "milp" in backends
    anneals = [b for b in backends if b != "milp"]
    for name, row in bk.items():
        cls = next((c for c, d in CLASS_DIR.items() if row["cls"] == d), None)
        if cls not in classes:
            continue
        qs = root / row["qubo_file"]
        target = float(row["qubo_min_target"])
        if cls == "mis":
            if int(row["n_qubo_vars"]) > mis_max_nodes:
                continue
            graph = root / MIS_DIR / "instances" / f"{name}.gph"
            if graph.exists():
                for backend in anneals:
                    for seed in seeds:
                        yield Task(cls, name, "graph", graph, "independent_set", "dimacs",
                                   backend, seed, -target)
                if milp_once:
                    yield Task(cls, name, "graph", graph, "independent_set", "dimacs",
                               "milp", seeds[0], -target)
            for backend in anneals:
                for seed in seeds:
                    yield Task(cls, name, "qs", qs, "qubo", None, backend, seed, target)
        elif cls == "labs":
            if int(name.removeprefix("labs")) not in labs:
                continue
            for backend in anneals:
                for seed in seeds:
                    yield Task(cls, name, "qs", qs, "qubo", None, backend, seed, target)
        elif cls == "ms":
            for backend in anneals:
                for seed in seeds:
                    yield Task(cls, name, "qs", qs, "qubo", None, backend, seed, target)
            lp = root / MS_LP / f"{name}.lp.xz"
            if milp_once and lp.exists():
                yield Task(cls, name, "lp", lp, "lp", None, "milp", seeds[0], 0.0)
        elif cls == "portfolio" and name in portfolio:
            for backend in anneals:
                for seed in seeds:
                    yield Task(cls, name, "qs", qs, "qubo", None, backend, seed, target)


# ------------------------------------------------------------------------------ running
def run_task(task: Task, time_limit: float) -> dict[str, Any]:
    """Solve one task; the record of ``--report`` (objective in the problem's own terms)."""
    from qanneal import solve
    from qanneal.spec import load_problem

    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    record: dict[str, Any] = {
        "cls": task.cls, "instance": task.instance, "form": task.form,
        "file": str(task.file), "backend": task.backend, "seed": task.seed,
        "time_limit": time_limit, "target": task.target, "load_before": load_before,
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        problem = load_problem(task.file, task.ptype, format=task.fmt).problem
        result = solve(problem, task.backend, seed=task.seed, time_limit=time_limit,
                       stop_at=task.target)
    except Exception as exc:  # one failed run is a row of the table, not the end of the suite
        record.update(status="error", error=f"{type(exc).__name__}: {exc}"[:300])
        return record
    trace = result.info.get("verified_trace") or []
    record.update(
        status=result.status, objective=result.objective, feasible=result.feasible,
        sense=result.sense,
        # time to best: when the run's final best answer first appeared (solver clock)
        time_to_best=trace[-1][0] if trace else None,
        solve_s=result.timing.get("solve_s"), wall_s=time.perf_counter() - start,
        reached=result.objective is not None and (
            result.objective <= task.target + 1e-9 if result.sense == "min"
            else result.objective >= task.target - 1e-9),
        load_after=os.getloadavg()[0])
    return record


def warm_up(root: Path, backends: Sequence[str]) -> None:
    """Compile the annealers' kernels once, off the clock (numba caches compile on first use)."""
    from qanneal import solve
    from qanneal.spec import load_problem

    tiny = root / LABS_QS / "labs005.qs.xz"
    if not tiny.exists():
        return
    problem = load_problem(tiny, "qubo").problem
    for backend in backends:
        if backend != "milp":
            solve(problem, backend, seed=0, time_limit=5)


# ------------------------------------------------------------------------------ report
def references(root: Path) -> dict[str, dict[str, tuple[str, str, str]]]:
    """``instance -> {'Gurobi'|'Abs2'|'QAOA': (best objective, runtime s, submission)}``."""
    out: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(dict)
    path = root / "_derived" / "reference_results.csv"
    if not path.exists():
        return out
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            sub = row["submission"]
            key = ("Gurobi" if "Gurobi" in sub else "Abs2" if "Abs2" in sub
                   else "QAOA" if "QAOA" in sub else None)
            if key is None or not row["best_objective"].strip():
                continue
            value = row["best_objective"].strip()
            if row["cls"] == CLASS_DIR["portfolio"] and key == "Abs2":
                # the UQO summaries state -objective (INVENTORY.md); back to the minimum
                value = value[1:] if value.startswith("-") else f"-{value}"
            name = _instance_key(row["instance"])
            have = out[name].get(key)
            if have is None or _better_ref(row["cls"], value, have[0]):
                out[name][key] = (value, row["total_runtime_s"].strip(), sub)
    return out


def _instance_key(name: str) -> str:
    """Portfolio names spell lambda variously (``_l0``, ``_l0.0``, ``_l1e-06``): one key."""
    match = re.fullmatch(r"(.*_l)([0-9.eE+-]+)", name)
    if match is None:
        return name
    try:
        return f"{match.group(1)}{float(match.group(2))!r}"
    except ValueError:
        return name


def _better_ref(cls: str, new: str, old: str) -> bool:
    try:
        a, b = float(new), float(old)
    except ValueError:
        return False
    return a > b if cls == MIS_DIR else a < b


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.6g}"


def _ref_cell(ref: tuple[str, str, str] | None) -> str:
    if ref is None:
        return "–"
    value, secs, _ = ref
    try:
        value = _num(float(value))
    except ValueError:
        pass
    try:
        return f"{value} ({float(secs):.3g} s)"
    except ValueError:
        return value


def display(record: dict[str, Any], value: float | None) -> float | None:
    """Values as QOBLIB states them: MIS as |I| (the .qs minimum is -|I|)."""
    if value is None:
        return None
    return -value if record["cls"] == "mis" and record["form"] == "qs" else value


def report(paths: Sequence[Path], root: Path) -> str:
    """The markdown table (one row per instance, form and backend) and the misses."""
    records = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    bk = best_known(root) if (root / "_derived" / "best_known.csv").exists() else {}
    refs = references(root)
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[(r["cls"], r["instance"], r["form"], r["backend"])].append(r)
    order = {c: i for i, c in enumerate(CLASSES)}
    lines = [
        "| class | instance | form | backend | best-known | qanneal median | qanneal best "
        "| hit | median time to best (s) | Gurobi | Abs2 | QAOA |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    misses: list[str] = []
    loads = [x for r in records for x in (r.get("load_before"), r.get("load_after"))
             if x is not None]
    for key in sorted(groups, key=lambda k: (order.get(k[0], 9), k[1], k[2], k[3])):
        rs = groups[key]
        cls, name, form, backend = key
        target = display(rs[0], rs[0]["target"])
        values = [display(r, r.get("objective")) for r in rs
                  if r.get("objective") is not None and r.get("feasible")]
        errors = [r.get("error") or r.get("status") for r in rs if r.get("objective") is None]
        maximise = cls == "mis"
        best = (max if maximise else min)(values) if values else None
        med = statistics.median(values) if values else None
        hits = sum(bool(r.get("reached")) for r in rs)
        ttb = [r["time_to_best"] for r in rs if r.get("time_to_best") is not None]
        ref = refs.get(_instance_key(name), {})
        proven = bk.get(name, {}).get("proven_optimal", "") in ("True", "yes (repo *)")
        known = _num(target) + ("" if proven else " (bk)")
        ttb_cell = f"{statistics.median(ttb):.2f}" if ttb else "–"
        lines.append(
            f"| {cls} | {name} | {form} | {backend} | {known} | {_num(med)} | {_num(best)} "
            f"| {hits}/{len(rs)} | {ttb_cell} | {_ref_cell(ref.get('Gurobi'))} "
            f"| {_ref_cell(ref.get('Abs2'))} | {_ref_cell(ref.get('QAOA'))} |")
        if errors:
            lines[-1] += f" <!-- {'; '.join(map(str, errors))[:200]} -->"
        if hits < len(rs):
            gap = "no feasible answer" if best is None or target is None else (
                "the best-known value on the other seeds" if abs(best - target) < 1e-9 else
                f"best {_num(best)} vs {_num(target)}: short by {_num(abs(best - target))}"
                + (f" ({abs(best - target) / abs(target):.1%})" if target else ""))
            misses.append(f"- {cls} {name} ({form}, {backend}): target reached in "
                          f"{hits}/{len(rs)} runs; {gap}")
    limits = sorted({r["time_limit"] for r in records})
    seeds = sorted({r["seed"] for r in records if r["backend"] != "milp"})
    head = [f"Runs: {len(records)}; time limit {', '.join(map(_num, limits))} s; seeds "
            f"{' '.join(map(str, seeds))}; 1-minute load average "
            f"{min(loads):.2f}-{max(loads):.2f} during the runs." if loads else "", ""]
    tail = ["", "Targets missed:" if misses else "Every run reached its best-known target.",
            *misses]
    return "\n".join(head + lines + tail)


# ------------------------------------------------------------------------------ main
def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (appending JSONL), or print the report of earlier runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qoblib", type=Path, default=DEFAULT_QOBLIB,
                        help="the QOBLIB subset folder (default ../shared/bench/qoblib)")
    parser.add_argument("--classes", nargs="+", choices=CLASSES, default=list(CLASSES))
    parser.add_argument("--backends", nargs="+", default=["anneal", "sa", "milp"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--mis-max-nodes", type=int, default=500)
    parser.add_argument("--labs", default=DEFAULT_LABS, help="LABS N list, e.g. 2-20,30,40,50")
    parser.add_argument("--portfolio", default=DEFAULT_PORTFOLIO,
                        help="comma-separated portfolio instance names")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSONL file to append to")
    parser.add_argument("--report", nargs="+", type=Path, metavar="JSONL",
                        help="print the markdown table of these result files and exit")
    args = parser.parse_args(argv)
    if not (args.qoblib / "_derived" / "best_known.csv").exists():
        print(f"error: {args.qoblib}/_derived/best_known.csv not found; pass --qoblib "
              "with the QOBLIB subset folder", file=sys.stderr)
        return 2
    if args.report:
        print(report(args.report, args.qoblib))
        return 0
    todo = list(tasks(args.qoblib, args.classes, args.seeds, args.backends,
                      args.mis_max_nodes, parse_ns(args.labs),
                      [p.strip() for p in args.portfolio.split(",") if p.strip()]))
    print(f"{len(todo)} runs; load average {os.getloadavg()}", file=sys.stderr)
    warm_up(args.qoblib, args.backends)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a") as fh:
        for i, task in enumerate(todo, 1):
            record = run_task(task, args.time_limit)
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            print(f"[{i}/{len(todo)}] {task.cls} {task.instance} {task.form} {task.backend} "
                  f"seed {task.seed}: {record.get('objective', record.get('error'))} "
                  f"(target {task.target}) {record.get('wall_s', 0):.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
