"""The README's Python examples run, and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import os
import re

from conftest import ROOT


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_examples_run_and_print_what_they_claim(monkeypatch):
    monkeypatch.chdir(ROOT)
    blocks = _python_blocks()
    assert blocks
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {})
        printed = out.getvalue().splitlines()
        claims = [m.group(1).strip() for line in block.splitlines()
                  if line.lstrip().startswith("print(")
                  and (m := re.search(r"#\s*(.+)$", line))]
        for claim in claims:
            assert any(claim == line.strip() for line in printed), (claim, printed)


def test_readme_commands_exist():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_readme_problem_file_example_loads_and_solves(tmp_path):
    from qanneal import load, solve

    text = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, flags=re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(block)
    spec = load(path)
    assert spec.time_limit > 0
    result = solve(spec.problem, next(iter(spec.backends)), seed=spec.seed)  # no 10 s wait
    assert result.feasible and result.objective == spec.problem.known_optimum
