"""Run manifests and replay: a seeded sa run reproduces exactly; changes are reported."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from qanneal import load, solve
from qanneal.cli import main
from qanneal.errors import InputError
from qanneal.manifest import input_files, replay

EDGES = "[[0, 1, 3], [1, 2, 2], [2, 3, 4], [3, 0, 1], [0, 2, 5], [1, 3, 2], [3, 4, 1], [4, 0, 2]]"


def write_problem(folder: Path, edges: str = EDGES) -> Path:
    f = folder / "cut.yaml"
    f.write_text(f"# a small cut\nproblem: maxcut\ndata:\n  edges: {edges}\nseed: 5\n")
    return f


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return info.value.code


def test_manifest_records_what_reproduces_a_run(tmp_path: Path):
    f = write_problem(tmp_path)
    result = solve(load(f).problem, "sa", seed=3, num_reads=7)
    m = result.to_dict()["manifest"]
    assert m["problem"]["inputs"] == {str(f.resolve()): hashlib.sha256(f.read_bytes()).hexdigest()}
    assert m["run"] == {"backend": "sa", "options": {"num_reads": 7}, "seed": 3,
                        "time_limit": None, "penalties": None, "inequalities": None,
                        "penalties_used": {}, "polish": False, "repair": False}
    assert m["params"]["num_reads"] == 7 and m["params"]["seed"] == 3
    assert {"dimod", "dwave-samplers", "qanneal"} <= set(m["versions"])
    assert m["platform"]["cpu_count"] and m["timing"]["total_s"] > 0


def test_data_files_named_by_the_problem_file_are_hashed(tmp_path: Path):
    (tmp_path / "g.rud").write_text("3 2\n1 2 1\n2 3 1\n")
    f = tmp_path / "p.yaml"
    f.write_text("problem: maxcut\ndata:\n  file: g.rud\n")
    assert input_files(f) == [f.resolve(), (tmp_path / "g.rud").resolve()]
    inputs = solve(load(f).problem, "sa", seed=1).manifest["problem"]["inputs"]
    assert str((tmp_path / "g.rud").resolve()) in inputs


def test_replay_reproduces_seeded_sa_exactly(tmp_path: Path, capsys):
    f = write_problem(tmp_path)
    out = tmp_path / "r.json"
    assert run_cli(["solve", str(f), "--seed", "11", "-o", "num_reads=10", "--json",
                    str(out)]) == 0
    result, reproduced, differences = replay(out)
    recorded = json.loads(out.read_text())
    assert reproduced and differences == []
    assert result.solution == recorded["solution"] and result.objective == recorded["objective"]
    assert result.energy == recorded["energy"] and result.seed == 11
    assert run_cli(["solve", "--replay", str(out)]) == 0
    assert "reproduced: yes" in capsys.readouterr().out


def test_replay_reports_a_changed_problem_file(tmp_path: Path):
    f = write_problem(tmp_path)
    out = tmp_path / "r.json"
    assert run_cli(["solve", str(f), "--json", str(out)]) == 0
    write_problem(tmp_path, "[[0, 1, 30], [1, 2, 1]]")
    result, reproduced, differences = replay(out)
    assert not reproduced
    assert any("changed since the run" in d for d in differences)
    assert any(d.startswith("objective:") for d in differences)
    assert run_cli(["solve", "--replay", str(out)]) == 1


def test_replay_detects_a_tampered_result(tmp_path: Path):
    f = write_problem(tmp_path)
    out = tmp_path / "r.json"
    assert run_cli(["solve", str(f), "--seed", "2", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    data["objective"] += 1
    out.write_text(json.dumps(data))
    _, reproduced, differences = replay(out)
    assert not reproduced and differences[0].startswith("objective:")


def test_replay_needs_a_manifest(tmp_path: Path):
    bad = tmp_path / "r.json"
    bad.write_text('{"objective": 1}')
    with pytest.raises(InputError, match="no run manifest"):
        replay(bad)
    assert run_cli(["solve", "--replay", str(bad)]) == 2
    assert run_cli(["solve"]) == 2


def test_replay_keeps_build_overrides(tmp_path: Path):
    pytest.importorskip("qanneal.problems.jobshop")
    f = tmp_path / "js.yaml"
    f.write_text("problem: jobshop\ndata:\n  jobs:\n    - [[0, 2], [1, 3], [2, 2]]\n"
                 "    - [[0, 3], [2, 1], [1, 3]]\n    - [[0, 1], [1, 3], [2, 1]]\n")
    out = tmp_path / "r.json"
    assert run_cli(["solve", str(f), "--horizon", "11", "--seed", "1", "-o", "num_reads=10",
                    "--json", str(out)]) == 0
    recorded = json.loads(out.read_text())
    assert recorded["manifest"]["problem"]["build_overrides"] == {"horizon": 11}
    result, reproduced, differences = replay(out)
    assert reproduced, differences
    assert result.solution == recorded["solution"]
