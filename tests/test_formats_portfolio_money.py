"""Price CSVs with currency signs and thousands separators (portfolio reader)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.errors import InputError
from qanneal.formats.portfolio import money, read_prices_csv, read_returns_csv


def write(tmp_path, text: str, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_signs_and_separators_are_read(tmp_path):
    path = write(tmp_path, 'date,AAA,BBB,CCC\n'
                           '2024-01-02,$339.34,"€1,234.50","1.234,50 £"\n'
                           '2024-01-03,340.10 $,"€12,345,678",£ 999\n'
                           '2024-01-04,$341,"€1234,5","0,75£"\n')
    data = read_prices_csv(path)
    assert data["matrix"].tolist() == [[339.34, 1234.5, 1234.5], [340.1, 12345678.0, 999.0],
                                       [341.0, 1234.5, 0.75]]


@pytest.mark.parametrize("cell,match", [
    ('"1,234"', "ambiguous"),
    ('"1,23,4"', "comma is read between groups of three digits or as the decimal"),
    ("$$5", "two currency signs"),
    ("$-5", "not positive"),
    ("5 USD", "positive price"),
])
def test_unclear_prices_are_refused(tmp_path, cell, match):
    path = write(tmp_path, f"date,AAA\n2024-01-02,10\n2024-01-03,{cell}\n")
    with pytest.raises(InputError, match=match) as err:
        read_prices_csv(path)
    assert err.value.line == 3 and err.value.field == "AAA"


def test_a_column_keeps_one_currency(tmp_path):
    path = write(tmp_path, "date,AAA,BBB\n2024-01-02,$10,€5\n2024-01-03,€11,€6\n")
    with pytest.raises(InputError, match=r"in € but the column was in \$ \(line 2\)") as err:
        read_prices_csv(path)
    assert err.value.line == 3 and err.value.field == "AAA"


def test_returns_are_not_money(tmp_path):
    path = write(tmp_path, "date,AAA\n2024-01-02,$0.01\n2024-01-03,0.02\n", "r.csv")
    with pytest.raises(InputError, match="finite return"):
        read_returns_csv(path)


@settings(max_examples=80)
@given(st.integers(1, 10**9), st.sampled_from(["", "$", "€", "£", "¥"]),
       st.booleans(), st.sampled_from(["plain", "comma", "dot"]), st.booleans())
def test_money_round_trip(cents, sign, after, style, space):
    value = cents / 100
    text = {"plain": f"{value:.2f}",
            "comma": f"{value:,.2f}",
            "dot": f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")}[style]
    gap = " " if space else ""
    cell = (f"{text}{gap}{sign}" if after else f"{sign}{gap}{text}") if sign else text
    number, got_sign = money(cell, file="p.csv")
    assert float(number) == pytest.approx(value)
    assert got_sign == (sign or None)


def test_portfolio_type_reads_signed_prices_as_the_plain_numbers(tmp_path):
    from qanneal.problems.portfolio import PORTFOLIO

    days = range(1, 9)
    signed = write(tmp_path, "date,AAA,BBB\n" + "".join(
        f'2024-01-{d:02d},${100 + d * (d % 3)},"€1,{200 + d ** 2:03d}.00"\n' for d in days))
    plain = write(tmp_path, "date,AAA,BBB\n" + "".join(
        f"2024-01-{d:02d},{100 + d * (d % 3)},1{200 + d ** 2:03d}\n" for d in days), "p.csv")
    a = PORTFOLIO.from_file(signed, {"k": 1}).cqm
    b = PORTFOLIO.from_file(plain, {"k": 1}).cqm
    assert a.objective.linear == b.objective.linear
    assert dict(a.objective.quadratic) == dict(b.objective.quadratic)
