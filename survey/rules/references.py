"""Every reference to another card (an organization, a base model, a data set…) names a card that exists."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from survey.diagnostics import Diagnostic, dotted
from survey.facts import CardFacts

NAME = "references"


def check_facts(facts: Iterable[CardFacts]) -> Iterator[Diagnostic]:
    facts = list(facts)
    known: dict[str, set[str]] = {}
    for card in facts:
        known.setdefault(card.kind, set()).add(card.id)
    for card in facts:
        for loc, kind, value in card.refs:
            ids = known.get(kind, set())
            if value in ids:
                continue
            article = "an" if kind[0] in "aeiou" else "a"
            message = f"expected the id of {article} {kind} card, found {value!r} (no such card)"
            hint = difflib.get_close_matches(value, sorted(ids), n=1, cutoff=0.7)
            if hint:
                message += f"; did you mean {hint[0]!r}?"
            yield Diagnostic(card.path, field=dotted(loc), loc=loc, message=message, rule=NAME)
