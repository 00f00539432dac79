"""A corpus of bad problem files: each gives one line naming the file and field, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

BAD = Path(__file__).parent / "data" / "bad-yaml"

# file -> text the error must contain
EXPECTED = {
    "bad-syntax.yaml": "invalid YAML",
    "unknown-problem.yaml": "unknown problem type 'maxcutt' (did you mean 'maxcut'?)",
    "unknown-backend.yaml": "unknown backend 'anealer'",
    "missing-file.yaml": "file not found",
    "wrong-type-seed.yaml": "seed",
    "negative-seed.yaml": "greater than or equal to 0",
    "empty-graph.yaml": "no edges",
    "self-loop.yaml": "self-loop",
    "unknown-key.yaml": "unknown key (did you mean 'problem'?)",
    "not-mapping.yaml": "a problem file is a YAML mapping",
    "missing-data.yaml": "data: required field is missing",
    "negative-time-limit.yaml": "time_limit",
    "duplicate-edge.yaml": "listed twice",
    "nan-weight.yaml": "finite",
    "edge-wrong-arity.yaml": "data.edges[0]",
    "negative-penalty.yaml": "penalties",
    "qubo-empty-terms.yaml": "no terms",
    "qubo-bad-vartype.yaml": "data.vartype",
    "empty.yaml": "a problem file is a YAML mapping",
    "not-utf8.yaml": "not UTF-8",
    "python-tag.yaml": "invalid YAML",
    "unknown-option.yaml": "options.foo: unknown key",
    "edges-and-file.yaml": "either edges/nodes or file",
    "unknown-format.yaml": "cannot tell the format",
    "unknown-penalty-group.yaml": "no constraint or group named 'nosuch'",
    "unknown-backend-option.yaml": "did you mean 'num_reads'",
    # auto or a positive integer: both alternatives named, not only the first
    "union-option.yaml": "options.time_unit: Input should be 'auto' or greater than 0 (got 0)",
}

# Where the error must point (a line number), for the files where one is known.
LINES = {
    "unknown-problem.yaml": 1,
    "negative-seed.yaml": 4,
    "self-loop.yaml": 3,
    "unknown-backend.yaml": 4,
    "bad-syntax.yaml": 3,
}


def test_corpus_is_complete():
    assert {p.name for p in BAD.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_one_line_error(run_cli, name):
    run = run_cli("solve", BAD / name, "--backend", "exact")
    assert run.code == 2, run
    assert run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    line = lines[0]
    assert line.startswith("error: ")
    assert "Traceback" not in run.err
    assert name in line, f"error does not name the file: {line}"
    assert EXPECTED[name] in line, line
    if name in LINES:
        assert f"{name}:{LINES[name]}:" in line, line


def test_yaml_python_tag_never_executes(run_cli, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.yaml"
    bad.write_text(f'problem: !!python/object/apply:os.system ["touch {marker}"]\n'
                   "data: {edges: [[0, 1]]}\n")
    run = run_cli("solve", bad)
    assert run.code == 2
    assert not marker.exists()
