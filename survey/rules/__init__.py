"""Rules beyond the schema, one per module.

Card rules look at one card (`check_card(card, path)`); cross rules look at the
facts of every card together (`check_facts(facts)`, see `survey.facts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from survey.diagnostics import Diagnostic
from survey.facts import CardFacts, facts_of
from survey.loader import Catalog
from survey.rules import lineage, placeholders, plausibility, references, reproductions, sources, unique_ids
from survey.schema.common import Card
from survey.walk import Field, fields

CARD_RULES = (sources, placeholders, plausibility)
CROSS_RULES = (unique_ids, references, lineage, reproductions)


def card_diagnostics(card: Card, path: Path, walked: list[Field] | None = None) -> list[Diagnostic]:
    """Card rules over one card; `walked` is `list(fields(card))` when the caller has it already."""
    walked = walked if walked is not None else list(fields(card))
    return [diagnostic for rule in CARD_RULES for diagnostic in rule.check_card(card, path, walked)]


def cross_diagnostics(facts: Iterable[CardFacts]) -> list[Diagnostic]:
    facts = list(facts)
    return [diagnostic for rule in CROSS_RULES for diagnostic in rule.check_facts(facts)]


def run_all(catalog: Catalog) -> list[Diagnostic]:
    """Every rule over a loaded catalog."""
    found: list[Diagnostic] = []
    facts: list[CardFacts] = []
    for entry in catalog.entries():
        walked = list(fields(entry.card))
        found.extend(card_diagnostics(entry.card, entry.path, walked))
        facts.append(facts_of(entry.card, entry.path, walked))
    return found + cross_diagnostics(facts)
