"""Spin-flip attempts per second, single thread: qanneal's engine vs dwave-samplers vs OpenJij.

Engines (each skipped when not installed): qanneal ``anneal`` with its CSR, dense and
multi-spin-coding kernels forced in turn, dwave-samplers' ``SimulatedAnnealingSampler``
and OpenJij's ``SASampler``, every one at its own default temperature schedule and
1000 sweeps. Rounds are interleaved (engine A, B, C, A, B, C, ...) so drifting machine
load hits all engines alike; the table shows medians and the ratio to dwave-samplers.
Times are wall-clock and CPU time (``time.process_time``: every engine runs on one
thread, so CPU time is not inflated by other users of a shared machine) of the whole sampling call (model conversion and the final
energies included), after one warm-up call per engine (numba compilation excluded);
for qanneal the kernel-only rate is shown too. Attempts/s depend on the schedule
(an accepted flip costs a neighbour update), and each engine runs its own default.

Instances: 3-regular n=2000 with random +-1 couplings (networkx
``random_regular_graph``), unweighted max-cut on G(800, 0.02), dense random QUBOs
(uniform(-1, 1) coefficients) with n=250 and n=1000.

If ``../shared/bench/gset/G1.rud`` exists (rudy format), it also measures time to the
best-known cut of G1 (11624): repeated independent calls, default schedules, until a
sample reaches it or the budget runs out.

Reproduce::

    .venv/bin/python benchmarks/kernel_bench.py            # ~3-5 minutes on 2 cores
    .venv/bin/python benchmarks/kernel_bench.py --quick    # one round, smaller reads
"""

from __future__ import annotations

import argparse
import os

# Single thread for every engine; must precede the numba / OpenMP imports.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import dimod  # noqa: E402
import networkx as nx  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402

from qanneal.anneal import anneal  # noqa: E402

GSET_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "gset"
G1_BEST = 11624


def instances() -> dict[str, dimod.BinaryQuadraticModel]:
    rng = np.random.default_rng(2024)
    reg = nx.random_regular_graph(3, 2000, seed=1)
    gnp = nx.gnp_random_graph(800, 0.02, seed=1)
    out = {
        "3-regular n=2000 (+-J)": dimod.BQM(
            {v: 0.0 for v in reg}, {e: float(rng.choice([-1.0, 1.0])) for e in reg.edges},
            0.0, "SPIN"),
        "G(800,0.02) max-cut": dimod.BQM({v: 0.0 for v in gnp}, {e: 1.0 for e in gnp.edges},
                                         0.0, "SPIN"),
    }
    for n in (250, 1000):
        q = np.triu(rng.uniform(-1.0, 1.0, (n, n)))
        out[f"dense QUBO n={n}"] = dimod.BQM(q, "BINARY")
    return out


def read_rudy(path: Path) -> tuple[int, list[tuple[int, int, float]]]:
    lines = path.read_text().split("\n")
    n = int(lines[0].split()[0])
    edges = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 3:
            edges.append((int(parts[0]) - 1, int(parts[1]) - 1, float(parts[2])))
    return n, edges


Engine = Callable[[dimod.BinaryQuadraticModel, int, int], tuple[np.ndarray, int]]


def qanneal_engine(**options) -> Engine:
    def run(bqm, reads, seed):
        res = anneal(bqm, seed=seed, num_reads=reads, threads=1, **options)
        KERNEL_RATE.append(res.info["attempts_per_s"])
        return res.sampleset.record.energy, res.info["flip_attempts"]
    return run


#: qanneal's own kernel-only rate of the last call (conversion and dimod energies excluded).
KERNEL_RATE: list[float] = []


def engines(quick: bool) -> dict[str, tuple[Engine, Callable[[dimod.BQM], bool]]]:
    """name -> (run(bqm, reads, seed) -> (energies, attempts), applies(bqm))."""
    def msc_ok(bqm):
        from qanneal.anneal.layout import ising_arrays
        from qanneal.anneal.msc import msc_supported
        a = ising_arrays(bqm)
        return a.msc_applicable() and msc_supported(a.degrees)

    def dense(bqm):  # the dense layout on a sparse graph only measures wasted work
        return bqm.num_variables <= 2000 and 2 * bqm.num_interactions >= 0.25 * bqm.num_variables ** 2

    out = {
        "qanneal csr": (qanneal_engine(layout="csr", msc=False), lambda b: True),
        "qanneal dense": (qanneal_engine(layout="dense", msc=False), dense),
        "qanneal msc": (qanneal_engine(msc=True), msc_ok),
    }
    try:
        from dwave.samplers import SimulatedAnnealingSampler

        def dwave(bqm, reads, seed):
            ss = SimulatedAnnealingSampler().sample(bqm, num_reads=reads, num_sweeps=1000,
                                                    seed=seed)
            return ss.record.energy, reads * 1000 * bqm.num_variables
        out["dwave-samplers SA"] = (dwave, lambda b: True)
    except ImportError:
        print("dwave-samplers not installed: skipped", file=sys.stderr)
    try:
        import openjij as oj

        def openjij(bqm, reads, seed):
            ss = oj.SASampler().sample(bqm, num_reads=reads, num_sweeps=1000, seed=seed)
            return np.asarray(ss.record.energy), reads * 1000 * bqm.num_variables
        out["OpenJij SA"] = (openjij, lambda b: True)
    except ImportError:
        print("openjij not installed: skipped", file=sys.stderr)
    return out


def throughput(rounds: int, reads: int, quick: bool, msc_only: bool = False) -> None:
    models = instances()
    engs = engines(quick)
    if msc_only:
        engs = {k: v for k, v in engs.items() if k in ("qanneal msc", "dwave-samplers SA")}
    print("| instance | engine | M attempts/s | x dwave | CPU M attempts/s | x dwave (CPU) "
          "| kernel-only M/s | median energy | best energy |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for iname, bqm in models.items():
        if msc_only and not engs["qanneal msc"][1](bqm):
            continue
        rates: dict[str, list[float]] = {}
        cpu_rates: dict[str, list[float]] = {}
        kernel: dict[str, list[float]] = {}
        energies: dict[str, list[float]] = {}
        live = {k: v for k, v in engs.items() if v[1](bqm)}
        for name, (run, _) in live.items():  # warm-up: compilation, caches
            run(bqm, 1 if "msc" not in name else 64, 0)
        for r in range(rounds):
            for name, (run, _) in live.items():
                k = 64 * reads if "msc" in name else reads  # MSC works in words of 64
                t0 = time.perf_counter()
                c0 = time.process_time()  # single-threaded: CPU time ignores other users
                e, attempts = run(bqm, k, 100 + r)
                dt = time.perf_counter() - t0
                dc = time.process_time() - c0
                rates.setdefault(name, []).append(attempts / dt / 1e6)
                cpu_rates.setdefault(name, []).append(attempts / dc / 1e6)
                if name.startswith("qanneal"):
                    kernel.setdefault(name, []).append(KERNEL_RATE[-1] / 1e6)
                energies.setdefault(name, []).extend(np.asarray(e, dtype=float).tolist())
        ref = statistics.median(rates["dwave-samplers SA"]) if "dwave-samplers SA" in rates else None
        cref = (statistics.median(cpu_rates["dwave-samplers SA"])
                if "dwave-samplers SA" in cpu_rates else None)
        for name in live:
            med = statistics.median(rates[name])
            ratio = f"{med / ref:.1f}" if ref else "-"
            cmed = statistics.median(cpu_rates[name])
            cratio = f"{cmed / cref:.1f}" if cref else "-"
            es = energies[name]
            kmed = f"{statistics.median(kernel[name]):.0f}" if name in kernel else "-"
            print(f"| {iname} | {name} | {med:.0f} | {ratio} | {cmed:.0f} | {cratio} | {kmed} | "
                  f"{statistics.median(es):.2f} | {min(es):.2f} |")
        sys.stdout.flush()


def time_to_target(budget: float, trials: int) -> None:
    path = GSET_DIR / "G1.rud"
    if not path.exists():
        print(f"\n(no {path}: time-to-best-known skipped)")
        return
    n, edges = read_rudy(path)
    # max-cut value = sum of w over cut edges = (W - sum_ij w s_i s_j) / 2
    bqm = dimod.BQM({i: 0.0 for i in range(n)}, {(i, j): w for i, j, w in edges}, 0.0, "SPIN")
    total = sum(w for _, _, w in edges)

    def cut_of(energy: float) -> int:
        return int(round((total - energy) / 2))

    runs: dict[str, Callable[[int], float]] = {
        "qanneal anneal (defaults)": lambda s: anneal(bqm, seed=s, threads=1).sampleset.first.energy,
        "qanneal anneal pt": lambda s: anneal(bqm, seed=s, threads=1, method="pt",
                                              num_reads=1).sampleset.first.energy,
    }
    try:
        from dwave.samplers import SimulatedAnnealingSampler

        runs["dwave-samplers SA (defaults)"] = lambda s: float(
            SimulatedAnnealingSampler().sample(bqm, num_reads=16, seed=s).first.energy)
    except ImportError:
        pass
    print(f"\nTime to best-known cut of G1 ({G1_BEST}), single thread, {trials} trials per "
          f"engine, budget {budget:.0f} s per trial (independent calls until a sample "
          "reaches it):\n")
    print("| engine | reached | median seconds | median calls | best cut |")
    print("|---|---:|---:|---:|---:|")
    for name, run in runs.items():
        run(0)  # warm-up
        times, calls_list, best_all, hits = [], [], -1, 0
        seed = 1
        for _ in range(trials):
            t0 = time.perf_counter()
            best, calls = -1, 0
            while time.perf_counter() - t0 < budget:
                calls += 1
                best = max(best, cut_of(run(seed)))
                seed += 1
                if best >= G1_BEST:
                    break
            dt = time.perf_counter() - t0
            hits += best >= G1_BEST
            times.append(dt if best >= G1_BEST else float("inf"))
            calls_list.append(calls)
            best_all = max(best_all, best)
        med = statistics.median(times)
        print(f"| {name} | {hits}/{trials} | {med:.2f} | {statistics.median(calls_list):g} | "
              f"{best_all} |")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reads", type=int, default=8)
    parser.add_argument("--budget", type=float, default=30.0, help="G1 seconds per trial")
    parser.add_argument("--trials", type=int, default=5, help="G1 trials per engine")
    parser.add_argument("--quick", action="store_true",
                        help="1 round, 2 reads, one 10 s G1 trial")
    parser.add_argument("--skip-gset", action="store_true")
    parser.add_argument("--msc-only", action="store_true",
                        help="only qanneal's MSC kernel vs dwave-samplers, on MSC instances")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.reads, args.budget, args.trials = 1, 2, 10.0, 1
    numba.set_num_threads(1)
    print(f"numba threads: {numba.get_num_threads()}, rounds: {args.rounds}, reads: "
          f"{args.reads} (MSC: {64 * args.reads} replicas), 1000 sweeps\n")
    throughput(args.rounds, args.reads, args.quick, args.msc_only)
    if not args.skip_gset:
        time_to_target(args.budget, args.trials)
    print(f"\nReproduce: .venv/bin/python benchmarks/kernel_bench.py --rounds {args.rounds} "
          f"--reads {args.reads} --budget {args.budget:g} --trials {args.trials}"
          + (" --msc-only" if args.msc_only else "") + (" --skip-gset" if args.skip_gset else ""))


if __name__ == "__main__":
    main()
