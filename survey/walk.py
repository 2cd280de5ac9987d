"""Walking a validated card field by field, with each value's path and annotation markers.

Rules use it to find every reference (`RefTo`), every source key (`SourceKey`)
and every measured quantity without knowing the layout of each kind.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from survey.diagnostics import Loc


def markers(annotation: Any) -> list[Any]:
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
    return found


def fields(node: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any, list[Any]]]:
    """(path, value, markers) of every field value under `node`, depth first."""
    if not isinstance(node, BaseModel):
        return
    for name, info in type(node).model_fields.items():
        value = getattr(node, name)
        if value is None:
            continue
        meta = markers(info.annotation) + list(info.metadata)
        yield from _values(value, (*loc, name), meta)


def _values(value: Any, loc: Loc, meta: list[Any]) -> Iterator[tuple[Loc, Any, list[Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, (*loc, index), meta)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, (*loc, key), meta)
    else:
        yield loc, value, meta
        if isinstance(value, BaseModel):
            yield from fields(value, loc)


def marked(node: BaseModel, marker_type: type) -> Iterator[tuple[Loc, Any, Any]]:
    """(path, value, marker) for every value whose type carries a `marker_type` marker."""
    for loc, value, meta in fields(node):
        for marker in meta:
            if isinstance(marker, marker_type):
                yield loc, value, marker
