"""Options that size an allocation are refused before it is made (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import PROBLEMS

ANNEAL_CASES = [
    ("-o", "num_sweeps=1000000000"),
    ("-o", "num_reads=1000000000"),
]


@pytest.mark.parametrize("option", ANNEAL_CASES)
def test_anneal_refuses_a_run_that_cannot_fit(run_cli, option):
    out = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "-b", "anneal", *option,
                  "--time-limit", "2")
    assert out.code == 2
    assert "error: annealing" in out.err and "give fewer num_sweeps or num_reads" in out.err
    assert len(out.err.strip().splitlines()) == 1


def test_sa_refuses_reads_that_cannot_fit(run_cli):
    out = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "-b", "sa",
                  "-o", "num_reads=100000000000", "--time-limit", "2")
    assert out.code == 2 and "error: sa with 100000000000 reads" in out.err


def test_a_sweep_of_a_billion_points_is_refused(run_cli):
    out = run_cli("solve", PROBLEMS / "portfolio-k.yaml", "--sweep",
                  "risk_aversion=0:1:1000000000")
    assert out.code == 2 and "more than 10000 solves" in out.err


def test_refused_runs_stay_small():
    # Measured in a fresh parent, so other tests' children do not count.
    probe = ("import resource, subprocess, sys; "
             "p = subprocess.run([sys.executable, '-m', 'qanneal', 'solve', sys.argv[1], "
             "'-b', 'anneal', '-o', 'num_sweeps=1000000000', '--time-limit', '2'], "
             "capture_output=True); "
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", probe, str(PROBLEMS / "maxcut-small.yaml")],
                          capture_output=True, text=True, timeout=120)
    code, peak_kb = map(int, proc.stdout.split())
    assert code == 2
    assert peak_kb < 1024 * 1024  # under 1 GB


def test_a_dense_portfolio_that_cannot_fit_is_refused_small():
    # 40 assets x 1001 one-hot lot bits: the dense objective asked numpy for 11.9 GiB
    # (a traceback); now the estimate is one line, before any label or matrix exists.
    probe = ("import resource, subprocess, sys; "
             "p = subprocess.run([sys.executable, '-m', 'qanneal', 'solve', sys.argv[1], "
             "'--problem', 'portfolio', '--lots', '1000', '--encoding', 'one-hot', '-b', 'sa'], "
             "capture_output=True, text=True, env={**__import__('os').environ, "
             "'QANNEAL_MEMORY_LIMIT': '4G'}); "
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "print(p.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe,
                           str(PROBLEMS / "portfolio-prices40.csv")],
                          capture_output=True, text=True, timeout=120)
    first, err = proc.stdout.split("\n", 1)
    code, peak_kb = map(int, first.split())
    assert code == 2
    assert peak_kb < 1024 * 1024  # under 1 GB
    assert err.strip() == ("error: the portfolio model needs ~107.5 GiB (40,040 bits, dense), "
                           "over the 4.0 GiB limit (QANNEAL_MEMORY_LIMIT=4G); use fewer lots "
                           "or max_lots_per_asset, encoding: binary, or fewer assets")


def _peak_run(args: list[str], limit: str = "2G") -> tuple[int, int, str]:
    """Exit code, peak RSS (KB) and stderr of ``qanneal ARGS`` in a fresh parent."""
    probe = ("import json, os, resource, subprocess, sys; "
             "p = subprocess.run([sys.executable, '-m', 'qanneal', *json.loads(sys.argv[1])], "
             "capture_output=True, text=True, "
             "env={**os.environ, 'QANNEAL_MEMORY_LIMIT': sys.argv[2]}); "
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "print(p.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, json.dumps(args), limit],
                          capture_output=True, text=True, timeout=120)
    first, err = proc.stdout.split("\n", 1)
    code, peak_kb = map(int, first.split())
    return code, peak_kb, err.strip()


def test_a_knapsack_penalty_that_cannot_fit_is_refused_small(tmp_path):
    # One capacity over 20,000 items squares into 200 million terms: 12.7 GB peak and
    # 85 s before the penalised-BQM estimate; now one line before any term exists.
    n = 20_000
    path = tmp_path / "ks.yaml"
    path.write_text(f"problem: knapsack\ndata:\n  values: {[1 + i % 97 for i in range(n)]}\n"
                    f"  weights: {[1 + i % 89 for i in range(n)]}\n  capacity: 400000\n")
    code, peak_kb, err = _peak_run(["solve", str(path), "-b", "sa"])
    assert code == 2 and peak_kb < 1024 * 1024
    assert err.startswith("error: the penalised model as a BQM needs ~11.9 GiB (20,000 "
                          "variables, 200.0 million terms"), err
    assert "use -b milp" in err and len(err.splitlines()) == 1


def test_a_qs_header_claiming_ten_million_variables_is_refused_small(tmp_path):
    # A 3-line .qs file whose header says n = 10**7: 5.3 GB and 39 s before the check.
    path = tmp_path / "big.qs"
    path.write_text("# hostile\n10000000 1\n1 1 -1\n")
    code, peak_kb, err = _peak_run(["solve", str(path), "-b", "sa"])
    assert code == 2 and peak_kb < 1024 * 1024
    assert err == ("error: big.qs (n = 10000000) needs ~4.8 GiB (10.0 million variables, "
                   "1 terms), over the 2.0 GiB limit (QANNEAL_MEMORY_LIMIT=2G); give a "
                   "smaller n in the header (only variables that appear need counting)")


@pytest.mark.parametrize("inequalities", ["slack", "unbalanced"])
def test_penalised_bqm_estimate_counts_the_built_terms(inequalities):
    # The estimate is the built BQM's own count on a knapsack (slack bits included).
    from qanneal.model import penalised_bqm_size
    from qanneal.problems.knapsack import knapsack_problem

    problem = knapsack_problem([3, 4, 5, 6, 7], [2, 3, 4, 5, 6], 11)
    problem.inequalities = inequalities
    bqm, _ = problem.to_bqm()
    _, size = penalised_bqm_size(problem.cqm, unbalanced=problem.unbalanced())
    assert (size.variables, size.terms) == (bqm.num_variables, bqm.num_interactions)
