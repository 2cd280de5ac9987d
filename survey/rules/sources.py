"""Every `source:` names one of the card's own sources; numbers carry a source; cards cite a primary source."""

from __future__ import annotations

from collections.abc import Iterator

from survey.diagnostics import Diagnostic, dotted
from survey.loader import Catalog
from survey.schema.common import Hardware, Measure, SourceKey
from survey.walk import fields, marked

NAME = "sources"
# Experiments come from unpublished notes; every other kind must point at a primary source,
# unless the thing itself is only known from an unpublished note (then no primary source exists).
NO_PRIMARY_NEEDED = {"experiment"}


def check(catalog: Catalog) -> Iterator[Diagnostic]:
    for entry in catalog.entries():
        card = entry.card
        keys = set(card.sources)
        for loc, value, _ in marked(card, SourceKey):
            if value not in keys:
                yield Diagnostic(
                    entry.path,
                    field=dotted(loc),
                    loc=loc,
                    message=f"expected one of this card's sources ({', '.join(sorted(keys))}), found {value!r}",
                    rule=NAME,
                )
        unpublished = any(source.kind == "unpublished" for source in card.sources.values())
        if card.KIND not in NO_PRIMARY_NEEDED and not unpublished and not any(s.primary for s in card.sources.values()):
            yield Diagnostic(
                entry.path,
                field="sources",
                loc=("sources",),
                message="expected at least one primary source (paper, repository, model card, blog…), found only the survey",
                rule=NAME,
            )
        for loc in unsourced_numbers(card):
            yield Diagnostic(
                entry.path,
                field=dotted(loc),
                loc=loc,
                message="expected a `source:` for this number, found none",
                severity="warning",
                rule="unsourced-number",
            )


def unsourced_numbers(card) -> Iterator[tuple]:
    """Paths of known quantities with no source of their own nor on an enclosing record."""
    walked = list(fields(card))
    sourced_prefixes = {loc for loc, value, _ in walked if getattr(value, "source", None)}
    for loc, value, _ in walked:
        if not isinstance(value, (Measure, Hardware)) or value.unknown or value.source is not None:
            continue
        if not any(loc[:depth] in sourced_prefixes for depth in range(1, len(loc))):
            yield loc
