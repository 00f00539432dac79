"""Turn pydantic validation errors into the project's one-line input errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from qanneal.errors import InputError, UnknownKeyError

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
        return model.model_validate(value)
    except ValidationError as exc:
        raise to_input_error(exc, model, file=file, prefix=prefix, line_of=line_of) from None


def to_input_error(exc: ValidationError, model: type[BaseModel], *, file: str | None,
                   prefix: str = "",
                   line_of: Callable[[tuple[Any, ...]], int | None] | None = None
                   ) -> InputError:
    # A misspelt key shows up as both "missing" and "extra"; the extra one, with its
    # "did you mean", is the error that helps.
    error = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
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
        message = error["msg"]
        if "input" in error and not isinstance(error["input"], (dict, list)):
            message += f" (got {error['input']!r})"
    return InputError(message, file=file, line=line, field=path or None)


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the union member's type name ("list[...]", "function-after[...]")
    # into the location; it means nothing to a user editing a file.
    return isinstance(part, str) and ("[" in part or part in {"int", "float", "str", "bool"})


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = fields[part].annotation
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []
