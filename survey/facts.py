"""What cross-card rules need to know of a card, in plain data.

The cross-card rules (unique names, references, lineage) read only these
facts, so `survey.check` can keep them in its cache for unchanged files and
re-check a large catalog without loading every card again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from survey.diagnostics import Loc
from survey.schema.common import Card, RefTo
from survey.walk import Field, fields


@dataclass(frozen=True)
class CardFacts:
    kind: str
    id: str
    path: Path
    aliases: tuple[str, ...]
    refs: tuple[tuple[Loc, str, str], ...]  # (field path, kind referred to, id)
    released: str | None = None  # models: release date
    bases: tuple[str, ...] = ()  # models: lineage, in order
    derived_from: tuple[str, ...] = ()  # data sets


def facts_of(card: Card, path: Path, walked: list[Field] | None = None) -> CardFacts:
    walked = walked if walked is not None else list(fields(card))
    refs = tuple((loc, m.kind, value) for loc, value, meta in walked for m in meta if isinstance(m, RefTo))
    released = getattr(card, "released", None)
    return CardFacts(
        kind=card.KIND,
        id=card.id,
        path=path,
        aliases=tuple(card.aliases),
        refs=refs,
        released=released.date if card.KIND == "model" else None,
        bases=tuple(link.model for link in getattr(card, "lineage", ())) if card.KIND == "model" else (),
        derived_from=tuple(getattr(card, "derived_from", ())),
    )
