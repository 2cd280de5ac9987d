"""Named conversions between a card and its plain-data forms.

- `to_card(card)`: card -> the canonical YAML data `fmt` writes (shorthand, fixed key order).
- `to_export(card)`: card -> JSON-ready data with every field and exact integers.
"""

from __future__ import annotations

from typing import Any

from survey.schema import Card

# Shared fields that read best after the kind's own fields.
_LAST = ("notes", "sources")


def to_card(card: Card) -> dict[str, Any]:
    data = card.model_dump(mode="json", exclude_defaults=True, context="card")
    ordered = {key: value for key, value in data.items() if key not in _LAST}
    ordered.update((key, data[key]) for key in _LAST if key in data)
    return ordered


def to_export(card: Card) -> dict[str, Any]:
    return {"kind": card.KIND, **card.model_dump(mode="json")}
