"""Readers of qanneal.formats on small hand-made files, round trips and the shared benchmarks."""

from __future__ import annotations

import csv
import doctest
import importlib
import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.errors import InputError
from qanneal.formats import (
    detect_format,
    estimate_mean_cov,
    open_text,
    read_coo,
    read_dimacs_graph,
    read_jobshop,
    read_orlib_portfolio,
    read_prices_csv,
    read_returns_csv,
    read_rudy,
    read_tsplib,
    read_tsplib_tour,
    returns_from_prices,
    write_coo,
    write_rudy,
)
from qanneal.formats.tsplib import coord_distances

GOOD = Path(__file__).parent / "data" / "good"
BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- open_text / detect


@pytest.mark.parametrize(
    "module", ["__init__", "_common", "rudy", "coo", "dimacs", "tsplib", "jobshop", "portfolio"]
)
def test_doctests(module):
    name = "qanneal.formats" + ("" if module == "__init__" else f".{module}")
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0


def test_open_text_crlf_bom_and_line_numbers(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xef\xbb\xbfa\r\n\r\nb")
    assert list(open_text(path)) == [(1, "a"), (2, ""), (3, "b")]


def test_open_text_missing_file_names_resolved_path(tmp_path):
    with pytest.raises(InputError, match="file not found: .*nope.rud"):
        open_text(tmp_path / "nope.rud")


def test_open_text_directory(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        read_rudy(tmp_path)


def test_too_large_file_refused_before_reading(tmp_path):
    path = tmp_path / "huge.rud"
    with open(path, "wb") as f:  # sparse: costs no disk and no reading
        f.truncate(201 * 1024 * 1024)
    with pytest.raises(InputError, match="more than the 200 MiB limit") as info:
        read_rudy(path)
    assert "huge.rud" in str(info.value)
    with pytest.raises(InputError, match="limit"):
        read_coo(write(tmp_path, "s.coo", "0 0 1\n"), max_bytes=3)


@pytest.mark.parametrize(
    "name, fmt",
    [("a.rud", "rudy"), ("G1.GSET", "rudy"), ("q.coo", "coo"), ("q.qubo", "coo"),
     ("g.col", "dimacs"), ("g.clq", "dimacs"), ("g.dimacs", "dimacs"), ("t.tsp", "tsplib"),
     ("t.atsp", "tsplib"), ("j.jss", "jobshop"), ("j.jsp", "jobshop"), ("p.csv", "csv")],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


def test_detect_format_unknown():
    with pytest.raises(InputError, match=r"x\.bin: cannot tell the format .*'\.bin'"):
        detect_format("x.bin")


# ---------------------------------------------------------------- rudy


def test_read_rudy_good():
    g = read_rudy(GOOD / "square.rud")
    assert sorted(g.nodes) == [0, 1, 2, 3, 4]  # node 5 isolated but present
    assert g[2][3]["weight"] == 2.5 and g[1][2]["weight"] == -1.0
    assert all(isinstance(w, float) for _, _, w in g.edges(data="weight"))
    assert g.number_of_edges() == 4


def test_read_rudy_comments_and_blank_lines(tmp_path):
    g = read_rudy(write(tmp_path, "c.rud", "# made by hand\n\n2 1\n\n1 2 3\n"))
    assert list(g.edges(data="weight")) == [(0, 1, 3.0)]


def test_write_rudy_relabels_and_refuses_self_loops(tmp_path):
    g = nx.Graph()
    g.add_edge("a", "b", weight=2)
    g.add_node("c")
    write_rudy(g, tmp_path / "x.rud")
    assert (tmp_path / "x.rud").read_text() == "3 1\n1 2 2\n"
    g.add_edge("c", "c")
    with pytest.raises(InputError, match="self-loop"):
        write_rudy(g, tmp_path / "y.rud")


# Readers refuse |x| >= 2**63 (it overflows once squared in a model): stay below.
finite = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e18, max_value=1e18)


@st.composite
def weighted_graphs(draw):
    n = draw(st.integers(1, 12))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i, j in chosen:
        g.add_edge(i, j, weight=draw(finite))
    return g


@settings(max_examples=100, deadline=None)
@given(graph=weighted_graphs())
def test_rudy_round_trip(tmp_path_factory, graph):
    path = tmp_path_factory.mktemp("rudy") / "g.rud"
    write_rudy(graph, path)
    back = read_rudy(path)
    assert sorted(back.nodes) == sorted(graph.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in graph.edges}
    for u, v, w in graph.edges(data="weight"):
        assert back[u][v]["weight"] == w


# ---------------------------------------------------------------- coo


def test_read_coo_good():
    q, vartype = read_coo(GOOD / "small.coo")
    assert vartype == "SPIN"
    assert q == {(0, 0): -1.0, (1, 1): 0.5, (0, 1): 2.0, (1, 2): -0.25}


def test_read_coo_without_header_has_no_vartype(tmp_path):
    assert read_coo(write(tmp_path, "a.coo", "3 1 1e-3\n")) == ({(1, 3): 0.001}, None)


def test_read_coo_vartype_case_insensitive(tmp_path):
    assert read_coo(write(tmp_path, "a.qubo", "#vartype = binary\n0 0 1\n"))[1] == "BINARY"


@settings(max_examples=100, deadline=None)
@given(
    coeffs=st.dictionaries(
        st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda p: (min(p), max(p))),
        finite, min_size=1, max_size=30,
    ),
    vartype=st.sampled_from([None, "BINARY", "SPIN"]),
)
def test_coo_round_trip(tmp_path_factory, coeffs, vartype):
    path = tmp_path_factory.mktemp("coo") / "q.coo"
    write_coo(coeffs, path, vartype=vartype)
    assert read_coo(path) == (coeffs, vartype)


def test_write_coo_refuses_both_orders(tmp_path):
    with pytest.raises(InputError, match="given twice"):
        write_coo({(0, 1): 1.0, (1, 0): 2.0}, tmp_path / "q.coo")


# ---------------------------------------------------------------- dimacs


def test_read_dimacs_doubled_edges_and_node_weights():
    g = read_dimacs_graph(GOOD / "triangle-doubled.col")
    assert sorted(g.nodes) == [0, 1, 2, 3]
    assert sorted(g.edges) == [(0, 1), (0, 2), (1, 2)]
    assert g.nodes[0]["weight"] == 2.5 and g.nodes[2]["weight"] == 1.0
    assert "weight" not in g.nodes[1]


def test_read_dimacs_p_col_unique_count():
    g = read_dimacs_graph(GOOD / "path.clq")
    assert sorted(g.edges) == [(0, 1), (1, 2)] and g.number_of_nodes() == 4


def test_read_dimacs_doubled_list_unique_count(tmp_path):
    g = read_dimacs_graph(write(tmp_path, "d.col", "p edge 2 1\ne 1 2\ne 2 1\n"))
    assert list(g.edges) == [(0, 1)]


# ---------------------------------------------------------------- tsplib

MATRIX = [[0, 1, 2, 3], [1, 0, 4, 5], [2, 4, 0, 6], [3, 5, 6, 0]]
EXPLICIT = {
    "FULL_MATRIX": [v for row in MATRIX for v in row],
    "UPPER_ROW": [1, 2, 3, 4, 5, 6],
    "LOWER_ROW": [1, 2, 4, 3, 5, 6],
    "UPPER_DIAG_ROW": [0, 1, 2, 3, 0, 4, 5, 0, 6, 0],
    "LOWER_DIAG_ROW": [0, 1, 0, 2, 4, 0, 3, 5, 6, 0],
    "UPPER_COL": [1, 2, 4, 3, 5, 6],
    "LOWER_COL": [1, 2, 3, 4, 5, 6],
    "UPPER_DIAG_COL": [0, 1, 0, 2, 4, 0, 3, 5, 6, 0],
    "LOWER_DIAG_COL": [0, 1, 2, 3, 0, 4, 5, 0, 6, 0],
}


def explicit_file(fmt: str, values: list[int], per_line: int, sep: str = ":") -> str:
    rows = [" ".join(map(str, values[k : k + per_line])) for k in range(0, len(values), per_line)]
    return (
        f"NAME{sep} m4\nTYPE{sep} TSP\nDIMENSION{sep} 4\nEDGE_WEIGHT_TYPE{sep} EXPLICIT\n"
        f"EDGE_WEIGHT_FORMAT{sep} {fmt}\nEDGE_WEIGHT_SECTION\n" + "\n".join(rows) + "\nEOF\n"
    )


@pytest.mark.parametrize("fmt", sorted(EXPLICIT))
@pytest.mark.parametrize("per_line", [1, 3, 7, 100])
def test_tsplib_explicit_formats_wrap_anywhere(tmp_path, fmt, per_line):
    sep = " :" if per_line % 2 else ":"
    data = read_tsplib(write(tmp_path, "m.tsp", explicit_file(fmt, EXPLICIT[fmt], per_line, sep)))
    assert data["distance"].tolist() == MATRIX
    assert data["distance"].dtype.kind == "i"
    assert data["name"] == "m4" and data["type"] == "TSP" and data["dimension"] == 4
    assert data["coords"] is None and data["edge_weight_type"] == "EXPLICIT"


def test_tsplib_atsp_full_matrix_keeps_asymmetry(tmp_path):
    text = ("NAME: a\nTYPE: ATSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
            "EDGE_WEIGHT_FORMAT: FULL_MATRIX\nEDGE_WEIGHT_SECTION\n9999 1 2 3 9999\n4 5 6 9999\n")
    data = read_tsplib(write(tmp_path, "a.atsp", text))
    assert data["type"] == "ATSP"
    assert data["distance"].tolist() == [[9999, 1, 2], [3, 9999, 4], [5, 6, 9999]]


def test_tsplib_geo_hand_computed():
    data = read_tsplib(GOOD / "geo6.tsp")
    d = data["distance"]
    # Equator, 1 degree of longitude: 6378.388 * 3.141592/180 = 111.32 -> int(112.32).
    assert d[0, 1] == 112
    # 0.30 is 0 degrees 30 minutes = 0.5 degree -> int(55.66 + 1).
    assert d[0, 2] == 56
    # -1.30 is -(1 deg 30 min) = -1.5 degrees with int() truncation -> int(166.98 + 1);
    # TSPLIB's nint() taken literally would give -2.1667 degrees and 242.
    assert d[0, 3] == 167
    assert d[4, 5] == d[5, 4] == 157 and (np.diag(d) == 0).all()
    assert data["coords"].shape == (6, 2) and data["coords"][3, 0] == -1.30
    assert data["comment"].startswith("hand-made")


def test_coord_distance_rules():
    pts = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [2.0, 3.0], [30.0, 10.0]])
    euc = coord_distances(pts, "EUC_2D")
    assert [euc[0, k] for k in range(1, 5)] == [5, 1, 4, 32]  # 3.606 -> 4, 31.62 -> 32
    ceil = coord_distances(pts, "CEIL_2D")
    assert [ceil[0, k] for k in range(1, 5)] == [5, 2, 4, 32]
    att = coord_distances(pts, "ATT")
    # rij = sqrt(d2 / 10): 1.58 -> nint 2 (not < r) -> 2; 0.447 -> 0 < r -> 1;
    # 1.14 -> 1 < r -> 2; sqrt(1000/10) = 10 exactly -> 10.
    assert [att[0, k] for k in range(1, 5)] == [2, 1, 2, 10]


def test_tsplib_tour(tmp_path):
    assert read_tsplib_tour(GOOD / "square.tour") == [0, 1, 3, 2]
    no_dim = write(tmp_path, "t.tour", "TOUR_SECTION\n2 1 3 -1\n")
    assert read_tsplib_tour(no_dim) == [1, 0, 2]
    gap = write(tmp_path, "g.tour", "TOUR_SECTION\n1 2 4 -1\n")
    with pytest.raises(InputError, match="city 3 missing"):
        read_tsplib_tour(gap)


@pytest.mark.skipif(not (BENCH / "tsp" / "best_known.csv").exists(), reason="no shared bench")
def test_tsplib_shared_bench_optimal_tour_lengths():
    root = BENCH / "tsp"
    with open(root / "best_known.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    assert len(rows) == 18
    for row in rows:
        data = read_tsplib(root / f"{row['instance']}.tsp")
        tour = read_tsplib_tour(root / f"{row['instance']}.opt.tour")
        assert data["dimension"] == int(row["n"]) == len(tour)
        assert data["edge_weight_type"] == row["edge_weight_type"]
        d = data["distance"]
        length = int(d[tour, np.roll(tour, -1)].sum())
        assert length == int(row["optimal_tour_length"]), row["instance"]


# ---------------------------------------------------------------- jobshop

SMALL_JOBS = [[(0, 3), (1, 2), (2, 2)], [(0, 2), (2, 1), (1, 4)], [(1, 4), (2, 3), (0, 0)]]


def test_read_jobshop_orlib():
    data = read_jobshop(GOOD / "small.jss")
    assert data == {"jobs": SMALL_JOBS, "num_jobs": 3, "num_machines": 3, "format": "orlib"}


def test_read_jobshop_taillard_same_instance():
    data = read_jobshop(GOOD / "small-taillard.jsp")
    assert data["format"] == "taillard" and data["jobs"] == SMALL_JOBS


def test_read_jobshop_taillard_without_words_detected_by_row_width(tmp_path):
    text = "3 3\n3 2 2\n2 1 4\n4 3 0\n1 2 3\n1 3 2\n2 3 1\n"
    data = read_jobshop(write(tmp_path, "t.txt", text))
    assert data["format"] == "taillard" and data["jobs"] == SMALL_JOBS
    assert read_jobshop(write(tmp_path, "t2.txt", text), format="taillard")["jobs"] == SMALL_JOBS


def test_read_jobshop_forced_format_mismatch(tmp_path):
    with pytest.raises(InputError, match="format='taillard'"):
        read_jobshop(GOOD / "small-taillard.jsp", format="orlib")
    with pytest.raises(InputError, match="unknown job-shop format"):
        read_jobshop(GOOD / "small.jss", format="csv")


@pytest.mark.skipif(not (BENCH / "jobshop" / "best_known.csv").exists(), reason="no shared bench")
def test_jobshop_shared_bench():
    root = BENCH / "jobshop"
    with open(root / "best_known.csv", encoding="utf-8") as f:
        rows = {r["instance"]: r for r in csv.DictReader(
            line for line in f if not line.startswith("#"))}
    files = sorted(root.glob("*.txt"))
    assert len(files) == 21
    for path in files:
        data = read_jobshop(path)
        row = rows[path.stem]
        assert (data["num_jobs"], data["num_machines"]) == (int(row["jobs"]), int(row["machines"]))
        assert len(data["jobs"]) == data["num_jobs"]
        for job in data["jobs"]:
            assert sorted(m for m, _ in job) == list(range(data["num_machines"]))
        # the makespan can't beat the busiest machine's total work
        load = [0] * data["num_machines"]
        for job in data["jobs"]:
            for m, dur in job:
                load[m] += dur
        assert max(load) <= int(row["optimal_makespan"])


# ---------------------------------------------------------------- portfolio


def test_read_prices_and_returns():
    data = read_prices_csv(GOOD / "prices.csv")
    assert data["tickers"] == ["AAA", "BBB", "CCC"]
    assert data["dates"][0] == "2024-01-01" and data["matrix"].shape == (4, 3)
    r = returns_from_prices(data["matrix"])
    np.testing.assert_allclose(r[:, 0], [0.1, -0.1, 0.1])
    np.testing.assert_allclose(returns_from_prices(data["matrix"], log=True),
                               np.log1p(r), rtol=1e-12)
    mu, cov = estimate_mean_cov(r)
    np.testing.assert_allclose(mu, r.mean(axis=0))
    np.testing.assert_allclose(cov, np.cov(r.T))
    ret = read_returns_csv(GOOD / "returns.csv")
    assert ret["tickers"] == ["X Corp", "Y"] and ret["matrix"][1].tolist() == [-0.03, 0.0]


def test_estimate_mean_cov_single_asset():
    mu, cov = estimate_mean_cov(np.array([[0.1], [0.3]]))
    assert mu.shape == (1,) and cov.shape == (1, 1) and math.isclose(cov[0, 0], 0.02)


def test_read_orlib_portfolio_small():
    data = read_orlib_portfolio(GOOD / "port-small.txt")
    assert data["names"] == ["asset1", "asset2", "asset3"]
    np.testing.assert_allclose(data["std"], [0.04, 0.05, 0.02])
    np.testing.assert_allclose(data["cov"][0, 1], 0.5 * 0.04 * 0.05)
    np.testing.assert_allclose(data["cov"][2, 0], -0.25 * 0.04 * 0.02)
    np.testing.assert_allclose(np.diag(data["cov"]), data["std"] ** 2)
    assert np.array_equal(data["cov"], data["cov"].T)


@pytest.mark.skipif(not (BENCH / "portfolio").exists(), reason="no shared bench")
def test_orlib_portfolio_shared_bench():
    sizes = {}
    for path in sorted((BENCH / "portfolio").glob("port[0-9].txt")):
        data = read_orlib_portfolio(path)
        sizes[path.stem] = len(data["mean"])
        assert np.linalg.eigvalsh(data["cov"]).min() > -1e-10  # a covariance matrix
    assert sizes == {"port1": 31, "port2": 85, "port3": 89, "port4": 98, "port5": 225}


@pytest.mark.skipif(not (BENCH / "coloring").exists(), reason="no shared bench")
def test_dimacs_shared_bench():
    files = sorted((BENCH / "coloring").glob("*.col")) + sorted((BENCH / "clique").glob("*.clq"))
    assert len(files) >= 20
    for path in files:
        g = read_dimacs_graph(path)
        assert nx.number_of_selfloops(g) == 0 and g.number_of_edges() > 0


@pytest.mark.skipif(not (BENCH / "gset" / "G11.rud").exists(), reason="no shared bench")
def test_rudy_shared_bench_sample():
    for name, n, m in [("G1", 800, 19176), ("G11", 800, 1600), ("G48", 3000, 6000)]:
        g = read_rudy(BENCH / "gset" / f"{name}.rud")
        assert (g.number_of_nodes(), g.number_of_edges()) == (n, m)


def test_every_reader_accepts_str_paths():
    assert read_rudy(str(GOOD / "square.rud")).number_of_nodes() == 5
    assert read_coo(os.fspath(GOOD / "small.coo"))[1] == "SPIN"


def test_qoblib_gph_graph_is_read_as_dimacs(run_cli, tmp_path):
    path = tmp_path / "tiny.gph"
    path.write_text("c QOBLIB-style graph\np edge 4 3\ne 1 2\ne 2 3\ne 3 4\n")
    out = run_cli("solve", path, "--problem", "independent_set", "-b", "exact")
    assert out.code == 0, out.err
    assert "objective: 2 (maximise)" in out.out
