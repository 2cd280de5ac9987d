"""Pydantic's validation errors, reworded as "expected X, found Y" for contributors."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from survey.diagnostics import Loc

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "date_type": "a date",
    "none_required": "nothing",
    "finite_number": "a finite number",
}


_BOUNDS = {
    "greater_than_equal": ("of at least", "ge"),
    "greater_than": ("above", "gt"),
    "less_than_equal": ("of at most", "le"),
    "less_than": ("below", "lt"),
}


def found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def reword(error: ErrorDetails, card_type: type[BaseModel]) -> tuple[Loc, str, bool]:
    """(field path, message, whether the message is about the key itself)."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-")))
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        return loc, "expected a value, found nothing (this field is required)", False
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        allowed = fields_at(card_type, loc[:-1])
        hint = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        message = f"unknown field {name!r}"
        if hint:
            message += f" (did you mean {hint[0]!r}?)"
        elif allowed:
            message += f"; expected one of {', '.join(allowed)}"
        return loc, message, True
    if kind in ("literal_error", "enum"):
        return loc, f"expected one of {ctx.get('expected', '?')}, found {found(given)}", False
    if kind == "too_short":
        count = ctx.get("min_length", 1)
        return loc, f"expected at least {count} entr{'y' if count == 1 else 'ies'}, found {ctx.get('actual_length', 0)}", False
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        return loc, f"expected a number {word} {ctx.get(key)}, found {found(given)}", False
    if kind == "string_too_short":
        return loc, "expected non-empty text, found nothing", False
    if kind == "string_pattern_mismatch":
        return loc, f"expected text matching {ctx.get('pattern')}, found {found(given)}", False
    if kind == "expected":
        loc = (*loc, *ctx.get("at", ()))
        message = error["msg"]
        if "found" not in message and not isinstance(given, dict):
            message += f", found {found(given)}"
        return loc, message, False
    if kind in _EXPECTED:
        return loc, f"expected {_EXPECTED[kind]}, found {found(given)}", False
    return loc, f"{error['msg']}, found {found(given)}", False


def fields_at(card_type: type[BaseModel], loc: Loc) -> list[str]:
    """Names of the keys allowed at `loc` inside a card, for "did you mean" hints."""
    annotation: Any = card_type
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_in(annotation)
    return list(model.model_fields) if model else []


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _members(annotation):
        origin = typing.get_origin(candidate)
        if isinstance(part, int) and origin is list:
            return typing.get_args(candidate)[0]
        if isinstance(part, str) and origin is dict:
            return typing.get_args(candidate)[1]
        model = _model_in(candidate)
        if model and isinstance(part, str) and part in model.model_fields:
            return model.model_fields[part].annotation
    return None


def _members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in _members(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
