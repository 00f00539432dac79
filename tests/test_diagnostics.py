"""``qanneal inspect``: counts, ranges, penalties, embedding and warnings on small models."""

from __future__ import annotations

import json
from pathlib import Path

import dimod
import networkx as nx
import pytest

from qanneal.cli import main
from qanneal.diagnostics import inspect_problem
from qanneal.model import Problem
from qanneal.problems.maxcut import maxcut_problem
from qanneal.problems.qubo import qubo_problem


def knapsack(values: list[int], weights: list[int], capacity: int) -> Problem:
    x = [dimod.Binary(i) for i in range(len(values))]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-sum(v * xi for v, xi in zip(values, x)))
    cqm.add_constraint(sum(w * xi for w, xi in zip(weights, x)) <= capacity, label="cap")
    return Problem(kind="knapsack", cqm=cqm, decode=lambda s: sorted(v for v in s if s[v]),
                   verify=lambda sol: [], objective=lambda sol: sum(values[i] for i in sol),
                   sense="max")


def codes(d) -> set[str]:
    return {w.code for w in d.warnings}


def test_counts_and_embedding_of_a_cycle():
    d = inspect_problem(maxcut_problem(nx.cycle_graph(6)), timeout=1.0)
    assert (d.variables, d.original_variables, d.slack_variables) == (6, 6, 0)
    assert (d.linear_terms, d.quadratic_terms, d.constraints) == (6, 6, 0)
    assert d.density == pytest.approx(6 / 15)
    # linear biases -2, quadratic biases 2: one magnitude
    assert (d.min_abs_bias, d.max_abs_bias, d.dynamic_range) == (2.0, 2.0, 1.0)
    assert d.dense_bytes == 8 * 36
    assert d.qpu["qubits"] == 5640 and d.qpu["h_range"] == [-4.0, 4.0]
    e = d.embedding
    assert e["found"] and e["chain_max"] >= 1 and e["qubits_used"] >= 6
    assert d.warnings == []


def test_slack_and_penalty_warnings():
    problem = knapsack([3, 4, 5], [200, 300, 400], 700)
    problem.inequalities = "slack"  # the default would encode cap without slack
    d = inspect_problem(problem, embed=False)
    bqm, _ = problem.to_bqm()
    assert d.slack_variables == bqm.num_variables - 3 > 3
    assert d.constraint_groups == {"cap": 1}
    assert "slack-dominates" in codes(d)
    strong = inspect_problem(problem, penalties=1e4, embed=False)
    assert "penalty-dominates" in codes(strong)
    assert strong.penalties == {"cap": 1e4}


def test_dynamic_range_and_unembeddable_size():
    bqm = dimod.BQM({"a": 1e-4, "b": 1.0}, {("a", "b"): 0.5}, 0.0, "BINARY")
    d = inspect_problem(qubo_problem(bqm), embed=False)
    assert d.dynamic_range == pytest.approx(1e4)
    assert "dynamic-range" in codes(d)
    big = dimod.BQM({i: 1.0 for i in range(2100)}, {}, 0.0, "BINARY")
    d = inspect_problem(qubo_problem(big), topology="chimera")
    assert not d.embedding["found"] and "qubits" in d.embedding["reason"]
    assert "unembeddable" in codes(d)


def test_auto_penalties_are_shown_at_their_start():
    problem = knapsack([3, 4], [1, 1], 1)
    d = inspect_problem(problem, penalties="auto", embed=False)
    assert d.penalty_mode.startswith("auto")
    assert d.penalties == {"cap": problem.penalty_weights()["cap"]}


def test_inspect_cli_table_and_json(tmp_path: Path, capsys):
    f = tmp_path / "cut.yaml"
    f.write_text("problem: maxcut\ndata:\n  edges: [[0, 1], [1, 2, 1e-4], [0, 2]]\n")
    out = tmp_path / "d.json"
    with pytest.raises(SystemExit) as info:
        main(["inspect", str(f), "--no-embed", "--json", str(out)])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "quadratic terms" in text and "dynamic-range" in text and "fix:" in text
    data = json.loads(out.read_text())
    assert data["variables"] == 3 and data["embedding"] is None
    assert data["warnings"][0]["code"] == "dynamic-range"
    with pytest.raises(SystemExit) as info:
        main(["inspect", str(f), "--topology", "nope"])
    assert info.value.code == 2
