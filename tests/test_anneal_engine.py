"""Tests of qanneal's own annealing engine (``qanneal.anneal``) and the ``anneal`` backend.

Known answers come from brute force (dimod.ExactSolver) on small models; every kernel
(CSR real / integer, dense, multi-spin coding, parallel tempering) is exercised.
No timing assertions: speed is measured by benchmarks/kernel_bench.py.
"""

from __future__ import annotations

import time

import dimod
import networkx as nx
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.anneal import anneal, msc
from qanneal.anneal.layout import ising_arrays
from qanneal.anneal.schedules import auto_beta_range, beta_schedule
from qanneal.backends.anneal import AnnealBackend
from qanneal.errors import InputError


def random_bqm(n: int, seed: int, *, integer: bool, vartype: str, density: float = 0.5
               ) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    labels = [f"v{i}" for i in range(n)]  # non-integer labels: the mapping back is tested
    draw = (lambda: float(rng.integers(-3, 4))) if integer else (lambda: rng.normal())
    linear = {v: draw() for v in labels}
    quadratic = {(labels[i], labels[j]): draw() for i in range(n) for j in range(i + 1, n)
                 if rng.random() < density}
    return dimod.BQM(linear, quadratic, 0.25, vartype)


def ground_energy(bqm: dimod.BinaryQuadraticModel) -> float:
    return float(dimod.ExactSolver().sample(bqm).first.energy)


def check_sampleset(bqm: dimod.BinaryQuadraticModel, ss: dimod.SampleSet) -> None:
    assert ss.vartype is bqm.vartype
    assert set(ss.variables) == set(bqm.variables)
    np.testing.assert_allclose(ss.record.energy, bqm.energies(ss), rtol=0, atol=1e-9)
    allowed = {-1, 1} if bqm.vartype is dimod.SPIN else {0, 1}
    assert set(np.unique(ss.record.sample)) <= allowed


@pytest.mark.parametrize("n", [8, 14])
@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("vartype", ["SPIN", "BINARY"])
@pytest.mark.parametrize("layout,density", [("csr", 0.3), ("dense", 0.9)])
def test_sa_finds_brute_force_optimum(n, integer, vartype, layout, density):
    bqm = random_bqm(n, seed=n * 7 + integer, integer=integer, vartype=vartype,
                     density=density)
    res = anneal(bqm, seed=5, num_reads=8, num_sweeps=300, layout=layout)
    check_sampleset(bqm, res.sampleset)
    assert res.sampleset.first.energy == pytest.approx(ground_energy(bqm), abs=1e-9)
    assert res.info["layout"] == layout
    assert res.info["integer_table"] is integer


def test_kernel_energies_match_dimod():
    # The kernels track energies incrementally; they must agree with dimod's.
    bqm = random_bqm(40, seed=3, integer=False, vartype="BINARY", density=0.2)
    arrays = ising_arrays(bqm)
    spins = np.random.default_rng(0).choice(np.array([-1, 1], dtype=np.int8), size=(5, 40))
    ours = arrays.energies(spins)
    binary = (spins + 1) // 2
    np.testing.assert_allclose(ours, bqm.energies((binary, arrays.variables)), atol=1e-9)


def test_maxcut_small_graph_uses_msc_and_finds_optimum():
    graph = nx.petersen_graph()  # max cut 12 of 15 edges
    bqm = dimod.BQM({}, {(u, v): 1.0 for u, v in graph.edges}, 0.0, "SPIN")
    res = anneal(bqm, seed=1, num_sweeps=200)
    assert res.info["kernel"] == "msc"
    check_sampleset(bqm, res.sampleset)
    best = res.sampleset.first.sample
    cut = sum(best[u] != best[v] for u, v in graph.edges)
    assert cut == 12
    assert len(res.sampleset) == 16  # num_reads best of the 64-replica word
    scalar = anneal(bqm, seed=1, num_sweeps=200, msc=False, layout="csr")
    assert scalar.info["kernel"] == "sa-csr-int"
    assert scalar.sampleset.first.energy == res.sampleset.first.energy


def test_msc_energies_equal_dimod_and_zero_temperature_gives_local_minima():
    rng = np.random.default_rng(4)
    graph = nx.random_regular_graph(5, 60, seed=4)
    bqm = dimod.BQM({}, {e: float(rng.choice([-2.0, 2.0])) for e in graph.edges}, 1.5, "SPIN")
    arrays = ising_arrays(bqm)
    assert arrays.msc_applicable() and arrays.scale == 2.0
    words = np.empty((2, arrays.num_variables), dtype=np.uint64)
    betas = np.concatenate([beta_schedule(auto_beta_range(arrays), 100), np.full(5, 1e6)])
    seeds = np.array([1, 2], dtype=np.uint64)
    msc.msc_anneal(arrays.indptr, arrays.indices, msc.edge_masks(arrays.data), betas, seeds,
                   words)
    spins = msc.unpack(words)
    # Replicas must not collapse into clones: as diverse as 128 independent scalar reads
    # (sharing one uniform per attempt across the word gave 32 distinct states vs 60).
    scalar = anneal(bqm, seed=1, num_reads=128, num_sweeps=100, msc=False).sampleset
    distinct_scalar = len({row.tobytes() for row in scalar.record.sample})
    assert len({row.tobytes() for row in spins}) >= 0.8 * distinct_scalar
    energies = bqm.energies((spins, arrays.variables))
    np.testing.assert_allclose(arrays.energies(spins), energies)
    # After zero-temperature sweeps no single flip may lower the energy of any replica.
    for k in range(0, 128, 9):
        for i in range(arrays.num_variables):
            flipped = spins[k].copy()
            flipped[i] = -flipped[i]
            assert bqm.energies((flipped[None, :], arrays.variables))[0] >= energies[k] - 1e-9
    # Through the backend, the MSC kernel is chosen and energies are dimod's.
    ss = anneal(bqm, seed=2, num_sweeps=100).sampleset
    check_sampleset(bqm, ss)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), p=st.floats(0.05, 1.0), graph_seed=st.integers(0, 2**16),
       signs=st.sampled_from(["ferro", "antiferro", "mixed"]), words=st.integers(1, 10),
       hot=st.booleans())
def test_msc_counted_energies_equal_dimod(n, p, graph_seed, signs, words, hot):
    # The engine ranks MSC samples by the energies msc_anneal counts from the final
    # words (not by dimod): every replica's must equal dimod's, whatever the degrees
    # (padding), signs (masks) and number of words (partial vectors).
    graph = nx.gnp_random_graph(n, p, seed=graph_seed)
    if graph.number_of_edges() == 0:
        graph.add_edge(0, 1)
    rng = np.random.default_rng(graph_seed)
    sign = {"ferro": lambda: -1.0, "antiferro": lambda: 1.0,
            "mixed": lambda: float(rng.choice([-1.0, 1.0]))}[signs]
    bqm = dimod.BQM({}, {e: 3.0 * sign() for e in graph.edges}, -0.5, "SPIN")
    arrays = ising_arrays(bqm)
    out = np.empty((words, arrays.num_variables), dtype=np.uint64)
    betas = beta_schedule((1e-3, 2e-3) if hot else auto_beta_range(arrays), 7)
    stored = msc.msc_anneal(arrays.indptr, arrays.indices, msc.edge_masks(arrays.data),
                            betas, np.arange(words, dtype=np.uint64) + graph_seed, out)
    spins = msc.unpack(out)
    np.testing.assert_array_equal(arrays.scale * stored + arrays.offset,
                                  bqm.energies((spins, arrays.variables)))


def test_msc_engine_energy_check_catches_a_wrong_energy():
    from qanneal.anneal.engine import _check_energy

    bqm = dimod.BQM({}, {(0, 1): 1.0}, 0.0, "SPIN")
    _check_energy(bqm, np.array([1, -1], dtype=np.int8), [0, 1], -1.0)
    with pytest.raises(RuntimeError, match="differs from dimod"):
        _check_energy(bqm, np.array([1, -1], dtype=np.int8), [0, 1], -3.0)


def test_msc_at_infinite_temperature_flips_everything():
    bqm = dimod.BQM({}, {(0, 1): 1.0, (1, 2): -1.0, (0, 2): 1.0}, 0.0, "SPIN")
    arrays = ising_arrays(bqm)
    words = np.random.default_rng(0).integers(0, 2**63, (3, 8)).astype(np.uint64)
    before = words.copy()
    rngs = np.arange(8, dtype=np.uint64).reshape(1, 8)
    msc.msc_sweep(words, arrays.indptr, arrays.indices, msc.edge_masks(arrays.data), 1e-12,
                  rngs)
    np.testing.assert_array_equal(words, ~before)


def test_msc_words_swept_in_groups_equal_words_swept_alone():
    # Words share a sweep (msc.GROUP at a time) only for speed: each word's result
    # depends on its own seed alone, so a batch of 5 equals 5 single-word runs.
    rng = np.random.default_rng(7)
    graph = nx.random_regular_graph(4, 40, seed=7)
    bqm = dimod.BQM({}, {e: float(rng.choice([-1.0, 1.0])) for e in graph.edges}, 0.0, "SPIN")
    arrays = ising_arrays(bqm)
    masks = msc.edge_masks(arrays.data)
    betas = beta_schedule(auto_beta_range(arrays), 30)
    seeds = np.arange(11, 16, dtype=np.uint64)
    together = np.empty((5, arrays.num_variables), dtype=np.uint64)
    msc.msc_anneal(arrays.indptr, arrays.indices, masks, betas, seeds, together)
    for w in range(len(seeds)):
        alone = np.empty((1, arrays.num_variables), dtype=np.uint64)
        msc.msc_anneal(arrays.indptr, arrays.indices, masks, betas, seeds[w:w + 1], alone)
        np.testing.assert_array_equal(together[w], alone[0])
    assert len({row.tobytes() for row in together}) == 5


def test_msc_uniform_mask_path_equals_general_path():
    # Max-cut (every mask equal) skips the per-edge mask load; both paths must agree.
    graph = nx.gnp_random_graph(50, 0.2, seed=3)
    bqm = dimod.BQM({}, {e: 1.0 for e in graph.edges}, 0.0, "SPIN")
    arrays = ising_arrays(bqm)
    masks = msc.edge_masks(arrays.data)
    assert msc.uniform_masks(masks)
    start = np.random.default_rng(1).integers(0, 2**63, (50, 8)).astype(np.uint64)
    fast, general = start.copy(), start.copy()
    r1 = np.arange(5, 13, dtype=np.uint64).reshape(1, 8)
    r2 = r1.copy()
    # Hot (all words draw), cold (geometric skips) and in between.
    for beta in np.geomspace(0.1, 3.0, 20):
        msc.msc_sweep(fast, arrays.indptr, arrays.indices, masks, beta, r1, use_masks=False)
        msc.msc_sweep(general, arrays.indptr, arrays.indices, masks, beta, r2, use_masks=True)
    np.testing.assert_array_equal(fast, general)
    np.testing.assert_array_equal(r1, r2)
    assert not np.array_equal(fast, start)


def test_msc_padded_layout_counts_self_edges_back():
    # Edge lists are padded to a multiple of 4 with self-edges that each count 1; the
    # counter's start takes them back, and its decision bit covers every degree.
    graph = nx.gnp_random_graph(40, 0.25, seed=5)
    arrays = ising_arrays(dimod.BQM({}, {e: 1.0 for e in graph.edges}, 0.0, "SPIN"))
    order, pptr, pind, pmask, degrees, bases, nb = msc.padded_layout(
        arrays.indptr, arrays.indices, msc.edge_masks(arrays.data))
    assert sorted(order.tolist()) == list(range(40))
    np.testing.assert_array_equal(degrees, arrays.degrees[order])
    blocks = np.diff(pptr) // msc.BLOCK
    assert (np.diff(pptr) % msc.BLOCK == 0).all() and (np.diff(blocks) >= 0).all()
    assert 2 ** nb > degrees.max()
    pad = np.diff(pptr) - degrees
    np.testing.assert_array_equal(bases, 2 ** nb - (degrees + 1) // 2 - pad)
    assert (bases >= 0).all()
    for k in range(40):
        own = pind[pptr[k]:pptr[k + 1]]
        assert (own == k).sum() == pad[k]
        v = order[k]
        neighbours = arrays.indices[arrays.indptr[v]:arrays.indptr[v + 1]]
        assert sorted(order[own[own != k]].tolist()) == sorted(neighbours.tolist())


@pytest.mark.parametrize("seed", [1, 2])
def test_msc_pm_j_glass_finds_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    graph = nx.random_regular_graph(3, 16, seed=seed)
    bqm = dimod.BQM({}, {e: float(rng.choice([-1.0, 1.0])) for e in graph.edges}, 0.0, "SPIN")
    res = anneal(bqm, seed=seed, num_sweeps=300)
    assert res.info["kernel"] == "msc"
    check_sampleset(bqm, res.sampleset)
    assert res.sampleset.first.energy == ground_energy(bqm)


def test_msc_true_refused_when_not_applicable():
    bqm = random_bqm(6, seed=1, integer=True, vartype="SPIN")
    with pytest.raises(InputError) as err:
        anneal(bqm, msc=True)
    assert err.value.field == "msc"


@pytest.mark.parametrize("integer", [False, True])
def test_pt_finds_optimum_of_frustrated_instance(integer):
    rng = np.random.default_rng(11)
    graph = nx.random_regular_graph(3, 14, seed=11)
    weight = (lambda: float(rng.choice([-1, 1]))) if integer else (lambda: rng.normal())
    bqm = dimod.BQM({v: 0.0 for v in graph}, {e: weight() for e in graph.edges}, 0.0, "SPIN")
    res = anneal(bqm, method="pt", seed=3, num_reads=2, num_sweeps=200, num_replicas=8)
    assert res.info["kernel"] == ("pt-csr-int" if integer else "pt-csr")
    check_sampleset(bqm, res.sampleset)
    assert res.sampleset.first.energy == pytest.approx(ground_energy(bqm), abs=1e-9)
    assert 0 < res.info["swap_acceptance"] <= 1


@pytest.mark.parametrize("options", [
    {}, {"msc": False}, {"msc": True}, {"layout": "dense"}, {"method": "pt", "num_replicas": 4},
    {"beta_schedule_type": "linear", "beta_range": [0.0, 3.0]},
])
def test_reproducible_and_thread_count_independent(options):
    graph = nx.random_regular_graph(3, 30, seed=2)
    bqm = dimod.BQM({}, {e: 1.0 for e in graph.edges}, 0.0, "BINARY")
    reads = 6
    if options.get("msc"):  # +-J Ising: multi-spin coding, three vectors over the threads
        bqm = dimod.BQM({}, {e: (-1.0) ** sum(e) for e in graph.edges}, 0.0, "SPIN")
        reads = 3 * 512
    if "layout" in options or "beta_range" in options:
        bqm = random_bqm(30, seed=2, integer=False, vartype="BINARY", density=0.4)
    kw = dict(num_reads=reads, num_sweeps=5, **options)  # short: states still differ by seed
    a = anneal(bqm, seed=123, threads=1, **kw).sampleset
    b = anneal(bqm, seed=123, threads=1, **kw).sampleset
    np.testing.assert_array_equal(a.record.sample, b.record.sample)
    if numba.config.NUMBA_NUM_THREADS >= 2:
        c = anneal(bqm, seed=123, threads=2, **kw).sampleset
        np.testing.assert_array_equal(a.record.sample, c.record.sample)
    # A different seed gives different states (checked hot, where states stay random).
    hot = {**kw, "beta_range": [1e-3, 2e-3]}
    d = anneal(bqm, seed=123, threads=1, **hot).sampleset
    e = anneal(bqm, seed=124, threads=1, **hot).sampleset
    assert not np.array_equal(d.record.sample, e.record.sample)


def test_time_limit_runs_restarts_and_returns():
    bqm = random_bqm(50, seed=9, integer=False, vartype="SPIN", density=0.1)
    anneal(bqm, seed=0, num_reads=4, num_sweeps=2)  # compile first: not part of the budget
    start = time.perf_counter()
    res = anneal(bqm, seed=1, time_limit=0.4, num_reads=4, num_sweeps=50)
    assert time.perf_counter() - start < 10  # loose: returns, does not run away
    assert res.info["restarts"] > 0
    assert res.info["batches"] == res.info["restarts"] + 1
    assert len(res.sampleset) == 4
    check_sampleset(bqm, res.sampleset)
    one = anneal(bqm, seed=1, num_reads=4, num_sweeps=50)
    assert one.info["restarts"] == 0 and one.info["batch_sweeps"] == [50]
    # Anytime runs ramp up to the full schedule; without the ramp batch 0 is the
    # single run's, so the best can only be as good or better.
    assert res.info["batch_sweeps"] == [10, 12, 25, 50]
    flat = anneal(bqm, seed=1, time_limit=0.4, num_reads=4, num_sweeps=50, ramp=False)
    assert flat.info["batch_sweeps"] == [50] * 4
    assert flat.sampleset.first.energy <= one.sampleset.first.energy
    # The anytime curve: strictly improving, ending at the returned best.
    trace = res.info["best_trace"]
    assert [t for t, _ in trace] == sorted(t for t, _ in trace)
    assert all(a[1] > b[1] for a, b in zip(trace, trace[1:]))
    assert trace[-1][1] == res.sampleset.first.energy


@pytest.mark.parametrize("options, expected", [
    ({}, [125, 250, 500, 1000]),  # multi-spin coding
    ({"msc": False}, [125, 250, 500, 1000]),
    ({"method": "pt", "num_replicas": 4, "num_reads": 1}, [1000] * 4),  # PT has no ramp
])
def test_anytime_ramp_and_attempt_count(options, expected):
    graph = nx.random_regular_graph(3, 16, seed=3)
    bqm = dimod.BQM({}, {e: 1.0 for e in graph.edges}, 0.0, "SPIN")
    anneal(bqm, seed=0, num_sweeps=2, threads=1, **options)  # compile outside the budget
    res = anneal(bqm, seed=5, time_limit=0.3, threads=1, **options)
    batches = res.info["batches"]
    assert batches >= 4 and res.info["batch_sweeps"] == expected
    reads = {"msc": 512}.get(res.info["kernel"], res.params["num_reads"])
    per_sweep = reads * 16 * (4 if options.get("method") == "pt" else 1)
    # Batches are whole but the last ones: a batch may be shortened to the time left
    # (ramp), and the last may stop between rounds of reads.
    whole = sum(expected[:3]) + 1000 * max(0, batches - 6)
    assert per_sweep * whole < res.info["flip_attempts"]
    assert res.info["flip_attempts"] <= per_sweep * (sum(expected) + 1000 * (batches - 4))
    check_sampleset(bqm, res.sampleset)


def test_backend_contract_and_params():
    bqm = random_bqm(10, seed=2, integer=True, vartype="BINARY")
    answer = AnnealBackend().solve(bqm, seed=4, num_sweeps=100, beta_range=[0.1, 5])
    assert AnnealBackend.name == "anneal" and AnnealBackend.consumes == "bqm"
    check_sampleset(bqm, answer.sampleset)
    assert answer.params["beta_range"] == [0.1, 5.0]
    assert answer.params["num_reads"] == 16 and answer.params["seed"] == 4
    for key in ("sweeps", "restarts", "flip_attempts", "attempts_per_s", "beta_range"):
        assert key in answer.info
    assert answer.info["flip_attempts"] == 16 * 100 * 10


def test_unknown_option_is_input_error():
    bqm = dimod.BQM({0: 1.0}, {}, 0.0, "SPIN")
    with pytest.raises(InputError) as err:
        AnnealBackend().solve(bqm, num_sweep=10)
    assert err.value.field == "num_sweep"
    assert "unknown option 'num_sweep' for backend 'anneal'; allowed:" in str(err.value)
    for bad in ({"method": "qa"}, {"num_reads": 0}, {"beta_range": [2, 1]},
                {"beta_schedule_type": "cosine"}):
        with pytest.raises(InputError):
            anneal(bqm, **bad)


def test_empty_and_unbiased_models():
    empty = dimod.BQM("SPIN")
    empty.offset = 2.0
    assert anneal(empty, seed=1).sampleset.first.energy == 2.0
    free = dimod.BQM({"a": 0.0, "b": 0.0}, {}, 1.0, "BINARY")
    check_sampleset(free, anneal(free, seed=1, num_sweeps=5).sampleset)


def test_auto_beta_range_is_colder_than_dwave_on_dense_problems():
    # The documented rule: hot end from the median field spread, not the worst case.
    from dwave.samplers import SimulatedAnnealingSampler

    bqm = random_bqm(60, seed=1, integer=False, vartype="SPIN", density=1.0)
    arrays = ising_arrays(bqm)
    ours = [b / arrays.scale for b in auto_beta_range(arrays)]
    theirs = SimulatedAnnealingSampler().sample(bqm, num_reads=1, num_sweeps=1).info["beta_range"]
    assert ours[0] > 3 * theirs[0]
    assert ours[0] < ours[1]
