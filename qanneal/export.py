"""Export a problem's model: dimod's own serialisation, a COO text QUBO, or an LP file.

The exports come from dimod (``to_file``, ``dimod.serialization.coo``, ``dimod.lp``);
this module only picks the model (CQM, or the penalised BQM) and writes atomically.
COO and LP need simple variable names, so their variables are renumbered and the
index -> label map is written beside the file (``<file>.labels.json``).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import dimod
import dimod.serialization.coo

from qanneal.errors import InputError
from qanneal.io import atomic_write_bytes, atomic_write_text, jsonable
from qanneal.model import PenaltySpec, Problem

#: file extension -> export format
EXPORT_FORMATS = {".cqm": "cqm", ".bqm": "bqm", ".coo": "coo", ".qubo": "coo", ".lp": "lp"}


def export(problem: Problem, path: str | Path, format: str | None = None,
           penalties: PenaltySpec = None) -> list[Path]:
    """Write ``problem`` to ``path``; returns the files written.

    Formats: ``cqm`` (dimod's CQM file), ``bqm`` (dimod's BQM file, with penalties),
    ``coo`` (text QUBO ``i j value``, with penalties), ``lp`` (the CQM as an LP file).

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
    cqm, labels = _numbered_cqm(problem.cqm)
    text = io.StringIO()
    dimod.lp.dump(cqm, text)
    return [atomic_write_text(path, text.getvalue()), _write_labels(path, labels)]


def _write_stream(path: Path, stream: io.IOBase) -> Path:
    buffer = io.BytesIO()
    shutil.copyfileobj(stream, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _numbered(bqm: dimod.BinaryQuadraticModel) -> tuple[dimod.BinaryQuadraticModel, list]:
    labels = list(bqm.variables)
    return bqm.relabel_variables({v: i for i, v in enumerate(labels)}, inplace=False), labels


def _numbered_cqm(cqm: dimod.ConstrainedQuadraticModel
                  ) -> tuple[dimod.ConstrainedQuadraticModel, list]:
    labels = list(cqm.variables)
    mapping = {v: f"x{i}" for i, v in enumerate(labels)}
    return cqm.relabel_variables(mapping, inplace=False), labels


def _write_labels(path: Path, labels: list) -> Path:
    target = path.with_name(path.name + ".labels.json")
    return atomic_write_text(target, json.dumps(jsonable(labels)) + "\n")
