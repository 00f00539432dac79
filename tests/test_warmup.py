"""First contact: kernels compile outside every clock, and the warm-up leaves them cached.

The subprocess test starts from an empty ``NUMBA_CACHE_DIR``, as a fresh install does.
"""

from __future__ import annotations

import json

import dimod
import pytest
from conftest import PROBLEMS, run_cli_subprocess

from qanneal.anneal.engine import anneal, prepare
from qanneal.anneal.warmup import KERNELS, needs_compile, warm_up


def _solve_json(cache: str, *args: str) -> tuple[dict, str]:
    proc = run_cli_subprocess("solve", PROBLEMS / "maxcut-small.yaml", "-b", "anneal",
                              "--json", "-", *args, env={"NUMBA_CACHE_DIR": cache},
                              timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.slow
def test_fresh_cache_compiles_outside_the_time_limit_then_warmup_leaves_all_cached(tmp_path):
    cache = str(tmp_path / "numba-cache")
    # A cold run compiles its kernel before the clock: it says so and still answers
    # within a budget far shorter than the compile.
    cold, err = _solve_json(cache, "--time-limit", "1", "--seed", "3")
    assert "compiling the annealing kernel" in err
    assert cold["status"] == "ok" and cold["feasible"] and cold["objective"] is not None
    assert cold["timing"]["compile_s"] > 0
    assert cold["info"]["compile_s"] == pytest.approx(cold["timing"]["compile_s"])
    # The README's set-up step, then a time-limited run: nothing left to compile.
    proc = run_cli_subprocess("warmup", env={"NUMBA_CACHE_DIR": cache}, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "msc: compiled" in proc.stdout and "warm-up done" in proc.stdout
    warm, err = _solve_json(cache, "--time-limit", "1", "--seed", "3")
    assert "compiling" not in err
    assert warm["objective"] == cold["objective"]
    assert warm["timing"]["compile_s"] < cold["timing"]["compile_s"]
    again = run_cli_subprocess("warmup", "-b", "anneal", env={"NUMBA_CACHE_DIR": cache})
    assert again.returncode == 0 and "compiled in" not in again.stdout, again.stdout


def test_anneal_reports_compile_time_apart_and_reuses_a_prepared_model():
    bqm = dimod.BQM({0: 1.0, 1: -2.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    ready = prepare(bqm, num_sweeps=20, num_reads=3)
    res = anneal(bqm, seed=5, prepared=ready, num_sweeps=20, num_reads=3)
    assert res.info["compile_s"] == ready.compile_s
    fresh = anneal(bqm, seed=5, num_sweeps=20, num_reads=3)
    assert fresh.sampleset.record.sample.tolist() == res.sampleset.record.sample.tolist()
    # A prepared model for other options is not reused (options decide the kernel).
    other = anneal(bqm, seed=5, prepared=ready, num_sweeps=30, num_reads=3)
    assert other.params["num_sweeps"] == 30


def test_every_kernel_warms_through_its_own_stand_in():
    spent = warm_up()
    assert set(spent) == set(KERNELS)
    assert not any(needs_compile(k) for k in KERNELS)
    with pytest.raises(ValueError, match="unknown kernel"):
        warm_up(["no-such-kernel"])


def test_trace_answers_are_the_samples_behind_the_energy_curve():
    from qanneal.backends.anneal import AnnealBackend

    bqm = dimod.generators.ran_r(1, 30, seed=4)
    raw = AnnealBackend().solve(bqm, seed=2, time_limit=0.3, num_sweeps=50)
    energies = [e for _, e in raw.info["best_trace"]]
    assert len(raw.trace) == len(energies) >= 1
    for (t, sample), energy in zip(raw.trace, energies):
        assert t >= 0 and bqm.energy(sample) == pytest.approx(energy)
    assert energies == sorted(energies, reverse=True)


class _PreparingBackend:
    """A backend whose prepare takes 0.3 s, reported as compile time or not."""

    def __new__(cls, compiling: bool):
        from qanneal.backends.base import Backend, RawAnswer

        class Preparing(Backend):
            name = "preparing"
            consumes = "bqm"
            received: float | None = None

            def prepare(self, model, **options):
                import time

                time.sleep(0.3)
                return 0.3 if compiling else 0.0

            def solve(self, model, *, seed=None, time_limit=None, **options):
                type(self).received = time_limit
                return RawAnswer(sampleset=dimod.SampleSet.from_samples_bqm(
                    {v: 0 for v in model.variables}, model))

        return Preparing()


@pytest.mark.parametrize("compiling", [True, False])
def test_compiling_is_free_but_converting_comes_out_of_the_budget(compiling):
    from qanneal.solve import run_backend

    backend = _PreparingBackend(compiling)
    bqm = dimod.BQM({"a": 1.0}, {}, 0.0, "BINARY")
    raw = run_backend(backend, bqm, seed=1, time_limit=1.0)
    if compiling:
        assert type(backend).received == pytest.approx(1.0, abs=0.02)
        assert raw.info["compile_s"] == 0.3
        assert "convert_s" not in raw.info
    else:
        assert type(backend).received == pytest.approx(0.7, abs=0.05)
        assert raw.info["convert_s"] == pytest.approx(0.3, abs=0.05)
