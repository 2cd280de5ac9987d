"""No template placeholder (TODO) is left in a card made with `survey new`."""

from __future__ import annotations

from collections.abc import Iterator

from survey.diagnostics import Diagnostic, dotted
from pathlib import Path

from survey.schema.common import Card
from survey.walk import Field

NAME = "placeholders"
PLACEHOLDER = "TODO"


def check_card(card: Card, path: Path, walked: list[Field]) -> Iterator[Diagnostic]:
    for loc, value, _ in walked:
        if isinstance(value, str) and PLACEHOLDER in value:
            yield Diagnostic(
                path,
                field=dotted(loc),
                loc=loc,
                message=f"expected a real value, found the template placeholder {value!r}",
                rule=NAME,
            )
