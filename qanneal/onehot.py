"""Exactly-one structure in a CQM, for samplers that keep it satisfied by construction.

An annealer on the penalised QUBO spends most of its moves leaving and re-entering the
feasible set of one-hot constraints. Fujitsu's Digital Annealer and Toshiba's SQBM+
instead move *inside* them. :func:`find_groups` finds what such moves can preserve:

* **1-way groups** -- disjoint sets of binary variables with exactly ``count`` of them
  set: ``sum_i a x_i == count * a`` (all coefficients equal, no quadratic part) and
  dimod's discrete markers (``cqm.discrete``, which are such constraints with count 1).
  ``count`` is 1 for one-hot (colouring's ``node[v]``, job-shop's ``one_start``) and may
  be larger (a balanced 2-way partition's ``balance[1]``: ``sum x == n/2``). A move
  exchanges a set member with an unset one.
* **2-way blocks** -- a grid of R x C variables where every row is a one-hot group and
  every column a group with a fixed count ``m_j`` (``sum_j m_j = R``), each variable in
  exactly one row and one column: TSP's city x position permutation (all ``m_j = 1``),
  the assignment problem, a balanced k-way partition (node x part, ``m_j = n/k``). A
  move exchanges the columns of two rows (two cities swap positions), which keeps
  every row and column count.

The covered constraints (``labels``) can then leave the penalty model
(:meth:`qanneal.model.Problem.to_bqm` with ``exclude``); every other constraint stays
a penalty. Groups are chosen disjoint: when candidates overlap and do not form a
block, one-hot candidates are taken first, then by CQM order.

>>> import dimod
>>> x = {(c, t): dimod.Binary((c, t)) for c in range(3) for t in range(3)}
>>> cqm = dimod.ConstrainedQuadraticModel()
>>> for c in range(3):
...     _ = cqm.add_constraint(sum(x[c, t] for t in range(3)) == 1, label=f"city[{c}]")
>>> for t in range(3):
...     _ = cqm.add_constraint(sum(x[c, t] for c in range(3)) == 1, label=f"position[{t}]")
>>> found = find_groups(cqm)
>>> len(found.blocks), len(found.groups), len(found.labels)
(1, 0, 6)
>>> found.blocks[0].rows[1]
[(1, 0), (1, 1), (1, 2)]
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod

__all__ = ["Block", "Group", "OneHotGroups", "exactly_count", "find_groups"]


@dataclass(frozen=True)
class Group:
    """A 1-way group: exactly ``count`` of ``variables`` are 1."""

    variables: list[Hashable]
    count: int = 1
    label: Hashable = None


@dataclass(frozen=True)
class Block:
    """A 2-way block: ``rows[i][j]`` is the variable of row i, column j.

    Every row has exactly one 1; column j has exactly ``column_counts[j]`` ones.
    """

    rows: list[list[Hashable]]
    column_counts: list[int]
    labels: list[Hashable] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.column_counts)


@dataclass
class OneHotGroups:
    """What :func:`find_groups` found: 1-way groups, 2-way blocks, constraints covered."""

    groups: list[Group] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    labels: list[Hashable] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.groups or self.blocks)

    @property
    def num_variables(self) -> int:
        return (sum(len(g.variables) for g in self.groups)
                + sum(r * c for r, c in (b.shape for b in self.blocks)))

    def summary(self) -> dict[str, Any]:
        """Counts for a run's ``info["onehot"]``.

        >>> OneHotGroups([Group(["a", "b"])], [], ["one"]).summary()
        {'groups': 1, 'blocks': 0, 'block_shapes': [], 'constraints': 1, 'variables': 2}
        """
        return {"groups": len(self.groups), "blocks": len(self.blocks),
                "block_shapes": [list(b.shape) for b in self.blocks],
                "constraints": len(self.labels), "variables": self.num_variables}

    def violations(self, sample: dict[Hashable, int]) -> list[str]:
        """The groups and block rows/columns ``sample`` breaks (a check, for tests).

        >>> OneHotGroups([Group(["a", "b"], label="g")]).violations({"a": 1, "b": 1})
        ['g: 2 set, need 1']
        """
        out = []
        for g in self.groups:
            got = sum(int(sample[v]) for v in g.variables)
            if got != g.count:
                out.append(f"{g.label}: {got} set, need {g.count}")
        for b, block in enumerate(self.blocks):
            for i, row in enumerate(block.rows):
                got = sum(int(sample[v]) for v in row)
                if got != 1:
                    out.append(f"block {b} row {i}: {got} set, need 1")
            for j, need in enumerate(block.column_counts):
                got = sum(int(sample[row[j]]) for row in block.rows)
                if got != need:
                    out.append(f"block {b} column {j}: {got} set, need {need}")
        return out


def exactly_count(cqm: dimod.ConstrainedQuadraticModel, label: Hashable
                  ) -> tuple[list[Hashable], int] | None:
    """``(variables, count)`` when constraint ``label`` says "exactly ``count`` of these
    binary variables are 1", else None.

    >>> x, y, z = dimod.Binaries("xyz")
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> _ = cqm.add_constraint(2 * x + 2 * y + 2 * z == 4, label="two")
    >>> _ = cqm.add_constraint(x + 2 * y == 1, label="weighted")
    >>> exactly_count(cqm, "two"), exactly_count(cqm, "weighted")
    ((['x', 'y', 'z'], 2), None)
    """
    constraint = cqm.constraints[label]
    if constraint.sense is not dimod.sym.Sense.Eq:
        return None
    lhs = constraint.lhs
    if lhs.num_interactions:
        return None
    terms = [(v, float(b)) for v, b in lhs.linear.items() if b != 0]
    if not terms:
        return None
    a = terms[0][1]
    if any(b != a for _, b in terms):
        return None
    if any(cqm.vartype(v) is not dimod.BINARY for v, _ in terms):
        return None
    ratio = (float(constraint.rhs) - float(lhs.offset)) / a
    count = round(ratio)
    # Count 0 fixes every variable and count == size fixes them all to 1: no move
    # exists, so those stay penalties (they are rare and cheap to keep that way).
    if abs(ratio - count) > 1e-9 or not 1 <= count < len(terms):
        return None
    return [v for v, _ in terms], int(count)


def find_groups(cqm: dimod.ConstrainedQuadraticModel) -> OneHotGroups:
    """The 1-way groups and 2-way blocks of ``cqm`` (see the module docstring).

    >>> x = list(dimod.Binaries(range(6)))
    >>> cqm = dimod.ConstrainedQuadraticModel()
    >>> _ = cqm.add_discrete([0, 1, 2], label="colour[a]")
    >>> _ = cqm.add_discrete([3, 4, 5], label="colour[b]")
    >>> _ = cqm.add_constraint(x[0] + x[3] <= 1, label="edge")
    >>> found = find_groups(cqm)
    >>> [g.variables for g in found.groups], found.labels
    ([[0, 1, 2], [3, 4, 5]], ['colour[a]', 'colour[b]'])
    """
    candidates: list[tuple[Hashable, list[Hashable], int]] = []
    for label in cqm.constraints:
        found = exactly_count(cqm, label)
        if found is not None:
            candidates.append((label, *found))
    if not candidates:
        return OneHotGroups()
    # Candidates that share a variable, grouped into connected components.
    owners: dict[Hashable, list[int]] = {}
    for i, (_, variables, _) in enumerate(candidates):
        for v in variables:
            owners.setdefault(v, []).append(i)
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for sharing in owners.values():
        for i in sharing[1:]:
            parent[root(i)] = root(sharing[0])
    components: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        components.setdefault(root(i), []).append(i)

    result = OneHotGroups()
    for members in components.values():  # in CQM order of their first constraint
        if len(members) == 1:
            label, variables, count = candidates[members[0]]
            result.groups.append(Group(variables, count, label))
            result.labels.append(label)
            continue
        block = _as_block([candidates[i] for i in members], owners, members)
        if block is not None:
            result.blocks.append(block)
            result.labels.extend(block.labels)
            continue
        # Overlapping candidates that are no block: a disjoint choice, one-hot first.
        taken: set[Hashable] = set()
        for i in sorted(members, key=lambda i: (candidates[i][2] != 1, i)):
            label, variables, count = candidates[i]
            if taken.isdisjoint(variables):
                taken.update(variables)
                result.groups.append(Group(variables, count, label))
                result.labels.append(label)
    order = {label: i for i, label in enumerate(cqm.constraints)}
    result.labels.sort(key=order.__getitem__)
    return result


def _as_block(candidates: Sequence[tuple[Hashable, list[Hashable], int]],
              owners: dict[Hashable, list[int]], members: Sequence[int]) -> Block | None:
    """The 2-way block these overlapping candidates form, or None if they form none."""
    index = {m: k for k, m in enumerate(members)}
    side: dict[int, int] = {0: 0}
    stack = [0]
    while stack:  # two-colour the overlap graph: rows on one side, columns on the other
        k = stack.pop()
        for v in candidates[k][1]:
            sharing = [index[m] for m in owners[v]]
            if len(sharing) != 2:  # every variable in exactly one row and one column
                return None
            for other in sharing:
                if other == k:
                    continue
                if other in side:
                    if side[other] == side[k]:
                        return None
                else:
                    side[other] = 1 - side[k]
                    stack.append(other)
    sides = ([k for k in side if side[k] == 0], [k for k in side if side[k] == 1])
    for rows, cols in (sides, sides[::-1]):
        if any(candidates[r][2] != 1 for r in rows):
            continue
        if sum(candidates[c][2] for c in cols) != len(rows):
            continue
        if any(len(candidates[r][1]) != len(cols) for r in rows) or any(
                len(candidates[c][1]) != len(rows) for c in cols):
            continue
        col_of = {v: j for j, c in enumerate(cols) for v in candidates[c][1]}
        grid = []
        for r in rows:
            row: list[Hashable] = [None] * len(cols)
            for v in candidates[r][1]:
                row[col_of[v]] = v
            grid.append(row)
        if any(v is None for row in grid for v in row):
            continue
        labels = [candidates[k][0] for k in sorted(rows + cols)]
        return Block(grid, [candidates[c][2] for c in cols], labels)
    return None
