"""Cross-card rules, one per module. Each exposes `NAME` and `check(catalog) -> Iterator[Diagnostic]`."""

from __future__ import annotations

from survey.diagnostics import Diagnostic
from survey.loader import Catalog
from survey.rules import lineage, placeholders, plausibility, references, sources, unique_ids

RULES = (unique_ids, references, sources, lineage, placeholders, plausibility)


def run_all(catalog: Catalog) -> list[Diagnostic]:
    return [diagnostic for rule in RULES for diagnostic in rule.check(catalog)]
