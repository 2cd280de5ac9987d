"""Ids and aliases name one card each within a kind (file names already make ids unique)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from survey.diagnostics import Diagnostic
from survey.facts import CardFacts

NAME = "unique-ids"


def check_facts(facts: Iterable[CardFacts]) -> Iterator[Diagnostic]:
    by_kind: dict[str, list[CardFacts]] = {}
    for card in facts:
        by_kind.setdefault(card.kind, []).append(card)
    for kind, cards in by_kind.items():
        owner = {card.id.casefold(): card.id for card in cards}
        for card in sorted(cards, key=lambda c: c.id):
            for index, alias in enumerate(card.aliases):
                folded = alias.casefold()
                if folded in owner and owner[folded] != card.id:
                    yield Diagnostic(
                        card.path,
                        field=f"aliases[{index}]",
                        loc=("aliases", index),
                        message=f"expected a name no other {kind} uses, found {alias!r}, already taken by {owner[folded]!r}",
                        rule=NAME,
                    )
                else:
                    owner[folded] = card.id
