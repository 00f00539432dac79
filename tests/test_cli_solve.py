"""`qanneal solve`: problem files, data files, JSON output, options, errors."""

from __future__ import annotations

import json

import pytest
from conftest import PROBLEMS

RESULT_KEYS = {"problem", "backend", "objective", "feasible", "violations", "energy",
               "solution", "params", "timing", "versions"}


def test_solve_example_prints_summary(run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml")
    assert run.code == 0, run.err
    for text in ("side A", "side B", "cut value", "objective", "feasible: yes", "timing"):
        assert text in run.out


def test_json_result_has_the_documented_keys(run_cli, tmp_path):
    out = tmp_path / "r.json"
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "exact", "--json", out)
    assert run.code == 0, run.err
    result = json.loads(out.read_text())
    assert RESULT_KEYS <= set(result)
    assert set(result["timing"]) >= {"build_s", "solve_s", "decode_s", "total_s"}
    assert result["feasible"] is True and result["backend"] == "exact"
    assert isinstance(result["objective"], float)
    assert result["versions"]["dimod"]


def test_json_to_stdout_is_only_json(run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--json", "-", "--seed", "3")
    assert run.code == 0
    assert json.loads(run.out)["seed"] == 3


def test_data_file_with_problem_flag(run_cli, tmp_path):
    graph = tmp_path / "square.rud"
    graph.write_text("4 4\n1 2 1\n2 3 1\n3 4 1\n4 1 1\n")
    run = run_cli("solve", graph, "--problem", "maxcut", "--json", "-")
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["objective"] == 4.0 and result["name"] == "square"


def test_data_file_problem_type_from_extension(run_cli, tmp_path):
    graph = tmp_path / "tri.rud"
    graph.write_text("3 3\n1 2 1\n2 3 1\n1 3 1\n")
    run = run_cli("solve", graph, "--json", "-")
    assert run.code == 0, run.err
    assert json.loads(run.out)["objective"] == 2.0


def test_backend_options_from_command_line(run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "-o", "num_reads=3", "--json", "-")
    assert run.code == 0
    assert json.loads(run.out)["params"]["num_reads"] == 3


@pytest.mark.parametrize("args,expected", [
    (["-o", "num_reeds=3"], "did you mean 'num_reads'"),
    (["--backend", "nosuch"], "unknown backend 'nosuch'"),
    (["--problem", "qubo"], "--problem qubo was given"),
    # Unknown flags are build options; maxcut has none, so the flag itself is named.
    (["--k", "3"], "--k: no such option"),
    (["--out", "x.json"], "--out: no such option (did you mean '--json'?)"),
    (["--set", "k=3"], "--set k: not a build option of this problem; it takes none"),
])
def test_bad_command_lines_are_one_line_errors(run_cli, args, expected):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", *args)
    assert run.code == 2
    assert expected in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_mistyped_build_option_flag_suggests_the_option(run_cli):
    run = run_cli("solve", PROBLEMS / "partition-3way.yaml", "--kk", "3")
    assert run.code == 2 and len(run.err.strip().splitlines()) == 1
    assert "--kk: no such option (did you mean --k?)" in run.err
    assert "allowed: balance, k" in run.err and "partition-3way.yaml" not in run.err


def test_missing_data_file_and_unknown_extension(run_cli, tmp_path):
    run = run_cli("solve", tmp_path / "nope.rud", "--problem", "maxcut")
    assert run.code == 2 and "file not found" in run.err
    odd = tmp_path / "graph.xyz"
    odd.write_text("1 2\n")
    run = run_cli("solve", odd)
    assert run.code == 2 and "--problem" in run.err


def test_exact_refuses_large_models(run_cli, tmp_path):
    edges = "\n".join(f"{i} {i + 1} 1" for i in range(1, 40))
    graph = tmp_path / "path.rud"
    graph.write_text(f"40 39\n{edges}\n")
    run = run_cli("solve", graph, "--backend", "exact")
    assert run.code == 2 and "at most 24 variables" in run.err


def test_schema_lists_problem_types(run_cli):
    run = run_cli("schema")
    schema = json.loads(run.out)
    assert "problem" in schema["properties"]
    assert "maxcut" in schema["x-problem-types"]
    run = run_cli("schema", "--problem", "qubo")
    assert "terms" in json.loads(run.out)["data"]["properties"]


def test_sweep_writes_json_list_and_frontier_plot(run_cli, tmp_path):
    out, png = tmp_path / "sweep.json", tmp_path / "frontier.png"
    run = run_cli("solve", PROBLEMS / "portfolio-k.yaml", "--sweep", "risk_aversion=0.5:8:3",
                  "--plot", png, "--json", out, "-o", "num_reads=10")
    assert run.code == 0, run.err
    results = json.loads(out.read_text())
    assert [r["params"]["sweep"]["risk_aversion"] for r in results] == [0.5, 4.25, 8.0]
    assert all(r["feasible"] for r in results)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gantt_chart_for_a_schedule(run_cli, tmp_path):
    png = tmp_path / "gantt.png"
    run = run_cli("solve", PROBLEMS / "jobshop-3x3.yaml", "--gantt", png)
    assert run.code == 0, run.err
    assert png.read_bytes()[:4] == b"\x89PNG"
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--gantt", png)
    assert run.code == 2 and "scheduling problem" in run.err


def test_plot_without_sweep_is_a_usage_error(run_cli, tmp_path):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--plot", tmp_path / "x.png")
    assert run.code == 2 and "--sweep" in run.err
