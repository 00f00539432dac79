"""D-Wave's table layout for job-shop instances (dwave-examples/job-shop-scheduling-cqm
``input/*.txt``), read by ``read_jobshop`` and so by the ``jobshop`` type."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.errors import InputError
from qanneal.formats.jobshop import read_jobshop
from qanneal.problems.jobshop import JOBSHOP


def dwave_table(jobs: list[list[tuple[int, int]]], trailing: str = " ") -> str:
    """The layout D-Wave's generator writes (tabulate, right-aligned columns)."""
    m = len(jobs[0])
    out = [f"#Num of jobs: {len(jobs)}{trailing}", f"#Num of machines: {m}{trailing}",
           " " * 10 + "".join(f"{'task ' + str(k):>18}" for k in range(m)),
           f"{'job id':>8}" + f"{'machine':>11}{'dur':>7}" * m,
           "--------" + "  ---------  -----" * m]
    for j, job in enumerate(jobs):
        out.append(f"{j:>8}" + "".join(f"{mach:>11}{dur:>7}" for mach, dur in job))
    return "\n".join(out) + "\n"


def test_reads_the_table_with_its_captions(tmp_path):
    jobs = [[(2, 5), (0, 1), (1, 4)], [(0, 3), (1, 0), (2, 2)], [(1, 6), (2, 3), (0, 2)]]
    path = tmp_path / "instance3_3.txt"
    path.write_text(dwave_table(jobs))
    got = read_jobshop(path)
    assert got == {"jobs": jobs, "num_jobs": 3, "num_machines": 3, "format": "dwave"}
    assert read_jobshop(path, "d-wave")["jobs"] == jobs


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_round_trip(tmp_path_factory, data):
    n = data.draw(st.integers(1, 6))
    m = data.draw(st.integers(1, 5))
    jobs = [list(zip(data.draw(st.permutations(range(m))),
                     data.draw(st.lists(st.integers(0, 99), min_size=m, max_size=m))))
            for _ in range(n)]
    path = tmp_path_factory.mktemp("dw") / "t.txt"
    path.write_text(dwave_table(jobs, trailing=data.draw(st.sampled_from(["", " ", "  "]))))
    assert read_jobshop(path)["jobs"] == jobs


@pytest.mark.parametrize("edit,match", [
    (lambda t: t.replace("#Num of jobs: 2", "#Num of jobs: 3"), "table has 2 job rows"),
    (lambda t: t.replace("#Num of machines: 2 \n", ""), "no '#Num of machines: N' line"),
    (lambda t: t.replace("       0          0", "       1          0"), "job id 1 appears twice"),
    (lambda t: t.replace("       1          1", "       1          0"), "visits machine 0 twice"),
    (lambda t: t.replace("       1          1      2", "       1          1"), "4 numbers; expected"),
    (lambda t: t.replace("       1          1", "       7          1"), "0-based job id"),
    (lambda t: t + "total 7\n", "expected a job row"),
])
def test_errors_are_one_line_with_the_line(tmp_path, edit, match):
    text = dwave_table([[(0, 3), (1, 2)], [(1, 2), (0, 4)]])
    path = tmp_path / "bad.txt"
    path.write_text(edit(text))
    with pytest.raises(InputError, match=match) as err:
        read_jobshop(path)
    assert "\n" not in str(err.value)


def test_jobshop_type_solves_a_dwave_file(tmp_path, run_cli):
    jobs = [[(0, 3), (1, 2)], [(1, 2), (0, 4)]]
    path = tmp_path / "instance2_2.txt"
    path.write_text(dwave_table(jobs))
    problem = JOBSHOP.from_file(path)
    assert problem.data == jobs
    out = run_cli("solve", path, "--problem", "jobshop", "--backend", "milp")
    assert out.code == 0, out.err
    assert "objective: 7 " in out.out  # machine 0 carries 3 + 4: 7 is the optimum
