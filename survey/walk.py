"""Walking a validated card field by field, with each value's path and annotation markers.

Rules and `survey.facts` use it to find every reference (`RefTo`), every source key (`SourceKey`)
and every measured quantity without knowing the layout of each kind.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from survey.diagnostics import Loc

_SCALARS = (str, int, float, bool)
Field = tuple[Loc, Any, tuple[Any, ...]]  # (path, value, markers)


def markers(annotation: Any) -> tuple[Any, ...]:
    """Annotated metadata of a field type, looking through Optional and list."""
    found: list[Any] = []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        found.extend(meta)
        found.extend(markers(base))
    elif origin is not None and origin is not dict:
        for arg in typing.get_args(annotation):
            found.extend(markers(arg))
    return tuple(found)


@functools.cache
def _layout(model_type: type[BaseModel]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """(field name, markers) of a model class, computed once per class."""
    return tuple(
        (name, markers(info.annotation) + tuple(info.metadata)) for name, info in model_type.model_fields.items()
    )


def fields(node: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any, tuple[Any, ...]]]:
    """(path, value, markers) of every field value under `node`, depth first."""
    if not isinstance(node, BaseModel):
        return
    for name, meta in _layout(type(node)):
        value = getattr(node, name)
        if value is None:
            continue
        yield from _values(value, (*loc, name), meta)


def _values(value: Any, loc: Loc, meta: tuple[Any, ...]) -> Iterator[tuple[Loc, Any, tuple[Any, ...]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, (*loc, index), meta)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, (*loc, key), meta)
    else:
        yield loc, value, meta
        if not isinstance(value, _SCALARS):
            yield from fields(value, loc)
