"""Every `source:` names one of the card's own sources; numbers carry a source; cards cite a primary source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from survey.diagnostics import Diagnostic, Loc, dotted
from survey.schema.common import Card, Hardware, Measure, SourceKey
from survey.walk import Field, fields

NAME = "sources"
# Experiments come from unpublished notes; every other kind must point at a primary source,
# unless the thing itself is only known from an unpublished note (then no primary source exists).
NO_PRIMARY_NEEDED = {"experiment"}


def check_card(card: Card, path: Path, walked: list[Field]) -> Iterator[Diagnostic]:
    keys = set(card.sources)
    for loc, value, meta in walked:
        if any(isinstance(marker, SourceKey) for marker in meta) and value not in keys:
            yield Diagnostic(
                path,
                field=dotted(loc),
                loc=loc,
                message=f"expected one of this card's sources ({', '.join(sorted(keys))}), found {value!r}",
                rule=NAME,
            )
    kinds = {source.kind for source in card.sources.values()}
    primary = any(source.primary for source in card.sources.values())
    if card.KIND not in NO_PRIMARY_NEEDED and "unpublished" not in kinds and not primary:
        yield Diagnostic(
            path,
            field="sources",
            loc=("sources",),
            message="expected at least one primary source (paper, repository, model card, blog…), found only the survey",
            rule=NAME,
        )
    for loc in unsourced_numbers(card, walked):
        yield Diagnostic(
            path,
            field=dotted(loc),
            loc=loc,
            message="expected a `source:` for this number, found none",
            severity="warning",
            rule="unsourced-number",
        )


def unsourced_numbers(card: Card, walked: list | None = None) -> Iterator[Loc]:
    """Paths of known quantities with no source of their own nor on an enclosing record."""
    walked = walked if walked is not None else list(fields(card))
    sourced_prefixes = {loc for loc, value, _ in walked if getattr(value, "source", None)}
    for loc, value, _ in walked:
        if not isinstance(value, (Measure, Hardware)) or value.unknown or value.source is not None:
            continue
        if not any(loc[:depth] in sourced_prefixes for depth in range(1, len(loc))):
            yield loc
