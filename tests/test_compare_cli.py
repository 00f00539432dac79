"""``qanneal compare``: the files it writes, the report in a browser, Ctrl-C, a failing plugin."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROBLEMS

SMALL = PROBLEMS / "maxcut-small.yaml"
FILES = {"runs.csv", "runs.jsonl", "summary.csv", "summary.json", "report.html",
         "objective_vs_time.png", "tts99.png"}


def _cli(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qanneal", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **kwargs)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_compare_writes_every_file(run_cli, tmp_path):
    out = tmp_path / "out"
    r = run_cli("compare", SMALL, "--backends", "sa,tabu,exact", "--repeats", "5", "--out", out,
                "--seed", "1")
    assert r.code == 0, r.err
    assert FILES <= {p.name for p in out.iterdir()}
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(runs) == 15 and len(_read_csv(out / "runs.csv")) == 15
    assert {(r["backend"], r["repeat"]) for r in runs} == {
        (b, i) for b in ("sa", "tabu", "exact") for i in range(5)}
    summary = json.loads((out / "summary.json").read_text())
    exact = next(s for s in summary["summary"] if s["backend"] == "exact")
    assert exact["best"] == 46.0 and exact["p_success"] == 1.0  # 46: dimod.ExactSolver's optimum
    assert len(_read_csv(out / "summary.csv")) == 3
    for name in ("ring-with-chords", "sa", "tabu", "exact", "TTS99", "p_s"):
        assert name in r.out
    assert "wrote" in r.err


def _not_blank(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 24)
    return len(colours)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(run_cli, tmp_path):
    out = tmp_path / "out"
    a = tmp_path / "a.yaml"
    a.write_text(SMALL.read_text())
    r = run_cli("compare", SMALL, a, "--backends", "sa,exact", "--repeats", "2", "--out", out,
                "--seed", "2", "--executor", "serial")
    assert r.code == 0, r.err
    assert (out / "quality_profile.png").exists()  # several problems: a quality profile
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                    "--window-size=1200,2000", (out / "report.html").resolve().as_uri()],
                   capture_output=True, timeout=90, check=False)
    assert shot.exists()
    assert _not_blank(shot) > 200  # tables, text and the plots' colours, not a blank page


def test_unknown_backend_is_one_line_and_runs_nothing(run_cli, tmp_path):
    r = run_cli("compare", SMALL, "--backends", "sa,tabuu", "--out", tmp_path / "out")
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        "error: backends: unknown backend 'tabuu' (did you mean 'tabu'?); choose one of: "
        + r.err.split("choose one of: ")[1].strip()]
    assert not (tmp_path / "out").exists()


def test_backend_options_and_target(run_cli, tmp_path):
    out = tmp_path / "out"
    r = run_cli("compare", SMALL, "-b", "sa", "-n", "2", "-o", "sa.num_reads=7", "--target", "50",
                "--executor", "serial", "--out", out)
    assert r.code == 0, r.err
    runs = _read_csv(out / "runs.csv")
    assert {row["params.num_reads"] for row in runs} == {"7"}
    assert {row["target"] for row in runs} == {"50.0"}
    assert {row["reached_target"] for row in runs} == {"False"}  # the optimum is 46
    bad = run_cli("compare", SMALL, "-b", "sa", "-o", "num_reads=7")
    assert bad.code == 2 and "BACKEND.KEY=VALUE" in bad.err


def test_ctrl_c_keeps_finished_runs(tmp_path):
    out = tmp_path / "out"
    proc = _cli("compare", SMALL, "--backends", "sa,exact", "--repeats", "40", "--time-budget",
                "0.2", "--workers", "1", "--out", out, "--seed", "3", env={"CI": "1"})
    log = out / "runs.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    lines = log.read_text().splitlines()
    runs = [json.loads(line) for line in lines]  # every line is complete JSON
    assert 1 <= len(runs) < 80
    assert len(_read_csv(out / "runs.csv")) == len(runs)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] and summary["finished"] == len(runs)
    assert len(summary["missing"]) == 80 - len(runs)
    assert f"{80 - len(runs)} of 80 runs did not run: ring-with-chords x" in stderr
    assert (out / "report.html").exists()
    assert "ring-with-chords" in stdout  # the table of what finished


def test_failing_plugin_backend(tmp_path):
    site = tmp_path / "site"
    dist = site / "qanneal_failplug-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: qanneal-failplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[qanneal.backends]\nfailing = qanneal_failplug:FailingBackend\n")
    (site / "qanneal_failplug.py").write_text(
        "from qanneal.backends.base import Backend\n\n"
        "class FailingBackend(Backend):\n"
        "    name = 'failing'\n    consumes = 'bqm'\n    description = 'always raises'\n\n"
        "    def solve(self, model, *, seed=None, time_limit=None, **options):\n"
        "        raise ZeroDivisionError('plugin bug')\n")
    out = tmp_path / "out"
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    proc = _cli("compare", SMALL, "--backends", "failing,exact", "--repeats", "2", "--out", out,
                "--workers", "2", env=env)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    failing = [r for r in runs if r["backend"] == "failing"]
    assert [r["status"] for r in failing] == ["error", "error"]
    assert {r["error"] for r in failing} == {
        "backend 'failing' failed: ZeroDivisionError: plugin bug"}
    assert [r["objective"] for r in runs if r["backend"] == "exact"] == [46.0, 46.0]
    assert "2 error(s): backend 'failing' failed:" in stdout  # the row says so in the table
    summary = json.loads((out / "summary.json").read_text())
    row = next(s for s in summary["summary"] if s["backend"] == "failing")
    assert (row["errors"], row["completed"], row["p_success"]) == (2, 0, None)
