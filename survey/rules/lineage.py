"""Lineage is a tree, not a loop, and nothing is released before what it was built from."""

from __future__ import annotations

from collections.abc import Iterator

from survey.diagnostics import Diagnostic
from survey.loader import Catalog
from survey.schema.common import date_key

NAME = "lineage"


def check(catalog: Catalog) -> Iterator[Diagnostic]:
    models = {model.id: model for model in catalog.of("model")}
    yield from _cycles(catalog, "model", {m.id: [link.model for link in m.lineage] for m in models.values()}, "lineage")
    datasets = catalog.of("dataset")
    yield from _cycles(catalog, "dataset", {d.id: list(d.derived_from) for d in datasets}, "derived_from")
    for model in models.values():
        for index, link in enumerate(model.lineage):
            base = models.get(link.model)
            if base is None:
                continue
            child, parent = date_key(model.released.date), date_key(base.released.date)
            shared = min(len(child), len(parent))
            if child[:shared] < parent[:shared]:
                loc = ("released", "date")
                yield Diagnostic(
                    catalog.path_of(model),
                    field="released.date",
                    loc=loc,
                    message=(
                        f"expected a date on or after its base {base.id!r} ({base.released.date}), "
                        f"found {model.released.date}"
                    ),
                    rule=NAME,
                )


def _cycles(catalog: Catalog, kind: str, edges: dict[str, list[str]], field: str) -> Iterator[Diagnostic]:
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
                card = catalog.get(kind, node)
                index = edges[node].index(child)
                loc = (field, index, "model") if field == "lineage" else (field, index)
                yield Diagnostic(
                    catalog.path_of(card),
                    field=f"{field}[{index}]",
                    loc=loc,
                    message=f"expected no cycle, found {' -> '.join(loop)}",
                    rule=NAME,
                )
            else:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(edges.get(child, []))))
