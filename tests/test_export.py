"""Exports round-trip through dimod's own readers."""

from __future__ import annotations

import json

import dimod
import networkx as nx
import pytest

from qanneal.export import export
from qanneal.problems.maxcut import maxcut_problem


@pytest.fixture
def problem():
    return maxcut_problem(nx.petersen_graph())


def test_cqm_and_bqm_files_load_back(problem, tmp_path):
    export(problem, tmp_path / "p.cqm")
    cqm = dimod.ConstrainedQuadraticModel.from_file((tmp_path / "p.cqm").open("rb"))
    assert cqm.objective.is_equal(problem.cqm.objective)
    export(problem, tmp_path / "p.bqm")
    bqm = dimod.BinaryQuadraticModel.from_file((tmp_path / "p.bqm").open("rb"))
    assert bqm == problem.to_bqm()[0]


def test_coo_round_trip_with_label_map(problem, tmp_path):
    out = tmp_path / "p.coo"
    export(problem, out)
    numbered = dimod.serialization.coo.load(out.open(), vartype=dimod.BINARY)
    labels = json.loads((tmp_path / "p.coo.labels.json").read_text())
    restored = numbered.relabel_variables(dict(enumerate(labels)), inplace=False)
    assert restored == problem.to_bqm()[0]


def test_lp_file_loads_back(tmp_path):
    xs = [dimod.Binary(f"item {i}") for i in range(3)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(-dimod.quicksum(xs))
    cqm.add_constraint(dimod.quicksum(xs) <= 2, label="cap")
    from qanneal.model import Problem

    p = Problem(kind="t", cqm=cqm, decode=dict, verify=lambda s: [], objective=lambda s: 0)
    export(p, tmp_path / "p.lp")
    loaded = dimod.lp.load((tmp_path / "p.lp").open())
    assert len(loaded.constraints) == 1 and len(loaded.variables) == 3


def test_export_cli(run_cli, tmp_path):
    from conftest import PROBLEMS

    run = run_cli("export", PROBLEMS / "maxcut-small.yaml", tmp_path / "m.coo")
    assert run.code == 0, run.err
    assert (tmp_path / "m.coo").exists()
    run = run_cli("export", PROBLEMS / "maxcut-small.yaml", tmp_path / "m.txt")
    assert run.code == 2 and "cannot export" in run.err
