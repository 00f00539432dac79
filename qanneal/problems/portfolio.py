"""Mean-variance portfolio selection: pick assets (and weights) trading risk for return.

Objective, minimised: ``risk_aversion * w'Σw - μ'w`` where ``μ`` (expected returns)
and ``Σ`` (covariance) are per period of the data (per day for daily prices), or per
year with ``periods_per_year`` (``μ`` and ``Σ`` are multiplied by it). A larger
``risk_aversion`` prefers lower variance. Two ways to choose ``w``:

* ``k``: exactly ``k`` assets, equal weights ``1/k``. One binary per asset; the
  objective is quadratic in them, and ``sum x == k`` is the ``cardinality`` constraint.
* ``lots``: the budget is ``L`` whole lots; asset ``i`` gets ``n_i`` lots,
  ``0 <= n_i <= max_lots_per_asset``, encoded in binary (``qanneal.encodings``,
  option ``encoding``: binary, unary, domain-wall or one-hot), ``w_i = n_i / L``;
  ``sum n == L`` is the ``budget`` constraint.

Optional sector limits: ``sectors`` maps tickers to sectors (tickers not named are
unlimited); ``max_per_sector`` caps the assets per sector (``k`` mode) and
``max_sector_weight`` caps a sector's total weight (both modes).

The solution is ``{"weights": {ticker: w}}`` (held assets only; plus ``lots`` in
lots mode) with derived ``expected_return``, ``volatility`` (``sqrt(w'Σw)``) and
``sharpe`` (``(return - risk_free) / volatility``), all in the data's units. Native
MILP: the products ``x_i x_j`` (k mode) or ``bit * lots`` (lots mode, binary
expansion) are linearised with McCormick inequalities, tightened with the
cardinality/budget row multiplied through (RLT).

>>> from qanneal import solve
>>> mu = [0.10, 0.12, 0.07]
>>> cov = [[0.04, 0.01, 0.0], [0.01, 0.09, 0.0], [0.0, 0.0, 0.01]]
>>> result = solve(portfolio_problem(["A", "B", "C"], mu, cov, k=2, risk_aversion=2), "exact")
>>> result.solution["weights"]
{'A': 0.5, 'C': 0.5}
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import dimod
import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveInt

from qanneal import sizing
from qanneal.encodings import IntegerEncoding, add_encoding, exactly_k, integer
from qanneal.errors import InputError
from qanneal.formats._common import data_suffix
from qanneal.model import MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict, resolve_path

FORMATS = {".csv": "prices", ".txt": "orlib"}
ALL_FORMATS = ("prices", "returns", "orlib")
TOLERANCE = 1e-9
#: Bytes per entry of the bits x bits matrices the dense objective goes through (the
#: product, its upper-triangle indices and values) besides the dimod terms themselves.
DENSE_BYTES = 40


class Market:
    """Tickers, expected returns ``mu`` (N,) and covariance ``cov`` (N, N)."""

    def __init__(self, names: Sequence[str], mean: Sequence[float],
                 cov: Sequence[Sequence[float]]) -> None:
        self.names = [str(n) for n in names]
        self.mu = np.asarray(mean, dtype=float)
        self.cov = np.asarray(cov, dtype=float)
        n = len(self.names)
        if n == 0:
            raise InputError("no assets", field="data")
        if len(set(self.names)) != n:
            raise InputError("asset names must be unique", field="data.assets")
        if self.mu.shape != (n,):
            raise InputError(f"{len(self.mu)} expected returns for {n} assets",
                             field="data.expected_returns")
        if self.cov.shape != (n, n):
            raise InputError(f"covariance is {self.cov.shape[0]}x"
                             f"{self.cov.shape[1] if self.cov.ndim > 1 else '?'}; "
                             f"need {n}x{n}", field="data.covariance")
        if not (np.isfinite(self.mu).all() and np.isfinite(self.cov).all()):
            raise InputError("returns and covariance must be finite", field="data")
        scale = max(float(np.abs(self.cov).max()), 1e-300)
        if not np.allclose(self.cov, self.cov.T, atol=1e-9 * scale):
            raise InputError("covariance is not symmetric", field="data.covariance")
        # A Cholesky factor of cov + tol*I exists iff no eigenvalue is below -tol (up to
        # rounding far below tol): a third of the work of eigvalsh (3000 assets: 0.3 s
        # instead of 8.8 s, which no time limit could interrupt). Only a matrix it
        # fails on goes to eigvalsh, which decides as before.
        sizing.check_deadline("the covariance check")
        try:
            np.linalg.cholesky(self.cov + 1e-8 * scale * np.eye(n))
        except np.linalg.LinAlgError:
            if np.linalg.eigvalsh(self.cov).min() < -1e-8 * scale:
                raise InputError("covariance is not positive semidefinite",
                                 field="data.covariance") from None

    def stats(self, w: np.ndarray, risk_free: float = 0.0) -> dict[str, float | None]:
        """Expected return, volatility and Sharpe ratio of weights ``w``."""
        ret = float(self.mu @ w)
        vol = math.sqrt(max(float(w @ self.cov @ w), 0.0))
        return {"expected_return": ret, "volatility": vol,
                "sharpe": (ret - risk_free) / vol if vol > 0 else None}


def portfolio_problem(names: Sequence[str], mean: Sequence[float],
                      cov: Sequence[Sequence[float]], *, k: int | None = None,
                      lots: int | None = None, max_lots_per_asset: int | None = None,
                      encoding: str = "binary", risk_aversion: float = 1.0,
                      sectors: Mapping[str, str] | None = None,
                      max_per_sector: int | None = None,
                      max_sector_weight: float | None = None, risk_free: float = 0.0,
                      name: str | None = None) -> Problem:
    """Mean-variance selection of ``k`` assets or of ``lots`` lots (see the module doc)."""
    market = Market(names, mean, cov)
    n = len(market.names)
    if (k is None) == (lots is None):
        raise InputError("give exactly one of k (choose k assets, equal weights) or lots "
                         "(split the budget into whole lots)", field="options")
    if k is not None and not 1 <= k <= n:
        raise InputError(f"k={k} but there are {n} assets; need 1 <= k <= {n}", field="k")
    if risk_aversion < 0:
        raise InputError("risk_aversion must be >= 0", field="risk_aversion")
    sector_of = dict(sectors or {})
    unknown = set(sector_of) - set(market.names)
    if unknown:
        raise InputError(f"sectors names unknown ticker {sorted(unknown)[0]!r}",
                         field="sectors")
    if lots is not None and max_per_sector is not None:
        raise InputError("max_per_sector counts assets (k mode); with lots use "
                         "max_sector_weight", field="max_per_sector")
    if (max_per_sector or max_sector_weight) and not sector_of:
        raise InputError("sector limits need sectors: {ticker: sector}", field="sectors")
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(market.names):
        if t in sector_of:
            groups.setdefault(sector_of[t], []).append(i)
    total = k if k is not None else int(lots)  # type: ignore[arg-type]
    cap = None  # per-sector limit in units (assets for k, lots for lots)
    if max_per_sector is not None:
        cap = int(max_per_sector)
    if max_sector_weight is not None:
        by_weight = int(math.floor(max_sector_weight * total + 1e-9))
        cap = by_weight if cap is None else min(cap, by_weight)
    upper = 1 if lots is None else min(int(max_lots_per_asset or lots), int(lots))
    if lots is not None and upper * n < lots:
        raise InputError(f"{n} assets x max_lots_per_asset {upper} < lots {lots}; the "
                         "budget cannot be spent", field="max_lots_per_asset")

    # Bits: one per asset (k mode) or the integer code of each asset's lots. The model
    # is dense (every pair of bits of every pair of assets): sized before any label or
    # matrix exists (--lots 1000 --encoding one-hot on 40 assets asked for 11.9 GiB).
    per_asset = 1 if k is not None else {"binary": upper.bit_length(), "unary": upper,
                                         "domain-wall": upper,
                                         "one-hot": upper + 1}.get(encoding, 1)
    bits = n * per_asset
    sizing.check("the portfolio model", sizing.ModelSize(variables=bits,
                                                         terms=bits * (bits - 1) // 2,
                                                         linear=2 * bits).bytes
                 + DENSE_BYTES * bits * bits,
                 "use fewer lots or max_lots_per_asset, encoding: binary, or fewer assets",
                 counts=f"{sizing.amount(bits)} bits, dense")
    if k is not None:
        encodings: list[IntegerEncoding] = []
        labels: list[Hashable] = [f"x[{i}]" for i in range(n)]
        coeff = np.ones(n)
        owner = np.arange(n)
    else:
        try:
            encodings = [integer(f"n{i}", 0, upper, encoding) for i in range(n)]
        except ValueError as exc:
            raise InputError(str(exc), field="encoding") from None
        labels = [v for e in encodings for v in e.labels]
        coeff = np.concatenate([e.coefficients for e in encodings])
        owner = np.concatenate([[i] * len(e.labels) for i, e in enumerate(encodings)])
    # Objective over bits b with n_i = sum c_b b: lam/T^2 n'Σn - mu'n/T, T = k or lots.
    sizing.check_deadline("the portfolio model", 0.0)
    q = np.outer(coeff, coeff) * market.cov[np.ix_(owner, owner)]
    lam = risk_aversion / total**2
    linear = lam * np.diag(q) - market.mu[owner] * coeff / total
    rows, cols = np.triu_indices(len(labels), 1)
    quad = 2 * lam * q[rows, cols]
    keep = quad != 0
    sizing.check_deadline("the portfolio model", 0.5)  # dense: 4.5M terms for 3000 assets
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (rows[keep], cols[keep], quad[keep]), 0.0, "BINARY", variable_order=labels))
    for e in encodings:
        add_encoding(cqm, e)
    if k is not None:
        cqm.add_constraint(exactly_k(labels, k), label="cardinality")
    else:
        cqm.add_constraint_from_iterable(list(zip(labels, coeff.tolist())), "==", lots,
                                         label="budget")
    if cap is not None:
        for sector, members in sorted(groups.items()):
            terms = [(labels[b], float(coeff[b])) for b in range(len(labels))
                     if owner[b] in members]
            if min(len(members) * upper, total) > cap:  # else it can never bind
                cqm.add_constraint_from_iterable(terms, "<=", cap, label=f"sector[{sector}]")

    def units_of(solution: Mapping[str, Any]) -> np.ndarray:
        """Assets (k) or lots per asset, read from a solution."""
        if k is not None:
            w = solution.get("weights", {})
            return np.array([1.0 if w.get(t, 0) > TOLERANCE else 0.0 for t in market.names])
        held = solution.get("lots", {})
        return np.array([float(held.get(t, 0)) for t in market.names])

    def make_solution(units: np.ndarray) -> dict[str, Any]:
        w = units / total
        sol: dict[str, Any] = {"weights": {t: float(w[i]) for i, t in enumerate(market.names)
                                           if units[i] > 0}}
        if lots is not None:
            sol["lots"] = {t: int(units[i]) for i, t in enumerate(market.names) if units[i] > 0}
        sol.update(market.stats(w, risk_free))
        return sol

    def decode(sample: Mapping[Hashable, int]) -> dict[str, Any]:
        if k is not None:
            return make_solution(np.array([float(sample[v]) for v in labels]))
        return make_solution(np.array([float(e.decode(sample)) for e in encodings]))

    def verify(solution: Any) -> list[str]:
        if not isinstance(solution, Mapping) or not isinstance(solution.get("weights"), Mapping):
            return ["solution must have 'weights': {ticker: weight}"]
        weights = solution["weights"]
        out = []
        bad = sorted(set(weights) - set(market.names))
        if bad:
            out.append(f"unknown asset {bad[0]!r}")
        if any(not isinstance(v, (int, float)) or not math.isfinite(v) or v < -TOLERANCE
               for v in weights.values()):
            out.append("weights must be finite and >= 0 (long only)")
            return out
        w = np.array([float(weights.get(t, 0.0)) for t in market.names])
        if k is not None:
            held = int((w > TOLERANCE).sum())
            if held != k:
                out.append(f"holds {held} assets; exactly k={k} are required")
            elif not np.allclose(w[w > TOLERANCE], 1 / k, atol=1e-9):
                out.append(f"weights must all be 1/k = {1 / k:.6g}")
            units = (w > TOLERANCE).astype(float)
        else:
            held_lots = solution.get("lots")
            if not isinstance(held_lots, Mapping):
                return out + ["lots mode: solution must have 'lots': {ticker: whole lots}"]
            units = np.array([held_lots.get(t, 0) for t in market.names], dtype=float)
            if (units != np.round(units)).any() or (units < 0).any() or (units > upper).any():
                out.append(f"lots per asset must be whole numbers 0..{upper}")
            if units.sum() != lots:
                out.append(f"{int(units.sum())} lots allocated; the budget is {lots}")
            if not np.allclose(w, units / lots, atol=1e-9):
                out.append("weights must equal lots / total lots")
        if cap is not None:
            for sector, members in sorted(groups.items()):
                used = units[members].sum()
                if used > cap + TOLERANCE:
                    what = "assets" if k is not None else "lots"
                    out.append(f"sector {sector}: {int(used)} {what}, limit {cap}")
        return out

    def objective(solution: Mapping[str, Any]) -> float:
        w = np.array([float(solution["weights"].get(t, 0.0)) for t in market.names])
        return float(risk_aversion * (w @ market.cov @ w) - market.mu @ w)

    def surrogate(units: np.ndarray) -> float:
        w = units / total
        return float(risk_aversion * (w @ market.cov @ w) - market.mu @ w)

    def repair(solution: Mapping[str, Any]) -> dict[str, Any]:
        units = np.clip(np.round(units_of(solution)), 0, upper)

        def over() -> list[int]:
            if cap is None:
                return []
            return [i for members in groups.values() if units[members].sum() > cap
                    for i in members]

        def room(i: int) -> bool:
            if units[i] >= upper:
                return False
            sector = sector_of.get(market.names[i])
            return cap is None or sector is None or units[groups[sector]].sum() < cap

        # Drop units (from over-full sectors first) while too many, then add while too
        # few, each time the unit whose change gives the best objective.
        while units.sum() > total or over():
            pool = [i for i in (over() or range(n)) if units[i] > 0]
            i = min(pool, key=lambda i: surrogate(units - np.eye(n)[i]))
            units[i] -= 1
        while units.sum() < total:
            pool = [i for i in range(n) if room(i)]
            if not pool:
                break
            i = min(pool, key=lambda i: surrogate(units + np.eye(n)[i]))
            units[i] += 1
        return make_solution(units)

    def describe(solution: Mapping[str, Any]) -> str:
        lines = [f"{'asset':<12} {'weight':>8}" + (f" {'lots':>5}" if lots else "")]
        for t, w in sorted(solution["weights"].items(), key=lambda kv: -kv[1]):
            extra = f" {solution['lots'][t]:>5}" if lots else ""
            lines.append(f"{t:<12} {w:>8.2%}{extra}")
        sharpe = solution.get("sharpe")
        lines.append(f"expected return {solution['expected_return']:.6g}, volatility "
                     f"{solution['volatility']:.6g}, Sharpe "
                     f"{'-' if sharpe is None else f'{sharpe:.4g}'}")
        return "\n".join(lines)

    return Problem(
        kind="portfolio", cqm=cqm, decode=decode, verify=verify, objective=objective,
        sense="min", name=name,
        milp=lambda: portfolio_milp(market, total, lots is not None, upper, risk_aversion,
                                    groups, cap, make_solution),
        repair=repair, describe=describe, data=market,
        options={"k": k, "lots": lots, "max_lots_per_asset": upper if lots else None,
                 "risk_aversion": risk_aversion, "encoding": encoding if lots else None,
                 "sector_cap": cap})


def portfolio_milp(market: Market, total: int, lots_mode: bool, upper: int,
                   risk_aversion: float, groups: Mapping[str, list[int]], cap: int | None,
                   make_solution: Any) -> MilpFormulation:
    """McCormick-linearised MILP of the same model (see the module docstring)."""
    import pulp

    n = len(market.names)
    lam = risk_aversion / total**2
    lp = pulp.LpProblem("portfolio", pulp.LpMinimize)
    if not lots_mode:
        x = [pulp.LpVariable(f"x_{i}", cat="Binary") for i in range(n)]
        z = {}
        for i in range(n):
            for j in range(i + 1, n):
                z[i, j] = z[j, i] = v = pulp.LpVariable(f"z_{i}_{j}", lowBound=0, upBound=1)
                lp += v <= x[i]
                lp += v <= x[j]
                lp += v >= x[i] + x[j] - 1
        lp += pulp.lpSum(x) == total, "cardinality"
        for i in range(n):  # RLT: (sum_j x_j - k) * x_i = 0
            lp += pulp.lpSum(z[i, j] for j in range(n) if j != i) == (total - 1) * x[i]
        lp += (pulp.lpSum(lam * market.cov[i, i] * x[i] - market.mu[i] / total * x[i]
                          for i in range(n))
               + pulp.lpSum(2 * lam * market.cov[i, j] * z[i, j]
                            for i in range(n) for j in range(i + 1, n)
                            if market.cov[i, j] != 0))
        units = x
    else:
        # n_j integer; its binary expansion bits y_ib give n_i n_j = sum_b c_b (y_ib n_j),
        # each product v = y * n_j (n_j in [0, U]) linearised exactly by McCormick.
        nvar = [pulp.LpVariable(f"n_{i}", lowBound=0, upBound=upper, cat="Integer")
                for i in range(n)]
        code = integer("e", 0, upper, "binary").coefficients
        bits = [[pulp.LpVariable(f"y_{i}_{b}", cat="Binary") for b in range(len(code))]
                for i in range(n)]
        quad = []
        for i in range(n):
            lp += nvar[i] == pulp.lpSum(c * y for c, y in zip(code, bits[i]))
            for b, (c, y) in enumerate(zip(code, bits[i])):
                row = []
                for j in range(n):
                    v = pulp.LpVariable(f"v_{i}_{b}_{j}", lowBound=0, upBound=upper)
                    lp += v <= upper * y
                    lp += v <= nvar[j]
                    lp += v >= nvar[j] - upper * (1 - y)
                    row.append(v)
                    if market.cov[i, j] != 0:
                        quad.append(lam * c * market.cov[i, j] * v)
                lp += pulp.lpSum(row) == total * y  # RLT: (sum_j n_j - L) * y = 0
        lp += pulp.lpSum(nvar) == total, "budget"
        lp += pulp.lpSum(quad) - pulp.lpSum(market.mu[i] / total * nvar[i] for i in range(n))
        units = nvar
    if cap is not None:
        for sector, members in sorted(groups.items()):
            lp += pulp.lpSum(units[i] for i in members) <= cap, f"sector_{sector}"

    def extract() -> dict[str, Any]:
        return make_solution(np.array([round(u.value() or 0.0) for u in units], dtype=float))

    return MilpFormulation(lp=lp, extract=extract)


# ---------------------------------------------------------------------- registration
class PortfolioData(FileData):
    """``data:`` for portfolio: inline ``assets``, ``expected_returns``, ``covariance``,
    or a file: CSV of prices (``format: prices``, default for .csv) or of returns
    (``format: returns``), or an OR-Library port file (``format: orlib``, .txt)."""

    assets: list[str] | None = None
    expected_returns: list[float] | None = None
    covariance: list[list[float]] | None = None


class PortfolioOptions(Strict):
    """Build options for portfolio selection."""

    k: PositiveInt | None = Field(None, description="hold exactly k assets, equal weights")
    lots: PositiveInt | None = Field(None, description="split the budget into this many lots")
    max_lots_per_asset: PositiveInt | None = None
    encoding: Literal["binary", "unary", "domain-wall", "one-hot"] = "binary"
    risk_aversion: NonNegativeFloat = 1.0
    sectors: dict[str, str] | None = None
    max_per_sector: PositiveInt | None = None
    max_sector_weight: float | None = Field(None, gt=0, le=1)
    risk_free: float = 0.0
    periods_per_year: PositiveInt | None = Field(
        None, description="annualise mu and covariance (e.g. 252 for daily prices)")
    log_returns: bool = False


def market_from_data(data: PortfolioData, base_dir: Path,
                     log_returns: bool = False) -> tuple[list[str], Any, Any, str | None]:
    """Tickers, mean, covariance (per period of the data) and a name."""
    if data.file is not None:
        if data.assets or data.expected_returns or data.covariance:
            raise InputError("give either inline assets/expected_returns/covariance or "
                             "file, not both", field="data")
        path = resolve_path(data.file, base_dir)
        fmt = data.format or FORMATS.get(data_suffix(path))  # past .gz / .xz
        if fmt not in ALL_FORMATS:
            raise InputError(f"format {fmt!r} unknown; use one of {', '.join(ALL_FORMATS)}"
                             if data.format else f"cannot tell the format of {path.name}; "
                             f"set format ({', '.join(ALL_FORMATS)})", field="data.format")
        from qanneal.formats import portfolio as fp

        if fmt == "orlib":
            d = fp.read_orlib_portfolio(path)
            return d["names"], d["mean"], d["cov"], path.stem
        if fmt == "prices":
            table = fp.read_prices_csv(path)
            returns = fp.returns_from_prices(table["matrix"], log=log_returns)
        else:
            table = fp.read_returns_csv(path)
            returns = table["matrix"]
        mean, cov = fp.estimate_mean_cov(returns)
        return table["tickers"], mean, cov, path.stem
    if data.expected_returns is None or data.covariance is None:
        raise InputError("give expected_returns and covariance (and assets), or file",
                         field="data")
    names = data.assets or [f"asset{i + 1}" for i in range(len(data.expected_returns))]
    return names, data.expected_returns, data.covariance, None


def _build(data: PortfolioData, o: PortfolioOptions, base_dir: Path) -> Problem:
    names, mean, cov, name = market_from_data(data, base_dir, o.log_returns)
    scale = o.periods_per_year or 1
    if o.max_lots_per_asset is not None and o.lots is None:
        raise InputError("max_lots_per_asset needs lots", field="max_lots_per_asset")
    return portfolio_problem(
        names, np.asarray(mean) * scale, np.asarray(cov) * scale, k=o.k, lots=o.lots,
        max_lots_per_asset=o.max_lots_per_asset, encoding=o.encoding,
        risk_aversion=o.risk_aversion, sectors=o.sectors, max_per_sector=o.max_per_sector,
        max_sector_weight=o.max_sector_weight, risk_free=o.risk_free, name=name)


PORTFOLIO = ProblemType(
    name="portfolio",
    description="mean-variance portfolio: k of n assets or whole lots (inline, prices/"
                "returns CSV, OR-Library port file)",
    data_model=PortfolioData,
    options_model=PortfolioOptions,
    build=_build,
    extensions=(".csv",),
)
