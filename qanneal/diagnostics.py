"""Pre-solve diagnostics (``qanneal inspect``): will this model solve well, or even fit?

Counts (original and slack variables, linear and quadratic terms, density), the
coefficients' dynamic range against the precision a QPU accepts, the penalty weights
and how they compare with the objective, the memory a dense form needs, and, for a
QPU topology (dwave-system's ``MockDWaveSampler``, offline), whether minorminer finds
an embedding and how long its chains are. Every warning comes with a suggested fix.

>>> import networkx as nx
>>> from qanneal.problems.maxcut import maxcut_problem
>>> d = inspect_problem(maxcut_problem(nx.cycle_graph(5)), embed=False)
>>> d.variables, d.slack_variables, d.quadratic_terms, d.warnings
(5, 0, 5, [])
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import dimod
import networkx as nx

from qanneal.errors import InputError
from qanneal.model import PenaltySpec, Problem, constraint_group, one_flip_bounds
from qanneal.penalties import auto_labels, weights_by_group

#: QPU topologies ``inspect`` can embed into: D-Wave's production sizes.
TOPOLOGIES: dict[str, tuple[str, list[int]]] = {
    "pegasus": ("Advantage (Pegasus P16)", [16]),
    "zephyr": ("Advantage2 (Zephyr Z12,4)", [12, 4]),
    "chimera": ("D-Wave 2000Q (Chimera C16)", [16, 16, 4]),
}
#: A QPU resolves biases to roughly 1/100 .. 1/1000 of its range (integrated control
#: errors of a few percent of J at worst, well under one percent at best): beyond these
#: ratios of largest to smallest bias the small terms are lost in noise.
QPU_PRECISION_WARN = 100.0
QPU_PRECISION_LIMIT = 1000.0
#: Penalty terms this many times larger than the objective's largest bias drown it.
PENALTY_RATIO_WARN = 100.0
#: Chains longer than this break often on a QPU.
LONG_CHAIN = 7
DENSE_BYTES_WARN = 4 * 2**30


@dataclass
class Advice:
    """One warning: a code, what is wrong, and what to do about it."""

    code: str
    message: str
    fix: str


@dataclass
class Diagnostics:
    """What :func:`inspect_problem` found (``to_dict()`` is the ``--json`` output)."""

    problem: str
    name: str | None
    variables: int
    original_variables: int
    slack_variables: int
    linear_terms: int
    quadratic_terms: int
    density: float
    constraints: int
    constraint_groups: dict[str, int]
    penalty_mode: str
    penalties: dict[str, Any]
    objective_max_bias: float
    objective_flip_bound: float
    max_abs_bias: float
    min_abs_bias: float
    dynamic_range: float
    penalty_to_objective: float | None
    dense_bytes: int
    qpu: dict[str, Any] = field(default_factory=dict)
    embedding: dict[str, Any] | None = None
    warnings: list[Advice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from qanneal.io import jsonable

        return jsonable(asdict(self))


def inspect_problem(problem: Problem, penalties: PenaltySpec = None, *,
                    topology: str = "pegasus", embed: bool = True, timeout: float = 5.0,
                    seed: int = 0) -> Diagnostics:
    """Diagnose the BQM an annealer would get for ``problem`` (see the module docstring).

    ``penalties`` overrides the problem's own; ``"auto"`` weights are shown at their
    starting point (calibration happens at solve time). With ``embed``, minorminer
    searches for an embedding into ``topology`` for at most about ``timeout`` seconds.
    """
    if topology not in TOPOLOGIES:
        raise InputError(f"unknown topology {topology!r}; choose one of: "
                         f"{', '.join(TOPOLOGIES)}", field="topology")
    spec = problem.penalties if penalties is None else penalties
    bqm, weights = problem.to_bqm(spec)
    n = bqm.num_variables
    original = len(problem.cqm.variables)
    biases = [abs(float(b)) for b in bqm.linear.values() if b]
    biases += [abs(float(b)) for *_, b in bqm.iter_quadratic() if b]
    obj = problem.cqm.objective
    obj_biases = [abs(float(b)) for b in obj.linear.values()]
    obj_biases += [abs(float(b)) for *_, b in obj.iter_quadratic()]
    obj_max = max(obj_biases, default=0.0)
    max_bias, min_bias = max(biases, default=0.0), min(biases, default=0.0)
    groups: dict[str, int] = {}
    for label in problem.cqm.constraints:
        groups[constraint_group(label)] = groups.get(constraint_group(label), 0) + 1
    autos = auto_labels(spec, problem.cqm.constraints)
    d = Diagnostics(
        problem=problem.kind, name=problem.name, variables=n, original_variables=original,
        slack_variables=n - original, linear_terms=sum(1 for b in bqm.linear.values() if b),
        quadratic_terms=bqm.num_interactions,
        density=bqm.num_interactions / (n * (n - 1) / 2) if n > 1 else 0.0,
        constraints=len(problem.cqm.constraints), constraint_groups=groups,
        penalty_mode=_mode(spec, autos, len(problem.cqm.constraints)),
        penalties=weights_by_group(weights),
        objective_max_bias=obj_max,
        objective_flip_bound=max(one_flip_bounds(obj).values(), default=0.0),
        max_abs_bias=max_bias, min_abs_bias=min_bias,
        dynamic_range=max_bias / min_bias if min_bias else 1.0,
        penalty_to_objective=(max_bias / obj_max) if weights and obj_max else None,
        dense_bytes=8 * n * n,
    )
    d.qpu = _qpu_properties(topology)
    if embed:
        d.embedding = _embedding(bqm, topology, timeout, seed)
    d.warnings = _advice(d)
    return d


def _mode(spec: PenaltySpec, autos: list[str], count: int) -> str:
    if count == 0:
        return "none (no constraints)"
    if spec is None:
        return "default (static one-flip bound)"
    if autos:
        return ("auto: weights shown are the starting point; calibrated when solving"
                + ("" if len(autos) == count else f" ({len(autos)} of {count} constraints)"))
    if isinstance(spec, str):
        return spec
    return "given" if isinstance(spec, (int, float)) else "per constraint/group"


@lru_cache(maxsize=3)
def _mock_sampler(topology: str) -> Any:
    from dwave.system.testing import MockDWaveSampler

    return MockDWaveSampler(topology_type=topology, topology_shape=TOPOLOGIES[topology][1])


def _qpu_properties(topology: str) -> dict[str, Any]:
    props = _mock_sampler(topology).properties
    return {"topology": topology, "system": TOPOLOGIES[topology][0],
            "qubits": len(props["qubits"]), "couplers": len(props["couplers"]),
            "h_range": list(props["h_range"]), "j_range": list(props["j_range"]),
            "usable_precision": f"1/{QPU_PRECISION_WARN:.0f} .. 1/{QPU_PRECISION_LIMIT:.0f} "
                                "of the largest bias"}


def _embedding(bqm: dimod.BinaryQuadraticModel, topology: str, timeout: float,
               seed: int) -> dict[str, Any]:
    import minorminer

    sampler = _mock_sampler(topology)
    out: dict[str, Any] = {"topology": topology, "timeout_s": timeout}
    if bqm.num_variables > len(sampler.nodelist):
        out.update(found=False, reason=f"{bqm.num_variables} variables > "
                                       f"{len(sampler.nodelist)} qubits")
        return out
    source = nx.Graph()
    source.add_nodes_from(bqm.variables)
    source.add_edges_from((u, v) for u, v, _ in bqm.iter_quadratic())
    start = time.perf_counter()
    emb = minorminer.find_embedding(source, sampler.edgelist, timeout=timeout,
                                    random_seed=seed)
    out["seconds"] = time.perf_counter() - start
    # minorminer leaves out isolated variables and may return a partial embedding when
    # it fails; an embedding counts only if every variable got a chain.
    connected = [v for v in source if source.degree(v)]
    found = all(v in emb and emb[v] for v in connected)
    out["found"] = found
    if found:
        chains = [len(emb[v]) if v in emb else 1 for v in source]  # isolated: one qubit
        out.update(qubits_used=sum(chains), chain_max=max(chains, default=0),
                   chain_mean=sum(chains) / max(len(chains), 1))
    else:
        out["reason"] = f"minorminer found no embedding in {timeout:g} s"
    return out


def _advice(d: Diagnostics) -> list[Advice]:
    out: list[Advice] = []
    if d.penalty_to_objective is not None and d.penalty_to_objective > PENALTY_RATIO_WARN:
        out.append(Advice(
            "penalty-dominates",
            f"the largest penalty bias is {d.penalty_to_objective:.0f}x the objective's "
            "largest bias: differences in objective become small next to the penalties",
            "use `penalties: auto` (or `qanneal tune FILE --write`), or lower the weights"))
    if d.slack_variables > d.original_variables:
        out.append(Advice(
            "slack-dominates",
            f"{d.slack_variables} slack variables for {d.original_variables} problem "
            "variables: inequality penalties dominate the model",
            "write at-most-one constraints as sum(x) <= 1 (no slack), use "
            "`inequalities: unbalanced` (no slack variables), scale or tighten "
            "inequality coefficients, or use a CQM backend (hybrid-cqm) or milp"))
    if d.dynamic_range > QPU_PRECISION_LIMIT:
        out.append(Advice(
            "dynamic-range",
            f"largest/smallest bias is {d.dynamic_range:.3g}: beyond the ~1/"
            f"{QPU_PRECISION_LIMIT:.0f} precision of a QPU, and a wide range for the "
            "annealing schedule too",
            "round or rescale small coefficients, lower penalty weights (`penalties: auto`), "
            "or use a classical backend (sa, anneal, milp)"))
    elif d.dynamic_range > QPU_PRECISION_WARN:
        out.append(Advice(
            "dynamic-range",
            f"largest/smallest bias is {d.dynamic_range:.3g}: near the limit of QPU "
            f"precision (~1/{QPU_PRECISION_WARN:.0f} .. 1/{QPU_PRECISION_LIMIT:.0f})",
            "expect the smallest terms to be blurred on a QPU; prefer hybrid or sa"))
    emb = d.embedding
    qubits = d.qpu.get("qubits", 0)
    if d.variables > qubits or (emb is not None and not emb.get("found")):
        why = (f"{d.variables} variables for {qubits} qubits" if d.variables > qubits
               else emb["reason"] if emb else "")
        out.append(Advice(
            "unembeddable", f"unlikely to fit on the {d.qpu.get('system', 'QPU')}: {why}",
            "use the hybrid or hybrid-cqm backend, or a classical one (sa, anneal)"))
    elif emb is not None and emb.get("chain_max", 0) > LONG_CHAIN:
        out.append(Advice(
            "long-chains",
            f"chains up to {emb['chain_max']} qubits (mean {emb['chain_mean']:.1f}): long "
            "chains break and cost precision",
            "use the hybrid backend, or reduce connectivity (fewer slack variables, sparser "
            "encodings)"))
    if d.dense_bytes > DENSE_BYTES_WARN:
        out.append(Advice(
            "dense-memory",
            f"a dense n x n matrix takes {_bytes(d.dense_bytes)}",
            "avoid dense backends (tabu); use sa or anneal, which keep the model sparse"))
    return out


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KB'`` (for reports).

    >>> format_bytes(8 * 1000**2)
    '7.6 MB'
    """
    return _bytes(n)
