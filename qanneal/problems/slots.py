"""Answers that place items at positions (a tour, a job order): checking them.

A decoded one-hot position encoding gives one *slot* per position: the item there, None
when no item is, or a list when several are. TSP and the permutation flow shop both
verify such answers; this is their one checker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any


def slot_items(slot: Any) -> list[Any]:
    """A slot's items: several (list/tuple), none (None) or one.

    >>> slot_items([1, 2]), slot_items(None), slot_items(3)
    ([1, 2], [], [3])
    """
    return list(slot) if isinstance(slot, (list, tuple)) else [] if slot is None else [slot]


def permutation_violations(slots: Any, items: Sequence[Hashable], *, what: str, noun: str,
                           plural: str, counted: str, verb: str, not_a_list: str,
                           is_known: Callable[[Any], bool],
                           name: Callable[[Any], str] = repr,
                           unknown_hint: str = "") -> list[str]:
    """What makes ``slots`` not a permutation of ``items`` (each exactly once).

    ``what`` names the answer ("tour"), ``noun``/``plural``/``counted`` its items ("city",
    "cities", "city(ies)"), ``verb`` what a slot does to one ("visited"); ``name`` shows
    an item in a message.

    >>> permutation_violations(["a", None, "a"], ["a", "b", "c"], what="tour", noun="city",
    ...     plural="cities", counted="city(ies)", verb="visited", not_a_list="a list!",
    ...     is_known={"a", "b", "c"}.__contains__)  # doctest: +NORMALIZE_WHITESPACE
    ['1 position(s) with no city, e.g. position 1',
     "1 city(ies) visited more than once, e.g. 'a'",
     "2 city(ies) not visited, e.g. 'b'"]
    """
    if not isinstance(slots, (list, tuple)):
        return [not_a_list]
    problems = []
    n = len(items)
    if len(slots) != n:
        problems.append(f"{what} has {len(slots)} positions; expected {n}")
    empty = [q for q, s in enumerate(slots) if s is None]
    if empty:
        problems.append(f"{len(empty)} position(s) with no {noun}, e.g. position {empty[0]}")
    several = [q for q, s in enumerate(slots) if isinstance(s, (list, tuple))]
    if several:
        problems.append(f"{len(several)} position(s) with several {plural}, e.g. position "
                        f"{several[0]}: {list(slots[several[0]])}")
    seen = Counter(x for s in slots for x in slot_items(s))
    unknown = [x for x in seen if not is_known(x)]
    if unknown:
        problems.append(f"{len(unknown)} unknown {counted}, e.g. {unknown[0]!r}{unknown_hint}")
    twice = [x for x, k in seen.items() if k > 1 and is_known(x)]
    if twice:
        problems.append(f"{len(twice)} {counted} {verb} more than once, e.g. {name(twice[0])}")
    missing = [x for x in items if x not in seen]
    if missing:
        problems.append(f"{len(missing)} {counted} not {verb}, e.g. {name(missing[0])}")
    return problems
