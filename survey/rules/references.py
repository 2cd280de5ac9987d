"""Every reference to another card (an organization, a base model, a data set…) names a card that exists."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from survey.diagnostics import Diagnostic, dotted
from survey.loader import Catalog
from survey.schema.common import RefTo
from survey.walk import marked

NAME = "references"


def check(catalog: Catalog) -> Iterator[Diagnostic]:
    known = {kind: set(entries) for kind, entries in catalog.cards.items()}
    for entry in catalog.entries():
        for loc, value, ref in marked(entry.card, RefTo):
            ids = known.get(ref.kind, set())
            if value in ids:
                continue
            article = "an" if ref.kind[0] in "aeiou" else "a"
            message = f"expected the id of {article} {ref.kind} card, found {value!r} (no such card)"
            hint = difflib.get_close_matches(value, sorted(ids), n=1, cutoff=0.7)
            if hint:
                message += f"; did you mean {hint[0]!r}?"
            yield Diagnostic(entry.path, field=dotted(loc), loc=loc, message=message, rule=NAME)
