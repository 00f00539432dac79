"""The Python API's surface: every builder from ``qanneal.problems``, ``qanneal.__all__``,
and the samples a ``Result`` keeps."""

from __future__ import annotations

import json
import subprocess
import sys

import dimod
import networkx as nx
import pytest

import qanneal
import qanneal.problems
from qanneal.registry import _entry_points, problem_type_names


def test_every_registered_type_has_its_builder_in_qanneal_problems():
    for name in problem_type_names():
        module = _entry_points("qanneal.problems")[name].value.split(":")[0]
        if not module.startswith("qanneal.problems."):
            continue  # a plugin's type lives in its own package
        stem = module.rsplit(".", 1)[1]
        builder = getattr(qanneal.problems, f"{stem}_problem")
        assert callable(builder) and builder.__module__ == module
        assert f"{stem}_problem" in qanneal.problems.__all__
        assert f"{stem}_problem" in dir(qanneal.problems)


def test_unknown_names_still_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope_problem'"):
        qanneal.problems.nope_problem  # noqa: B018
    with pytest.raises(AttributeError):
        qanneal.problems.base_problem  # noqa: B018  (a helper module, not a type)


def test_star_import_gives_every_builder():
    namespace: dict = {}
    exec("from qanneal.problems import *", namespace)
    assert {"tsp_problem", "portfolio_problem", "jobshop_problem",
            "maxcut_problem"} <= set(namespace)


def test_import_qanneal_does_not_import_every_problem_type():
    # The builders are imported on first use: `import qanneal` stays as cheap as before.
    code = ("import sys, qanneal; print(sorted(m for m in sys.modules "
            "if m.startswith('qanneal.problems.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = set(eval(out))  # a printed list of module names
    assert "qanneal.problems.tsp" not in loaded and "qanneal.problems.portfolio" not in loaded


def test_all_names_exist_and_include_compare():
    assert "compare" in qanneal.__all__
    for name in qanneal.__all__:
        assert hasattr(qanneal, name), name


def test_result_keeps_the_samples_but_not_in_json():
    problem = qanneal.problems.maxcut_problem(nx.cycle_graph(5))
    result = qanneal.solve(problem, "sa", seed=1, num_reads=7, num_sweeps=50)
    assert isinstance(result.sampleset, dimod.SampleSet)
    assert len(result.sampleset) == 7 == result.num_samples
    assert result.sampleset.first.energy == pytest.approx(result.energy)
    row = result.to_dict()
    assert "sampleset" not in row
    json.dumps(row)
    assert "sampleset" not in repr(result)

    exact = qanneal.solve(problem, "exact")
    assert isinstance(exact.sampleset, dimod.SampleSet)  # the CQM's samples

    milp = qanneal.solve(problem, "milp", seed=1)
    assert milp.feasible and milp.sampleset is None  # answered in problem terms
