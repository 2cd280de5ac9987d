"""No template placeholder (TODO) is left in a card made with `survey new`."""

from __future__ import annotations

from collections.abc import Iterator

from survey.diagnostics import Diagnostic, dotted
from survey.loader import Catalog
from survey.walk import fields

NAME = "placeholders"
PLACEHOLDER = "TODO"


def check(catalog: Catalog) -> Iterator[Diagnostic]:
    for entry in catalog.entries():
        for loc, value, _ in fields(entry.card):
            if isinstance(value, str) and PLACEHOLDER in value:
                yield Diagnostic(
                    entry.path,
                    field=dotted(loc),
                    loc=loc,
                    message=f"expected a real value, found the template placeholder {value!r}",
                    rule=NAME,
                )
