"""Job-shop scheduling: jobs of ordered operations on machines; minimise the makespan.

Every job is a sequence of operations ``(machine, duration)`` done in order; a machine
runs one operation at a time; durations are whole time units.

QUBO (time-indexed): a binary ``x[j, k, t]`` says operation ``k`` of job ``j`` starts at
time ``t``. Start windows are pruned with heads and tails: operation ``o`` can start
no earlier than the sum of its job predecessors' durations (head) and no later than
``horizon - duration - tail`` (tail = the sum of its successors' durations). The
constraints are ``one_start`` (exactly one start per operation, a linear equality)
and two kinds of conflict constraints, ``precedence`` (an operation starting before
its predecessor ends) and ``no_overlap`` (two operations of one machine running at
the same time), each written as ``sum of conflicting products w*x*x' == 0`` and
penalised linearly (see :func:`qanneal.model.is_conflict_constraint`). The weight of a
product may grow with the clash: ``w = 1 + clash_grade * (k - 1)`` for a clash of
``k`` time units (option ``clash_grade``; 0 makes every clash cost 1). The feasible
schedules are the same; an annealer gets a slope towards removing a clash instead of a
flat 1 that only a chain of moves undoes (ft06 at its optimal horizon with ``anneal``:
no feasible sample with flat clashes, the optimum on every seed graded). The default,
``auto``, grades (0.5) the BQM of a sampler that keeps one start per operation itself
(``anneal``'s one-hot moves) and keeps flat clashes in the CQM and in the fully
penalised QUBO, where single-flip samplers did better with them.

Makespan objective: a *late-finish penalty* on the last operation of every job.
Ending at time ``T`` costs ``w(T)``: ``0`` up to a lower bound ``LB`` on the makespan,
then ``b**(T - LB - 1)`` with ``b = jobs + 1`` ("exponential"). Since one job ending at
``C + 1`` then costs more than all jobs ending at ``C``, the least-penalty schedule
is a minimum-makespan one (exact). When ``b**(horizon - LB)`` would exceed 1e6 the
"auto" setting lowers ``b`` until the weights' ratio is 1e6 ("geometric": a surrogate
that still weighs the latest jobs most; "linear", ``w(T) = T - LB``, the jobs' total
lateness, can be asked for; the reported objective is always the true makespan). The
objective is scaled so that its largest possible value is below 1 / 1.1 times
``makespan_weight``, and every constraint gets penalty weight 1 by default. With
weight 1 (the CQM, and the fully penalised QUBO under ``auto``) any one violation then
costs more than the whole objective can gain, so feasibility always wins. Under
``anneal``'s one-hot moves ``auto`` weighs the objective :data:`MAKESPAN_WEIGHT` times
more: a clash can then be worth a shorter schedule to the energy, but not to the
answer (every sample is verified; the best feasible one is returned), and the
annealer feels the makespan while the clashes are still being settled (with weight 1
its schedules end at the horizon).

The horizon (option ``horizon``) bounds all start times; by default it is the best
makespan of a few dispatching rules (Giffler-Thompson active schedules with SPT,
LPT, MWKR and MOPNR priorities), each improved by a short deterministic tabu search
over the N5 neighbourhood (swaps at the ends of critical blocks, a bounded number of
re-timings; :func:`local_search`), plus ``horizon_room`` (5%: :data:`HORIZON_ROOM`;
at 0 a feasible sample must be at least as good as that schedule), so variables stay
few and the optimum is never cut off (see :func:`jobshop_problem` for the window
invariant). Measured: the
optimum on ft06, la01, la02, la05-la10 (JSPLIB), within 1.2% on la03 and la04 and
4.4% on ft10, in 0.05-0.35 s of CPU (before the tabu search, a descent gave up to
+19%: la02 781 for 655). Option
``time_unit`` builds the QUBO on a coarser clock (durations rounded up to whole
units): about ``unit`` times fewer variables and ``unit**2`` fewer terms, at the
price of coarser schedules (still verified against the real durations); ``auto``
(the default) takes the finest clock whose penalised BQM has at most
:data:`AUTO_UNIT_TERMS` terms (ft06: 1, la01-la05: 4, ft10: 7). The
time-indexed CQM is built on first use, after its size was counted and checked
against the memory limit (:mod:`qanneal.sizing`); the MILP path never builds it.
The penalised BQM is not converted from the CQM term by term but built in bulk from
numpy index arrays (:func:`_time_indexed_bqm`, the problem's ``bqm_builder``: the
same model; la01's 11M terms in ~3 s instead of ~50 s).
Native MILP: the disjunctive model (start times, a makespan variable,
precedence rows and big-M machine disjunctions with one order binary per pair).

>>> from qanneal import solve
>>> jobs = [[(0, 2), (1, 1)], [(1, 2), (0, 1)]]
>>> problem = jobshop_problem(jobs)
>>> result = solve(problem, "exact")
>>> result.objective, result.feasible
(3.0, True)
>>> result.solution["starts"]
[[0, 2], [0, 2]]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from operator import add
from pathlib import Path
from typing import Annotated, Any, Literal

import dimod
import numpy as np
from pydantic import Field, PositiveInt, field_validator

from qanneal import sizing
from qanneal.errors import InputError
from qanneal.formats._common import data_suffix
from qanneal.model import DEFAULT_PENALTY_MARGIN, MilpFormulation, Problem
from qanneal.problems.base import FileData, ProblemType, Strict, resolve_path
from qanneal.sizing import ModelSize

Job = Sequence[tuple[int, int]]  # (machine, duration) per operation, in job order
FORMATS = {".jss": "orlib", ".jsp": "orlib", ".tai": "taillard"}
RULES = ("SPT", "LPT", "MWKR", "MOPNR")
#: Largest ratio between late-finish weights: past it "auto" lowers the exponential's
#: base ("geometric").
MAX_WEIGHT_RATIO = 1e6
#: Slope of the graded clash penalty (:func:`_clash_slots`) under ``clash_grade:
#: auto`` with one-hot moves. Measured with
#: ``anneal`` at 10 s, one thread, default (tabu) horizons (issue 14, BENCHMARKS.md):
#: flat clashes (0) gave no feasible schedule on ft06 (horizon 55) nor on la01-la05 at
#: ``time_unit`` 5; 0.5 gave ft06's optimum 55 on 3 of 3 seeds and la01/la04/la05
#: feasible; 1 was as good on ft06, 3 worse everywhere.
CLASH_GRADE = 0.5
#: Default ``horizon_room``: the default horizon is the heuristic makespan times
#: ``1 + room`` (rounded up). Measured with ``anneal`` at 10 s, one thread, unit 5, 4
#: reads, seeds 1-2 (issue 14, BENCHMARKS.md): at room 0 (a feasible sample must be at
#: least as good as the tabu schedule) la02 had no feasible sample on any seed and la03
#: on one of two; 0.05 was feasible on every seed of ft06 and la01-la05 (objective
#: weight 1); with weight 50, 0.03 left la02 and la04 infeasible and 0.08 made every
#: answer longer than 0.05 did (+1-3%).
HORIZON_ROOM = 0.05
#: The ``makespan_weight`` that ``auto`` gives the BQM of a sampler that keeps one start
#: per operation (``anneal``). The late-finish objective is scaled so that its total is
#: below one clash (feasibility wins the penalised model); at that scale the annealer
#: settles the clashes while the objective is still noise and ends at the horizon (la02,
#: horizon 720: 719-720). Measured as above with room 0.05, unit 5, 4 reads (makespans,
#: seeds 1-3): weight 20 la02 700 / la03 657-661 / la04 624-629, every seed feasible;
#: 50 a little shorter (la03 652-655) but la02 infeasible on one seed of two; 200 no
#: feasible sample (la02). With the engine's 16 reads at ``time_unit: auto``, 30 left
#: la02 infeasible on 3 seeds of 3, 20 on 1 of 3 (la03 650-658 either way).
MAKESPAN_WEIGHT = 20.0
#: ``time_unit: auto`` takes the smallest unit whose penalised BQM has at most this many
#: quadratic terms: la01-la05 get unit 4 (~5,000 variables, ~1M terms: ~4M one-hot
#: attempts/s on one core, so ~500 sweeps of 16 reads in 10 s), ft10 7, ft06 stays at
#: 1. la02 at unit 4 was feasible on 3 of 3 seeds at 10 s, at unit 5 on 2 of 3. A finer
#: clock can be asked for; it is the better model given time (la01 at unit 1 reached
#: its optimum 666, but only at 60 s; preparing its 9.6M couplings takes ~15 s).
AUTO_UNIT_TERMS = 1_200_000
#: Largest horizon accepted (start times stay well inside int64 arithmetic).
MAX_HORIZON = 2**40
#: Re-timings (tabu steps) the local search may spend per dispatching rule: a
#: deterministic budget, unlike a time limit. About 50 us a step on 10 x 5, 80 us on
#: 10 x 10 (plain Python).
LOCAL_SEARCH_EVALUATIONS = 1000
#: ... and at most this many operation re-timings per rule (steps x operations), so
#: large instances (a re-timing costs time in proportion to the operations) get fewer
#: steps: 333 on 20 x 15, 50 on 100 x 20; under 0.1 s per rule whatever the size.
LOCAL_SEARCH_WORK = 100_000
#: Shortest tabu tenure (steps); each swap is forbidden to be undone for between this
#: and twice this many steps.
TABU_TENURE = 8
#: Steps without a new best after which the tabu search returns to the best schedule.
TABU_STALL = 300
#: The search stops after this many steps per operation without a new best (10 x 5:
#: 500 steps): small instances, whose best is found early and whose lower bound is
#: weak, then take milliseconds instead of the whole budget; no benchmark lost by it.
TABU_PATIENCE = 10


# ---------------------------------------------------------------------- instance facts
def op_name(j: int, k: int) -> str:
    """The display name of operation ``k`` of job ``j``: ``'J0.O1'``."""
    return f"J{j}.O{k}"


def heads_tails(jobs: Sequence[Job]) -> tuple[list[list[int]], list[list[int]]]:
    """Per operation: total duration of its job predecessors (head) and successors (tail)."""
    heads, tails = [], []
    for job in jobs:
        p = [d for _, d in job]
        before = np.concatenate([[0], np.cumsum(p)[:-1]]).astype(int).tolist() if p else []
        total = sum(p)
        heads.append(before)
        tails.append([total - b - d for b, d in zip(before, p)])
    return heads, tails


def lower_bound(jobs: Sequence[Job]) -> int:
    """A simple makespan lower bound: the longest job or the busiest machine.

    >>> lower_bound([[(0, 3), (1, 2)], [(1, 4), (0, 1)]])
    6
    """
    load: dict[int, int] = {}
    for job in jobs:
        for m, d in job:
            load[m] = load.get(m, 0) + d
    longest = max((sum(d for _, d in job) for job in jobs), default=0)
    return int(max(longest, max(load.values(), default=0)))


def makespan(jobs: Sequence[Job], starts: Sequence[Sequence[int]]) -> int:
    """The latest end time of ``starts`` (per-job lists of start times)."""
    return int(max((s + d for job, st in zip(jobs, starts)
                    for (_, d), s in zip(job, st)), default=0))


# ---------------------------------------------------------------------- heuristics
def dispatch_schedule(jobs: Sequence[Job], rule: str = "MWKR") -> list[list[int]]:
    """An active schedule by Giffler-Thompson with a priority ``rule``.

    Written here because no maintained Python library offers job-shop dispatching
    (OR-Tools solves, it does not dispatch); it is 30 lines. Rules: SPT (shortest
    processing time), LPT (longest), MWKR (most work remaining), MOPNR (most
    operations remaining).

    >>> dispatch_schedule([[(0, 3), (1, 2)], [(1, 4), (0, 1)]], "MWKR")
    [[0, 4], [0, 4]]
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    nxt = [0] * len(jobs)
    job_ready = [0] * len(jobs)
    machine_ready: dict[int, int] = {}
    remaining = [sum(d for _, d in job) for job in jobs]
    starts: list[list[int]] = [[0] * len(job) for job in jobs]
    left = sum(len(job) for job in jobs)
    while left:
        cand = []
        for j, job in enumerate(jobs):
            if nxt[j] < len(job):
                m, d = job[nxt[j]]
                est = max(job_ready[j], machine_ready.get(m, 0))
                cand.append((est + d, est, j, m, d))
        ect, _, _, m_star, _ = min(cand)
        conflict = [c for c in cand if c[3] == m_star and c[1] < ect] or [min(cand)]

        def priority(c: tuple[int, int, int, int, int]) -> tuple[float, int]:
            _, _, j, _, d = c
            value = {"SPT": d, "LPT": -d, "MWKR": -remaining[j],
                     "MOPNR": -(len(jobs[j]) - nxt[j])}[rule]
            return value, j

        _, est, j, m, d = min(conflict, key=priority)
        starts[j][nxt[j]] = est
        job_ready[j] = machine_ready[m] = est + d
        remaining[j] -= d
        nxt[j] += 1
        left -= 1
    return starts


def heuristic_schedule(jobs: Sequence[Job], *, search: bool = True
                       ) -> tuple[list[list[int]], int]:
    """A good feasible schedule: ``(starts, makespan)``, the default horizon.

    Every dispatching rule's schedule, each improved by :func:`local_search` (a short
    tabu search; unless ``search`` is false); the best one. Deterministic. Its makespan
    bounds the optimum from above, so a horizon equal to it never cuts the optimum
    off. About 0.05-0.2 s of CPU on 10 x 5 and 15 x 5 instances, 0.3 s from 10 x 10 up
    (the tabu steps shrink as instances grow; 0.5 s on 100 x 20 with the dispatching);
    within 1.2% of the optimum on ft06 and la01-la10, 4.4% on ft10.
    """
    best, best_span = None, math.inf
    for rule in RULES:
        starts = dispatch_schedule(jobs, rule)
        span = makespan(jobs, starts)
        if search:
            starts, span = local_search(jobs, starts)
        if span < best_span:
            best, best_span = starts, span
    assert best is not None
    return best, int(best_span)


def local_search(jobs: Sequence[Job], starts: Sequence[Sequence[int]], *,
                 max_evaluations: int | None = None) -> tuple[list[list[int]], int]:
    """Improve a feasible schedule by a tabu search over the N5 neighbourhood.

    The schedule is held as one operation sequence per machine (operations of
    positive length; a zero-length one occupies no machine) and timed as a
    semi-active schedule: heads (start times) and tails by longest paths in the
    disjunctive graph, one *evaluation* (re-timing). Each step takes one critical
    path, splits it into blocks (runs of consecutive operations of one machine) and
    considers the N5 moves of Nowicki and Smutnicki (1996), swapping the first two and
    the last two operations of each block (swaps inside a block cannot shorten the
    path), plus the two N5 leaves out (the first two of the first block, the last two
    of the last): they cannot shorten this path either, but without them the search
    missed the optimum of 1 in 300 random 3 x 3 instances, with them none (and no
    worse on the benchmarks). A swap of two adjacent critical operations never makes
    a cycle (van Laarhoven, Aarts and Lenstra 1992) unless both belong to one job
    (a job revisiting a machine); those are skipped. Moves are ranked by Taillard's
    (1994) makespan estimate from the heads and tails of the two operations, so a
    step costs one evaluation; the best move that does not undo a recent swap is
    taken even if it is worse (a tabu move only when its estimate beats the best
    makespan found, or when every move is tabu: the one whose tabu ends first).
    After :data:`TABU_STALL` steps without a new best the search goes back to the
    best schedule with an empty tabu list. It stops at :func:`lower_bound`, after
    :data:`TABU_PATIENCE` steps per operation without a new best, or after
    ``max_evaluations`` steps (default: :data:`LOCAL_SEARCH_EVALUATIONS`, fewer on
    instances of more than :data:`LOCAL_SEARCH_WORK` / 1000 operations).

    Deterministic (ties and tabu tenures come from a fixed-seed generator); returns
    ``(starts, makespan)`` of the best schedule seen: feasible, and never worse than
    the input (a feasible input's machine orders, timed semi-actively, start no
    operation later).

    >>> jobs = [[(0, 1), (1, 5)], [(1, 1), (0, 5)]]
    >>> local_search(jobs, [[6, 7], [0, 1]])
    ([[0, 1], [0, 1]], 6)
    """
    n = sum(len(job) for job in jobs)
    if max_evaluations is None:
        max_evaluations = min(LOCAL_SEARCH_EVALUATIONS, LOCAL_SEARCH_WORK // max(n, 1))
    offset = np.concatenate([[0], np.cumsum([len(job) for job in jobs])]).astype(int).tolist()
    p = [d for job in jobs for _, d in job]
    job_of = [j for j, job in enumerate(jobs) for _ in job]
    flat = [s for row in starts for s in row]
    jp = [-1 if o == offset[job_of[o]] else o - 1 for o in range(n)]
    js = [-1 if o + 1 == offset[job_of[o] + 1] else o + 1 for o in range(n)]
    machine = [m for job in jobs for m, _ in job]
    seqs: dict[int, list[int]] = {}
    for o in sorted((o for o in range(n) if p[o] > 0), key=lambda o: (flat[o], o)):
        seqs.setdefault(machine[o], []).append(o)
    mp, ms = [-1] * n, [-1] * n
    for seq in seqs.values():
        for a, b in zip(seq, seq[1:]):
            mp[b], ms[a] = a, b

    def timing(head: list[int], tail: list[int], h0: int, t0: int
               ) -> tuple[list[int], list[int], int] | None:
        """Heads (semi-active starts), tails (longest path from an operation's end)
        and the makespan of the current sequences; None if they make a cycle.

        Only operations whose old head is at least ``h0`` get new heads, and only
        those whose old tail is at least ``t0`` new tails (all of them with ``h0 =
        t0 = 0``). After swapping ``u`` before ``v`` the heads that can change are
        those of ``v`` and its new descendants, which all had heads >= ``head[u]``;
        the tails, those of ``u`` and its new ancestors, with tails >= ``tail[v]``.
        Half the work on average, in a search that spends its time here.
        """
        head = longest(head, h0, (jp, mp), (js, ms))
        if head is None:
            return None
        # Tails: the same backwards (an acyclic head pass leaves no cycle to find).
        tail = longest(tail, t0, (js, ms), (jp, mp))
        assert tail is not None
        return head, tail, max(map(add, head, p), default=0)

    def longest(values: list[int], low: int, before: tuple[list[int], list[int]],
                after: tuple[list[int], list[int]]) -> list[int] | None:
        """Longest-path values over the job and machine links (heads with ``before`` =
        predecessors; tails with the links reversed) for the operations whose old
        value is at least ``low``, the rest fixed (Kahn's algorithm over that part);
        None if the part holds a cycle."""
        values = values[:]
        part = [o for o in range(n) if values[o] >= low]
        inside = [v >= low for v in values]
        indegree = [0] * n
        stack = []
        for o in part:
            start, count = 0, 0
            for a in (before[0][o], before[1][o]):
                if a >= 0:
                    if inside[a]:
                        count += 1
                    elif values[a] + p[a] > start:
                        start = values[a] + p[a]
            values[o] = start
            if count:
                indegree[o] = count
            else:
                stack.append(o)
        done = 0
        while stack:
            o = stack.pop()
            done += 1
            end = values[o] + p[o]
            for s in (after[0][o], after[1][o]):
                if s >= 0:
                    if end > values[s]:
                        values[s] = end
                    indegree[s] -= 1
                    if not indegree[s]:
                        stack.append(s)
        return values if done == len(part) else None

    def moves(head: list[int], span: int) -> list[tuple[int, int]]:
        """The swaps ``(u, v)`` (u right before v on their machine) at both ends of
        each block of one critical path, traced back from the first operation ending
        at the makespan (preferring machine predecessors: longer blocks)."""
        o = next(o for o in range(n) if head[o] + p[o] == span)
        path = [o]
        while head[o] > 0:  # semi-active: some predecessor ends exactly at head[o]
            a = mp[o]
            o = a if a >= 0 and head[a] + p[a] == head[o] else jp[o]
            path.append(o)
        path.reverse()
        blocks, block = [], [path[0]]
        for a, b in zip(path, path[1:]):
            if ms[a] == b:
                block.append(b)
            else:
                blocks.append(block)
                block = [b]
        blocks.append(block)
        pairs = [pair for block in blocks if len(block) > 1
                 for pair in ((block[0], block[1]), (block[-2], block[-1]))]
        return [(u, v) for u, v in dict.fromkeys(pairs) if job_of[u] != job_of[v]]

    def estimate(u: int, v: int, head: list[int], tail: list[int]) -> int:
        """Taillard's makespan estimate after swapping ``u`` and ``v`` (exact for the
        longest path through either of them)."""
        a, b, ju, jv = mp[u], ms[v], jp[u], jp[v]
        hv = max(head[jv] + p[jv] if jv >= 0 else 0, head[a] + p[a] if a >= 0 else 0)
        hu = max(head[ju] + p[ju] if ju >= 0 else 0, hv + p[v])
        su, sv = js[u], js[v]
        tu = max(tail[su] + p[su] if su >= 0 else 0, tail[b] + p[b] if b >= 0 else 0)
        tv = max(tail[sv] + p[sv] if sv >= 0 else 0, tu + p[u])
        return max(hv + p[v] + tv, hu + p[u] + tu)

    def swap(u: int, v: int) -> None:
        """Exchange ``u`` and its machine successor ``v``."""
        a, b = mp[u], ms[v]
        seq = seqs[machine[u]]
        i = seq.index(u)
        seq[i], seq[i + 1] = v, u
        if a >= 0:
            ms[a] = v
        if b >= 0:
            mp[b] = u
        mp[v], ms[v], mp[u], ms[u] = a, u, v, b

    zeros = [0] * n
    timed = timing(zeros, zeros, 0, 0)
    assert timed is not None, "the input schedule is feasible, so its sequences are acyclic"
    head, tail, span = timed
    best_head, best_span = head, span
    best_seqs = {m: list(seq) for m, seq in seqs.items()}
    floor = lower_bound(jobs)
    rng = random.Random(0)
    tabu: dict[tuple[int, int], int] = {}  # arc (u, v) -> step until which it may not return
    stale = since_best = 0
    patience = TABU_PATIENCE * n
    for step in range(max_evaluations):
        if best_span <= floor or since_best >= patience:
            break
        options = moves(head, span)
        if not options:  # only when a job revisits a machine (see above)
            if span == best_span:
                break
            stale = TABU_STALL  # a dead end: back to the best
        if stale >= TABU_STALL:
            seqs = {m: list(seq) for m, seq in best_seqs.items()}
            for seq in seqs.values():
                mp[seq[0]], ms[seq[-1]] = -1, -1
                for a, b in zip(seq, seq[1:]):
                    mp[b], ms[a] = a, b
            head, tail, span = timing(zeros, zeros, 0, 0) or (head, tail, span)
            tabu.clear()
            stale = 0
            continue
        ranked = []
        for u, v in options:
            value = estimate(u, v, head, tail)
            until = tabu.get((v, u), -1)  # swapping re-creates the arc v -> u
            allowed = until < step or value < best_span
            ranked.append((not allowed, until if not allowed else value, rng.random(), u, v))
        *_, u, v = min(ranked)
        h0, t0 = head[u], tail[v]
        swap(u, v)
        tabu[(u, v)] = step + TABU_TENURE + rng.randrange(TABU_TENURE)
        timed = timing(head, tail, h0, t0)
        if timed is None:  # cannot happen (see above); undo and forbid, to be safe
            swap(v, u)
            tabu[(v, u)] = max_evaluations
            continue
        head, tail, span = timed
        stale += 1
        since_best += 1
        if span < best_span:
            best_head, best_span, stale, since_best = head, span, 0, 0
            best_seqs = {m: list(seq) for m, seq in seqs.items()}
    return [best_head[offset[j]:offset[j + 1]] for j in range(len(jobs))], int(best_span)


def semi_active(jobs: Sequence[Job], priority: Sequence[Sequence[float | None]]
                ) -> list[list[int]]:
    """A feasible semi-active schedule that follows ``priority`` (e.g. decoded starts).

    Operations are placed one at a time, always the next operation of the job whose
    next operation has the smallest priority, as early as its job and machine allow.
    Fed a feasible schedule's starts it returns the same schedule or a left-shifted
    one (never later); missing priorities (None) follow the job predecessor.

    >>> semi_active([[(0, 2), (1, 1)], [(1, 2), (0, 1)]], [[0, 9], [0, None]])
    [[0, 2], [0, 2]]
    """
    keys: list[list[float]] = []
    for job, pr in zip(jobs, priority):
        row, last = [], -math.inf
        for k in range(len(job)):
            value = pr[k] if k < len(pr) and pr[k] is not None else last
            last = max(last, float(value))
            row.append(last)
        keys.append(row)
    nxt = [0] * len(jobs)
    job_ready = [0] * len(jobs)
    machine_ready: dict[int, int] = {}
    starts: list[list[int]] = [[0] * len(job) for job in jobs]
    for _ in range(sum(len(job) for job in jobs)):
        j = min((j for j in range(len(jobs)) if nxt[j] < len(jobs[j])),
                key=lambda j: (keys[j][nxt[j]], j))
        m, d = jobs[j][nxt[j]]
        # A zero-length operation occupies no machine time, so only its job delays it.
        s = max(job_ready[j], machine_ready.get(m, 0)) if d > 0 else job_ready[j]
        starts[j][nxt[j]] = s
        job_ready[j] = s + d
        if d > 0:
            machine_ready[m] = s + d
        nxt[j] += 1
    return starts


# ---------------------------------------------------------------------- checking
def schedule_violations(jobs: Sequence[Job], starts: Any) -> list[str]:
    """Why ``starts`` (per-job lists of start times) is not a valid schedule."""
    if not isinstance(starts, Sequence) or len(starts) != len(jobs):
        return [f"'starts' must list one row of start times per job ({len(jobs)} jobs)"]
    out: list[str] = []
    by_machine: dict[int, list[tuple[int, int, str]]] = {}
    for j, (job, row) in enumerate(zip(jobs, starts)):
        if not isinstance(row, Sequence) or len(row) != len(job):
            out.append(f"job J{j} needs {len(job)} start times")
            continue
        prev_end = None
        for k, ((m, d), s) in enumerate(zip(job, row)):
            if s is None:
                out.append(f"operation {op_name(j, k)} is not scheduled")
                prev_end = None
                continue
            if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
                out.append(f"operation {op_name(j, k)} starts at {s!r}; starts are "
                           "non-negative integers")
                prev_end = None
                continue
            if prev_end is not None and s < prev_end:
                out.append(f"operation {op_name(j, k)} starts at {s}, before "
                           f"{op_name(j, k - 1)} ends at {prev_end}")
            prev_end = s + d
            if d > 0:
                by_machine.setdefault(m, []).append((int(s), int(s) + d, op_name(j, k)))
    for m, intervals in sorted(by_machine.items()):
        intervals.sort()
        for (_, e1, a), (s2, _, b) in zip(intervals, intervals[1:]):
            if s2 < e1:
                out.append(f"machine M{m}: {b} starts at {s2} while {a} runs until {e1}")
    return out


def schedule_rows(jobs: Sequence[Job], starts: Sequence[Sequence[int | None]]
                  ) -> list[dict[str, Any]]:
    """The schedule as table rows (job, op, machine, start, end), sorted by start."""
    rows = [{"job": f"J{j}", "op": op_name(j, k), "machine": f"M{m}", "start": s,
             "end": None if s is None else s + d}
            for j, (job, row) in enumerate(zip(jobs, starts))
            for k, ((m, d), s) in enumerate(zip(job, row))]
    return sorted(rows, key=lambda r: (r["start"] is None, r["start"] or 0, r["op"]))


def make_solution(jobs: Sequence[Job], starts: Sequence[Sequence[int | None]]
                  ) -> dict[str, Any]:
    """The solution dict: ``starts`` (checked) plus derived ``makespan`` and ``schedule``."""
    starts = [[None if s is None else int(s) for s in row] for row in starts]
    complete = all(s is not None for row in starts for s in row)
    return {"starts": starts,
            "makespan": makespan(jobs, starts) if complete else None,
            "schedule": schedule_rows(jobs, starts)}


# ---------------------------------------------------------------------- the QUBO
def late_finish_kind(lb: int, ub: int, count: int, kind: str = "auto") -> str:
    """The late-finish kind ``auto`` resolves to: exponential while the weights' ratio
    ``(count + 1) ** (ub - lb - 1)`` stays within :data:`MAX_WEIGHT_RATIO`, else
    geometric (the same form with a smaller base, so that the ratio stays within it)."""
    if kind != "auto":
        return kind
    fits = (ub - lb - 1) * math.log(count + 1.0) <= math.log(MAX_WEIGHT_RATIO)
    return "exponential" if fits else "geometric"


def late_finish_weights(ends: np.ndarray, lb: int, ub: int, count: int,
                        kind: str = "auto") -> tuple[np.ndarray, str]:
    """Late-finish weights for end times ``ends`` (see the module docstring), unscaled.

    ``count`` is how many operations carry the penalty (one per job); returns the
    weights and the kind actually used (``exponential`` or ``linear``).

    >>> late_finish_weights(np.array([4, 5, 6, 7]), 5, 7, 2)[0].tolist()
    [0.0, 0.0, 1.0, 3.0]
    >>> w, kind = late_finish_weights(np.array([6, 30]), 5, 30, 9)
    >>> kind, round(w[1] / w[0])  # base 1e6 ** (1/24), not 10: the ratio stays 1e6
    ('geometric', 1000000)
    """
    late = np.maximum(np.asarray(ends) - lb, 0)
    base = count + 1.0
    kind = late_finish_kind(lb, ub, count, kind)
    if kind == "geometric":
        base = min(base, MAX_WEIGHT_RATIO ** (1.0 / max(ub - lb - 1, 1)))
    if kind in ("exponential", "geometric"):
        return np.where(late > 0, base ** (late - 1.0), 0.0), kind
    if kind == "linear":
        return late.astype(float), kind
    raise ValueError(f"unknown late-finish kind {kind!r}; use auto, exponential, "
                     "geometric or linear")


def conflict_pairs(jobs: Sequence[Job]) -> list[tuple[int, int, str, str]]:
    """Pairs of operations (flat indices) that may clash: ``(a, b, kind, label)``.

    ``precedence``: consecutive operations of one job (b must not start before a ends);
    ``no_overlap``: two operations of different jobs on one machine, both of positive
    length.
    """
    ops = [(j, k) for j, job in enumerate(jobs) for k in range(len(job))]
    index = {op: i for i, op in enumerate(ops)}
    pairs = [(index[(j, k)], index[(j, k + 1)], "precedence", f"precedence[{j},{k}]")
             for j, job in enumerate(jobs) for k in range(len(job) - 1)]
    by_machine: dict[int, list[int]] = {}
    for i, (j, k) in enumerate(ops):
        if jobs[j][k][1] > 0:
            by_machine.setdefault(jobs[j][k][0], []).append(i)
    for _, members in sorted(by_machine.items()):
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                (ja, ka), (jb, kb) = ops[a], ops[b]
                if ja != jb:  # same job: ordered by the precedence chain already
                    pairs.append((a, b, "no_overlap", f"no_overlap[{ja},{ka},{jb},{kb}]"))
    return pairs


def _clash_range(kind: str, da: int, db: int) -> tuple[float, int]:
    """Start differences ``tb - ta`` that clash, as an inclusive range ``(lo, hi)``."""
    if kind == "precedence":  # b starts before a ends
        return -math.inf, da - 1
    return -(db - 1), da - 1  # the two intervals overlap


def count_clashes(ea: int, la: int, eb: int, lb: int, lo: float, hi: int) -> int:
    """Pairs ``ea <= ta <= la``, ``eb <= tb <= lb`` with ``lo <= tb - ta <= hi``, in
    closed form (O(1) whatever the windows: a horizon of 10^8 must not allocate).

    >>> count_clashes(0, 2, 0, 2, -1, 1)  # |ta - tb| <= 1 on a 3 x 3 grid
    7
    """
    width = lb - eb + 1
    if la < ea or width <= 0:
        return 0

    def below(y: int) -> int:
        """Pairs ``(x, tb)`` with ``x <= y`` and ``eb <= tb <= min(lb, x)``, summed
        over x: the running total of ``clip(x - eb + 1, 0, width)``."""
        if y < eb:
            return 0
        k = min(y, lb) - eb + 1
        return k * (k + 1) // 2 + max(y - lb, 0) * width

    def at_most(c: int) -> int:  # pairs with tb - ta <= c
        return below(la + c) - below(ea - 1 + c)

    total = at_most(hi)
    if lo != -math.inf:
        total -= at_most(int(lo) - 1)
    return int(total)


def time_indexed_size(jobs: Sequence[Job], est: np.ndarray, lst: np.ndarray
                      ) -> tuple[ModelSize, ModelSize]:
    """Sizes of the time-indexed CQM and of its penalised BQM, from the windows alone.

    CQM: one variable per window slot, ``one_start`` entries, and per conflict
    constraint its clashing pairs (quadratic terms) over the slots they touch (bounded
    here by the two windows). BQM: the same conflict terms plus each ``one_start``
    penalty's ``w (w - 1) / 2`` pairs for a window of ``w``. (The BQM is built from
    the CQM, so both are held at once: check ``cqm + bqm``.)
    """
    dur = [d for job in jobs for _, d in job]
    size = (lst - est + 1).astype(np.int64)
    variables = int(size.sum())
    terms, entries, constraints = 0, variables, len(size)
    for a, b, kind, _ in conflict_pairs(jobs):
        lo, hi = _clash_range(kind, dur[a], dur[b])
        n = count_clashes(int(est[a]), int(lst[a]), int(est[b]), int(lst[b]), lo, hi)
        if n:
            terms += n
            entries += int(size[a] + size[b])
            constraints += 1
    one_start = sum(int(w) * (int(w) - 1) // 2 for w in size)  # Python ints: no overflow
    return (ModelSize(variables, terms, entries, constraints),
            ModelSize(variables, terms + one_start))


def coarse_jobs(jobs: Sequence[Job], unit: int) -> list[list[tuple[int, int]]]:
    """Durations in units of ``unit`` time steps, rounded up (a coarse schedule, scaled
    back by ``unit``, stays feasible: every operation keeps at least its real length)."""
    return [[(m, -(-d // unit)) for m, d in job] for job in jobs]


def jobshop_problem(jobs: Sequence[Job], *, horizon: int | None = None,
                    late_finish: str = "auto", time_unit: int | str = "auto",
                    clash_grade: float | str = "auto", horizon_room: float = HORIZON_ROOM,
                    makespan_weight: float | str = "auto", name: str | None = None,
                    known_optimum: float | None = None) -> Problem:
    """The job-shop problem; ``jobs[j]`` lists ``(machine, duration)`` in job order.

    ``time_unit`` > 1 builds the QUBO on a coarse clock: durations rounded up to
    whole units, starts decoded back as multiples of the unit (feasible for the real
    durations, but possibly longer than the true optimum); ``auto`` (the default) takes
    the smallest unit whose penalised BQM has at most :data:`AUTO_UNIT_TERMS` terms.
    ``horizon`` is in real time units; without it the horizon is the heuristic
    makespan (on the coarse clock) times ``1 + horizon_room``. ``makespan_weight``
    scales the late-finish objective against the clash penalties (see
    :data:`MAKESPAN_WEIGHT`; ``auto``: that weight in the BQM of a sampler that keeps
    one start per operation, 1 elsewhere). The time-indexed CQM is built only when
    first used (``problem.cqm``), after its size is checked (:mod:`qanneal.sizing`);
    the MILP path never builds it.

    Window invariant: every schedule (of the coarse instance when ``time_unit`` > 1)
    with makespan <= horizon starts each operation inside its window ``[head,
    horizon - duration - tail]``, because its job predecessors must all run before it
    and its successors after it. The default horizon is a feasible schedule's makespan
    (:func:`heuristic_schedule`) plus room, so the optimum is never cut off.
    """
    jobs = _check_jobs(jobs)
    if clash_grade != "auto" and not (
            isinstance(clash_grade, (int, float)) and not isinstance(clash_grade, bool)
            and 0 <= clash_grade <= 100):
        raise InputError(f"clash_grade {clash_grade!r}; give auto or a number from 0 "
                         "(every clash costs 1) to 100", field="clash_grade")
    cqm_grade = 0.0 if clash_grade == "auto" else float(clash_grade)
    if makespan_weight != "auto" and not (
            isinstance(makespan_weight, (int, float)) and not isinstance(makespan_weight, bool)
            and 0 < makespan_weight <= 1000):
        raise InputError(f"makespan_weight {makespan_weight!r}; give auto or a number "
                         "above 0 and at most 1000", field="makespan_weight")
    cqm_scale = 1.0 if makespan_weight == "auto" else float(makespan_weight)
    if not (isinstance(horizon_room, (int, float)) and not isinstance(horizon_room, bool)
            and 0 <= horizon_room <= 1):
        raise InputError(f"horizon_room {horizon_room!r}; give a fraction from 0 to 1",
                         field="horizon_room")
    if time_unit != "auto" and not (isinstance(time_unit, int)
                                    and not isinstance(time_unit, bool) and time_unit >= 1):
        raise InputError(f"time_unit {time_unit!r}; give auto or a positive integer",
                         field="time_unit")
    lb = lower_bound(jobs)
    heuristic, ub = heuristic_schedule(jobs)
    if horizon is not None and horizon > MAX_HORIZON:
        raise InputError(f"horizon {horizon} is beyond any model that could be built "
                         f"(at most {MAX_HORIZON}); the heuristic schedule takes {ub}",
                         field="horizon")
    if horizon is not None and horizon < lb:
        raise InputError(f"horizon {horizon} is below the makespan lower bound {lb} (the "
                         "longest job or busiest machine); no schedule fits", field="horizon")
    unit, searched = (_choose_time_unit(jobs, horizon, horizon_room, ub)
                      if time_unit == "auto" else (int(time_unit), None))
    cjobs = coarse_jobs(jobs, unit) if unit > 1 else jobs
    clb = lower_bound(cjobs)
    if horizon is None:
        if searched is None:
            searched = ub if unit == 1 else heuristic_schedule(cjobs)[1]
        chorizon = math.ceil(searched * (1.0 + horizon_room))
    else:
        chorizon = horizon // unit  # a coarse makespan C ends at unit * C in real time
        if chorizon < clb:
            raise InputError(f"horizon {horizon} is {chorizon} units of {unit}, below the "
                             f"coarse instance's lower bound {clb} units; give a larger "
                             "horizon or a smaller time_unit", field="horizon")
    ops = [(j, k) for j, job in enumerate(cjobs) for k in range(len(job))]
    est, lst = _windows(cjobs, chorizon)
    dur = np.array([cjobs[j][k][1] for j, k in ops], dtype=np.int64)
    size = lst - est + 1
    if (size <= 0).any():  # only when horizon < longest job, which lb already excludes
        raise InputError(f"horizon {horizon} is shorter than a job", field="horizon")
    base = np.concatenate([[0], np.cumsum(size)[:-1]])
    op_index = {op: i for i, op in enumerate(ops)}
    last = [op_index[(j, len(job) - 1)] for j, job in enumerate(cjobs) if job]
    kind = late_finish_kind(clb, chorizon, len(last), late_finish)
    cqm_size, bqm_size = time_indexed_size(cjobs, est, lst)
    what = (f"the time-indexed job-shop QUBO (horizon {chorizon}"
            + (f" x {unit}" if unit > 1 else "") + ")")

    def fix() -> str:
        hint = f"use --horizon nearer {lb} (heuristic: {ub})"
        fitting = fitting_time_unit(jobs, horizon=horizon)
        if fitting is not None:
            hint += f", --time-unit {fitting} (coarser clock)"
        return hint + ", or --backend milp"

    def check_bqm_size() -> None:
        sizing.check_bqm(what, cqm_size, bqm_size, fix)

    def labels() -> list[Hashable]:
        return [(j, k, int(t)) for (j, k), e, n in zip(ops, est, size)
                for t in range(e, e + n)]

    def build_cqm() -> dimod.ConstrainedQuadraticModel:
        sizing.check(what, cqm_size, fix)
        return _time_indexed_cqm(cjobs, ops, est, lst, dur, base, labels(), last, clb,
                                 chorizon, late_finish, what, cqm_grade, cqm_scale)

    def build_bqm(weights: Mapping[str, float], exclude: Collection[Hashable]
                  ) -> dimod.BinaryQuadraticModel:
        # "auto": graded clashes for a sampler that keeps one start per operation itself
        # (anneal's one-hot moves, which the grading is for), flat ones on the fully
        # penalised QUBO: single-flip sa on random 3x4 instances kept 13-25 of 50
        # samples feasible with graded clashes against 32-50 with flat ones.
        kept = any(str(label).startswith("one_start[") for label in exclude)
        grade = CLASH_GRADE if clash_grade == "auto" and kept else cqm_grade
        scale = MAKESPAN_WEIGHT if makespan_weight == "auto" and kept else cqm_scale
        return _time_indexed_bqm(cjobs, ops, est, lst, dur, base, labels(), last, clb,
                                 chorizon, late_finish, weights, exclude, grade, scale)

    def decode(sample: Mapping[Hashable, int]) -> dict[str, Any]:
        starts: list[list[int | None]] = [[None] * len(job) for job in jobs]
        for i, (j, k) in enumerate(ops):
            # Zero or several starts: take the earliest (None if none); verify and
            # repair work from there.
            on = next((t for t in range(est[i], lst[i] + 1) if sample[(j, k, t)]), None)
            starts[j][k] = None if on is None else int(on) * unit
        return make_solution(jobs, starts)

    def verify(solution: Mapping[str, Any]) -> list[str]:
        if not isinstance(solution, Mapping) or "starts" not in solution:
            return ["solution must have 'starts': one list of start times per job"]
        return schedule_violations(jobs, solution["starts"])

    def objective(solution: Mapping[str, Any]) -> float:
        return float(makespan(jobs, solution["starts"]))

    def repair(solution: Mapping[str, Any]) -> dict[str, Any]:
        return make_solution(jobs, semi_active(jobs, solution["starts"]))

    def describe(solution: Mapping[str, Any]) -> str:
        return describe_schedule(solution, chorizon * unit)

    problem = Problem(kind="jobshop", cqm=build_cqm, decode=decode, verify=verify,
                      objective=objective, sense="min", name=name,
                      known_optimum=known_optimum,
                      milp=lambda: jobshop_milp(jobs, ub, heuristic), repair=repair,
                      describe=describe, data=jobs,
                      # Objective < 1/1.1 in total, so weight 1 makes feasibility win
                      # globally (a stronger bound than the generic one-flip default).
                      penalties={"*": 1.0}, check_bqm_size=check_bqm_size,
                      bqm_builder=build_bqm,
                      options={"horizon": int(chorizon * unit), "lower_bound": lb,
                               "heuristic_makespan": ub, "late_finish": kind,
                               "time_unit": unit, "clash_grade": clash_grade,
                               "horizon_room": horizon_room,
                               "makespan_weight": makespan_weight,
                               "variables": cqm_size.variables,
                               "estimated_bqm_terms": bqm_size.terms})
    problem.options["heuristic_starts"] = heuristic
    return problem


def fitting_time_unit(jobs: Sequence[Job], *, horizon: int | None = None,
                      bqm: bool = True) -> int | None:
    """The smallest time unit whose coarse QUBO fits the memory limit; None if none up
    to the longest duration does. The coarse horizon is ``horizon // unit`` when given,
    else the dispatching rules' makespan (an upper bound on the searched one)."""
    limit = sizing.memory_limit()[0]

    def fits(unit: int) -> bool:
        sizing.check_deadline("a time unit that fits")
        chorizon = (horizon // unit if horizon is not None
                    else heuristic_schedule(coarse_jobs(jobs, unit), search=False)[1])
        sizes = _coarse_sizes(jobs, unit, chorizon)
        if sizes is None:
            return False  # the horizon is too short at this unit: coarser will not help
        return (sizes[0] + sizes[1] if bqm else sizes[0]).bytes <= limit

    # Called when a model was refused, so unit 1 is known not to fit.
    return _finest_unit(fits, max(d for job in jobs for _, d in job), known_unfit=1)


def _windows(cjobs: Sequence[Job], chorizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Earliest and latest start of every operation (jobs in order, then operations)
    within the coarse horizon: ``[head, chorizon - duration - tail]``."""
    heads, tails = heads_tails(cjobs)
    est = np.array([h for row in heads for h in row], dtype=np.int64)
    lst = np.array([chorizon - d - t for job, row in zip(cjobs, tails)
                    for (_, d), t in zip(job, row)], dtype=np.int64)
    return est, lst


def _coarse_sizes(jobs: Sequence[Job], unit: int, chorizon: int
                  ) -> tuple[ModelSize, ModelSize] | None:
    """:func:`time_indexed_size` at ``unit`` with coarse horizon ``chorizon``; None when
    that horizon is shorter than a job at this unit."""
    cjobs = coarse_jobs(jobs, unit)
    est, lst = _windows(cjobs, chorizon)
    if (lst < est).any():
        return None
    return time_indexed_size(cjobs, est, lst)


def _finest_unit(fits: Callable[[int], bool], top: int, *, known_unfit: int = 0
                 ) -> int | None:
    """The smallest unit in ``known_unfit + 1 .. top`` that ``fits``, or None. Models
    shrink as the unit grows, so a bisection (a size count costs ~1 s on 100 x 20);
    with nothing known, unit 1 is tried first (most instances fit there)."""
    if known_unfit == 0 and fits(1):
        return 1
    if not fits(top):
        return None
    lo, hi = max(known_unfit, 1), top  # lo does not fit, hi does
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi


def auto_time_unit(jobs: Sequence[Job], *, horizon: int | None = None,
                   room: float = HORIZON_ROOM) -> int:
    """``time_unit: auto``: the smallest unit whose penalised BQM has at most
    :data:`AUTO_UNIT_TERMS` quadratic terms (counted from the windows, nothing built);
    the longest duration if none does.

    >>> auto_time_unit([[(0, 3), (1, 2)], [(1, 4), (0, 1)]])
    1
    """
    return _choose_time_unit(jobs, horizon, room)[0]


def _choose_time_unit(jobs: Sequence[Job], horizon: int | None, room: float,
                      searched_span: int | None = None) -> tuple[int, int | None]:
    """:func:`auto_time_unit`, and the searched heuristic's coarse makespan at that unit
    when it was computed (so the build does not search again). ``searched_span``: that
    makespan at unit 1, when the caller has it (no second search)."""
    spans: dict[tuple[int, bool], int] = {}
    if searched_span is not None:
        spans[1, True] = searched_span

    def span(unit: int, search: bool) -> int:
        if (unit, search) not in spans:
            spans[unit, search] = heuristic_schedule(coarse_jobs(jobs, unit), search=search)[1]
        return spans[unit, search]

    def terms(unit: int, chorizon: int) -> float:
        sizing.check_deadline("the job-shop QUBO (choosing its time unit)")
        sizes = _coarse_sizes(jobs, unit, chorizon)
        return math.inf if sizes is None else sizes[1].terms

    def padded(value: float) -> int:
        return math.ceil(value * (1.0 + room))

    def finest(fits: Callable[[int], bool], top: int) -> int:
        return _finest_unit(fits, top) or top  # none fits: the coarsest, smallest model

    # Beyond the longest duration every operation lasts one unit: the smallest model.
    top = max(max((d for job in jobs for _, d in job), default=1), 1)
    if horizon is not None:
        return finest(lambda u: terms(u, horizon // u) <= AUTO_UNIT_TERMS, top), None
    # The dispatching rules' horizon costs milliseconds a unit but overcounts (20 x 15:
    # 23% above the searched one); the searched one costs 0.05-0.3 s a unit. So: the
    # unit that fits with the dispatching horizon, one search there to learn by how
    # much the search shortens it, the finest unit that fits with horizons shortened
    # alike, then searches only to confirm (la02: 4 instead of 5).
    first = finest(lambda u: terms(u, padded(span(u, False))) <= AUTO_UNIT_TERMS, top)
    ratio = span(first, True) / max(span(first, False), 1)
    unit = finest(lambda u: terms(u, padded(span(u, False) * ratio)) <= AUTO_UNIT_TERMS,
                  first)
    while unit < first and terms(unit, padded(span(unit, True))) > AUTO_UNIT_TERMS:
        unit += 1
    return unit, spans[unit, True]


def _objective_linear(num: int, est: np.ndarray, lst: np.ndarray, dur: np.ndarray,
                      base: np.ndarray, last: list[int], lb: int, horizon: int,
                      late_finish: str, scale: float = 1.0) -> np.ndarray:
    """The objective's linear biases: late-finish weights on every job's last
    operation, scaled so that their total stays below ``scale`` / 1.1 (module
    docstring)."""
    size = lst - est + 1
    linear = np.zeros(num)
    ends = np.concatenate([np.arange(est[o], lst[o] + 1) + dur[o] for o in last])
    raw, _ = late_finish_weights(ends, lb, horizon, len(last), late_finish)
    top = raw.max() if raw.size else 0.0
    if top > 0:
        raw = raw * (scale / (top * len(last) * DEFAULT_PENALTY_MARGIN))
    where = np.concatenate([base[o] + np.arange(size[o]) for o in last])
    linear[where] = raw
    return linear


def _clash_slots(kind: str, da: int, db: int, ea: int, la: int, eb: int, lb: int,
                 grade: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window offsets ``(ia, ib)`` of the start pairs of two operations that clash, and
    each pair's weight ``1 + grade * (amount - 1)``, ``amount`` the clash in time units
    (>= 1): how far ``b`` starts before ``a`` ends (precedence), or how long the two
    overlap (no-overlap).

    >>> ia, ib, w = _clash_slots("no_overlap", 3, 2, 0, 1, 0, 3, 0.5)
    >>> list(zip(ia.tolist(), ib.tolist(), w.tolist()))
    [(0, 0, 1.5), (0, 1, 1.5), (0, 2, 1.0), (1, 0, 1.0), (1, 1, 1.5), (1, 2, 1.5), (1, 3, 1.0)]
    """
    ta = np.arange(ea, la + 1)[:, None]
    tb = np.arange(eb, lb + 1)[None, :]
    if kind == "precedence":  # b starts before a ends
        amount = ta + da - tb
    else:  # the two operations overlap on their machine
        amount = np.minimum(ta + da, tb + db) - np.maximum(ta, tb)
    ia, ib = np.nonzero(amount > 0)
    if grade == 0.0:  # flat clashes: no per-pair arithmetic on the (big) pair arrays
        return ia, ib, np.ones(len(ia))
    return ia, ib, 1.0 + grade * (amount[ia, ib] - 1.0)


def _time_indexed_bqm(jobs: Sequence[Job], ops: list[tuple[int, int]], est: np.ndarray,
                      lst: np.ndarray, dur: np.ndarray, base: np.ndarray,
                      labels: list[Hashable], last: list[int], lb: int, horizon: int,
                      late_finish: str, weights: Mapping[str, float],
                      exclude: Collection[Hashable] = (), clash_grade: float = 0.0,
                      objective_scale: float = 1.0) -> dimod.BinaryQuadraticModel:
    """The penalised BQM of the time-indexed CQM, built in bulk from index arrays.

    The same model :func:`qanneal.model.cqm_to_penalised_bqm` makes of
    :func:`_time_indexed_cqm` (tests compare them term by term), without its Python
    step per term: ``one_start`` with weight ``w`` is ``w (sum x - 1)**2`` (linear
    ``-w``, pairs ``2w``, offset ``w``), a conflict constraint is ``w`` times its sum of
    clashing products (each product weighted by :func:`_clash_slots`). Constraints in
    ``exclude`` are left out (the one-hot groups).
    """
    excluded = set(exclude)
    size = lst - est + 1
    linear = _objective_linear(len(labels), est, lst, dur, base, last, lb, horizon,
                               late_finish, objective_scale)
    offset = 0.0
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for i, (j, k) in enumerate(ops):
        label = f"one_start[{j},{k}]"
        if label in excluded:
            continue
        w = float(weights[label])
        linear[base[i]:base[i] + size[i]] -= w
        offset += w
        iu, iv = np.triu_indices(int(size[i]), 1)
        rows.append(base[i] + iu)
        cols.append(base[i] + iv)
        values.append(np.full(len(iu), 2.0 * w))
    pairs = conflict_pairs(jobs)
    for n, (a, b, kind, label) in enumerate(pairs):
        sizing.check_deadline("the penalised BQM", n / len(pairs))
        if label in excluded:
            continue
        ia, ib, clash = _clash_slots(kind, int(dur[a]), int(dur[b]), int(est[a]),
                                     int(lst[a]), int(est[b]), int(lst[b]), clash_grade)
        if not len(ia):
            continue  # no clash possible: the CQM has no such constraint either
        rows.append(base[a] + ia)
        cols.append(base[b] + ib)
        values.append(float(weights[label]) * clash)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    quad = np.concatenate(values) if values else np.zeros(0)
    # Floating-point residues, as qanneal.model.drop_residues zeroes them (no two terms
    # here share a pair, so only linear biases can cancel: objective - w).
    scale = max(np.abs(linear).max(initial=0.0), np.abs(quad).max(initial=0.0))
    linear[(linear != 0) & (np.abs(linear) < 1e-12 * scale)] = 0.0
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, (row, col, quad), offset, "BINARY", variable_order=labels)


def _time_indexed_cqm(jobs: Sequence[Job], ops: list[tuple[int, int]], est: np.ndarray,
                      lst: np.ndarray, dur: np.ndarray, base: np.ndarray,
                      labels: list[Hashable], last: list[int], lb: int, horizon: int,
                      late_finish: str, what: str, clash_grade: float = 0.0,
                      objective_scale: float = 1.0) -> dimod.ConstrainedQuadraticModel:
    """The time-indexed CQM over the start windows ``[est, lst]`` (module docstring)."""
    size = lst - est + 1
    linear = _objective_linear(len(labels), est, lst, dur, base, last, lb, horizon,
                               late_finish, objective_scale)
    objective = dimod.BinaryQuadraticModel.from_numpy_vectors(
        linear, ([], [], []), 0.0, "BINARY", variable_order=labels)
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.set_objective(objective)
    for i, (j, k) in enumerate(ops):
        cqm.add_constraint_from_iterable(
            [(labels[base[i] + t], 1) for t in range(size[i])], "==", 1,
            label=f"one_start[{j},{k}]")
    pairs = conflict_pairs(jobs)
    for n, (a, b, kind, label) in enumerate(pairs):
        sizing.check_deadline(what, n / len(pairs))
        ia, ib, clash = _clash_slots(kind, int(dur[a]), int(dur[b]), int(est[a]),
                                     int(lst[a]), int(est[b]), int(lst[b]), clash_grade)
        if not len(ia):
            continue
        # Only the slots that clash at all enter the constraint (fewer dict entries).
        ua, ia = np.unique(ia, return_inverse=True)
        ub, ib = np.unique(ib, return_inverse=True)
        variables = [labels[base[a] + t] for t in ua] + [labels[base[b] + t] for t in ub]
        qm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            np.zeros(len(variables)), (ia, ib + len(ua), clash), 0.0, "BINARY",
            variable_order=variables)
        cqm.add_constraint_from_model(qm, "==", 0, label=label, copy=False)
    return cqm


def describe_schedule(solution: Mapping[str, Any], horizon: int | None = None) -> str:
    """A text table of the schedule, one line per operation, by start time."""
    lines = [f"{'operation':<10} {'machine':<8} {'start':>6} {'end':>6}"]
    for row in solution.get("schedule", []):
        start = "-" if row["start"] is None else row["start"]
        end = "-" if row["end"] is None else row["end"]
        lines.append(f"{row['op']:<10} {row['machine']:<8} {start:>6} {end:>6}")
    span = solution.get("makespan")
    lines.append(f"makespan: {'-' if span is None else span}"
                 + (f" (horizon {horizon})" if horizon is not None else ""))
    return "\n".join(lines)


def jobshop_milp(jobs: Sequence[Job], horizon: int | None = None,
                 starts: Sequence[Sequence[int]] | None = None) -> MilpFormulation:
    """Disjunctive MILP: starts ``s``, makespan ``C``, one order binary per machine pair.

    Bounds help CBC: ``head <= s <= horizon - duration - tail``,
    ``lower_bound <= C <= horizon`` (horizon: the heuristic schedule's makespan by
    default), and each big-M is the tightest the start windows allow. ``starts`` (a
    feasible schedule within the horizon; default the heuristic's) is offered as the
    formulation's starting point (``MilpFormulation.start``, used with
    ``-o warm_start=true``).
    """
    import pulp

    jobs = _check_jobs(jobs)
    if horizon is None or starts is None:
        heuristic, span = heuristic_schedule(jobs)
        horizon = span if horizon is None else horizon
        starts = heuristic if starts is None else starts
    start: dict[str, float] | None = None
    span = makespan(jobs, starts)
    if span <= horizon and not schedule_violations(jobs, starts):
        start = {f"s_{j}_{k}": float(t) for j, row in enumerate(starts)
                 for k, t in enumerate(row)}
        start["Cmax"] = float(span)
    heads, tails = heads_tails(jobs)
    lp = pulp.LpProblem("jobshop", pulp.LpMinimize)
    s = [[pulp.LpVariable(f"s_{j}_{k}", lowBound=heads[j][k],
                          upBound=horizon - d - tails[j][k], cat="Continuous")
          for k, (_, d) in enumerate(job)] for j, job in enumerate(jobs)]
    cmax = pulp.LpVariable("Cmax", lowBound=lower_bound(jobs), upBound=horizon)
    lp += cmax
    for j, job in enumerate(jobs):
        for k in range(len(job) - 1):
            lp += s[j][k + 1] >= s[j][k] + job[k][1], f"prec_{j}_{k}"
        if job:
            lp += cmax >= s[j][-1] + job[-1][1], f"end_{j}"
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for j, job in enumerate(jobs):
        for k, (m, d) in enumerate(job):
            if d > 0:
                by_machine.setdefault(m, []).append((j, k))
    for _, members in sorted(by_machine.items()):
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                (ja, ka), (jb, kb) = members[x], members[y]
                if ja == jb:
                    continue
                pa, pb = jobs[ja][ka][1], jobs[jb][kb][1]
                # y = 1: a before b. Big-M = largest violation the windows allow.
                m_ab = (horizon - pa - tails[ja][ka]) + pa - heads[jb][kb]
                m_ba = (horizon - pb - tails[jb][kb]) + pb - heads[ja][ka]
                order = pulp.LpVariable(f"y_{ja}_{ka}_{jb}_{kb}", cat="Binary")
                if start is not None:  # 1: a runs first in the starting schedule
                    start[order.name] = float(starts[ja][ka] < starts[jb][kb])
                lp += s[ja][ka] + pa <= s[jb][kb] + m_ab * (1 - order), \
                    f"ab_{ja}_{ka}_{jb}_{kb}"
                lp += s[jb][kb] + pb <= s[ja][ka] + m_ba * order, f"ba_{ja}_{ka}_{jb}_{kb}"

    def extract() -> dict[str, Any]:
        starts = [[int(round(v.value() or 0.0)) for v in row] for row in s]
        return make_solution(jobs, starts)

    return MilpFormulation(lp=lp, extract=extract, start=start)


def _check_jobs(jobs: Sequence[Job]) -> list[list[tuple[int, int]]]:
    out = []
    for j, job in enumerate(jobs):
        row = []
        for k, op in enumerate(job):
            m, d = op
            if int(m) != m or m < 0 or int(d) != d or d < 0:
                raise InputError(f"operation {k} of job {j} is {list(op)}; expected "
                                 "[machine >= 0, duration >= 0], whole numbers",
                                 field=f"data.jobs[{j}][{k}]")
            row.append((int(m), int(d)))
        out.append(row)
    if not any(out):
        raise InputError("no operations; give at least one job with one operation",
                         field="data.jobs")
    if not any(d for job in out for _, d in job):
        raise InputError("every duration is 0; nothing to schedule", field="data.jobs")
    return out


# ---------------------------------------------------------------------- registration
class JobShopData(FileData):
    """``data:`` for job shop: ``jobs`` (per job a list of ``[machine, duration]``) or a
    file in OR-Library/JSPLIB or Taillard format (detected, or set ``format``)."""

    jobs: list[list[tuple[int, int]]] | None = None

    @field_validator("jobs")
    @classmethod
    def _jobs_ok(cls, jobs: list[list[tuple[int, int]]] | None
                 ) -> list[list[tuple[int, int]]] | None:
        if jobs is None:
            return None
        if not jobs or not any(jobs):
            raise ValueError("no operations; give at least one job of [machine, duration]")
        for j, job in enumerate(jobs):
            for k, (m, d) in enumerate(job):
                if m < 0 or d < 0:
                    raise ValueError(f"job {j} operation {k} is [{m}, {d}]; machines are "
                                     "0-based and durations >= 0")
        return jobs


class JobShopOptions(Strict):
    """Build options for job shop."""

    horizon: PositiveInt | None = None
    late_finish: Literal["auto", "exponential", "geometric", "linear"] = "auto"
    time_unit: Literal["auto"] | PositiveInt = Field(
        "auto", description="QUBO clock tick: durations rounded up to whole units (fewer "
        f"variables, coarser schedules); auto: the finest with <= {AUTO_UNIT_TERMS:,} "
        "BQM terms")
    horizon_room: Annotated[float, Field(ge=0, le=1)] = Field(
        HORIZON_ROOM, description="default horizon: the heuristic makespan times 1 + this")
    makespan_weight: Literal["auto"] | Annotated[float, Field(gt=0, le=1000)] = Field(
        "auto", description="late-finish objective against one clash; auto: "
        f"{MAKESPAN_WEIGHT:g} under one-hot moves (anneal), else 1 (feasibility first)")
    clash_grade: Literal["auto"] | Annotated[float, Field(ge=0, le=100)] = Field(
        "auto", description="a clash of k time units costs 1 + clash_grade * (k - 1); 0: "
        "every clash costs 1; auto: 0.5 under one-hot moves (anneal), else 0")


def _build(data: JobShopData, options: JobShopOptions, base_dir: Path) -> Problem:
    name = None
    if data.file is not None:
        if data.jobs is not None:
            raise InputError("give either jobs or file, not both", field="data")
        path = resolve_path(data.file, base_dir)
        from qanneal.formats.jobshop import read_jobshop

        fmt = data.format or FORMATS.get(data_suffix(path))  # past .gz / .xz
        jobs = read_jobshop(path, fmt)["jobs"]
        name = path.stem
    elif data.jobs is None:
        raise InputError("give jobs (per job a list of [machine, duration]) or file",
                         field="data")
    else:
        jobs = [[tuple(op) for op in job] for job in data.jobs]
    return jobshop_problem(jobs, horizon=options.horizon, late_finish=options.late_finish,
                           time_unit=options.time_unit, clash_grade=options.clash_grade,
                           horizon_room=options.horizon_room,
                           makespan_weight=options.makespan_weight,
                           name=name)


JOBSHOP = ProblemType(
    name="jobshop",
    description="job-shop scheduling, minimise makespan (inline jobs, OR-Library or "
                "Taillard file)",
    data_model=JobShopData,
    options_model=JobShopOptions,
    build=_build,
    extensions=tuple(FORMATS),
)
