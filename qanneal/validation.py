"""Turn pydantic validation errors into the project's one-line input errors.

Pydantic's lax mode is what a YAML file needs (a list for a tuple, an int for a
float), but it also reads ``true`` as ``1`` and ``"nan"``/``"1e308"`` as floats. After
validation, :func:`validate` walks the validated value beside the input and refuses a
boolean that became a number, and any number that is not finite or beyond
:data:`NUMBER_LIMIT`: no problem file, data or option means one.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from qanneal.errors import InputError, UnknownKeyError
from qanneal.safeyaml import NUMBER_LIMIT

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    """``('data', 'edges', 3, 1)`` -> ``'data.edges[3][1]'``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate(model: type[M], value: Any, *, file: str | None = None, prefix: str = "",
             line_of: Callable[[tuple[Any, ...]], int | None] | None = None) -> M:
    """Validate ``value`` against ``model``; raise one :class:`InputError` for the first problem.

    ``line_of`` maps a field location to a line of the source file, when known.
    """
    try:
        out = model.model_validate(value)
    except ValidationError as exc:
        raise to_input_error(exc, model, file=file, prefix=prefix, line_of=line_of) from None
    except RecursionError:  # nesting beyond pydantic's own guard (built in Python)
        raise InputError("nested too deeply", file=file, field=prefix or None) from None
    problem = check_numbers(out, value)
    if problem is not None:
        loc, message = problem
        line = None
        if line_of is not None:
            line = line_of((tuple(prefix.split(".")) if prefix else ()) + loc)
        raise InputError(message, file=file, line=line, field=field_path(loc, prefix) or None)
    return out


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 6
_REPR.maxlevel = 3


def short_repr(value: Any) -> str:
    """A bounded repr for messages: never walks or prints a whole huge value."""
    return _REPR.repr(value)


def check_numbers(out: Any, given: Any, loc: tuple[Any, ...] = (), depth: int = 0
                  ) -> tuple[tuple[Any, ...], str] | None:
    """The first ``(location, message)`` where validated ``out`` holds a number that
    is not finite or beyond +-2**63, or where the input ``given`` had a boolean that
    became a number; None when there is none.

    ``given`` is followed alongside where the shapes agree (a validator may reshape).
    """
    if depth > 64:
        return None
    if isinstance(out, bool):
        return None
    if isinstance(out, (int, float, np.integer, np.floating)):
        if isinstance(given, bool):
            return loc, (f"expected a number, got {str(given).lower()} (YAML reads "
                         "true/false/yes/no/on/off as booleans)")
        if isinstance(out, (float, np.floating)) and not math.isfinite(out):
            return loc, f"must be a finite number, got {out}"
        if abs(out) >= NUMBER_LIMIT:
            return loc, (f"{short_repr(out)} is too large; numbers must be between "
                         "-2**63 and 2**63 (about 9.2e18): rescale the data")
        return None
    if isinstance(out, np.ndarray):
        if out.dtype.kind == "f" and out.size:
            bad = ~np.isfinite(out) | (np.abs(np.nan_to_num(out)) >= NUMBER_LIMIT)
            if bad.any():
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                return loc + index, (f"must be a finite number below 2**63 in magnitude, "
                                     f"got {out[index]}")
        return None
    if isinstance(out, BaseModel):
        for name in type(out).model_fields:
            if name not in out.model_fields_set:
                continue  # a default (inf may be a meaningful one), not the user's input
            sub = given.get(name) if isinstance(given, Mapping) else None
            found = check_numbers(getattr(out, name, None), sub, loc + (name,), depth + 1)
            if found:
                return found
        return None
    if isinstance(out, Mapping):
        for key, item in out.items():
            sub = given.get(key) if isinstance(given, Mapping) else None
            found = check_numbers(item, sub, loc + (key,), depth + 1)
            if found:
                return found
        return None
    if isinstance(out, (list, tuple)):
        aligned = isinstance(given, (list, tuple)) and len(given) == len(out)
        for i, item in enumerate(out):
            found = check_numbers(item, given[i] if aligned else None, loc + (i,), depth + 1)
            if found:
                return found
    return None


def to_input_error(exc: ValidationError, model: type[BaseModel], *, file: str | None,
                   prefix: str = "",
                   line_of: Callable[[tuple[Any, ...]], int | None] | None = None
                   ) -> InputError:
    # A misspelt key shows up as both "missing" and "extra"; the extra one, with its
    # "did you mean", is the error that helps.
    errors = exc.errors()
    error = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
    path = field_path(loc, prefix)
    kind = error["type"]
    line = None
    if line_of is not None:
        full = tuple(prefix.split(".")) + loc if prefix else loc
        line = line_of(full)
    if kind == "extra_forbidden":
        return UnknownKeyError(str(loc[-1]) if loc else "?", _allowed_keys(model, loc[:-1]),
                               file=file, line=line, field=path or None)
    if kind == "missing":
        message = "required field is missing"
    else:
        message = _union_message(error, [e for e in errors if tuple(
            p for p in e["loc"] if not _is_union_tag(p)) == loc])
        if "input" in error and not isinstance(error["input"], (dict, list)):
            message += f" (got {short_repr(error['input'])})"
    return InputError(message, file=file, line=line, field=path or None)


def _union_message(error: Any, alternatives: list[Any]) -> str:
    """The message of ``error``, or, when a union's members each failed at the same
    place (``auto`` or a number), all of them: "Input should be 'auto' or greater than
    or equal to 1", not only the first member's "Input should be 'auto'"."""
    messages = list(dict.fromkeys(e["msg"] for e in alternatives)) or [error["msg"]]
    lead = "Input should be "
    rest = [m[len(lead):] if m.startswith(lead) else m for m in messages[1:]]
    return " or ".join([messages[0], *rest])


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the union member's type name ("list[...]", "function-after[...]")
    # into the location; it means nothing to a user editing a file.
    # ("constrained-int" for a bounded one).
    return isinstance(part, str) and ("[" in part or part.startswith("constrained-")
                                      or part in {"int", "float", "str", "bool"})


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = fields[part].annotation
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


#: Longest duration any time option takes (about 31 years): 1e308 s passed every check
#: and overflowed in a backend ('cannot convert float infinity to integer').
MAX_SECONDS = 1e9


def seconds(value: Any, field: str, *, allow_zero: bool = False) -> float | None:
    """A duration argument of the Python API (``time_limit=``, ``time_budget=``...) as
    float seconds, or None; anything else is one :class:`InputError` naming ``field``.

    The API is called with whatever a caller computed: ``nan`` reached the backends
    ('cannot convert float NaN to integer'), ``True`` was read as 1 s and ``"soon"``
    failed in arithmetic. ``inf`` is refused too: leave the limit out (None) for none.

    >>> seconds(2, "time_limit"), seconds(None, "time_limit")
    (2.0, None)
    >>> seconds(float("nan"), "time_limit")
    Traceback (most recent call last):
    ...
    qanneal.errors.InputError: time_limit: expected a positive finite number of seconds up to 1e+09, got nan
    """
    if value is None:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))
    number = float(value) if ok else math.nan
    if not (math.isfinite(number) and (number >= 0 if allow_zero else number > 0)
            and number <= MAX_SECONDS):
        hint = "; leave it out (None) for no limit" if ok and number > MAX_SECONDS else ""
        raise InputError(f"expected a {'non-negative' if allow_zero else 'positive'} finite "
                         f"number of seconds up to {MAX_SECONDS:g}, got {short_repr(value)}"
                         f"{hint}", field=field)
    return number
