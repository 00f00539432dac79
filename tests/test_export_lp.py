"""Every example exports to an LP file that reads back, through its label map, as the same model.

dimod reads the plain LP (the CQM, quadratic terms included) back with the same
variables, constraints, objective and violations for a random sample mapped through
``<file>.labels.json``; HiGHS reads it where it has no quadratic constraints. The
``--linear`` LP (the McCormick MILP) is read by both, and for the small examples HiGHS
solves it to the CQM's optimum: brute force (dimod's ExactCQMSolver) up to 12
variables, else the proven optimum of the native MILP backend.
"""

from __future__ import annotations

import json
from pathlib import Path

import dimod
import numpy as np
import pytest
from conftest import PROBLEMS

from qanneal.errors import InputError
from qanneal.export import LpNames, export
from qanneal.spec import load

highspy = pytest.importorskip("highspy")

EXAMPLES = sorted(PROBLEMS.glob("*.yaml"))


def _random_sample(cqm: dimod.ConstrainedQuadraticModel, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    sample = {}
    for v in cqm.variables:
        vartype, lb, ub = cqm.vartype(v), cqm.lower_bound(v), cqm.upper_bound(v)
        if vartype is dimod.BINARY:
            sample[v] = int(rng.integers(0, 2))
        elif vartype is dimod.INTEGER:
            sample[v] = int(rng.integers(lb, min(ub, lb + 100) + 1))
        else:
            sample[v] = float(rng.uniform(lb, min(ub, lb + 100)))
    return sample


def _violations(cqm: dimod.ConstrainedQuadraticModel, sample: dict) -> dict:
    """Signed lhs - rhs of every constraint (LP files move lhs offsets to the rhs)."""
    return {c: cqm.constraints[c].lhs.energy(sample) - cqm.constraints[c].rhs
            for c in cqm.constraints}


def _highs(path: Path):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h, h.readModel(str(path))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("lp")
    cache = {}

    def get(example: Path, linear: bool):
        key = (example.name, linear)
        if key not in cache:
            problem = load(example).problem
            path = out / f"{example.stem}{'-linear' if linear else ''}.lp"
            written = export(problem, path, linear=linear)
            assert written == [path, path.with_name(path.name + ".labels.json")]
            labels = json.loads(written[1].read_text())
            cache[key] = problem, path, labels
        return cache[key]

    return get


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_lp_reads_back_as_the_same_model(example, exported):
    problem, path, labels = exported(example, linear=False)
    cqm = problem.cqm
    loaded = dimod.lp.load(str(path))
    assert len(loaded.variables) == len(cqm.variables)
    assert len(loaded.constraints) == len(cqm.constraints)
    # The label map covers every name, once; JSON turns tuple labels into lists.
    by_label = {json.dumps(label): name for name, label in labels["variables"].items()}
    assert set(labels["variables"]) == set(loaded.variables)
    assert set(labels["constraints"]) == set(loaded.constraints)
    sample = _random_sample(cqm)
    mapped = {by_label[json.dumps(list(v) if isinstance(v, tuple) else v)]: x
              for v, x in sample.items()}
    assert loaded.objective.energy(mapped) == pytest.approx(cqm.objective.energy(sample))
    want = _violations(cqm, sample)
    got = _violations(loaded, mapped)
    by_constraint = {name: label for name, label in labels["constraints"].items()}
    for name, value in got.items():
        assert value == pytest.approx(want[by_constraint[name]], abs=1e-9), name
    for name in loaded.variables:
        assert loaded.vartype(name) is cqm.vartype(_label(labels["variables"][name], cqm))

    quadratic_rows = any(not c.lhs.is_linear() for c in cqm.constraints.values())
    if not quadratic_rows:  # HiGHS reads quadratic objectives, not quadratic constraints
        h, status = _highs(path)
        assert status == highspy.HighsStatus.kOk
        lp = h.getLp()
        assert (lp.num_col_, lp.num_row_) == (len(cqm.variables), len(cqm.constraints))


def _label(json_label, cqm):
    """The CQM label a JSON label stands for (lists were tuples)."""
    label = tuple(json_label) if isinstance(json_label, list) else json_label
    assert label in cqm.variables
    return label


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_linear_lp_reads_back_and_small_ones_solve_to_the_cqm_optimum(example, exported):
    problem, path, labels = exported(example, linear=True)
    cqm = problem.cqm
    loaded = dimod.lp.load(str(path))
    assert loaded.objective.is_linear()
    assert all(c.lhs.is_linear() for c in loaded.constraints.values())
    assert len(loaded.variables) == len(cqm.variables) + len(labels["products"])
    assert len(loaded.constraints) == len(cqm.constraints) + len(labels["mccormick"])
    assert set(loaded.variables) == set(labels["variables"]) | set(labels["products"])
    h, status = _highs(path)
    assert status == highspy.HighsStatus.kOk
    lp = h.getLp()
    assert (lp.num_col_, lp.num_row_) == (len(loaded.variables), len(loaded.constraints))
    if len(cqm.variables) > 60:  # HiGHS takes seconds on the larger ones
        return

    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    values = dict(zip(lp.col_names_, h.getSolution().col_value, strict=True))
    sample = {_label(labels["variables"][name], cqm): values[name] for name in labels["variables"]}
    sample = {v: (round(x) if cqm.vartype(v) is not dimod.REAL else x) for v, x in sample.items()}
    # A maximisation is written as such (the CQM minimises its negation); dimod writes
    # no objective section for an empty objective (a decision problem).
    if problem.sense == "max":
        assert "Maximize" in path.read_text() and "Minimize" not in path.read_text()
    sign = -1.0 if problem.sense == "max" else 1.0
    optimum = sign * h.getInfo().objective_function_value  # in the CQM's (min) terms
    assert cqm.check_feasible(sample, atol=1e-6)
    assert cqm.objective.energy(sample) == pytest.approx(optimum, abs=1e-6)
    if len(cqm.variables) <= 12:
        exact = dimod.ExactCQMSolver().sample_cqm(cqm).filter(lambda row: row.is_feasible)
        assert optimum == pytest.approx(exact.first.energy, abs=1e-6)
    else:
        from qanneal import solve

        reference = solve(problem, "milp", seed=0, solver="highs")
        assert reference.status == "optimal" and reference.feasible
        value = problem.evaluate(sample).objective
        if problem.options.get("surrogate_objective"):
            # The CQM minimises a surrogate (flow shop): its optimum is a valid answer,
            # never better than the native MILP's proven optimum of the true objective.
            assert problem.evaluate(sample).feasible
            assert not problem.better(value, reference.objective)
        else:
            assert value == pytest.approx(reference.objective, abs=1e-6)


def test_lp_names_are_safe_and_injective():
    names = LpNames("x")
    labels = ["city[1]", (0, 1), 3, "x3", "edge 2", "e1", "", "a" * 300, "a" * 300 + "b",
              "x(0,1)"]
    out = [names.name(label) for label in labels]
    assert len(set(out)) == len(out)
    for name in out:
        dimod.lp._validate_label(name)  # dimod's own rule for LP names
    assert out[:4] == ["city(1)", "x(0,1)", "x3", "x3~1"]
    assert {names.back[n] for n in out} == set(labels)


def test_linear_is_for_lp_files_only(tmp_path):
    problem = load(PROBLEMS / "maxcut-small.yaml").problem
    with pytest.raises(InputError, match="LP files only"):
        export(problem, tmp_path / "m.coo", linear=True)


def test_export_lp_cli_on_labelled_constraints(run_cli, tmp_path):
    run = run_cli("export", PROBLEMS / "tsp-rand10.yaml", tmp_path / "m.lp")
    assert run.code == 0, run.err
    text = (tmp_path / "m.lp").read_text()
    assert text.startswith("\\") and "m.lp.labels.json" in text and "--linear" in text
    labels = json.loads((tmp_path / "m.lp.labels.json").read_text())
    assert labels["constraints"]["city(1)"] == "city[1]"
    assert labels["variables"]["x(0,1)"] == [0, 1]
