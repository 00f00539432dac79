"""Export a problem's model: dimod's own serialisation, a COO text QUBO, or an LP file.

The exports come from dimod (``to_file``, ``dimod.serialization.coo``, ``dimod.lp``);
this module only picks the model (CQM, or the penalised BQM) and writes atomically.
COO needs integer variables, so its variables are renumbered and the index -> label
list is written beside the file (``<file>.labels.json``).

LP names may only use a few characters (no brackets, no leading digit or ``e``), so an
LP file names every variable and constraint by an LP-safe rendering of its label
(``x[0,1]`` -> ``x(0,1)``, the tuple ``(0, 1)`` -> ``x(0,1)``, ``edge[0,2]`` ->
``c_edge(0,2)``) and ``<file>.labels.json`` maps each LP name back to its label:
``{"variables": {lp name: label}, "constraints": {lp name: label}}`` (tuples as lists).
The plain LP is the CQM itself, quadratic terms included (Gurobi and CPLEX solve it;
HiGHS and CBC read only linear constraints and solve no integer QP); ``linear=True``
writes the McCormick MILP of :mod:`qanneal.linearise` instead, which any MILP solver
solves to the CQM's optimum, with its product variables listed under ``"products"``
(``{lp name: [u, v]}``) and its linking rows under ``"mccormick"``.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import dimod
import dimod.serialization.coo

from qanneal.errors import InputError
from qanneal.io import atomic_write_bytes, atomic_write_text, jsonable
from qanneal.model import PenaltySpec, Problem

#: file extension -> export format
EXPORT_FORMATS = {".cqm": "cqm", ".bqm": "bqm", ".coo": "coo", ".qubo": "coo", ".lp": "lp"}


def export(problem: Problem, path: str | Path, format: str | None = None,
           penalties: PenaltySpec = None, linear: bool = False) -> list[Path]:
    """Write ``problem`` to ``path``; returns the files written.

    Formats: ``cqm`` (dimod's CQM file), ``bqm`` (dimod's BQM file, with penalties),
    ``coo`` (text QUBO ``i j value``, with penalties), ``lp`` (the CQM as an LP file,
    or with ``linear`` its McCormick MILP; see the module docstring for the names).

    >>> import tempfile, networkx as nx
    >>> from qanneal.problems.maxcut import maxcut_problem
    >>> out = Path(tempfile.mkdtemp()) / "c4.coo"
    >>> [p.name for p in export(maxcut_problem(nx.cycle_graph(4)), out)]
    ['c4.coo', 'c4.coo.labels.json']
    >>> out.read_text().splitlines()[1]
    '0 0 -2.000000'
    """
    path = Path(path)
    fmt = format or EXPORT_FORMATS.get(path.suffix.lower())
    if fmt not in set(EXPORT_FORMATS.values()):
        raise InputError(f"cannot export to {path.name!r}: use an extension or format among "
                         f"{', '.join(sorted(set(EXPORT_FORMATS.values())))}", field="format")
    if linear and fmt != "lp":
        raise InputError(f"--linear applies to LP files only, not {fmt}", field="linear")
    if fmt == "cqm":
        return [_write_stream(path, problem.cqm.to_file())]
    if fmt == "bqm":
        bqm, _ = problem.to_bqm(penalties)
        return [_write_stream(path, bqm.to_file())]
    if fmt == "coo":
        bqm, _ = problem.to_bqm(penalties)
        numbered, labels = _numbered(bqm)
        text = io.StringIO()
        dimod.serialization.coo.dump(numbered, text, vartype_header=True)
        return [atomic_write_text(path, text.getvalue()), _write_labels(path, labels)]
    return _write_lp(problem, path, linear)


def _write_stream(path: Path, stream: io.IOBase) -> Path:
    buffer = io.BytesIO()
    shutil.copyfileobj(stream, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _numbered(bqm: dimod.BinaryQuadraticModel) -> tuple[dimod.BinaryQuadraticModel, list]:
    labels = list(bqm.variables)
    return bqm.relabel_variables({v: i for i, v in enumerate(labels)}, inplace=False), labels


def _write_labels(path: Path, labels: Any) -> Path:
    target = path.with_name(path.name + ".labels.json")
    return atomic_write_text(target, json.dumps(jsonable(labels)) + "\n")


# The characters kept in LP names: dimod's LP writer allows a few more (quotes, '#',
# '$', ...), but this subset also reads in HiGHS, CBC, Gurobi and CPLEX.
_LP_UNSAFE = re.compile(r"[^A-Za-z0-9_(),.{}]")
_LP_BAD_FIRST = set("eE.0123456789(),{}")
_LP_MAX_LEN = 255


class LpNames:
    """Injective LP-safe names for labels, with the map back (``lp name -> label``)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.back: dict[str, Hashable] = {}

    def name(self, label: Hashable) -> str:
        """The LP name of ``label`` (a fresh suffix where two labels render alike)."""
        text = label if isinstance(label, str) else str(label).replace(" ", "")
        text = _LP_UNSAFE.sub("_", text.replace("[", "(").replace("]", ")"))
        if not text or text[0] in _LP_BAD_FIRST:
            # LP readers take a leading digit or 'e' for a number; ints and tuples
            # read best with the prefix glued on (x3, x(0,1)), strings with '_'.
            text = self.prefix + ("" if not isinstance(label, str) else "_") + text
        text = text[:_LP_MAX_LEN - 8]
        name, k = text, 1
        while name in self.back:
            name, k = f"{text}~{k}", k + 1
        self.back[name] = label
        return name


def lp_safe_cqm(cqm: dimod.ConstrainedQuadraticModel
                ) -> tuple[dimod.ConstrainedQuadraticModel, dict[str, dict[str, Hashable]]]:
    """``cqm`` with LP-safe variable and constraint names, and the ``labels.json`` map."""
    variables, constraints = LpNames("x"), LpNames("c")
    out = cqm.relabel_variables({v: variables.name(v) for v in cqm.variables}, inplace=False)
    out.relabel_constraints({c: constraints.name(c) for c in cqm.constraints})
    return out, {"variables": variables.back, "constraints": constraints.back}


def _write_lp(problem: Problem, path: Path, linear: bool) -> list[Path]:
    cqm, labels = lp_safe_cqm(problem.cqm)
    if linear:
        cqm, labels = _linear_cqm(cqm, labels)
    if cqm.num_soft_constraints():
        raise InputError("the model has soft constraints, which LP files cannot hold",
                         field="format")
    if problem.sense == "max":
        cqm = _negated(cqm)
    try:
        body = dimod.lp.dumps(cqm)
    except ValueError as exc:  # a SPIN variable: the LP format has none
        raise InputError(f"cannot write {path.name}: {exc}", field="format") from None
    if problem.sense == "max":
        # dimod writes every CQM as a minimisation; a maximisation problem's CQM
        # minimises the negated objective, so the file maximises the objective itself
        # (LP readers, qanneal's included, then report the problem's value and sense).
        body = body.replace("Minimize", "Maximize", 1)
    quadratic = not cqm.objective.is_linear() or any(
        not c.lhs.is_linear() for c in cqm.constraints.values())
    header = [f"\\ {problem.kind} model written by qanneal export"
              + (" (McCormick linearisation)" if linear else ""),
              f"\\ LP-safe names; {path.name}.labels.json maps them to the model's labels"]
    if quadratic:
        header.append("\\ quadratic terms: HiGHS/CBC cannot solve this file; "
                      "`qanneal export --linear` writes a MILP they can")
    text = "\n".join(header) + "\n" + body + "\n"
    return [atomic_write_text(path, text), _write_labels(path, labels)]


def _negated(cqm: dimod.ConstrainedQuadraticModel) -> dimod.ConstrainedQuadraticModel:
    """A copy of ``cqm`` with its objective negated (constraints and bounds kept)."""
    out = dimod.ConstrainedQuadraticModel.from_file(cqm.to_file())
    objective = dimod.QuadraticModel()
    objective.update(cqm.objective)
    objective.scale(-1.0)
    out.set_objective(objective)
    return out


def _linear_cqm(cqm: dimod.ConstrainedQuadraticModel, labels: dict[str, dict[str, Hashable]]
                ) -> tuple[dimod.ConstrainedQuadraticModel, dict[str, dict[str, Any]]]:
    """The McCormick MILP of ``cqm`` (already LP-named), as a CQM dimod can write."""
    import pulp

    from qanneal.linearise import linearise

    lp, variables = linearise(cqm)
    names = {var.name: v for v, var in variables.items()}
    # linearise() names its products z0, z1, ... in the order it meets them: the
    # objective's quadratic terms, then each constraint's (one z per unordered pair).
    pairs: dict[frozenset, tuple[Hashable, Hashable]] = {}
    for model in [cqm.objective, *(c.lhs for c in cqm.constraints.values())]:
        for u, v, bias in model.iter_quadratic():
            if bias:
                pairs.setdefault(frozenset((u, v)), (u, v))
    factors = list(pairs.values())
    namer = LpNames("z")
    namer.back = dict.fromkeys(labels["variables"])  # product names must not collide
    products: dict[str, list[Hashable]] = {}
    extra = sorted((var for var in lp.variables() if var.name not in names),
                   key=lambda var: int(var.name[1:]))
    if len(extra) != len(factors):  # linearise() changed its scheme: say so, not mislabel
        raise RuntimeError(f"{len(extra)} product variables for {len(factors)} products")
    for var, (u, v) in zip(extra, factors, strict=True):
        names[var.name] = namer.name(var.name)
        products[names[var.name]] = [labels["variables"][u], labels["variables"][v]]
    milp = dimod.ConstrainedQuadraticModel()
    for var in [*variables.values(), *extra]:
        label = names[var.name]
        if var.cat == pulp.LpBinary or (var.cat == pulp.LpInteger and var.lowBound == 0
                                         and var.upBound == 1):
            milp.add_variable("BINARY", label)
        elif var.cat == pulp.LpInteger:
            milp.add_variable("INTEGER", label, lower_bound=var.lowBound, upper_bound=var.upBound)
        else:
            milp.add_variable("REAL", label,
                              lower_bound=-1e30 if var.lowBound is None else var.lowBound,
                              upper_bound=1e30 if var.upBound is None else var.upBound)
    objective = dimod.QuadraticModel()
    objective.add_variables_from_model(milp)
    for var, coef in lp.objective.items():
        objective.add_linear(names[var.name], float(coef))
    objective.offset = float(lp.objective.constant)
    milp.set_objective(objective)
    original = list(labels["constraints"])
    rows = LpNames("m")
    rows.back = dict.fromkeys(original)
    mccormick: list[str] = []
    # PuLP >= 3.3 lists its rows by calling lp.constraints(); older ones map name -> row.
    listed = lp.constraints() if callable(lp.constraints) else lp.constraints.values()
    for i, constraint in enumerate(listed):
        # linearise() adds the CQM's constraints first, in order, then the McCormick rows.
        if i < len(original):
            label = original[i]
        else:
            label = rows.name(f"mccormick{len(mccormick)}")
            mccormick.append(label)
        sense = {pulp.LpConstraintLE: "<=", pulp.LpConstraintGE: ">=",
                 pulp.LpConstraintEQ: "=="}[constraint.sense]
        lhs = [(names[var.name], float(coef)) for var, coef in constraint.items()]
        milp.add_constraint_from_iterable(lhs, sense, rhs=-float(constraint.constant),
                                          label=label)
    return milp, {**labels, "products": products, "mccormick": mccormick}
