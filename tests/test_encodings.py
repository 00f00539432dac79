"""Encodings: decode(encode(n)) == n for every scheme and range; constraints hold."""

from __future__ import annotations

import dimod
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qanneal.encodings import ENCODINGS, at_most_one, exactly_k, integer, one_hot

ranges = st.tuples(st.integers(-20, 20), st.integers(0, 40)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(ENCODINGS)), ranges, st.data())
def test_round_trip(scheme, bounds, data):
    lower, upper = bounds
    enc = integer("n", lower, upper, scheme)
    value = data.draw(st.integers(lower, upper))
    bits = enc.encode(value)
    assert enc.decode(bits) == value
    assert enc.violations(bits) == []
    assert enc.expression.energy(bits) == pytest.approx(value)
    for _, comparison in enc.constraints:  # the code satisfies its own constraints
        cqm = dimod.ConstrainedQuadraticModel()
        label = cqm.add_constraint(comparison)
        assert cqm.check_feasible(bits), (label, bits)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["binary", "unary", "domain-wall"]), ranges, st.data())
def test_every_bit_pattern_decodes_in_range(scheme, bounds, data):
    """Binary and unary codes have no invalid patterns: any bits decode into range."""
    lower, upper = bounds
    enc = integer("n", lower, upper, scheme)
    bits = {v: data.draw(st.integers(0, 1)) for v in enc.labels}
    assert lower <= enc.decode(bits) <= upper


def test_binary_code_is_logarithmic():
    assert len(integer("n", 0, 1000, "binary").labels) == 10
    assert len(integer("n", 0, 1000, "unary").labels) == 1000


def test_domain_wall_flags_broken_walls():
    enc = integer("n", 0, 3, "domain-wall")
    assert enc.violations(dict(zip(enc.labels, (1, 0, 1)))) != []


def test_bad_ranges_and_schemes():
    with pytest.raises(ValueError, match="below"):
        integer("n", 5, 2)
    with pytest.raises(ValueError, match="unknown encoding"):
        integer("n", 0, 2, "gray")
    with pytest.raises(ValueError):
        one_hot([])


def test_k_of_n_helpers_build_dimod_constraints():
    xs = [dimod.Binary(i) for i in range(3)]
    cqm = dimod.ConstrainedQuadraticModel()
    cqm.add_constraint(exactly_k(xs, 2), label="two")
    cqm.add_constraint(at_most_one(["a", "b"]), label="amo")
    assert cqm.check_feasible({0: 1, 1: 1, 2: 0, "a": 0, "b": 1})
    assert not cqm.check_feasible({0: 1, 1: 0, 2: 0, "a": 1, "b": 1})
