"""Constraint helpers and integer encodings on top of dimod's symbolic API.

dimod gives ``Binary``, ``quicksum`` and constraints; it does not give k-of-n helpers or
integer encodings with a decoder, so they live here. Everything returns ordinary dimod
expressions and comparisons, ready for ``cqm.add_constraint``.

>>> import dimod
>>> xs = [dimod.Binary(f"x{i}") for i in range(4)]
>>> cqm = dimod.ConstrainedQuadraticModel()
>>> _ = cqm.add_constraint(exactly_k(xs, 2), label="pick2")
>>> float(cqm.constraints["pick2"].rhs)
2.0
>>> n = binary_integer("n", 0, 5)
>>> [float(b) for b in n.coefficients]
[1.0, 2.0, 2.0]
>>> n.decode({"n[0]": 1, "n[1]": 0, "n[2]": 1})
3
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod

Comparison = Any  # dimod.sym.Comparison; the class lives in a private module


def _as_expression(variables: Iterable[Any]) -> dimod.BinaryQuadraticModel:
    terms = [v if isinstance(v, (dimod.BinaryQuadraticModel, dimod.QuadraticModel))
             else dimod.Binary(v) for v in variables]
    if not terms:
        raise ValueError("a k-of-n constraint needs at least one variable")
    return dimod.quicksum(terms)


def exactly_k(variables: Iterable[Any], k: int) -> Comparison:
    """``sum(variables) == k``; variables are labels or dimod ``Binary`` expressions."""
    return _as_expression(variables) == k


def one_hot(variables: Iterable[Any]) -> Comparison:
    """Exactly one of ``variables`` is 1."""
    return exactly_k(variables, 1)


def at_most_k(variables: Iterable[Any], k: int) -> Comparison:
    """``sum(variables) <= k``."""
    return _as_expression(variables) <= k


def at_most_one(variables: Iterable[Any]) -> Comparison:
    """At most one of ``variables`` is 1 (converted to a slack-free pairwise penalty)."""
    return at_most_k(variables, 1)


def at_least_k(variables: Iterable[Any], k: int) -> Comparison:
    """``sum(variables) >= k``."""
    return _as_expression(variables) >= k


@dataclass
class IntegerEncoding:
    """An integer ``lower <= n <= upper`` written with binary variables.

    ``expression`` is the dimod expression equal to ``n``; ``constraints`` lists the
    ``(label, comparison)`` pairs the encoding needs to be valid (none for binary and
    unary, one per wall for domain wall, one-hot for one-hot); ``decode`` reads ``n``
    back from a sample and ``violations`` says whether the bits are a valid code.
    """

    name: str
    lower: int
    upper: int
    scheme: str
    labels: list[Hashable]
    coefficients: list[float]
    constraints: list[tuple[str, Comparison]] = field(default_factory=list)

    @property
    def expression(self) -> dimod.BinaryQuadraticModel:
        bqm = dimod.BinaryQuadraticModel("BINARY")
        bqm.add_linear_from(zip(self.labels, self.coefficients))
        bqm.offset = self.lower
        return bqm

    def decode(self, sample: Mapping[Hashable, int]) -> int:
        """The integer the bits of ``sample`` stand for."""
        if self.scheme == "one-hot":
            on = [i for i, v in enumerate(self.labels) if sample[v]]
            return self.lower + (on[0] if on else 0)
        return int(round(self.lower + sum(c * sample[v]
                                          for v, c in zip(self.labels, self.coefficients))))

    def encode(self, value: int) -> dict[Hashable, int]:
        """A valid bit assignment for ``value`` (the inverse of :meth:`decode`)."""
        if not self.lower <= value <= self.upper:
            raise ValueError(f"{value} is outside [{self.lower}, {self.upper}]")
        offset = value - self.lower
        if self.scheme == "one-hot":
            return {v: int(i == offset) for i, v in enumerate(self.labels)}
        if self.scheme in ("unary", "domain-wall"):
            return {v: int(i < offset) for i, v in enumerate(self.labels)}
        bits = {}
        # Greedy from the largest coefficient works for the capped binary code because
        # every prefix of powers of two covers all smaller remainders.
        for v, c in sorted(zip(self.labels, self.coefficients), key=lambda t: -t[1]):
            take = int(offset >= c)
            bits[v] = take
            offset -= take * c
        return {v: bits[v] for v in self.labels}

    def violations(self, sample: Mapping[Hashable, int]) -> list[str]:
        """Why the bits are not a valid code (empty when they are)."""
        bits = [sample[v] for v in self.labels]
        if self.scheme == "one-hot" and sum(bits) != 1:
            return [f"{self.name}: one-hot code has {sum(bits)} bits set"]
        if self.scheme == "domain-wall" and any(b > a for a, b in zip(bits, bits[1:])):
            return [f"{self.name}: domain wall broken ({''.join(map(str, bits))})"]
        return []


def _check_range(lower: int, upper: int) -> int:
    if int(lower) != lower or int(upper) != upper:
        raise ValueError("integer bounds must be whole numbers")
    if upper < lower:
        raise ValueError(f"upper bound {upper} is below lower bound {lower}")
    return int(upper) - int(lower)


def binary_integer(name: str, lower: int, upper: int) -> IntegerEncoding:
    """Logarithmic code with a capped last coefficient, so every value is in range.

    Coefficients ``1, 2, 4, ..., c`` with ``c`` chosen so the maximum is exactly
    ``upper``: no slack constraint is needed.
    """
    span = _check_range(lower, upper)
    coefficients: list[float] = []
    total = 0
    power = 1
    while total < span:
        c = min(power, span - total)
        coefficients.append(float(c))
        total += c
        power *= 2
    labels = [f"{name}[{i}]" for i in range(len(coefficients))]
    return IntegerEncoding(name, int(lower), int(upper), "binary", labels, coefficients)


def unary_integer(name: str, lower: int, upper: int) -> IntegerEncoding:
    """Unary (counting) code: ``n = lower + number of bits set``; many codes per value."""
    span = _check_range(lower, upper)
    labels = [f"{name}[{i}]" for i in range(span)]
    return IntegerEncoding(name, int(lower), int(upper), "unary", labels, [1.0] * span)


def domain_wall_integer(name: str, lower: int, upper: int) -> IntegerEncoding:
    """Domain-wall code: bits ``1...10...0``; ``n = lower + position of the wall``.

    One constraint per neighbouring pair (``b[i+1] <= b[i]``) keeps the code valid;
    it costs one fewer variable than one-hot and has a single valid code per value.
    """
    encoding = unary_integer(name, lower, upper)
    encoding.scheme = "domain-wall"
    encoding.constraints = [
        (f"wall_{name}[{i}]", dimod.Binary(b) - dimod.Binary(a) <= 0)
        for i, (a, b) in enumerate(zip(encoding.labels, encoding.labels[1:]))
    ]
    return encoding


def one_hot_integer(name: str, lower: int, upper: int) -> IntegerEncoding:
    """One-hot code: one bit per value, exactly one set."""
    span = _check_range(lower, upper)
    labels = [f"{name}[{i}]" for i in range(span + 1)]
    encoding = IntegerEncoding(name, int(lower), int(upper), "one-hot", labels,
                               [float(i) for i in range(span + 1)])
    encoding.constraints = [(f"onehot_{name}", one_hot(labels))]
    return encoding


ENCODINGS = {
    "binary": binary_integer,
    "unary": unary_integer,
    "domain-wall": domain_wall_integer,
    "one-hot": one_hot_integer,
}


def integer(name: str, lower: int, upper: int, scheme: str = "binary") -> IntegerEncoding:
    """An integer variable in the named ``scheme`` (binary, unary, domain-wall, one-hot)."""
    try:
        return ENCODINGS[scheme](name, lower, upper)
    except KeyError:
        raise ValueError(f"unknown encoding {scheme!r}; choose one of "
                         f"{', '.join(ENCODINGS)}") from None


def add_encoding(cqm: dimod.ConstrainedQuadraticModel, encoding: IntegerEncoding) -> None:
    """Add the constraints an encoding needs (if any) to ``cqm``."""
    for label, comparison in encoding.constraints:
        cqm.add_constraint(comparison, label=label)


def decode_all(encodings: Sequence[IntegerEncoding],
               sample: Mapping[Hashable, int]) -> dict[str, int]:
    """Decode several integers at once: ``{name: value}``."""
    return {e.name: e.decode(sample) for e in encodings}
