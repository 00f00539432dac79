"""One-hot groups and permutation blocks: detection (qanneal.onehot) and the engine's
moves that keep them satisfied (qanneal.anneal.onehot_kernel), against exact optima."""

from __future__ import annotations

import itertools

import dimod
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal import solve
from qanneal.anneal import anneal, onehot_kernel
from qanneal.anneal.engine import prepare
from qanneal.errors import InputError
from qanneal.onehot import Block, Group, OneHotGroups, exactly_count, find_groups
from qanneal.problems.coloring import coloring_problem
from qanneal.problems.jobshop import jobshop_problem
from qanneal.problems.partition import partition_problem
from qanneal.problems.tsp import tour_length, tsp_problem
from qanneal.registry import get_backend


def _cities(n: int, seed: int) -> np.ndarray:
    pts = np.random.default_rng(seed).random((n, 2)) * 100
    return np.rint(np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1)))


def _tsp_optimum(d: np.ndarray) -> float:
    n = len(d)
    return min(tour_length(d, [0, *p]) for p in itertools.permutations(range(1, n)))


def _reduced(problem):
    groups = find_groups(problem.cqm)
    bqm, weights = problem.to_bqm(exclude=groups.labels)
    return groups, bqm, weights


# ------------------------------------------------------------------ detection
def test_tsp_is_one_permutation_block_and_leaves_the_penalty_model():
    problem = tsp_problem(_cities(5, 0))
    groups, bqm, weights = _reduced(problem)
    assert groups.summary()["block_shapes"] == [[5, 5]] and not groups.groups
    assert sorted(groups.labels) == sorted(problem.cqm.constraints)
    assert weights == {}
    assert bqm.num_interactions == problem.objective_bqm.num_interactions  # no penalty terms
    assert sorted(groups.blocks[0].rows[2]) == [(2, t) for t in range(5)]


def test_colouring_node_groups_are_one_way_and_edges_stay_penalties():
    problem = coloring_problem(nx.cycle_graph(5), 3, mode="decide")
    groups, _, weights = _reduced(problem)
    assert [g.label for g in groups.groups] == [f"node[{v}]" for v in range(5)]
    assert not groups.blocks and all(k.startswith("edge") for k in weights)


def test_partition_groups_bisection_and_k_way_transport_block():
    two = partition_problem(nx.cycle_graph(6), 2)
    groups = find_groups(two.cqm)
    assert [(g.label, g.count) for g in groups.groups] == [("balance[1]", 3)]
    three = partition_problem(nx.cycle_graph(6), 3)
    groups = find_groups(three.cqm)
    assert groups.summary()["block_shapes"] == [[6, 3]]
    assert groups.blocks[0].column_counts == [2, 2, 2]
    assert sorted(groups.labels) == sorted(three.cqm.constraints)


def test_jobshop_start_groups_are_one_way():
    problem = jobshop_problem([[(0, 2), (1, 1)], [(1, 2), (0, 1)]], horizon=5)
    groups = find_groups(problem.cqm)
    starts = [k for k in problem.cqm.constraints if str(k).startswith("one_start")]
    assert sorted(map(str, groups.labels)) == sorted(map(str, starts))
    assert not groups.blocks


def test_exactly_count_rejects_what_a_move_cannot_keep():
    x = dimod.Binaries("abc")
    a, b, c = x
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.add_constraint(a + b + c <= 1, label="le")
    cqm.add_constraint(a + b + c == 3, label="all")
    cqm.add_constraint(a * b + c == 1, label="quad")
    cqm.add_constraint(-a - b - c == -1, label="neg")
    assert [exactly_count(cqm, k) for k in ("le", "all", "quad")] == [None] * 3
    assert exactly_count(cqm, "neg") == (["a", "b", "c"], 1)


@st.composite
def _structures(draw):
    """A CQM of random disjoint one-hot groups and square permutation blocks, with a
    shuffled constraint order, and the structure it was built from."""
    sizes = draw(st.lists(st.integers(2, 5), max_size=4))
    blocks = draw(st.lists(st.integers(2, 4), max_size=2))
    cqm = dimod.ConstrainedQuadraticModel()
    constraints = []
    for g, size in enumerate(sizes):
        constraints.append(([("g", g, i) for i in range(size)], f"group[{g}]"))
    for b, k in enumerate(blocks):
        for i in range(k):
            constraints.append(([("b", b, i, j) for j in range(k)], f"row[{b},{i}]"))
            constraints.append(([("b", b, j, i) for j in range(k)], f"col[{b},{i}]"))
    order = draw(st.permutations(range(len(constraints))))
    coeff = draw(st.sampled_from([1, 2, -3]))
    for variables, _ in constraints:
        for v in variables:
            if v not in cqm.variables:
                cqm.add_variable("BINARY", v)
    for i in order:
        variables, label = constraints[i]
        cqm.add_constraint_from_iterable([(v, coeff) for v in variables], "==", coeff,
                                         label=label)
    return cqm, sizes, blocks


@settings(max_examples=40, deadline=None)
@given(_structures())
def test_find_groups_recovers_random_structures(case):
    cqm, sizes, blocks = case
    found = find_groups(cqm)
    assert sorted(len(g.variables) for g in found.groups) == sorted(sizes)
    assert sorted(b.shape[0] for b in found.blocks) == sorted(blocks)
    assert sorted(found.labels) == sorted(cqm.constraints)
    for block in found.blocks:  # rows and columns are the CQM's own groups
        k = block.shape[0]
        assert {row[0][:2] for row in block.rows} == {block.rows[0][0][:2]}
        assert len({v for row in block.rows for v in row}) == k * k


# ------------------------------------------------------------------ the engine
@pytest.mark.parametrize("seed", [0, 1])
def test_tsp_known_optimum_vs_brute_force(seed):
    d = _cities(7, seed)
    problem = tsp_problem(d)
    groups, bqm, _ = _reduced(problem)
    res = anneal(bqm, seed=seed, onehot_groups=groups, num_reads=4, num_sweeps=300)
    assert res.info["kernel"] == "sa-onehot" and res.info["onehot"]["blocks"] == 1
    ev = problem.evaluate(res.sampleset.first.sample)
    assert ev.feasible and ev.objective == _tsp_optimum(d)
    for sample in res.sampleset.samples():
        assert groups.violations(dict(sample)) == []


def test_asymmetric_tsp_known_optimum():
    d = np.array([[0, 1, 5, 5, 9], [5, 0, 1, 5, 9], [5, 5, 0, 1, 9], [5, 5, 5, 0, 1],
                  [1, 9, 9, 9, 0]], dtype=float)
    result = solve(tsp_problem(d), "anneal", seed=3, num_reads=4, num_sweeps=200)
    assert result.objective == _tsp_optimum(d) == 5.0
    assert result.info["onehot"]["blocks"] == 1 and result.penalties == {}
    assert result.info["onehot"]["cyclic_blocks"] == 0  # exchanges only: no reversals


def test_partition_bisection_known_optimum_and_every_sample_balanced():
    g = nx.gnp_random_graph(10, 0.4, seed=2)
    problem = partition_problem(g, 2)
    best = min(sum(1 for u, v in g.edges if (u in s) != (v in s))
               for s in map(set, itertools.combinations(range(10), 5)))
    result = solve(problem, "anneal", seed=1, num_reads=8, num_sweeps=200)
    assert result.objective == best
    assert result.num_feasible == result.num_samples  # balance kept by construction


def test_three_way_partition_matches_milp():
    g = nx.gnp_random_graph(9, 0.5, seed=4)
    problem = partition_problem(g, 3)
    ours = solve(problem, "anneal", seed=2, num_reads=8, num_sweeps=300)
    exact = solve(problem, "milp")
    assert ours.feasible and ours.objective == exact.objective
    assert ours.num_feasible == ours.num_samples


def test_colouring_satisfies_every_node_group_and_finds_a_proper_colouring():
    problem = coloring_problem(nx.petersen_graph(), 3, mode="decide")
    groups, bqm, _ = _reduced(problem)
    res = anneal(bqm, seed=5, onehot_groups=groups, num_reads=8, num_sweeps=200)
    for sample in res.sampleset.samples():
        assert groups.violations(dict(sample)) == []
    assert problem.evaluate(res.sampleset.first.sample).feasible


def test_jobshop_samples_keep_one_start_per_operation():
    problem = jobshop_problem([[(0, 2), (1, 1)], [(1, 2), (0, 1)], [(0, 1), (1, 2)]])
    result = solve(problem, "anneal", seed=4, num_reads=8, num_sweeps=200)
    groups = find_groups(problem.cqm)
    assert result.info["onehot"]["groups"] == len(groups.groups) > 0
    for sample in result.sampleset.samples():
        assert groups.violations(dict(sample)) == []
    assert result.feasible


def test_same_seed_same_samples_whatever_the_thread_count():
    problem = tsp_problem(_cities(6, 3))
    groups, bqm, _ = _reduced(problem)
    runs = [anneal(bqm, seed=11, onehot_groups=groups, num_reads=6, num_sweeps=50,
                   threads=t).sampleset for t in (1, 2, 2)]
    arrays = [ss.record.sample[np.lexsort(ss.record.sample.T)] for ss in runs]
    assert all(np.array_equal(arrays[0], a) for a in arrays[1:])
    other = anneal(bqm, seed=12, onehot_groups=groups, num_reads=6, num_sweeps=50)
    assert not np.array_equal(runs[0].record.sample, other.sampleset.record.sample)


def test_time_limit_run_keeps_the_anytime_trace():
    problem = tsp_problem(_cities(8, 5))
    groups, bqm, _ = _reduced(problem)
    res = anneal(bqm, seed=1, onehot_groups=groups, num_reads=2, num_sweeps=400,
                 time_limit=0.3)
    trace = res.info["best_trace"]
    assert res.info["batches"] >= 1 and trace and trace[-1][1] == res.sampleset.first.energy
    assert [t for t, _ in trace] == sorted(t for t, _ in trace)
    assert len(res.trace) == len(trace)
    for _, sample in res.trace:
        assert groups.violations(dict(zip(res.sampleset.variables, sample))) == []


def test_onehot_off_is_the_penalised_qubo_and_other_backends_keep_it():
    problem = tsp_problem(_cities(5, 1))
    off = solve(problem, "anneal", seed=1, num_reads=2, num_sweeps=50, onehot="off")
    assert "onehot" not in off.info and off.info["kernel"] != "sa-onehot"
    assert set(off.penalties) == set(problem.cqm.constraints)
    assert not get_backend("sa").uses_onehot({})
    backend = get_backend("anneal")
    assert backend.uses_onehot({}) and not backend.uses_onehot({"method": "pt"})
    assert not backend.uses_onehot({"onehot": "off"})
    # `-o onehot=off` and a problem file's `onehot: off` arrive as YAML's False.
    assert not backend.uses_onehot({"onehot": False})
    off_yaml = solve(problem, "anneal", seed=1, num_reads=2, num_sweeps=50, onehot=False)
    assert off_yaml.params["onehot"] == "off" and "onehot" not in off_yaml.info
    pt = solve(problem, "anneal", seed=1, num_reads=2, num_sweeps=20, method="pt",
               num_replicas=2)
    assert "onehot" not in pt.info and set(pt.penalties) == set(problem.cqm.constraints)


def test_bad_groups_are_one_line_errors():
    bqm = dimod.BQM({"a": 1.0, "b": 0.0, "c": 0.0}, {}, 0.0, "BINARY")
    with pytest.raises(InputError, match="not in the model"):
        prepare(bqm, OneHotGroups([Group(["a", "z"])]))
    with pytest.raises(InputError, match="two groups"):
        prepare(bqm, OneHotGroups([Group(["a", "b"]), Group(["b", "c"])]))
    with pytest.raises(InputError, match="1 <= count < size"):
        prepare(bqm, OneHotGroups([Group(["a", "b"], 2)]))
    with pytest.raises(InputError, match="onehot"):
        anneal(bqm, onehot="maybe")
    block = Block([["a", "b"]], [1, 0])
    with pytest.raises(InputError, match="at least 2 rows"):
        prepare(bqm, OneHotGroups([], [block]))


# ------------------------------------------------------------------ segment reversals
def _arrays(problem, transpose=False):
    groups, bqm, _ = _reduced(problem)
    if transpose:  # the same block with positions along its rows, cities along columns
        block = groups.blocks[0]
        rows = [list(col) for col in zip(*block.rows)]
        groups = OneHotGroups([], [Block(rows, [1] * len(rows), block.labels)], groups.labels)
    return groups, bqm, onehot_kernel.onehot_arrays(bqm, groups)


@pytest.mark.parametrize("transpose", [False, True])
def test_symmetric_tsp_block_is_cyclic_with_its_distance_matrix(transpose):
    d = _cities(6, 4)
    _, _, arrays = _arrays(tsp_problem(d), transpose)
    mode = onehot_kernel.COL_CITIES if transpose else onehot_kernel.ROW_CITIES
    assert arrays.cyc_mode.tolist() == [mode]
    assert np.array_equal(arrays.cyc_d.reshape(6, 6), d)


def test_asymmetric_tsp_partition_and_outside_couplings_are_not_cyclic():
    d = _cities(6, 4)
    d[0, 1] += 1  # one asymmetric pair: a reversal would change the segment's length
    assert _arrays(tsp_problem(d))[2].cyc_mode.tolist() == [0]
    three = partition_problem(nx.cycle_graph(6), 3)  # a 6 x 3 transport block
    groups, bqm, _ = _reduced(three)
    assert onehot_kernel.onehot_arrays(bqm, groups).cyc_mode.tolist() == [0]
    groups, bqm, _ = _reduced(tsp_problem(_cities(6, 4)))
    assert onehot_kernel.onehot_arrays(bqm, groups).cyc_mode.tolist() == [1]
    coupled = bqm.copy()
    coupled.add_quadratic((0, 0), "z", 1.0)  # a coupling leaving the block
    assert onehot_kernel.onehot_arrays(coupled, groups).cyc_mode.tolist() == [0]
    biased = bqm.copy()
    biased.add_linear((2, 3), 1.0)  # a position-dependent bias of city 2
    assert onehot_kernel.onehot_arrays(biased, groups).cyc_mode.tolist() == [0]
    step2 = bqm.copy()
    step2.add_quadratic((0, 0), (1, 2), 1.0)  # two positions apart
    assert onehot_kernel.onehot_arrays(step2, groups).cyc_mode.tolist() == [0]
    small = _reduced(tsp_problem(_cities(3, 1)))  # every 3-city tour is the same cycle
    assert onehot_kernel.onehot_arrays(small[1], small[0]).cyc_mode.tolist() == [0]


def _tour(arrays, x, k):
    """The tour (city at each position) of the block's state in ``x`` (numba-free)."""
    cells = arrays.block_vars.reshape(k, k)
    if arrays.cyc_mode[0] == onehot_kernel.COL_CITIES:
        cells = cells.T
    u, p = np.nonzero(x[cells])
    tour = np.full(k, -1)
    tour[p] = u
    return tour


@settings(max_examples=25, deadline=None)
@given(k=st.integers(4, 8), seed=st.integers(0, 2**16), transpose=st.booleans(),
       draws=st.lists(st.integers(0, 2**64 - 1), min_size=30, max_size=30))
def test_cyclic_moves_change_the_energy_by_their_delta(k, seed, transpose, draws):
    """The kernel's own proposals and updates: each reversal or swap's dE equals the BQM
    energy difference and the tour-length difference (reference: numpy on the tour), a
    reversal leaves the tour with its segment reversed (or the rest, read backwards),
    the row/column arrays follow, and the fields outside the block stay exact."""
    d = np.rint(np.random.default_rng(seed).random((k, k)) * 50)
    d = d + d.T
    groups, bqm, _ = _arrays(tsp_problem(d), transpose)
    bqm.add_linear_from({"free": 0.5, "g0": 1.0, "g1": -2.0})  # other moves, exact fields
    bqm.add_quadratic("free", "g0", 3.0)
    groups = OneHotGroups([Group(["g0", "g1"])], groups.blocks, groups.labels)
    a = onehot_kernel.onehot_arrays(bqm, groups)
    assert a.cyc_mode[0] != 0
    n = a.num_variables
    x = np.zeros(n, dtype=np.int8)
    f = np.empty(n)
    garr = np.empty(len(a.group_vars), dtype=np.int32)
    gpos = np.zeros(n, dtype=np.int32)
    rcol = np.empty(k, dtype=np.int32)
    cinv = np.empty(k, dtype=np.int32)
    onehot_kernel._init_state(x, f, garr, gpos, rcol, cinv, np.uint64(seed),
                              *onehot_kernel._args(a)[:17])
    outside = a.kind != onehot_kernel.BLOCK
    for w in draws:
        tour = _tour(a, x, k)
        e0 = bqm.energy(dict(zip(a.variables, x.tolist())))
        move = onehot_kernel._propose(np.uint64(w), x, f, garr, gpos, rcol, cinv, a.indptr,
                                      a.indices, a.data, a.kind, a.unit, a.local,
                                      a.group_ptr, a.group_count, a.block_ptr,
                                      a.block_vars, a.block_shape, a.block_flags,
                                      a.row_ptr, a.col_ptr, a.cyc_mode, a.cyc_ptr, a.cyc_d)
        nflip, b, p, s, _, de = move
        onehot_kernel._apply(*move[:5], x, f, garr, gpos, rcol, cinv, a.q, a.indptr,
                             a.indices, a.data, a.kind, a.unit, a.local, a.group_ptr,
                             a.block_ptr, a.block_vars, a.block_shape, a.row_ptr,
                             a.col_ptr, a.cyc_mode, a.cyc_ptr, a.cyc_d)
        e1 = bqm.energy(dict(zip(a.variables, x.tolist())))
        assert e1 - e0 == pytest.approx(de, abs=1e-9)
        after = _tour(a, x, k)
        assert sorted(after) == list(range(k))  # still a permutation
        if nflip == onehot_kernel.REVERSAL:
            seg = [(p + t) % k for t in range(s + 1)]
            want = tour.copy()
            want[seg] = tour[seg[::-1]]
            rest = [(p + s + 1 + t) % k for t in range(k - s - 1)]
            other = tour.copy()
            other[rest] = tour[rest[::-1]]
            assert after.tolist() in (want.tolist(), other.tolist())
            assert tour_length(d, after) - tour_length(d, tour) == pytest.approx(de)
        if nflip == onehot_kernel.CYCLIC_SWAP:
            want = tour.copy()
            want[[p, s]] = tour[[s, p]]
            assert after.tolist() == want.tolist()
        if a.cyc_mode[0] == onehot_kernel.ROW_CITIES:  # row -> column = city -> position
            assert np.array_equal(after[rcol], np.arange(k)) and np.array_equal(cinv, after)
        else:
            assert np.array_equal(rcol, after) and np.array_equal(after[cinv], np.arange(k))
        exact = a.q.copy()
        for i in range(n):
            lo, hi = a.indptr[i], a.indptr[i + 1]
            exact[i] += float(a.data[lo:hi] @ x[a.indices[lo:hi]])
        assert np.allclose(f[outside], exact[outside])
    assert groups.violations(dict(zip(a.variables, x.tolist()))) == []


@pytest.mark.parametrize("seed", [2, 3])
def test_tsp_with_reversals_known_optimum_either_orientation(seed):
    d = _cities(9, seed)
    problem = tsp_problem(d)
    groups, bqm, arrays = _arrays(problem, transpose=seed == 3)
    assert arrays.cyc_mode[0] != 0
    res = anneal(bqm, seed=seed, onehot_groups=groups, num_reads=4, num_sweeps=200)
    assert res.info["onehot"]["cyclic_blocks"] == 1
    ev = problem.evaluate(res.sampleset.first.sample)
    assert ev.feasible and ev.objective == _tsp_optimum(d)
    for sample in res.sampleset.samples():
        assert groups.violations(dict(sample)) == []


# ------------------------------------------------------------------ ejection chains
def _chain_fixture(seed: int):
    """A small job-shop's reduced BQM, its kernel arrays and a random feasible state."""
    rng = np.random.default_rng(seed)
    jobs = [[(int(m), int(rng.integers(1, 4))) for m in rng.permutation(3)] for _ in range(3)]
    problem = jobshop_problem(jobs)
    groups, bqm, _ = _reduced(problem)
    a = onehot_kernel.onehot_arrays(bqm, groups)
    n = a.num_variables
    x = np.zeros(n, dtype=np.int8)
    f, garr, gpos, rcol, cinv = onehot_kernel._read_scratch(n, a.group_vars, a.row_ptr,
                                                            a.col_ptr)
    state = onehot_kernel.seed_state(np.uint64(seed))
    state = onehot_kernel._init_state(x, f, garr, gpos, rcol, cinv, np.uint64(state),
                                      *onehot_kernel._args(a)[:17])
    return bqm, a, x, f, garr, gpos, state


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("beta", [0.0, 1e9])
def test_ejection_chain_keeps_groups_and_fields_and_prices_itself(seed, beta):
    bqm, a, x, f, garr, gpos, state = _chain_fixture(seed)
    depth = 6
    moved, froms, tos = (np.empty(depth, dtype=np.int64) for _ in range(3))
    pick = np.random.default_rng(seed)

    def energy() -> float:
        return float(bqm.energy(dict(zip(a.variables, x.tolist()))))

    for _ in range(60):
        g = int(pick.integers(len(a.group_count)))
        members = a.group_vars[a.group_ptr[g]:a.group_ptr[g + 1]]
        one = int(members[x[members] == 1][0])
        zero = int(pick.choice(members[x[members] == 0]))
        de = f[zero] - f[one] - onehot_kernel._coupling(one, zero, a.indptr, a.indices, a.data)
        before, x_before = energy(), x.copy()
        ok, total, state = onehot_kernel._chain(
            one, zero, de, beta, depth, moved, froms, tos, np.uint64(state), x, f, garr, gpos,
            a.indptr, a.indices, a.data, a.kind, a.unit, a.group_ptr, a.group_vars,
            a.group_count)
        after = energy()
        # Fields are exact after the chain or its undoing; every group keeps one start.
        dense = np.zeros((a.num_variables, a.num_variables))
        for i in range(a.num_variables):
            dense[i, a.indices[a.indptr[i]:a.indptr[i + 1]]] = a.data[a.indptr[i]:a.indptr[i + 1]]
        np.testing.assert_allclose(f, a.q + dense @ x, atol=1e-9)
        for h in range(len(a.group_count)):
            assert x[a.group_vars[a.group_ptr[h]:a.group_ptr[h + 1]]].sum() == 1
        if ok:  # the chain's price is the energy it changed
            assert after - before == pytest.approx(total, abs=1e-9)
        else:
            assert np.array_equal(x, x_before) and after == before
        if beta == 0.0:
            assert ok  # every chain is taken when nothing is uphill
        else:  # at beta 1e9 only a chain whose price is not uphill passes
            assert ok == (total <= 1e-9)


def test_chains_keep_every_start_and_reach_the_exact_optimum():
    jobs = [[(0, 2), (1, 3), (2, 1)], [(1, 2), (2, 2), (0, 1)], [(2, 3), (0, 1), (1, 2)]]
    problem = jobshop_problem(jobs)
    exact = solve(problem, "milp", seed=0)
    groups = find_groups(problem.cqm)
    result = solve(problem, "anneal", seed=3, num_reads=8, num_sweeps=300, threads=1,
                   chain=6, chain_share=1.0)
    for sample in result.sampleset.samples():
        assert groups.violations(dict(sample)) == []
    assert exact.status == "optimal" and result.feasible
    assert result.objective == exact.objective
    with pytest.raises(InputError, match="chain"):
        solve(problem, "anneal", seed=3, chain=-1)
