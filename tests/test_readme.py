"""The README's Python examples and shell commands run, and print what their comments say."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import re
import shlex

import pytest
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


LEAP_BACKENDS = {"qpu", "hybrid", "hybrid-cqm"}


def _command_lines() -> list[str]:
    """Every ``qanneal ...`` line of the README's shell code blocks, comments cut."""
    lines, language = [], None  # language: None outside a block, else the fence's tag
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            language = line[3:].strip() if language is None else None
        elif language in ("", "bash", "sh", "shell", "console"):
            command = line.split(" #", 1)[0].strip()
            if command.startswith("qanneal "):
                lines.append(command)
    return lines


def _needs_leap(args: list[str]) -> bool:
    """A run on D-Wave's cloud: a Leap backend without ``-o mock=true``."""
    backends = set()
    for flag, value in zip(args, args[1:]):
        if flag in ("--backend", "--backends", "-b"):
            backends |= set(value.split(","))
    return bool(backends & LEAP_BACKENDS) and "mock=true" not in args


@pytest.mark.slow  # ~15 s: a dask cluster start, a mock QPU, a compare with a process pool
def test_readme_commands_run_as_written(tmp_path, monkeypatch, run_cli):
    # From a directory that looks like the repo root (problems/ beside it) so that
    # the commands' outputs (result.json, model.lp, out/) land in tmp_path.
    (tmp_path / "problems").symlink_to(ROOT / "problems")
    monkeypatch.chdir(tmp_path)
    lines = _command_lines()
    assert len(lines) >= 10, lines
    ran = []
    for line in lines:
        args = shlex.split(line)[1:]
        if any("../shared" in a for a in args) or _needs_leap(args):
            continue  # benchmark instances live outside the repository; Leap needs a token
        # The shell expands globs before qanneal sees them.
        args = [x for a in args for x in (sorted(glob.glob(a)) if "*" in a else [a])]
        run = run_cli(*args)
        assert run.code == 0, (line, run.err[-2000:])
        ran.append(line)
    assert any("export" in line for line in ran) and any("compare" in line for line in ran)
    assert (tmp_path / "result.json").exists() and (tmp_path / "model.lp").exists()
