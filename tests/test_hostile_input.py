"""Hostile input (issue 16): problem files, numbers, output paths and replayed manifests.

The corpus in tests/hostile/ (cases.yaml lists each case, its expected message and exit
code) is run case by case; big inputs are generated here in tmp_path, never committed.
Every refusal must be one line on stderr, with no traceback.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import PROBLEMS, CliRun, run_cli_subprocess

from qanneal.errors import printable
from qanneal.safeyaml import YamlLimitError, load_yaml

HERE = Path(__file__).parent / "hostile"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text())
SMALL = PROBLEMS / "maxcut-small.yaml"


def _case_id(case: dict) -> str:
    return case.get("file") or " ".join(str(a) for a in case["args"][:1] + case["args"][-1:])[:40]


def _assert_one_line(run, expect: str, code: int) -> None:
    assert run.code == code, run
    assert "Traceback" not in run.err, run.err
    lines = [ln for ln in run.err.splitlines() if ln.strip()]
    if code == 0:
        assert any(expect in ln for ln in lines), run.err
        return
    # click's own usage errors add 'Usage:'/'Try' lines before their one 'Error:' line
    errors = [ln for ln in lines if ln.startswith(("error:", "Error:"))]
    assert len(errors) == 1, run.err
    assert expect in errors[0], errors[0]
    assert len(errors[0]) <= 320
    assert "\x1b" not in run.err


def test_corpus_lists_every_file():
    named = {c["file"] for c in CASES if c["kind"] == "file"}
    assert named == {p.name for p in HERE.iterdir() if p.name != "cases.yaml"}


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_hostile_case(run_cli, tmp_path, case):
    if case["kind"] == "file":
        args = ["solve", HERE / case["file"], "-b", "exact"]
    else:
        shutil.copy(SMALL, tmp_path / "p.yaml")
        args = [str(a).format(tmp=tmp_path, here=HERE) for a in case["args"]]
    if case.get("subprocess"):
        r = run_cli_subprocess(*args)
        run = CliRun(r.returncode, r.stdout, r.stderr)
    else:
        run = run_cli(*args)
    _assert_one_line(run, case["expect"], case["code"])


# ----------------------------------------------------------------- parsing, generated
def test_huge_problem_file_refused_before_parsing(run_cli, tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:  # 2 MiB of edges, then a limit of 1 MiB
        fh.write("problem: maxcut\ndata:\n  edges:\n")
        fh.write("    - [0, 1]\n" * (2**21 // 13))
    monkeypatch.setenv("QANNEAL_MAX_PROBLEM_FILE_MB", "1")
    run = run_cli("solve", big)
    _assert_one_line(run, "more than the 1 MiB limit", 2)


def test_error_for_a_huge_bad_value_is_one_short_line(run_cli, tmp_path):
    f = tmp_path / "long-name.yaml"
    f.write_text("problem: maxcut\nname: [" + ", ".join(["x" * 50] * 20000) + "]\n"
                 "data: {edges: [[0, 1]]}\n")
    run = run_cli("solve", f)
    _assert_one_line(run, "name:", 2)


def test_loader_keeps_safe_load_semantics():
    text = "a: [1, 2.5, x, true, null, 0x1f, 1_000]\nb: &x {c: 1}\nd: *x\n<<: {e: 2}\n"
    assert load_yaml(text) == yaml.safe_load(text)
    for bad in ("a: 1\na: 2", "a: .inf", "a: 1.0e+300", f"a: {2**63}", "a: &a [*a]"):
        with pytest.raises(YamlLimitError):
            load_yaml(bad)
    assert load_yaml(f"a: {2**63 - 1}") == {"a": 2**63 - 1}


def test_printable_escapes_and_cuts():
    assert printable("ok\x1b[2J\u202e") == "ok\\x1b[2J\\u202e"
    assert len(printable("y" * 10**7)) == 300


def test_symlink_loop_is_one_line(run_cli, tmp_path):
    os.symlink("loop.rud", tmp_path / "loop.rud")
    (tmp_path / "p.yaml").write_text("problem: maxcut\ndata: loop.rud\n")
    _assert_one_line(run_cli("solve", tmp_path / "loop.rud"), "symbolic links", 2)
    _assert_one_line(run_cli("solve", tmp_path / "p.yaml"), "symlink loop", 2)


# ----------------------------------------------------------------------- outputs
def test_symlink_is_written_through_not_replaced(run_cli, tmp_path):
    (tmp_path / "target.json").write_text("old\n")
    os.symlink("target.json", tmp_path / "link.json")
    run = run_cli("solve", SMALL, "-b", "exact", "--json", tmp_path / "link.json")
    assert run.code == 0, run.err
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "target.json").read_text())["problem"] == "maxcut"


def test_character_devices_are_refused_never_replaced(run_cli):
    # Only regular files or new paths are written (`--json -` is stdout): a device is
    # refused, and stays a device (the bug replaced /dev/full by a file, as root).
    for device in ("/dev/null", "/dev/full"):
        if not Path(device).exists() or not stat.S_ISCHR(os.stat(device).st_mode):
            pytest.skip(f"{device} is not a character device here")
        run = run_cli("solve", SMALL, "-b", "exact", "--json", device)
        assert stat.S_ISCHR(os.stat(device).st_mode), f"{device} was replaced!"
        assert "objective:" in run.out  # the result is printed before the write fails
        _assert_one_line(run, f"cannot write {device}: not a regular file (a character "
                              "device); give a file name", 2)


def test_a_fifo_without_reader_is_refused_not_waited_on(tmp_path):
    # In a subprocess with a timeout: opening a FIFO nobody reads blocks for ever.
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    r = run_cli_subprocess("solve", SMALL, "-b", "exact", "--json", fifo, timeout=60)
    run = CliRun(r.returncode, r.stdout, r.stderr)
    _assert_one_line(run, f"cannot write {fifo}: not a regular file (a FIFO)", 2)
    assert "objective: 46" in run.out
    # compare's runs.jsonl, the one file it opens itself, goes through the same check.
    out = tmp_path / "cmp"
    out.mkdir()
    os.mkfifo(out / "runs.jsonl")
    r = run_cli_subprocess("compare", SMALL, "-b", "exact", "-n", "1", "--executor",
                           "serial", "--out", out, timeout=60)
    _assert_one_line(CliRun(r.returncode, r.stdout, r.stderr),
                     "runs.jsonl: not a regular file (a FIFO)", 2)
    assert stat.S_ISFIFO(os.stat(out / "runs.jsonl").st_mode)


def test_compare_lock_file_symlink_is_not_followed(run_cli, tmp_path):
    out = tmp_path / "cmp"
    out.mkdir()
    os.symlink(tmp_path / "elsewhere", out / ".qanneal.lock")
    run = run_cli("compare", SMALL, "-b", "exact", "-n", "1", "--executor", "serial",
                  "--out", out)
    _assert_one_line(run, f"cannot write {out}:", 2)
    assert not (tmp_path / "elsewhere").exists()


def test_write_failure_comes_after_the_result(run_cli, tmp_path):
    run = run_cli("solve", SMALL, "-b", "exact", "--json", tmp_path)
    _assert_one_line(run, f"cannot write {tmp_path}: it is a directory", 2)
    assert "objective: 46" in run.out


def test_closed_stdout_is_one_line():
    import subprocess

    # The child's stdout is closed (as `>&-` does): sys.stdout is None there.
    r = subprocess.run([sys.executable, "-m", "qanneal", "solve", str(SMALL), "-b", "exact",
                        "--json", "-"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=120, preexec_fn=lambda: os.close(1))
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == ["error: cannot write stdout: it is closed"]


def test_compare_out_is_locked(run_cli, tmp_path):
    import fcntl

    out = tmp_path / "cmp"
    out.mkdir()
    with open(out / ".qanneal.lock", "w") as fh:  # another compare holds the folder
        fcntl.flock(fh, fcntl.LOCK_EX)
        run = run_cli("compare", SMALL, "-b", "exact", "-n", "1", "--executor", "serial",
                      "--out", out)
    _assert_one_line(run, "another qanneal compare is writing into this folder", 2)
    assert not (out / "runs.jsonl").exists()


def test_compare_out_full_disk_keeps_the_table(tmp_path):
    # A real write failure without root: a 3000-byte file size limit (RLIMIT_FSIZE;
    # Python ignores SIGXFSZ, so writes past it fail with EFBIG).
    import resource
    import subprocess

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    r = subprocess.run([sys.executable, "-m", "qanneal", "compare", str(SMALL), "-b", "exact",
                        "-n", "2", "--executor", "serial", "--out", str(tmp_path / "cmp")],
                       capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert "ring-with-chords" in r.stdout  # the table of finished runs
    assert r.stderr.strip().splitlines()[-1].startswith("error: cannot write ")
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------------ replay
@pytest.fixture
def recorded(run_cli, tmp_path) -> Path:
    shutil.copy(SMALL, tmp_path / "p.yaml")
    out = tmp_path / "r.json"
    run = run_cli("solve", tmp_path / "p.yaml", "-b", "sa", "--seed", "1", "-o", "num_reads=5",
                  "--json", out)
    assert run.code == 0, run.err
    return out


def _tamper(path: Path, edit) -> Path:
    data = json.loads(path.read_text())
    edit(data["manifest"])
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("edit, expect", [
    (lambda m: m.__setitem__("problem", "x"), "manifest.problem: Input should be a valid dict"),
    (lambda m: m["run"].__setitem__("options", [1, 2]), "manifest.run.options"),
    (lambda m: m["run"].__setitem__("time_limit", "soon"), "manifest.run.time_limit"),
    (lambda m: m["problem"].__setitem__("source", 5), "manifest.problem.source"),
    (lambda m: m["run"].__setitem__("seed", True), "manifest.run.seed"),
    (lambda m: m["problem"].__setitem__("source", "/etc/passwd"), "is outside the result's folder"),
], ids=["problem-str", "options-list", "time-soon", "source-int", "seed-bool", "source-etc"])
def test_crafted_manifest_is_one_line(run_cli, recorded, edit, expect):
    _assert_one_line(run_cli("solve", "--replay", _tamper(recorded, edit)), expect, 2)


def test_deep_and_nonfinite_manifests(run_cli, recorded):
    deep = recorded.with_name("deep.json")
    deep.write_text('{"manifest": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _assert_one_line(run_cli("solve", "--replay", deep), "nested too deeply", 2)
    nan = recorded.with_name("nan.json")
    nan.write_text(recorded.read_text().replace('"time_limit": null', '"time_limit": NaN'))
    _assert_one_line(run_cli("solve", "--replay", nan), "NaN is not allowed", 2)


def test_replay_does_not_read_inputs_outside_its_folder(run_cli, recorded):
    _tamper(recorded, lambda m: m["problem"]["inputs"].__setitem__("/etc/passwd", "0" * 64))
    run = run_cli("solve", "--replay", recorded)
    assert run.code == 0, run.err
    assert "input /etc/passwd is outside the result's folder: not read" in run.out
    assert "changed since the run" not in run.out


def test_replay_with_the_problem_file_named(run_cli, tmp_path):
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    out = out_dir / "r.json"
    assert run_cli("solve", SMALL, "-b", "sa", "--seed", "2", "-o", "num_reads=5",
                   "--json", out).code == 0
    _assert_one_line(run_cli("solve", "--replay", out), "name the run's problem file to replay it", 2)
    run = run_cli("solve", SMALL, "--replay", out)
    assert run.code == 0 and "reproduced: yes" in run.out, run.out + run.err


# ------------------------------------------------------------ time limits (reading)
def _rudy(path: Path, n: int = 2000, m: int = 100_000) -> Path:
    """A real max-cut file of ``m`` distinct edges: reading it takes ~1 s, far beyond
    the tiny limits below (the first look at the clock is after 64K characters)."""
    pairs = ((i, j) for i in range(1, n + 1) for j in range(i + 1, n + 1))
    with path.open("w") as fh:
        fh.write(f"{n} {m}\n")
        fh.writelines(f"{i} {j} 1\n" for i, j in itertools.islice(pairs, m))
    return path


def test_reading_counts_against_the_time_limit(run_cli, tmp_path):
    big = _rudy(tmp_path / "big.rud")
    start = time.perf_counter()
    run = run_cli("solve", big, "--problem", "maxcut", "-b", "sa", "--time-limit", "0.05")
    assert time.perf_counter() - start < 0.8  # stopped reading, not read to the end
    _assert_one_line(run, f"reading {big} used up the time limit (0.05 s)", 2)
    assert "give a larger time limit (or none), or a smaller file" in run.err


def test_a_problem_files_own_time_limit_covers_reading_its_data(run_cli, tmp_path):
    _rudy(tmp_path / "big.rud")
    (tmp_path / "p.yaml").write_text("problem: maxcut\ndata: big.rud\ntime_limit: 0.05\n")
    _assert_one_line(run_cli("solve", tmp_path / "p.yaml", "-b", "sa"),
                     "big.rud used up the time limit (0.05 s)", 2)
    # Only a run has a budget: loading to inspect or export reads the whole file.
    from qanneal.spec import load

    assert load(tmp_path / "p.yaml").problem.num_variables == 2000


# ------------------------------------------------------------ Python API arguments
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 0, "soon", True, 1e308, [1]],
                         ids=repr)
def test_api_time_arguments_are_one_input_error(value):
    import networkx as nx

    from qanneal import compare, solve
    from qanneal.errors import InputError
    from qanneal.problems.maxcut import maxcut_problem

    problem = maxcut_problem(nx.cycle_graph(4))
    expect = re.escape("expected a positive finite number of seconds up to 1e+09, got ")
    with pytest.raises(InputError, match=f"^time_limit: {expect}"):
        solve(problem, "sa", time_limit=value)
    for field in ("time_budget", "run_timeout"):
        with pytest.raises(InputError, match=f"^{field}: {expect}"):
            compare([problem], ["sa"], repeats=1, executor="serial", **{field: value})


def test_api_other_numbers_are_one_input_error():
    import networkx as nx

    from qanneal import compare, solve
    from qanneal.errors import InputError
    from qanneal.problems.maxcut import maxcut_problem

    problem = maxcut_problem(nx.cycle_graph(4))
    for kwargs, field in (({"stop_at": float("nan")}, "stop_at"), ({"seed": True}, "seed"),
                          ({"seed": -1}, "seed"), ({"seed": "7"}, "seed")):
        with pytest.raises(InputError, match=f"^{field}: expected"):
            solve(problem, "exact", **kwargs)
    with pytest.raises(InputError, match="^target: expected a finite number"):
        compare([problem], ["exact"], repeats=1, executor="serial", target=float("nan"))
    with pytest.raises(InputError, match="^grace: expected a non-negative finite number"):
        compare([problem], ["exact"], repeats=1, executor="serial", grace=float("nan"))
