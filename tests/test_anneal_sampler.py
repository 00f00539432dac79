"""AnnealSampler as a dimod Sampler: the behaviours dwave-samplers' own tests check for
SimulatedAnnealingSampler (written afresh here), dimod's sampler harness, and Ocean
composites over it."""

from __future__ import annotations

import inspect
import itertools
import unittest
import warnings

import dimod
import dimod.testing
import numpy as np
import pytest

from qanneal import AnnealSampler
from qanneal.anneal import anneal

TIMING_KEYS = {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


def spin_glass(n: int, seed: int) -> dimod.BinaryQuadraticModel:
    """A dense +-1 spin glass with small random fields (many distinct low states)."""
    rng = np.random.default_rng(seed)
    J = {(u, v): float(rng.choice((-1, 1))) for u, v in itertools.combinations(range(n), 2)}
    h = {v: float(rng.normal(scale=0.3)) for v in range(n)}
    return dimod.BQM.from_ising(h, J)


def triangle(signs: str = "+++") -> dimod.BinaryQuadraticModel:
    return dimod.BQM.from_ising({}, {e: (1 if s == "+" else -1)
                                     for e, s in zip(("ab", "bc", "ac"), signs)})


# --- the dimod API ------------------------------------------------------------------

def test_dimod_sampler_api_and_parameters():
    sampler = AnnealSampler()
    dimod.testing.assert_sampler_api(sampler)
    named = set(inspect.signature(sampler.sample).parameters) - {"bqm", "kwargs"}
    assert named == set(sampler.parameters)  # every keyword of sample() is declared
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert sampler.remove_unknown_kwargs(**dict.fromkeys(named)).keys() == named
        assert sampler.remove_unknown_kwargs(foobar=None) == {}
    assert sampler.properties["beta_schedule_options"] == ("linear", "geometric", "custom")


def test_unknown_keywords_are_dropped_with_a_warning():
    with pytest.warns(dimod.exceptions.SamplerUnknownArgWarning, match="foobar"):
        ss = AnnealSampler().sample(triangle(), foobar=3, seed=1)
    assert len(ss) == 1


def test_sample_ising_and_qubo_keep_their_vartype():
    ss = AnnealSampler().sample_ising({"a": 0, "b": -1}, {("a", "b"): -1}, seed=2)
    assert ss.record.sample.shape == (1, 2) and ss.vartype is dimod.SPIN
    assert ss.first.sample == {"a": 1, "b": 1}
    ss = AnnealSampler().sample_qubo({(0, 1): 1, (0, 0): -1}, seed=2)
    assert ss.vartype is dimod.BINARY and ss.first.energy == -1


@pytest.mark.parametrize("bqm", [dimod.BQM("SPIN"), dimod.BQM.from_ising({"a": 1}, {}),
                                 dimod.BQM.from_ising({}, {("x", (1, 2)): -1})])
def test_timing_info_like_dwave(bqm):
    ss = AnnealSampler().sample(bqm, seed=5)
    assert set(ss.info["timing"]) == TIMING_KEYS
    assert all(ns > 0 for ns in ss.info["timing"].values())


def test_info_has_beta_range_schedule_and_engine_extras():
    for bqm in (dimod.BQM({"a": -1}, {}, 0, "SPIN"), dimod.BQM({}, {"ab": 1}, 0, "BINARY")):
        info = AnnealSampler().sample(bqm, seed=1).info
        hot, cold = info["beta_range"]
        assert 0 < hot < cold < float("inf")
        assert info["beta_schedule_type"] == "geometric"
        assert {"kernel", "attempts_per_s", "best_trace", "compile_s"} <= set(info)


def test_automatic_beta_range_scales_with_the_biases():
    # Energies x10 means temperatures x10: both ends of the range divide by 10.
    base = AnnealSampler().sample_ising({"a": 0.5}, {"ab": 1}, seed=1).info["beta_range"]
    big = AnnealSampler().sample_ising({"a": 5}, {"ab": 10}, seed=1).info["beta_range"]
    assert np.allclose(np.array(base) / 10, big)


# --- reads, seeds, schedules ------------------------------------------------------------

def test_rows_are_reads_and_bad_num_reads_raise_like_dwave():
    sampler = AnnealSampler()
    h, J = {}, {("a", "b"): 0.5, (0, "a"): -1, (1, "b"): 0.0}
    for reads in (1, 7, 600):
        assert sampler.sample_ising(h, J, num_reads=reads, num_sweeps=20).record.sample.shape \
            == (reads, 4)
    for bad in (0, -3):
        with pytest.raises(ValueError):
            sampler.sample_ising(h, J, num_reads=bad)
    for bad in (2.5, float("inf"), "four", [], {}):
        with pytest.raises(TypeError):
            sampler.sample_ising(h, J, num_reads=bad)


def test_empty_problem_gives_a_row_per_read():
    sampler = AnnealSampler()
    ss = sampler.sample_ising({}, {}, num_reads=6, beta_range=[0.1, 1])
    assert ss.record.sample.shape == (6, 0)
    assert len(sampler.sample_ising({"a": 0, "b": -1}, {}, beta_range=[0.1, 1])) == 1


def test_seed_validation_like_dwave():
    sampler = AnnealSampler()
    for bad in (2.5, float("inf"), "seed", [], {}):
        with pytest.raises(TypeError):
            sampler.sample_ising({}, {}, seed=bad)
    for bad in (-1, 2**32, 2**65):
        with pytest.raises(ValueError):
            sampler.sample_ising({}, {}, seed=bad)
    sampler.sample_ising({"a": 1}, {}, seed=2**32 - 1)  # the whole 32-bit range


def test_same_seed_same_samples_other_seed_other_samples():
    bqm = spin_glass(30, seed=4)
    seen = []
    for seed in (1, 25, 2352, 5682453):
        a = AnnealSampler().sample(bqm, num_reads=64, num_sweeps=10, seed=seed).record.sample
        b = AnnealSampler().sample(bqm, num_reads=64, num_sweeps=10, seed=seed).record.sample
        assert np.array_equal(a, b)
        assert not any(np.array_equal(a, s) for s in seen)
        seen.append(a)


def test_schedule_types_and_their_errors():
    sampler = AnnealSampler()
    h = {v: -1 for v in range(12)}
    J = {(u, v): -1 for u, v in itertools.combinations(range(12), 2)}
    for kind in ("geometric", "linear"):
        ss = sampler.sample_ising(h, J, num_reads=5, beta_schedule_type=kind, seed=3)
        assert ss.record.sample.shape == (5, 12) and ss.first.energy == -12 - 66
        assert ss.info["beta_schedule_type"] == kind
        with pytest.raises(ValueError, match="custom"):  # a schedule only with 'custom'
            sampler.sample_ising(h, J, beta_schedule_type=kind, beta_schedule=[0.1, 1])
    with pytest.raises(ValueError):
        sampler.sample_ising(h, J, beta_schedule_type="cosine")


def test_custom_schedule():
    sampler = AnnealSampler()
    h, J = {v: -1 for v in range(8)}, {(0, 1): -1}
    for bad in (None, [-1, 1], ["hot", 1], []):
        with pytest.raises(ValueError):
            sampler.sample_ising(h, J, beta_schedule_type="custom", beta_schedule=bad)
    with pytest.raises(ValueError, match="num_sweeps"):  # inconsistent with the schedule
        sampler.sample_ising(h, J, beta_schedule_type="custom", beta_schedule=[0.1, 1],
                             num_sweeps=5)
    ss = sampler.sample_ising(h, J, beta_schedule_type="custom", beta_schedule=[0.1, 1, 5],
                              num_sweeps_per_beta=2, seed=1)
    assert ss.info["sweeps"] == 6 and ss.info["beta_range"] == [0.1, 5.0]
    assert ss.first.energy == -9


def test_sweeps_per_beta_must_divide_num_sweeps():
    with pytest.raises(ValueError, match="multiple"):
        AnnealSampler().sample_ising({"a": 1}, {}, num_sweeps=10, num_sweeps_per_beta=3)


def test_disconnected_problem():
    J = {(0, 1): -1, (1, 2): -1, (0, 2): -1, (3, 4): -1, (4, 5): -1, (3, 5): -1}
    ss = AnnealSampler().sample_ising({}, J, num_reads=100, seed=9)
    assert ss.record.sample.shape == (100, 6) and ss.vartype is dimod.SPIN
    assert set(ss.record.energy) == {-6.0}


# --- interrupts -------------------------------------------------------------------------

def test_interrupt_function_stops_after_the_first_round_of_reads():
    bqm = spin_glass(20, seed=1)

    def boom() -> bool:
        raise NotImplementedError  # as dwave's: an interrupt function that raises interrupts

    assert len(AnnealSampler().sample(bqm, num_reads=50, interrupt_function=boom,
                                      threads=1)) == 1
    ss = AnnealSampler().sample(bqm, num_reads=50, interrupt_function=lambda: True, threads=2)
    assert len(ss) == min(2, ss.info["threads"]) and ss.info["interrupted"]
    assert len(AnnealSampler().sample(bqm, num_reads=50, interrupt_function=lambda: False)) == 50
    # No threads given: polled after every read, as dwave's (one row on an immediate stop).
    ss = AnnealSampler().sample(bqm, num_reads=50, interrupt_function=lambda: True)
    assert len(ss) == 1 and ss.info["threads"] == 1
    with pytest.raises(TypeError):
        AnnealSampler().sample(bqm, interrupt_function="stop")


def test_polling_does_not_change_the_samples():
    bqm = spin_glass(20, seed=2)
    plain = anneal(bqm, seed=11, num_reads=9, num_sweeps=30, layout="csr")
    polled = anneal(bqm, seed=11, num_reads=9, num_sweeps=30, layout="csr",
                    should_stop=lambda: False, threads=1)
    assert np.array_equal(plain.sampleset.record.sample, polled.sampleset.record.sample)


# --- initial states ---------------------------------------------------------------------

def test_initial_state_is_annealed():
    bqm = triangle()
    init = dimod.SampleSet.from_samples_bqm({"a": 1, "b": -1, "c": 1}, bqm)
    ss = AnnealSampler().sample(bqm, initial_states=init, num_reads=1, seed=1)
    assert len(ss) == 1 and ss.first.energy == -1


def test_initial_states_generators():
    bqm = triangle("-++")
    init = dimod.SampleSet.from_samples_bqm([{"a": 1, "b": 1, "c": 1},
                                             {"a": -1, "b": -1, "c": -1}], bqm)
    sampler = AnnealSampler()
    sizes = {
        (True, "random", 10): 10, (None, "random", 10): 10, (True, "none", 1): 1,
        (True, "tile", 1): 1, (True, "random", 1): 1, (True, "tile", 10): 10,
    }
    for (given, generator, reads), rows in sizes.items():
        ss = sampler.sample(bqm, initial_states=init if given else None,
                            initial_states_generator=generator, num_reads=reads, seed=4)
        assert len(ss) == rows, (given, generator, reads)
    empty = (np.empty((0, 3)), ["a", "b", "c"])
    assert len(sampler.sample(bqm, initial_states=empty, num_reads=10)) == 10
    assert len(sampler.sample(bqm, initial_states=None)) == 1
    with pytest.raises(ValueError):  # nothing to tile
        sampler.sample(bqm, initial_states_generator="tile", num_reads=10)
    with pytest.raises(ValueError):  # too few states and no generator
        sampler.sample(bqm, initial_states=init, initial_states_generator="none", num_reads=3)
    with pytest.raises(ValueError):  # other variables than the BQM's
        sampler.sample(bqm, initial_states=dimod.SampleSet.from_samples(
            {"a": 1, "b": 1}, vartype="SPIN", energy=0))
    with pytest.raises(ValueError):
        sampler.sample(bqm, initial_states=init, initial_states_generator="mirror")


def test_num_reads_follows_the_initial_states():
    bqm = triangle("-++")
    init = dimod.SampleSet.from_samples_bqm([{"a": 1, "b": 1, "c": 1},
                                             {"a": -1, "b": -1, "c": -1}], bqm)
    sampler = AnnealSampler()
    assert len(sampler.sample(bqm)) == 1
    assert len(sampler.sample(bqm, initial_states_generator="random")) == 1
    assert len(sampler.sample(bqm, initial_states=init)) == 2
    assert len(sampler.sample(bqm, initial_states=init, num_reads=1)) == 1
    assert len(sampler.sample(bqm, initial_states=init, num_reads=3)) == 3
    assert len(sampler.sample(bqm, num_reads=4)) == 4


def test_zero_sweeps_return_the_initial_states():
    bqm = dimod.BQM({}, {"ab": 1}, 0, "SPIN")
    init = dimod.SampleSet.from_samples_bqm([{"a": 1, "b": -1}, {"a": -1, "b": 1}], bqm)
    ss = AnnealSampler().sample(bqm, num_sweeps=0, initial_states=init)
    assert np.array_equal(ss.record.sample, init.record.sample)
    assert list(ss.record.energy) == [-1, -1]
    ss = AnnealSampler().sample(bqm, num_sweeps=0, num_reads=4, initial_states=init,
                                initial_states_generator="tile")
    assert np.array_equal(ss.record.sample, np.tile(init.record.sample, (2, 1)))


def test_binary_initial_states_on_a_binary_model():
    bqm = dimod.BQM({"x": 1.0, "y": 1.0}, {}, 0, "BINARY")
    init = dimod.SampleSet.from_samples_bqm({"x": 1, "y": 1}, bqm)
    ss = AnnealSampler().sample(bqm, initial_states=init, beta_schedule_type="custom",
                                beta_schedule=[float("inf")], seed=1)
    assert ss.first.sample == {"x": 0, "y": 0}


def test_in_order_metropolis_on_a_flat_landscape_flips_every_spin_each_sweep():
    # No field, no coupling: every flip costs 0 and is accepted, so the state alternates.
    start = 1 - 2 * np.random.default_rng(0).integers(2, size=60)
    bqm = dimod.BQM.from_ising({i: 0 for i in range(60)}, {})
    init = dimod.SampleSet.from_samples_bqm({i: int(start[i]) for i in range(60)}, bqm)
    for sweeps in range(4):
        ss = AnnealSampler().sample(bqm, initial_states=init, num_sweeps=sweeps,
                                    beta_range=[0.1, 1], seed=1)
        assert np.array_equal(ss.record.sample[0], (-1) ** sweeps * start)


@pytest.mark.parametrize("layout", ["csr", "dense"])
def test_greedy_sweep_reaches_the_ground_state_of_independent_spins(layout):
    rng = np.random.default_rng(3)
    h = rng.normal(size=200)
    bqm = dimod.BQM.from_ising(dict(enumerate(h)), {})
    ground = -np.sign(h).astype(int)
    for start in (ground, -ground):
        init = dimod.SampleSet.from_samples_bqm(dict(enumerate(start.tolist())), bqm)
        ss = AnnealSampler().sample(bqm, initial_states=init, beta_schedule_type="custom",
                                    beta_schedule=[float("inf")], seed=5, layout=layout)
        assert np.array_equal(ss.record.sample[0], ground)


# --- random order and Gibbs updates (qanneal.anneal.rules) -----------------------------

def _fraction_up(bqm: dimod.BinaryQuadraticModel, start: int, **kwargs) -> float:
    """Share of +1 spins after annealing one read of ``bqm`` from all spins = ``start``."""
    init = dimod.SampleSet.from_samples_bqm({v: start for v in bqm.variables}, bqm)
    ss = AnnealSampler().sample(bqm, initial_states=init, num_reads=1, seed=77, **kwargs)
    assert ss.info["kernel"] == "sa-csr-rules"
    return float(np.mean(ss.record.sample[0] == 1))


def _within(share: float, p: float, n: int, sigmas: float = 4.0) -> bool:
    return abs(share - p) <= sigmas * np.sqrt(p * (1 - p) / n)


N_FREE = 4000
FLAT = dimod.BQM.from_ising({i: 0.0 for i in range(N_FREE)}, {})


def test_gibbs_in_order_on_a_flat_landscape_is_a_fair_coin_per_spin():
    share = _fraction_up(FLAT, 1, num_sweeps=1, beta_range=[0.2, 2],
                         proposal_acceptance_criteria="Gibbs")
    assert _within(share, 0.5, N_FREE)


def test_random_order_flips_the_spins_picked_an_odd_number_of_times():
    # n picks with replacement: a spin is picked k ~ Poisson(1) times, and flips (every
    # Metropolis step costs 0) when k is odd: P = e^-1 sinh(1); it stays up otherwise.
    share = _fraction_up(FLAT, 1, num_sweeps=1, beta_range=[0.2, 2], randomize_order=True)
    assert _within(share, 1 - np.exp(-1) * np.sinh(1), N_FREE)
    # Gibbs: never picked (e^-1) stays up, picked at least once is a fair coin.
    share = _fraction_up(FLAT, 1, num_sweeps=1, beta_range=[0.2, 2], randomize_order=True,
                         proposal_acceptance_criteria="Gibbs")
    assert _within(share, np.exp(-1) + (1 - np.exp(-1)) / 2, N_FREE)


@pytest.mark.parametrize("start", [1, -1])
def test_gibbs_samples_the_heat_bath_of_the_last_beta(start):
    # h = 0.5 on free spins: after an in-order Gibbs sweep at beta = 2, a spin is up with
    # probability e^{-1} / (e^{-1} + e^{1}), wherever it started.
    bqm = dimod.BQM.from_ising({i: 0.5 for i in range(N_FREE)}, {})
    share = _fraction_up(bqm, start, beta_schedule_type="custom", beta_schedule=[0.3, 2.0],
                         proposal_acceptance_criteria="Gibbs")
    assert _within(share, np.exp(-1) / (2 * np.cosh(1)), N_FREE)


@pytest.mark.parametrize("randomize,criteria", [(False, "Metropolis"), (False, "Gibbs"),
                                                (True, "Metropolis"), (True, "Gibbs")])
def test_a_greedy_sweep_only_goes_downhill_under_every_rule(randomize, criteria):
    rng = np.random.default_rng(12)
    h = rng.normal(size=N_FREE)
    bqm = dimod.BQM.from_ising(dict(enumerate(h)), {})
    ground = -np.sign(h).astype(int)
    kwargs = {"beta_schedule_type": "custom", "beta_schedule": [float("inf")], "seed": 4,
              "randomize_order": randomize, "proposal_acceptance_criteria": criteria}
    for start in (ground, -ground):
        init = dimod.SampleSet.from_samples_bqm(dict(enumerate(start.tolist())), bqm)
        got = AnnealSampler().sample(bqm, initial_states=init, **kwargs).record.sample[0]
        if start is ground or not randomize:  # in order: every spin visited once
            assert np.array_equal(got, ground)
        else:  # only the spins picked at least once (1 - e^-1 of them) reach the ground
            assert _within(float(np.mean(got == ground)), 1 - np.exp(-1), N_FREE)


def test_rules_are_reproducible_whatever_the_thread_count():
    bqm = spin_glass(25, seed=9)
    kwargs = {"num_reads": 12, "num_sweeps": 30, "randomize_order": True,
              "proposal_acceptance_criteria": "Gibbs"}
    one = AnnealSampler().sample(bqm, seed=3, threads=1, **kwargs).record.sample
    two = AnnealSampler().sample(bqm, seed=3, threads=2, **kwargs).record.sample
    other = AnnealSampler().sample(bqm, seed=4, threads=2, **kwargs).record.sample
    assert np.array_equal(one, two) and not np.array_equal(one, other)


@pytest.mark.parametrize("randomize,criteria", [(True, "Metropolis"), (False, "Gibbs"),
                                                (True, "Gibbs")])
def test_rules_reach_the_optimum_of_a_small_qubo(randomize, criteria):
    rng = np.random.default_rng(21)
    Q = {(i, j): float(rng.integers(-4, 5)) + 0.25 * (i == j) for i in range(12)
         for j in range(i, 12)}
    bqm = dimod.BQM.from_qubo(Q, offset=-1.5)
    best = dimod.ExactSolver().sample(bqm).first.energy
    ss = AnnealSampler().sample(bqm, num_reads=8, seed=6, randomize_order=randomize,
                                proposal_acceptance_criteria=criteria)
    assert ss.first.energy == pytest.approx(best)
    assert np.allclose(bqm.energies(ss), ss.record.energy)
    # time-limited batches run on the same kernel
    ss = AnnealSampler().sample(bqm, num_reads=2, seed=6, time_limit=0.05,
                                randomize_order=randomize, proposal_acceptance_criteria=criteria)
    assert ss.info["kernel"] == "sa-csr-rules" and ss.info["batches"] >= 1


def test_bad_rule_options_are_refused():
    sampler = AnnealSampler()
    with pytest.raises(ValueError, match="Metropolis' or 'Gibbs"):
        sampler.sample_ising({"a": 1}, {}, proposal_acceptance_criteria="Glauber")
    with pytest.raises(TypeError, match="randomize_order"):
        sampler.sample_ising({"a": 1}, {}, randomize_order="yes")
    for kwargs in ({"method": "pt"}, {"msc": True}):
        with pytest.raises(ValueError, match="multi-spin|method"):
            sampler.sample_ising({}, {("a", "b"): 1}, proposal_acceptance_criteria="Gibbs",
                                 **kwargs)


class _GibbsRandomOrder(AnnealSampler):
    """AnnealSampler with random order and Gibbs updates as its defaults (for the harness)."""

    def sample(self, bqm, **kwargs):  # type: ignore[override]
        kwargs.setdefault("randomize_order", True)
        kwargs.setdefault("proposal_acceptance_criteria", "Gibbs")
        return super().sample(bqm, **kwargs)


@dimod.testing.load_sampler_bqm_tests(_GibbsRandomOrder)
class TestDimodHarnessOnTheRulesKernel(unittest.TestCase):
    """dimod's generated tests through the random-order Gibbs kernel."""


# --- the automatic beta range as a function ---------------------------------------------

def test_default_beta_range_is_what_the_sampler_uses():
    from qanneal.anneal.sampler import default_beta_range

    for bqm in (spin_glass(9, seed=1), dimod.BQM({"a": 2.5}, {"ab": -1.5}, 3.0, "BINARY")):
        used = AnnealSampler().sample(bqm, seed=1, num_sweeps=10).info["beta_range"]
        assert default_beta_range(bqm) == pytest.approx(used)
        assert default_beta_range(bqm.binary) == pytest.approx(default_beta_range(bqm.spin))


def test_default_ising_beta_range_knobs():
    from qanneal.anneal.sampler import _default_ising_beta_range as rng_of

    hot, cold = rng_of({}, {})
    assert 0 <= hot < cold  # nothing to anneal: any range
    # Bigger biases, hotter (smaller) betas at both ends; always hot < cold.
    ranges = [rng_of({"x": w}, {("x", "y"): w}) for w in (0.2, 3.0, 40.0)]
    assert all(a[0] > b[0] and a[1] > b[1] for a, b in zip(ranges, ranges[1:]))
    assert all(h < c for h, c in ranges)
    # A rarer excitation, or sharing it among many excitable spins: colder end, same start.
    h = {i: 1.0 for i in range(20)}
    base = rng_of(h, {})
    for other in (rng_of(h, {}, max_single_qubit_excitation_rate=0.001),
                  rng_of(h, {}, scale_T_with_N=True)):
        assert other[0] == base[0] and other[1] > base[1]
    with pytest.raises(ValueError):
        rng_of(h, {}, max_single_qubit_excitation_rate=1.5)


def test_initial_states_refused_where_no_kernel_takes_them():
    bqm = triangle()
    init = dimod.SampleSet.from_samples_bqm({"a": 1, "b": 1, "c": 1}, bqm)
    for kwargs in ({"method": "pt"}, {"msc": True}):
        with pytest.raises(ValueError, match="initial states"):
            AnnealSampler().sample(bqm, initial_states=init, **kwargs)


# --- answers --------------------------------------------------------------------------

def test_known_optimum_of_a_small_weighted_qubo():
    rng = np.random.default_rng(8)
    Q = {(i, j): float(rng.integers(-5, 6)) for i in range(12) for j in range(i, 12)}
    bqm = dimod.BQM.from_qubo(Q, offset=3.0)
    best = dimod.ExactSolver().sample(bqm).first.energy
    for kind in ("geometric", "linear"):
        ss = AnnealSampler().sample(bqm, num_reads=10, beta_schedule_type=kind, seed=2)
        assert ss.first.energy == best


def test_cubic_lattice_spin_glass_near_its_ground_state():
    # 3D +-J torus, L = 10: ground state ~ -1.787 per spin (Pal 1996); within 4%.
    rng = np.random.default_rng(128)
    L = 10
    J = {}
    for x, y, z in itertools.product(range(L), repeat=3):
        for d in ((1, 0, 0), (0, 1, 0), (0, 0, 1)):
            v = ((x + d[0]) % L, (y + d[1]) % L, (z + d[2]) % L)
            J[(x, y, z), v] = float(rng.choice((-1, 1)))
    ss = AnnealSampler().sample_ising({}, J, num_reads=10, seed=1)
    assert ss.first.energy < -0.96 * 1.787 * L**3


# --- dimod's harness and Ocean composites -------------------------------------------------

@dimod.testing.load_sampler_bqm_tests(AnnealSampler)
class TestDimodSamplerHarness(unittest.TestCase):
    """dimod's generated tests on small BQMs (labels, vartypes, energies, empty models)."""


def test_truncate_composite():
    bqm = spin_glass(10, seed=3)
    best = dimod.ExactSolver().sample(bqm).first.energy
    ss = dimod.TruncateComposite(AnnealSampler(), 3).sample(bqm, num_reads=20, seed=1)
    assert len(ss) == 3 and ss.first.energy == pytest.approx(best)


def test_spin_reversal_transform_composite():
    from dwave.preprocessing import SpinReversalTransformComposite

    bqm = spin_glass(10, seed=5)
    best = dimod.ExactSolver().sample(bqm).first.energy
    ss = SpinReversalTransformComposite(AnnealSampler()).sample(
        bqm, num_spin_reversal_transforms=2, num_reads=5, seed=1)
    assert len(ss) == 10 and ss.first.energy == pytest.approx(best)
    assert np.allclose(bqm.energies(ss), ss.record.energy)


def test_fixed_embedding_composite_on_a_chimera_structured_annealer():
    import dwave.graphs as dnx  # dwave-networkx, renamed dwave-graphs
    import minorminer
    from dwave.system import FixedEmbeddingComposite

    target = dnx.chimera_graph(2)
    child = dimod.StructureComposite(AnnealSampler(), list(target.nodes), list(target.edges))
    bqm = spin_glass(6, seed=6)  # K6 needs chains on Chimera
    embedding = minorminer.find_embedding(list(bqm.quadratic), list(target.edges),
                                          random_seed=1)
    assert embedding
    ss = FixedEmbeddingComposite(child, embedding).sample(bqm, num_reads=20, seed=3)
    assert ss.first.energy == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)
