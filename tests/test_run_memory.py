"""Options that size an allocation are refused before it is made (issue 16)."""

from __future__ import annotations

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
