"""D-Wave Leap backends without a token: availability, the mock QPU path, errors, no leaks.

The QPU is exercised only through dwave-system's ``MockDWaveSampler`` behind the real
``EmbeddingComposite`` (minorminer embedding, chain handling and unembedding all run).
"""

from __future__ import annotations

import json

import dimod
import networkx as nx
import pytest
import yaml
from conftest import PROBLEMS, run_cli_subprocess

from qanneal import solve
from qanneal.backends.leap import (
    NO_TOKEN,
    HybridBackend,
    HybridCqmBackend,
    QpuBackend,
    api_token,
    qpu_info,
    scrub,
)
from qanneal.errors import BackendError, BackendUnavailable, InputError
from qanneal.problems.maxcut import cut_value, maxcut_problem
from qanneal.registry import backend_info, get_backend, refresh

FAKE_TOKEN = "secret-token-123"


@pytest.fixture
def no_token(monkeypatch, tmp_path):
    """No token anywhere: no environment variable, an empty config file."""
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    config = tmp_path / "dwave.conf"
    config.write_text("[defaults]\n")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config))
    refresh()
    yield
    refresh()


@pytest.fixture
def unreachable_cloud(monkeypatch, tmp_path):
    """A fake token and an endpoint that refuses connections at once (no retries)."""
    config = tmp_path / "dwave.conf"
    config.write_text("[defaults]\nendpoint = http://127.0.0.1:9/sapi/v2/\n"
                      "http_retry_total = 0\nrequest_timeout = 2\n")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(config))
    monkeypatch.setenv("DWAVE_API_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:9/sapi/v2/")
    return config


# ------------------------------------------------------------------ availability
@pytest.mark.parametrize("cls", [QpuBackend, HybridBackend, HybridCqmBackend])
def test_without_a_token_every_leap_backend_is_unavailable_with_the_fix(no_token, cls):
    assert api_token() is None
    ok, reason = cls.available()
    assert not ok
    assert "DWAVE_API_TOKEN" in reason and "dwave config create" in reason
    info = backend_info(cls.name)
    assert not info.available and info.reason == reason


def test_a_token_in_the_environment_makes_them_available(monkeypatch, no_token):
    monkeypatch.setenv("DWAVE_API_TOKEN", FAKE_TOKEN)
    assert api_token() == FAKE_TOKEN
    assert QpuBackend.available() == (True, "")


def test_mock_option_makes_qpu_available_without_a_token(no_token):
    with pytest.raises(BackendUnavailable, match="mock=true"):
        get_backend("qpu")
    assert isinstance(get_backend("qpu", {"mock": True}), QpuBackend)
    assert backend_info("qpu", {"mock": True}).available
    with pytest.raises(BackendUnavailable):  # only the qpu has an offline mock
        get_backend("hybrid", {"mock": True})


def test_cli_solve_on_qpu_without_token_exits_2_with_one_line(no_token, run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "qpu")
    assert run.code == 2
    assert run.err.strip() == f"error: backend 'qpu' is unavailable: {NO_TOKEN}"
    assert "Traceback" not in run.err


def test_cli_backends_lists_leap_as_unavailable_and_milp_with_its_solvers(no_token, run_cli):
    run = run_cli("backends", "--json", "-")
    assert run.code == 0
    rows = {row["name"]: row for row in json.loads(run.out)}
    for name in ("sa", "tabu", "exact", "milp"):
        assert rows[name]["available"], rows[name]
    assert rows["milp"]["description"].startswith("PuLP MILP (cbc")
    for name in ("qpu", "hybrid", "hybrid-cqm"):
        assert not rows[name]["available"] and "DWAVE_API_TOKEN" in rows[name]["reason"]


# ------------------------------------------------------------------ the mock QPU path
def test_mock_qpu_embeds_with_chains_and_reports_breaks_and_timing(no_token):
    # K_9 max-cut is not a subgraph of Pegasus: it needs chains of several qubits.
    graph = nx.complete_graph(9)
    result = solve(maxcut_problem(graph), "qpu", seed=11, mock=True, num_reads=50)
    info = result.info
    assert info["qpu_simulated"] is True and "simulated QPU" in info["qpu_note"]
    embedding = info["embedding"]
    assert embedding["logical_variables"] == 9
    assert embedding["max_chain_length"] >= 2
    assert embedding["physical_qubits"] > 9
    assert 0.0 <= info["chain_break_fraction"] <= 1.0
    assert info["chain_strength"] > 0  # dwave-system's heuristic chose it
    assert info["qpu_timing_us"]["qpu_access_time"] > 0
    assert info["qpu_access_time_s"] == pytest.approx(
        info["qpu_timing_us"]["qpu_access_time"] / 1e6)
    # The answer is decoded and verified by the problem, like any backend's.
    assert result.feasible
    assert result.objective == cut_value(graph, result.solution["partition"])
    assert result.num_samples == 50


def test_mock_qpu_is_reproducible_with_a_seed(no_token):
    problem = maxcut_problem(nx.complete_graph(7))
    a = solve(problem, "qpu", seed=3, mock=True, num_reads=20)
    b = solve(problem, "qpu", seed=3, mock=True, num_reads=20)
    assert a.solution == b.solution and a.info["embedding"] == b.info["embedding"]


@pytest.mark.parametrize("seed", [2**31, 2**32 - 1, 2**40])
def test_mock_qpu_takes_any_seed_the_cli_may_draw(no_token, seed):
    # The CLI draws 32-bit seeds; dwave-samplers' SA (the mock's annealer) and
    # minorminer take 31 bits. Each must get a derived seed in its range, and the same
    # run seed must still replay the same answer and embedding.
    problem = maxcut_problem(nx.complete_graph(7))
    a = solve(problem, "qpu", seed=seed, mock=True, num_reads=5)
    b = solve(problem, "qpu", seed=seed, mock=True, num_reads=5)
    assert a.feasible and a.seed == seed
    assert a.solution == b.solution and a.info["embedding"] == b.info["embedding"]


def test_mock_qpu_cli_with_a_seed_above_31_bits(no_token, run_cli):
    from conftest import PROBLEMS

    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "qpu", "-o", "mock=true",
                  "--seed", str(2**31), "-o", "num_reads=5")
    assert run.code == 0, run.err


def test_explicit_chain_strength_is_used(no_token):
    problem = maxcut_problem(nx.complete_graph(8))
    result = solve(problem, "qpu", seed=2, mock=True, num_reads=10, chain_strength=7.5)
    assert result.info["chain_strength"] == 7.5
    assert result.params["chain_strength"] == 7.5


@pytest.mark.parametrize("topology", ["zephyr", "chimera"])
def test_mock_topologies(no_token, topology):
    result = solve(maxcut_problem(nx.cycle_graph(6)), "qpu", seed=1, mock=True,
                   num_reads=10, topology=topology)
    assert topology in result.info["qpu_note"]
    assert result.feasible


def test_qpu_info_weights_chain_breaks_by_occurrences():
    ss = dimod.SampleSet.from_samples([{"a": 0}, {"a": 1}], "BINARY", [0.0, 1.0],
                                      num_occurrences=[3, 1],
                                      chain_break_fraction=[0.0, 0.5])
    info = qpu_info(ss)
    assert info["chain_break_fraction"] == pytest.approx(0.125)
    assert info["reads_with_chain_breaks"] == 1


@pytest.mark.parametrize("options, field", [
    ({"num_reads": 0}, "num_reads"),
    ({"annealing_time": -1}, "annealing_time"),
    ({"chain_strength": "strong"}, "chain_strength"),
    ({"topology": "torus"}, "topology"),
    ({"mock": "yes"}, "mock"),
    ({"solver": "Advantage_system4.1"}, "solver"),  # a mock has no solver names
])
def test_bad_qpu_options_are_input_errors(no_token, options, field):
    with pytest.raises(InputError) as info:
        solve(maxcut_problem(nx.cycle_graph(4)), "qpu", **{"mock": True, **options})
    assert info.value.field == field


# ------------------------------------------------------------------ errors and leaks
def test_scrub_removes_the_token_and_newlines():
    assert scrub(f"auth failed\nfor {FAKE_TOKEN}", FAKE_TOKEN) == "auth failed for ***"


@pytest.mark.parametrize("backend", ["qpu", "hybrid", "hybrid-cqm"])
def test_cloud_errors_are_one_line_without_the_token(unreachable_cloud, backend):
    with pytest.raises(BackendError) as info:
        solve(maxcut_problem(nx.cycle_graph(4)), backend)
    message = str(info.value)
    assert message.startswith(f"backend {backend!r} failed:")
    assert "\n" not in message and FAKE_TOKEN not in message
    assert info.value.__cause__ is None  # no chained exception carrying the token


def test_cli_cloud_error_exit_2_one_line_no_token(unreachable_cloud, run_cli):
    run = run_cli("solve", PROBLEMS / "maxcut-small.yaml", "--backend", "qpu")
    assert run.code == 2
    assert run.err.startswith("error: backend 'qpu' failed:")
    assert run.err.strip().count("\n") == 0
    assert FAKE_TOKEN not in run.out + run.err and "Traceback" not in run.err


def test_mocked_qpu_run_with_a_token_set_never_shows_the_token(tmp_path):
    # With a token, available() is true -- the mock must still be used (mock=true).
    problem = tmp_path / "k6.yaml"
    problem.write_text(yaml.safe_dump({
        "problem": "maxcut",
        "data": {"edges": [[u, v] for u, v in nx.complete_graph(6).edges]},
        "seed": 5}))
    out = tmp_path / "result.json"
    env = {"DWAVE_API_TOKEN": FAKE_TOKEN, "DWAVE_API_ENDPOINT": "http://127.0.0.1:9/sapi/v2/"}
    proc = run_cli_subprocess("solve", problem, "--backend", "qpu", "-o", "mock=true",
                              "-o", "num_reads=20", "--json", out, env=env)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert json.loads(text)["info"]["qpu_simulated"] is True
    for stream in (proc.stdout, proc.stderr, text):
        assert FAKE_TOKEN not in stream
    proc = run_cli_subprocess("solve", problem, "--backend", "qpu", "-o", "mock=true",
                              "--json", "-", env=env)
    assert proc.returncode == 0 and FAKE_TOKEN not in proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["backend"] == "qpu"
