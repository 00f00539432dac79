"""Shared test helpers: run the CLI in-process and capture its exit code and output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
SHARED = ROOT.parent / "shared" / "bench"


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``qanneal ARGS`` in this process; returns exit code, stdout and stderr."""
    from qanneal.cli import main

    def run(*args: str) -> CliRun:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


def run_cli_subprocess(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
                       cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m qanneal ARGS`` in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "qanneal", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=cwd)
