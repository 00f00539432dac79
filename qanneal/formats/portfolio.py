"""Portfolio data: price/return tables in CSV and OR-Library ``port*.txt`` files.

CSV tables (``read_prices_csv``, ``read_returns_csv``) need a header row: the first
column holds dates (kept as strings, must be unique), the others one ticker each
(non-blank, unique). Every cell must be filled: a blank is an error, never silently
forward-filled, because the fill rule changes the covariance. Prices must be
positive, returns finite; at least two data rows. Only the standard library ``csv``
module is used, so pandas stays optional.

Prices exported from spreadsheets and brokers often carry a currency sign and thousands
separators (``$339.34``, ``"€1,234.50"``, ``"1.234,50 €"``). A price cell may have one
currency sign (any Unicode currency symbol) before or after the number; a column must
keep one currency (``$`` then ``€`` is an error, never a silent mix). Separators are
read only when unambiguous: ``1,234.50`` and ``12,345,678`` (comma groups of three,
optional ``.`` decimals), ``1.234,50`` (dot groups, comma decimals) and a decimal comma
that cannot be a group (``12,5``, ``1234,56``). ``1,234`` alone could be 1234 or 1.234
and is refused, as is any other comma.

OR-Library (``read_orlib_portfolio``, Chang et al. 2000): a line ``N``; ``N`` lines
``mean std``; then ``N(N+1)/2`` lines ``i j corr`` (1-based, each unordered pair once,
diagonal 1) giving ``cov[i, j] = corr * std_i * std_j``.

>>> import numpy as np
>>> returns_from_prices(np.array([[1.0, 2.0], [1.1, 1.0]])).round(3).tolist()
[[0.1, -0.5]]
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from typing import Any

import numpy as np

from qanneal.errors import InputError
from qanneal.formats._common import (
    MAX_BYTES,
    PathLike,
    open_text,
    parse_float,
    parse_int,
    snippet,
)

_COMMA_GROUPS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
_DOT_GROUPS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]+", re.ASCII)


def money(cell: str, *, file: PathLike, line: int | None = None,
          field: str | None = None) -> tuple[str, str | None]:
    """A price cell as plain number text, and its currency sign (None if it has none).

    >>> money("$339.34", file="p.csv"), money("1.234,50 €", file="p.csv")
    (('339.34', '$'), ('1234.50', '€'))
    >>> money("12,345,678", file="p.csv")
    ('12345678', None)
    """
    text = cell.strip()
    symbol = None
    for end in (0, -1):
        if text and unicodedata.category(text[end]) == "Sc":
            symbol = text[end]
            text = (text[1:] if end == 0 else text[:-1]).strip()
            break
    if symbol and text and "Sc" in (unicodedata.category(text[0]),
                                    unicodedata.category(text[-1])):
        raise InputError(f"{snippet(cell)} has two currency signs; expected one, before or "
                         "after the number", file=file, line=line, field=field)
    if "," in text:
        if _COMMA_GROUPS.fullmatch(text):
            if "." not in text and text.count(",") == 1:
                raise InputError(
                    f"{snippet(cell)} is ambiguous: ',' could separate thousands or "
                    "decimals; write it without the comma, or with '.' decimals",
                    file=file, line=line, field=field)
            text = text.replace(",", "")
        elif _DOT_GROUPS.fullmatch(text) or _DECIMAL_COMMA.fullmatch(text):
            text = text.replace(".", "").replace(",", ".")
        else:
            raise InputError(
                f"{snippet(cell)}: a comma is read between groups of three digits or as "
                "the decimal mark (1,234.50, 1.234,50, 12,5); write the price with '.' "
                "decimals",
                file=file, line=line, field=field)
    return text, symbol


def _read_table(path: PathLike, kind: str, max_bytes: int) -> dict[str, Any]:
    """Shared CSV reader; ``kind`` is 'price' (must be > 0) or 'return' (any finite)."""
    header: list[str] | None = None
    header_line = 0
    dates: list[str] = []
    date_line: dict[str, int] = {}
    rows: list[list[float]] = []
    currency: dict[str, tuple[str, int]] = {}  # ticker -> (sign, first line)
    for lineno, raw in open_text(path, max_bytes=max_bytes):
        if not raw.strip():
            continue
        try:
            cells = next(csv.reader([raw], strict=True))
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc}); expected comma-separated cells",
                             file=path, line=lineno) from None
        cells = [c.strip() for c in cells]
        if header is None:
            header_line = lineno
            header = _check_header(path, lineno, cells, kind)
            continue
        if len(cells) != len(header) + 1:
            raise InputError(
                f"row has {len(cells)} cells but the header (line {header_line}) has "
                f"{len(header) + 1}: a date then one {kind} per ticker",
                file=path, line=lineno,
            )
        date = cells[0]
        if not date:
            raise InputError("blank date; the first column must name the date",
                             file=path, line=lineno)
        if date in date_line:
            raise InputError(f"date {snippet(date)} repeated (first on line {date_line[date]})",
                             file=path, line=lineno)
        date_line[date] = lineno
        values = []
        for ticker, cell in zip(header, cells[1:], strict=True):
            if not cell:
                raise InputError(
                    f"blank cell on {date}; every {kind} must be given (no gaps are filled)",
                    file=path, line=lineno, field=ticker,
                )
            what = "a positive price" if kind == "price" else "a finite return"
            text = cell
            if kind == "price":
                text, sign = money(cell, file=path, line=lineno, field=ticker)
                if sign is not None:
                    first = currency.setdefault(ticker, (sign, lineno))
                    if first[0] != sign:
                        raise InputError(
                            f"{snippet(cell)} is in {sign} but the column was in {first[0]} "
                            f"(line {first[1]}); one currency per ticker",
                            file=path, line=lineno, field=ticker)
            value = parse_float(text, file=path, line=lineno, field=ticker, what=what)
            if kind == "price" and value <= 0:
                raise InputError(f"price {snippet(cell)} on {date} is not positive; "
                                 "prices must be > 0", file=path, line=lineno, field=ticker)
            values.append(value)
        dates.append(date)
        rows.append(values)
    if header is None:
        raise InputError(f"empty file; expected a header 'date,TICKER1,...' then {kind} rows",
                         file=path)
    if len(rows) < 2:
        raise InputError(f"{len(rows)} data row(s); at least 2 dates are needed",
                         file=path, line=header_line)
    return {"tickers": header, "dates": dates, "matrix": np.array(rows, dtype=float)}


def _check_header(path: PathLike, lineno: int, cells: list[str], kind: str) -> list[str]:
    if len(cells) < 2:
        hint = ""
        if any(sep in cells[0] for sep in ";\t|"):
            hint = " (the separator looks like ';', tab or '|'; only ',' is read)"
        raise InputError(
            f"header has {len(cells)} column(s); expected 'date,TICKER1,TICKER2,...'{hint}",
            file=path, line=lineno,
        )
    tickers = cells[1:]
    first: dict[str, int] = {}
    for k, ticker in enumerate(tickers, start=2):
        if not ticker:
            raise InputError(f"blank ticker name in column {k}; every column needs a name",
                             file=path, line=lineno)
        if ticker in first:
            raise InputError(
                f"duplicate ticker {snippet(ticker)} in columns {first[ticker]} and {k}",
                file=path, line=lineno,
            )
        first[ticker] = k
    numeric = 0
    for ticker in tickers:
        try:
            float(ticker)
            numeric += 1
        except ValueError:
            pass
    if numeric == len(tickers):
        raise InputError(
            f"header row required: first row {snippet(','.join(cells))} is all numbers; "
            f"expected 'date,TICKER1,...' above the {kind}s",
            file=path, line=lineno,
        )
    return tickers


def read_prices_csv(path: PathLike, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read a price table: ``{"tickers": [...], "dates": [...], "matrix": T x N array}``."""
    return _read_table(path, "price", max_bytes)


def read_returns_csv(path: PathLike, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read a table of returns, same layout and result as :func:`read_prices_csv`."""
    return _read_table(path, "return", max_bytes)


def returns_from_prices(prices: np.ndarray, *, log: bool = False) -> np.ndarray:
    """Simple (or log) returns between consecutive rows of a T x N price matrix."""
    p = np.asarray(prices, dtype=float)
    if p.ndim != 2 or p.shape[0] < 2:
        raise InputError(f"need a T x N price matrix with T >= 2, got shape {p.shape}",
                         field="prices")
    if not np.isfinite(p).all() or (p <= 0).any():
        raise InputError("prices must be finite and > 0", field="prices")
    return np.diff(np.log(p), axis=0) if log else p[1:] / p[:-1] - 1.0


def estimate_mean_cov(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean (N,) and unbiased sample covariance (N x N) of T x N returns."""
    r = np.asarray(returns, dtype=float)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] < 1:
        raise InputError(f"need a T x N returns matrix with T >= 2, N >= 1, got shape {r.shape}",
                         field="returns")
    if not np.isfinite(r).all():
        raise InputError("returns must be finite", field="returns")
    return r.mean(axis=0), np.atleast_2d(np.cov(r, rowvar=False, ddof=1))


def read_orlib_portfolio(path: PathLike, *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read an OR-Library port file: ``{"names", "mean", "std", "cov"}`` (numpy arrays).

    Names are ``asset1..assetN`` (the files carry none).
    """
    lines = [(lineno, raw.split()) for lineno, raw in open_text(path, max_bytes=max_bytes)
             if raw.strip()]
    if not lines:
        raise InputError("empty file; expected N, then N lines 'mean std', then "
                         "N(N+1)/2 lines 'i j corr'", file=path)
    lineno, tokens = lines[0]
    if len(tokens) != 1:
        raise InputError(f"expected the number of assets N alone, got {snippet(' '.join(tokens))}",
                         file=path, line=lineno)
    n = parse_int(tokens[0], file=path, line=lineno, field="N", lo=1,
                  what="a positive number of assets")
    n_pairs = n * (n + 1) // 2
    expected = 1 + n + n_pairs
    if len(lines) != expected:
        where = lines[expected][0] if len(lines) > expected else lineno
        raise InputError(
            f"N={n} needs {expected} non-blank lines (N, {n} 'mean std', {n_pairs} "
            f"'i j corr') but the file has {len(lines)}"
            + (" (truncated?)" if len(lines) < expected else ""),
            file=path, line=where,
        )
    mean = np.empty(n)
    std = np.empty(n)
    for k, (lineno, tokens) in enumerate(lines[1 : n + 1]):
        if len(tokens) != 2:
            raise InputError(f"expected 'mean std' for asset {k + 1}, got "
                             f"{snippet(' '.join(tokens))}", file=path, line=lineno)
        mean[k] = parse_float(tokens[0], file=path, line=lineno, field="mean")
        std[k] = parse_float(tokens[1], file=path, line=lineno, field="std",
                             what="a finite standard deviation")
        if std[k] < 0:
            raise InputError(f"standard deviation {tokens[1]} is negative; must be >= 0",
                             file=path, line=lineno, field="std")
    corr = np.full((n, n), np.nan)
    first: dict[tuple[int, int], int] = {}
    for lineno, tokens in lines[n + 1 :]:
        if len(tokens) != 3:
            raise InputError(f"expected 'i j corr' with 1 <= i, j <= {n}, got "
                             f"{snippet(' '.join(tokens))}", file=path, line=lineno)
        i, j = (parse_int(t, file=path, line=lineno, field=name, lo=1, hi=n,
                          what="a 1-based asset number")
                for t, name in zip(tokens[:2], ("i", "j"), strict=True))
        c = parse_float(tokens[2], file=path, line=lineno, field="corr")
        if not -1.0 <= c <= 1.0:
            raise InputError(f"correlation {tokens[2]} outside [-1, 1]",
                             file=path, line=lineno, field="corr")
        if i == j and not math.isclose(c, 1.0, abs_tol=1e-6):
            raise InputError(f"correlation of asset {i} with itself is {tokens[2]}; must be 1",
                             file=path, line=lineno, field="corr")
        key = (min(i, j), max(i, j))
        if key in first:
            raise InputError(f"pair {i} {j} given twice (first on line {first[key]})",
                             file=path, line=lineno)
        first[key] = lineno
        corr[i - 1, j - 1] = corr[j - 1, i - 1] = c
    # N(N+1)/2 distinct pairs within 1..N cover every pair, so corr has no NaN left.
    cov = corr * np.outer(std, std)
    return {"names": [f"asset{k}" for k in range(1, n + 1)], "mean": mean, "std": std,
            "cov": cov}
