"""Ids and aliases name one card each within a kind (file names already make ids unique)."""

from __future__ import annotations

from collections.abc import Iterator

from survey.diagnostics import Diagnostic
from survey.loader import Catalog

NAME = "unique-ids"


def check(catalog: Catalog) -> Iterator[Diagnostic]:
    for kind, entries in catalog.cards.items():
        owner = {card_id.casefold(): card_id for card_id in entries}
        for card_id, entry in sorted(entries.items()):
            for index, alias in enumerate(entry.card.aliases):
                folded = alias.casefold()
                if folded in owner and owner[folded] != card_id:
                    loc = ("aliases", index)
                    yield Diagnostic(
                        entry.path,
                        field=f"aliases[{index}]",
                        loc=loc,
                        message=f"expected a name no other {kind} uses, found {alias!r}, already taken by {owner[folded]!r}",
                        rule=NAME,
                    )
                else:
                    owner[folded] = card_id
