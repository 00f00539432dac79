"""Every hand-made bad file in tests/data/bad/ fails with a one-line InputError that says why.

Plus fuzzing: random bytes, random format-like text and random mutations of the good
files go to every reader, and the only acceptable outcomes are a result or InputError.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qanneal.errors import InputError
from qanneal.formats import (
    read_coo,
    read_dimacs_graph,
    read_jobshop,
    read_orlib_portfolio,
    read_prices_csv,
    read_returns_csv,
    read_rudy,
    read_tsplib,
    read_tsplib_tour,
)

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
GOOD = DATA / "good"

# file name -> text the error message must contain (besides the file name).
EXPECTED: dict[str, str] = {
    # rudy
    "rudy-truncated.rud": ":1: header promises m=4 edges but the file has 2",
    "rudy-extra-edges.rud": ":3: more edge lines than the header's m=1",
    "rudy-node-out-of-range.rud": ":3: i: 7 is out of range; expected a node id with 1 <= value <= 5",
    "rudy-self-loop.rud": ":3: self-loop 2 2",
    "rudy-duplicate-edge.rud": ":3: duplicate edge 2 1 (already on line 2)",
    "rudy-nan-weight.rud": ":2: w: 'nan' is not allowed; expected a finite weight",
    "rudy-bad-header.rud": ":1: n: expected a node count, got 'five'",
    "rudy-empty.rud": "empty file; expected a header 'n m'",
    "rudy-zero-nodes.rud": ":1: n: 0 is out of range",
    "rudy-binary.rud": "binary data (NUL byte); expected a UTF-8 text file",
    "rudy-latin1.rud": ":1: byte 0xe9 is not valid UTF-8",
    "rudy-missing-weight.rud": ":2: expected 'i j w' with 1 <= i, j <= 3, got '1 2'",
    # coo
    "coo-duplicate-reversed.coo": ":3: duplicate entry for (1, 0) (already on line 1)",
    "coo-negative-index.coo": ":2: i: -1 is out of range; expected a 0-based variable index",
    "coo-bad-vartype.coo": ":1: vartype: unknown vartype 'INTEGER'; expected BINARY or SPIN",
    "coo-inf.coo": ":1: value: 'inf' is not allowed",
    "coo-only-comments.coo": "no coefficients",
    "coo-float-index.coo": ":1: i: expected a 0-based variable index, got '0.5'",
    "coo-conflicting-vartype.coo": ":3: vartype: vartype BINARY contradicts vartype SPIN on line 1",
    "coo-four-columns.coo": ":1: expected 'i j value'",
    # dimacs
    "dimacs-self-loop.col": ":3: self-loop 'e 2 2'",
    "dimacs-count-mismatch.col": ":1: m: problem line says m=5 edges but the file has 2",
    "dimacs-edge-before-p.col": ":1: 'e' line before the problem line",
    "dimacs-node-out-of-range.clq": ":2: v: 4 is out of range; expected a node id with 1 <= value <= 3",
    "dimacs-repeated-edge.col": ":3: duplicate edge 'e 1 2' (already on line 2)",
    "dimacs-bad-p.col": ":1: expected 'p edge n m' (or 'p col n m'), got 'p graph 3 1'",
    "dimacs-unknown-line.col": ":2: unknown line 'x 1 2'",
    "dimacs-no-p.clq": "no problem line",
    "dimacs-two-p.col": ":2: second problem line (first on line 1)",
    "dimacs-bad-node-weight.col": ":2: w: '-inf' is not allowed",
    # tsplib
    "tsp-bad-section.tsp": ":5: unknown keyword 'NODE_COORD_SECTON'",
    "tsp-missing-dimension.tsp": "missing required keyword DIMENSION",
    "tsp-coords-truncated.tsp": ":5: NODE_COORD_SECTION: has 2 of DIMENSION=3 cities (city 3 missing",
    "tsp-explicit-short.tsp": ":6: EDGE_WEIGHT_SECTION: has 5 of the 6 numbers UPPER_ROW needs",
    "tsp-explicit-long.tsp": ":9: EDGE_WEIGHT_SECTION: more than the 6 numbers UPPER_ROW needs",
    "tsp-unsupported-weight-type.tsp": ":4: EDGE_WEIGHT_TYPE: 'EUC_3D' is not supported",
    "tsp-asymmetric.tsp": "matrix is not symmetric: d[2][3]=3 but d[3][2]=4; use TYPE: ATSP",
    "tsp-nan-coord.tsp": ":8: NODE_COORD_SECTION: 'nan' is not allowed",
    "tsp-cvrp.tsp": ":2: TYPE: 'CVRP' is not supported; expected one of TSP, ATSP",
    "tsp-duplicate-city.tsp": ":8: NODE_COORD_SECTION: city 2 given twice (first on line 7)",
    "tsp-negative-weight.tsp": ":7: EDGE_WEIGHT_SECTION: -2 is out of range",
    "tsp-dimension-text.tsp": ":3: DIMENSION: expected a positive number of cities, got 'three'",
    "tsp-atsp-triangular.atsp": "TYPE: ATSP needs FULL_MATRIX",
    "tsp-tour-unterminated.tour": "TOUR_SECTION: not terminated by -1",
    "tsp-tour-repeat.tour": ":5: TOUR_SECTION: city 2 visited twice",
    "tsp-tour-short.tour": "tour has 3 cities but DIMENSION=4",
    # jobshop
    "jss-negative-duration.jss": ":3: duration: -4 is out of range; expected a non-negative",
    "jss-machine-out-of-range.jss": ":3: machine: 3 is out of range; expected a 0-based machine",
    "jss-machine-twice.jss": ":3: job 2 visits machine 1 twice",
    "jss-truncated.jss": ":1: J: size line says J=3 jobs but the file has 2 job lines",
    "jss-short-row.jss": ":3: job 2 has 4 numbers; expected M=3 pairs",
    "jss-float-duration.jss": ":2: duration: expected a non-negative integer duration, got '3.5'",
    "jss-extra-job.jss": ":3: more job lines than J=1",
    "jss-empty.jss": "no size line",
    "jsp-taillard-machine-zero.jsp": ":7: machine: 0 is out of range; expected a 1-based machine",
    "jsp-taillard-truncated.jsp": ":1: J: size line says J=2, needing 4 rows",
    # portfolio
    "prices-blank-cell.csv": ":3: AAA: blank cell on 2024-01-02",
    "prices-nonpositive.csv": ":3: AAA: price '0' on 2024-01-02 is not positive",
    "prices-ragged.csv": ":3: row has 2 cells but the header (line 1) has 3",
    "prices-duplicate-ticker.csv": ":1: duplicate ticker 'AAA' in columns 2 and 3",
    "prices-one-row.csv": "1 data row(s); at least 2 dates are needed",
    "prices-no-header.csv": ":1: header row required",
    "prices-non-numeric.csv": ":3: AAA: expected a positive price, got 'n/a'",
    "prices-semicolon.csv": "the separator looks like ';'",
    "prices-duplicate-date.csv": ":3: date '2024-01-01' repeated (first on line 2)",
    "returns-nan.csv": ":2: BBB: 'NaN' is not allowed; expected a finite return",
    "port-truncated.txt": "N=2 needs 6 non-blank lines",
    "port-bad-corr.txt": ":5: corr: correlation 1.5 outside [-1, 1]",
    "port-negative-std.txt": ":2: std: standard deviation -0.1 is negative",
    "port-duplicate-pair.txt": ":6: pair 1 2 given twice (first on line 5)",
}


def reader_for(name: str) -> Callable[[Path], object]:
    """The reader a bad file is aimed at, from its name."""
    if name.endswith(".rud"):
        return read_rudy
    if name.endswith(".coo"):
        return read_coo
    if name.endswith((".col", ".clq")):
        return read_dimacs_graph
    if name.endswith((".tsp", ".atsp")):
        return read_tsplib
    if name.endswith(".tour"):
        return read_tsplib_tour
    if name.endswith((".jss", ".jsp")):
        return read_jobshop
    if name.startswith("prices-"):
        return read_prices_csv
    if name.startswith("returns-"):
        return read_returns_csv
    if name.startswith("port-"):
        return read_orlib_portfolio
    raise AssertionError(f"no reader for {name}")


def test_corpus_and_table_agree():
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_one_line_input_error(name):
    path = BAD / name
    with pytest.raises(InputError) as info:
        reader_for(name)(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(str(path)), message  # names the file first
    assert name in message
    assert EXPECTED[name] in message, message


# ---------------------------------------------------------------- fuzzing

READERS: list[Callable[[Path], object]] = [
    read_rudy,
    read_coo,
    read_dimacs_graph,
    read_tsplib,
    read_tsplib_tour,
    read_jobshop,
    partial(read_jobshop, format="orlib"),
    partial(read_jobshop, format="taillard"),
    read_prices_csv,
    read_returns_csv,
    read_orlib_portfolio,
]

# Tokens from all formats so random text gets past the first checks now and then.
TOKENS = [
    "0", "1", "2", "3", "-1", "7", "0.5", "-2.5", "1e3", "nan", "inf", "1e999", "x", "",
    "p", "e", "n", "c", "edge", "col", "#", "# vartype=SPIN", "Times", "Machines", "NAME:",
    "TYPE: TSP", "TYPE : ATSP", "TYPE: TOUR", "DIMENSION: 3", "DIMENSION : 2",
    "EDGE_WEIGHT_TYPE: EUC_2D", "EDGE_WEIGHT_TYPE: GEO", "EDGE_WEIGHT_TYPE: EXPLICIT",
    "EDGE_WEIGHT_FORMAT: UPPER_ROW", "EDGE_WEIGHT_FORMAT: FULL_MATRIX", "NODE_COORD_SECTION",
    "EDGE_WEIGHT_SECTION", "TOUR_SECTION", "DISPLAY_DATA_SECTION", "EOF", ",", ",,", "date",
    "AAA", "\"", "\t", "\r", "\u00e9", "\u2028", "\x0c",
]
SEPARATORS = st.sampled_from([" ", " ", "\n", "\n", "\r\n", ",", ":"])

format_like_text = st.lists(st.tuples(st.sampled_from(TOKENS), SEPARATORS), max_size=40).map(
    lambda parts: "".join(tok + sep for tok, sep in parts)
)

GOOD_FILES = sorted(p for p in GOOD.iterdir() if p.is_file())


@st.composite
def mutated_good_file(draw) -> bytes:
    """A good file with a random cut, deletion, duplication or inserted token."""
    data = draw(st.sampled_from(GOOD_FILES)).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "delete", "insert", "duplicate", "byte"]))
        if kind == "cut":
            data = data[:pos]
        elif kind == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 20)):]
        elif kind == "insert":
            token = draw(st.sampled_from(TOKENS)) + draw(SEPARATORS)
            data = data[:pos] + token.encode() + data[pos:]
        elif kind == "duplicate":
            end = min(len(data), pos + draw(st.integers(1, 30)))
            data = data[:end] + data[pos:end] + data[end:]
        else:
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1:]
    return data


fuzz_inputs = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    format_like_text.map(str.encode),
    mutated_good_file(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=fuzz_inputs)
def test_fuzz_every_reader_succeeds_or_raises_input_error(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.input"
    path.write_bytes(data)
    for reader in READERS:
        try:
            reader(path)
        except InputError as exc:
            assert "\n" not in str(exc) and "\r" not in str(exc), str(exc)
            assert str(exc).startswith(str(path))
