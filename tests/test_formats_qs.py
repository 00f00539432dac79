"""QOBLIB ``.qs`` QUBO files and transparently decompressed ``.gz``/``.xz`` data files.

Known answers by brute force on files written here; the reading of real QOBLIB files is
checked against the library's own published solutions when ``../shared/bench/qoblib``
is present (skipped otherwise; nothing of it is copied into the repository).
"""

from __future__ import annotations

import gzip
import itertools
import lzma
import subprocess
import sys
from pathlib import Path

import dimod
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qanneal import load_problem, solve
from qanneal.errors import InputError
from qanneal.formats._common import data_suffix, open_text, read_bytes
from qanneal.formats.coo import read_coo
from qanneal.formats.qs import qs_to_bqm, read_qs

QOBLIB = Path(__file__).resolve().parents[2] / "shared" / "bench" / "qoblib"


def write_qs(path: Path, n: int, entries: dict[tuple[int, int], float], offset: float,
             opener=open) -> Path:
    lines = ["# written by a qanneal test", f"# ObjectiveOffset {offset!r}",
             "# Vars Non-zeros", f"{n} {len(entries)}"]
    lines += [f"{i} {j} {q!r}" for (i, j), q in entries.items()]
    with opener(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def brute_force(n: int, entries: dict[tuple[int, int], float], offset: float) -> float:
    """min over x in {0,1}^n of x'Qx + c with Q the symmetric matrix the entries give."""
    q = np.zeros((n, n))
    for (i, j), v in entries.items():
        q[i - 1, j - 1] = v
        q[j - 1, i - 1] = v
    xs = np.array(list(itertools.product((0, 1), repeat=n)), dtype=float)
    return float(np.min(np.einsum("ki,ij,kj->k", xs, q, xs)) + offset)


# ---------------------------------------------------------------------- .qs reader
def test_offset_and_doubled_off_diagonal_known_answer(tmp_path):
    # x'Qx + c with Q = [[-3, 2], [2, -3]], c = 10: 00 -> 10, 10 -> 7, 11 -> -6 + 4 + 10 = 8.
    # Counting the off-diagonal once would make 11 the optimum (6): the doubling matters.
    path = write_qs(tmp_path / "two.qs", 2, {(1, 1): -3.0, (1, 2): 2.0, (2, 2): -3.0}, 10.0)
    n, entries, offset = read_qs(path)
    bqm = qs_to_bqm(n, entries, offset)
    assert bqm.energy({1: 1, 2: 1}) == 8.0 and bqm.energy({1: 1, 2: 0}) == 7.0
    result = solve(load_problem(path).problem, "exact")
    assert result.objective == 7.0 == brute_force(n, entries, offset)
    assert result.solution in ({1: 1, 2: 0}, {1: 0, 2: 1})


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.just(n),
    st.dictionaries(st.tuples(st.integers(1, n), st.integers(1, n)).map(lambda t: tuple(sorted(t))),
                    st.integers(-9, 9).map(float), min_size=0, max_size=12),
    st.integers(-50, 50).map(float))))
def test_bqm_energy_is_x_q_x_plus_c_on_every_assignment(case):
    n, entries, offset = case
    bqm = qs_to_bqm(n, entries, offset)
    assert sorted(bqm.variables) == list(range(1, n + 1))
    q = np.zeros((n, n))
    for (i, j), v in entries.items():
        q[i - 1, j - 1] = q[j - 1, i - 1] = v
    for x in itertools.product((0, 1), repeat=n):
        v = np.array(x, dtype=float)
        assert bqm.energy(dict(zip(range(1, n + 1), x))) == pytest.approx(v @ q @ v + offset)


def test_random_qs_optimum_matches_brute_force(tmp_path):
    rng = np.random.default_rng(5)
    n = 8
    entries = {(i, j): float(rng.integers(-5, 6)) for i in range(1, n + 1)
               for j in range(i, n + 1) if rng.random() < 0.6}
    path = write_qs(tmp_path / "r.qs.xz", n, entries, -4.5, opener=lzma.open)
    result = solve(load_problem(path).problem, "exact")
    assert result.objective == pytest.approx(brute_force(n, entries, -4.5))
    assert load_problem(path).problem.name == "r"


def test_missing_offset_means_zero_and_unused_variables_are_kept(tmp_path):
    (tmp_path / "a.qs").write_text("3 1\n2 2 -1\n")
    n, entries, offset = read_qs(tmp_path / "a.qs")
    assert (n, entries, offset) == (3, {(2, 2): -1.0}, 0.0)
    assert qs_to_bqm(n, entries, offset).num_variables == 3


@pytest.mark.parametrize("text, message", [
    ("# ObjectiveOffset 1\n", "no header 'n nnz'"),
    ("2 2\n1 1 1\n", "nnz = 2 entries, the file has 1"),
    ("2 1\n1 1 1\n2 2 1\n", "more entries than the header's nnz = 1"),
    ("2 2\n2 1 1\n1 1 1\n", "below the diagonal"),
    ("2 2\n1 2 1\n1 2 3\n", "duplicate entry (1, 2)"),
    ("2 1\n1 3 1\n", "1 <= value <= 2"),
    ("2 1\n0 1 1\n", "1 <= value <= 2"),
    ("2 1\n1 1 nan\n", "'nan' is not allowed"),
    ("# ObjectiveOffset x\n2 1\n1 1 1\n", "ObjectiveOffset: expected a finite constant"),
    ("# ObjectiveOffset 1\n# ObjectiveOffset 2\n2 1\n1 1 1\n", "second ObjectiveOffset"),
    ("2 1 5\n1 1 1\n", "expected the header 'n nnz'"),
    ("2 1\n1 1\n", "expected 'i j q'"),
    ("2 9\n1 1 1\n", "at most n(n+1)/2"),
])
def test_malformed_qs_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.qs"
    path.write_text(text)
    with pytest.raises(InputError, match="bad.qs") as info:
        read_qs(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_cli_refuses_a_bad_qs_in_one_line(tmp_path):
    path = tmp_path / "bad.qs.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("2 1\n2 1 4\n")
    proc = subprocess.run([sys.executable, "-m", "qanneal", "solve", str(path), "-b", "exact"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "bad.qs.gz:2" in proc.stderr and "below the diagonal" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------- compression
def test_data_suffix_sees_through_compression():
    assert data_suffix("a/b.coo.GZ") == ".coo"
    assert data_suffix("b.qs.xz") == ".qs"
    assert data_suffix("b.qs") == ".qs"
    assert data_suffix("noext") == ""


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (lzma.open, ".xz")])
def test_compressed_coo_reads_like_the_plain_file(tmp_path, opener, suffix):
    text = "# vartype=BINARY\n0 0 -1\n0 1 2\n1 1 -1.5\n"
    (tmp_path / "q.coo").write_text(text)
    with opener(tmp_path / f"q.coo{suffix}", "wt") as fh:
        fh.write(text)
    assert read_coo(tmp_path / f"q.coo{suffix}") == read_coo(tmp_path / "q.coo")
    plain = solve(load_problem(tmp_path / "q.coo").problem, "exact")
    packed = solve(load_problem(tmp_path / f"q.coo{suffix}").problem, "exact")
    assert packed.objective == plain.objective == -1.5


def test_decompression_bomb_is_refused_after_the_limit(tmp_path):
    # 64 KiB of zeros per gzip member, 64 members: 4 MiB inflated from a few KiB.
    member = gzip.compress(b"0" * 2**16)
    path = tmp_path / "bomb.coo.gz"
    path.write_bytes(member * 64)
    assert path.stat().st_size < 10_000
    with pytest.raises(InputError, match=r"bomb.coo.gz: decompresses to more than the "
                                         r"1 MiB limit") as info:
        list(open_text(path, max_bytes=2**20))
    assert "decompression bomb" in str(info.value)
    assert len(read_bytes(path, max_bytes=2**23)) == 2**22  # under the limit it reads


def test_decompression_bomb_refused_by_the_cli_at_the_default_limit(tmp_path):
    # 201 MiB inflated, over the 200 MiB default: concatenated gzip members keep the
    # file small (~200 KB) and cheap to make; the reader stops at the limit.
    member = gzip.compress(b"0 0 1\n" * (2**20 // 6) + b"0" * (2**20 % 6), 9)
    path = tmp_path / "bomb.qs.gz"
    path.write_bytes(member * 201)
    proc = subprocess.run([sys.executable, "-m", "qanneal", "solve", str(path), "-b", "exact"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "decompresses to more than the 200 MiB limit" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("suffix, payload", [(".gz", b"not gzip at all"),
                                             (".xz", b"not xz at all"),
                                             (".xz", lzma.compress(b"2 1\n1 1 1\n")[:-9])])
def test_corrupt_compressed_file_is_one_line(tmp_path, suffix, payload):
    path = tmp_path / f"c.qs{suffix}"
    path.write_bytes(payload)
    with pytest.raises(InputError, match=rf"c.qs{suffix}: not valid {suffix[1:]} data"):
        read_qs(path)


# ---------------------------------------------------------------------- real QOBLIB
needs_qoblib = pytest.mark.skipif(not QOBLIB.is_dir(), reason="../shared/bench/qoblib absent")


def _energy(path: Path, sample: dict[int, int]) -> float:
    n, entries, offset = read_qs(path)
    return qs_to_bqm(n, entries, offset).energy(sample)


@needs_qoblib
def test_qoblib_independent_set_solutions_score_minus_their_size():
    folder = QOBLIB / "07-independentset"
    checked = 0
    for sol in sorted((folder / "solutions").glob("*.sol")):
        name = sol.name.split(".")[0]
        qs = folder / "models/binary_unconstrained/qs_files" / f"{name}.qs.xz"
        if not qs.exists():
            continue
        lines = sol.read_text().splitlines()
        chosen = {int(x) for x in lines if x.strip() and not x.startswith("#")}
        stated = [int(x.split("=")[1]) for x in lines if x.startswith("# Objective value")]
        size = stated[0] if stated else len(chosen)  # some files list the nodes only
        assert size == len(chosen), name
        # -|I| exactly when no two chosen nodes share an edge (each edge would add 2).
        n = read_qs(qs)[0]
        if n > 200:
            continue  # the big ones add seconds, not coverage
        assert _energy(qs, {v: int(v in chosen) for v in range(1, n + 1)}) == -size, name
        checked += 1
    assert checked >= 5


@needs_qoblib
def test_qoblib_market_split_solutions_score_zero():
    folder = QOBLIB / "01-marketsplit"
    sols = sorted((folder / "solutions").glob("*.opt.sol"))
    assert sols
    for sol in sols:
        name = sol.name.split(".")[0]
        qs = folder / "models/binary_unconstrained/qs_files" / f"{name}.qs.xz"
        bits = [int(b) for b in sol.read_text().split()]
        assert _energy(qs, dict(enumerate(bits, start=1))) == 0.0, name


def _labs_sample(bits: list[int]) -> dict[int, int]:
    """x_1..x_N, then z_ik = x_i * x_(i+k) for i = 1..N-1, k = 1..N-i (QOBLIB's order)."""
    n = len(bits)
    values = list(bits)
    for i in range(n - 1):
        values += [bits[i] * bits[i + k] for k in range(1, n - i)]
    return dict(enumerate(values, start=1))


@needs_qoblib
@pytest.mark.parametrize("n", [3, 7, 13, 20])
def test_qoblib_labs_solutions_score_their_energy(n):
    folder = QOBLIB / "02-labs"
    sol = next((folder / "solutions").glob(f"labs{n:03d}.*.sol"))
    lines = sol.read_text().splitlines()
    energy = float(next(x for x in lines if x.startswith("# Energy")).split(":")[1])
    bits = [int(x) for x in lines if x.strip() and not x.startswith("#")]
    qs = folder / "models/quadratic_unconstrained/qs_files" / f"labs{n:03d}.qs.xz"
    assert _energy(qs, _labs_sample(bits)) == energy


@needs_qoblib
def test_qoblib_tiny_labs_optimum_by_exhaustive_search():
    qs = QOBLIB / "02-labs/models/quadratic_unconstrained/qs_files/labs004.qs.xz"
    result = solve(load_problem(qs).problem, "exact")
    assert result.objective == 2.0  # LABS N=4: best energy 2 (QOBLIB, proven)
    assert isinstance(load_problem(qs).problem.cqm, dimod.ConstrainedQuadraticModel)
