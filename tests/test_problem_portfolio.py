"""Portfolio: brute-force optima (k and lots), MILP, SA, verify, repair, inputs, examples."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from conftest import milp_value
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.encodings import integer
from qanneal.errors import InputError
from qanneal.problems.portfolio import PORTFOLIO, portfolio_problem
from qanneal.spec import load

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["A", "B", "C", "D", "E"]


def market(seed=0, n=5):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, n + 2)) * 0.1
    return rng.uniform(0.0, 0.12, n), f @ f.T / (n + 2)


def utility(mu, cov, lam, w):
    return lam * w @ cov @ w - mu @ w


def brute_k(mu, cov, lam, k, sectors=None, cap=None):
    best = None
    for pick in itertools.combinations(range(len(mu)), k):
        if cap is not None:
            count = {}
            for i in pick:
                s = sectors.get(NAMES[i])
                if s is not None:
                    count[s] = count.get(s, 0) + 1
            if any(c > cap for c in count.values()):
                continue
        w = np.zeros(len(mu))
        w[list(pick)] = 1 / k
        value = utility(mu, cov, lam, w)
        best = value if best is None else min(best, value)
    return best


def brute_lots(mu, cov, lam, lots, upper):
    best = None
    for units in itertools.product(range(upper + 1), repeat=len(mu)):
        if sum(units) == lots:
            value = utility(mu, cov, lam, np.array(units) / lots)
            best = value if best is None else min(best, value)
    return best




@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("lam", [0.5, 5.0])
def test_k_of_n_exact_milp_brute_force_agree(seed, lam):
    mu, cov = market(seed)
    optimum = brute_k(mu, cov, lam, 2)
    problem = portfolio_problem(NAMES, mu, cov, k=2, risk_aversion=lam)
    assert solve(problem, "exact").objective == pytest.approx(optimum)
    assert milp_value(problem) == pytest.approx(optimum)
    result = solve(problem, "sa", seed=seed)
    assert result.feasible and result.objective >= optimum - 1e-12


def test_sector_limit_is_respected():
    mu, cov = market(4)
    sectors = {"A": "x", "B": "x", "C": "x"}
    problem = portfolio_problem(NAMES, mu, cov, k=3, risk_aversion=1, sectors=sectors,
                                max_per_sector=1)
    optimum = brute_k(mu, cov, 1, 3, sectors, 1)
    assert solve(problem, "exact").objective == pytest.approx(optimum)
    assert milp_value(problem) == pytest.approx(optimum)
    over = {"weights": {"A": 1 / 3, "B": 1 / 3, "D": 1 / 3}}
    assert any("sector x" in v for v in problem.verify(over))
    fixed = problem.check(problem.repair(over))
    assert fixed.feasible, fixed.violations


@pytest.mark.parametrize("scheme", ["binary", "unary", "domain-wall", "one-hot"])
def test_lots_all_encodings_reach_the_brute_force_optimum(scheme):
    mu, cov = market(1, n=3)
    optimum = brute_lots(mu, cov, 2.0, 4, 3)
    problem = portfolio_problem(NAMES[:3], mu, cov, lots=4, max_lots_per_asset=3,
                                encoding=scheme, risk_aversion=2.0)
    assert milp_value(problem) == pytest.approx(optimum)
    result = solve(problem, "sa", seed=2)
    assert result.feasible
    assert result.objective >= optimum - 1e-12
    assert sum(result.solution["lots"].values()) == 4
    if problem.num_variables <= 12:
        assert solve(problem, "exact").objective == pytest.approx(optimum)


def test_milp_backend_when_available():
    pytest.importorskip("qanneal.backends.milp")
    mu, cov = market(2)
    result = solve(portfolio_problem(NAMES, mu, cov, k=3, risk_aversion=2), "milp")
    assert result.feasible
    assert result.objective == pytest.approx(brute_k(mu, cov, 2, 3))


def test_derived_fields_and_verify():
    mu, cov = market(0)
    problem = portfolio_problem(NAMES, mu, cov, k=2, risk_aversion=1, risk_free=0.01)
    sol = problem.evaluate({f"x[{i}]": int(i in (0, 3)) for i in range(5)}).solution
    w = np.array([0.5, 0, 0, 0.5, 0])
    assert sol["weights"] == {"A": 0.5, "D": 0.5}
    assert sol["expected_return"] == pytest.approx(mu @ w)
    assert sol["volatility"] == pytest.approx(np.sqrt(w @ cov @ w))
    assert sol["sharpe"] == pytest.approx((mu @ w - 0.01) / np.sqrt(w @ cov @ w))
    assert problem.verify({"weights": {"A": 0.5, "B": 0.25, "C": 0.25}})
    assert problem.verify({"weights": {"A": 0.7, "B": 0.3}})
    assert problem.verify({"weights": {"Z": 0.5, "A": 0.5}})
    assert problem.verify({"weights": {"A": -0.5, "B": 1.5}})
    assert "A" in problem.describe(sol)


def test_repair_reaches_cardinality_and_budget():
    mu, cov = market(3)
    problem = portfolio_problem(NAMES, mu, cov, k=2)
    for chosen in ([], [0], [0, 1, 2, 3, 4]):
        sample = {f"x[{i}]": int(i in chosen) for i in range(5)}
        fixed = problem.check(problem.repair(problem.evaluate(sample).solution))
        assert fixed.feasible, fixed.violations
    lots = portfolio_problem(NAMES, mu, cov, lots=5, max_lots_per_asset=2)
    for bit in (0, 1):
        sample = {v: bit for v in lots.cqm.variables}
        fixed = lots.check(lots.repair(lots.evaluate(sample).solution))
        assert fixed.feasible, fixed.violations


@settings(max_examples=50, deadline=None)
@given(scheme=st.sampled_from(["binary", "unary", "domain-wall", "one-hot"]),
       upper=st.integers(1, 7), data=st.data())
def test_lots_encoding_round_trip(scheme, upper, data):
    enc = integer("n0", 0, upper, scheme)
    value = data.draw(st.integers(0, upper))
    bits = enc.encode(value)
    assert enc.decode(bits) == value and not enc.violations(bits)
    # and through the problem: lots -> sample -> decode -> same lots
    mu, cov = market(0, n=2)
    problem = portfolio_problem(["A", "B"], mu, cov, lots=upper, encoding=scheme)
    other = integer("n1", 0, upper, scheme)
    sample = {**bits, **other.encode(upper - value)}
    ev = problem.evaluate(sample)
    assert ev.feasible, ev.violations
    lots = {t: n for t, n in (("A", value), ("B", upper - value)) if n}
    assert ev.solution["lots"] == lots


def test_inputs(tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_text("date,A,B,C\n1,10,20,30\n2,11,19,31\n3,12,21,30\n4,11,22,32\n")
    problem = PORTFOLIO.from_file(csv, {"k": 2})
    assert problem.data.names == ["A", "B", "C"] and solve(problem, "exact").feasible
    returns = tmp_path / "returns.csv"
    returns.write_text("date,A,B\n1,0.01,0.02\n2,-0.01,0.00\n3,0.02,0.01\n")
    spec = tmp_path / "r.yaml"
    spec.write_text("problem: portfolio\ndata: {file: returns.csv, format: returns}\n"
                    "options: {k: 1}\n")
    assert load(spec).problem.data.mu == pytest.approx([0.02 / 3, 0.01])
    orlib = tmp_path / "port.txt"
    orlib.write_text("2\n0.01 0.1\n0.02 0.2\n1 1 1\n1 2 0.5\n2 2 1\n")
    spec.write_text("problem: portfolio\ndata: {file: port.txt}\noptions: {k: 1}\n")
    assert load(spec).problem.data.cov[0, 1] == pytest.approx(0.01)
    for options, match in [("{}", "exactly one of k"), ("{k: 9}", "k=9"),
                           ("{lots: 3, max_per_sector: 1, sectors: {asset1: s}}", "max_sector"),
                           ("{k: 1, sectors: {Q: s}, max_per_sector: 1}", "unknown ticker")]:
        spec.write_text(f"problem: portfolio\ndata: {{file: port.txt}}\noptions: {options}\n")
        with pytest.raises(InputError, match=match):
            load(spec)
    spec.write_text("problem: portfolio\ndata:\n  expected_returns: [0.1, 0.2]\n"
                    "  covariance: [[1, 2], [2, 1]]\noptions: {k: 1}\n")
    with pytest.raises(InputError, match="semidefinite"):
        load(spec)
