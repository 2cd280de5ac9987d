"""Lineage is a tree, not a loop, and nothing is released before what it was built from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from survey.diagnostics import Diagnostic
from survey.facts import CardFacts
from survey.schema.common import date_key

NAME = "lineage"


def check_facts(facts: Iterable[CardFacts]) -> Iterator[Diagnostic]:
    facts = list(facts)
    models = {card.id: card for card in facts if card.kind == "model"}
    datasets = {card.id: card for card in facts if card.kind == "dataset"}
    yield from _cycles(models, {m.id: list(m.bases) for m in models.values()}, "lineage")
    yield from _cycles(datasets, {d.id: list(d.derived_from) for d in datasets.values()}, "derived_from")
    for model in models.values():
        for base_id in model.bases:
            base = models.get(base_id)
            if base is None or model.released is None or base.released is None:
                continue
            child, parent = date_key(model.released), date_key(base.released)
            shared = min(len(child), len(parent))
            if child[:shared] < parent[:shared]:
                yield Diagnostic(
                    model.path,
                    field="released.date",
                    loc=("released", "date"),
                    message=f"expected a date on or after its base {base.id!r} ({base.released}), found {model.released}",
                    rule=NAME,
                )


def _cycles(cards: dict[str, CardFacts], edges: dict[str, list[str]], field: str) -> Iterator[Diagnostic]:
    """Report each cycle once, at the card where the walk closes it."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in sorted(edges):
        if state.get(start):
            continue
        path: list[str] = []
        stack = [(start, iter(edges.get(start, [])))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif child not in edges or state.get(child) == 2:
                continue
            elif state.get(child) == 1:
                loop = path[path.index(child):] + [child]
                index = edges[node].index(child)
                loc = (field, index, "model") if field == "lineage" else (field, index)
                yield Diagnostic(
                    cards[node].path,
                    field=f"{field}[{index}]",
                    loc=loc,
                    message=f"expected no cycle, found {' -> '.join(loop)}",
                    rule=NAME,
                )
            else:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(edges.get(child, []))))
