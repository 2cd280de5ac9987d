"""Catalog health: for each card, how many fields are filled and how many values name their source."""

from __future__ import annotations

from pydantic import BaseModel

from survey.schema.common import Card
from survey.site.page import Page, Site, kinds, table
from survey.site.text import md_escape
from survey.walk import fields

PATH = "health.md"


def filled(card: Card) -> tuple[int, int]:
    """(fields holding a value, fields the kind has), counting top-level fields."""
    names = list(type(card).model_fields)
    count = 0
    for name in names:
        value = getattr(card, name)
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, BaseModel) and not any(getattr(value, f) not in (None, [], {}) for f in type(value).model_fields):
            continue
        count += 1
    return count, len(names)


def sourced(card: Card) -> tuple[int, int, list[str]]:
    """(values with a source, values that can carry one, paths of those without)."""
    total, with_source, missing = 0, 0, []
    for loc, value, _meta in fields(card):
        if isinstance(value, BaseModel) and "source" in type(value).model_fields:
            total += 1
            if value.source is not None:
                with_source += 1
            else:
                missing.append(".".join(str(part) for part in loc))
    return with_source, total, missing


def has_primary(card: Card) -> bool:
    return any(source.primary for source in card.sources.values())


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    w = site.word
    zh = site.lang == "zh"
    parts = [
        f"# {'目录健康' if zh else 'Catalog health'}",
        "",
        (
            "每张卡片填了多少字段、多少数值注明了来源、是否有一手来源（论文、代码仓库、模型卡片……）。"
            if zh
            else "For each card: how many fields are filled, how many values name their source, and whether "
            "it cites a primary source (paper, repository, model card…)."
        ),
        "",
    ]
    no_primary, unsourced = [], []
    for kind in kinds(site.catalog):
        rows = []
        for card in site.sorted_cards(kind):
            f, n = filled(card)
            s, t, missing = sourced(card)
            primary = has_primary(card)
            if not primary and kind != "experiment":
                no_primary.append(card)
            if missing:
                unsourced.append((card, missing))
            share = f"{s} / {t}" if t else "–"
            rows.append(
                [
                    page.link(card),
                    f"{f} / {n}",
                    share,
                    w("yes") if primary else f'<span class="sv-status sv-no">{md_escape(w("missing"))}</span>',
                ]
            )
        parts += [f"## {md_escape(w('kind.' + kind))}", "", table([w("card"), w("filled"), w("sourced"), w("primary")], rows), ""]
    parts += [f"## {'缺少一手来源的卡片' if zh else 'Cards without a primary source'}", ""]
    parts += [f"- {page.link(card)}" for card in no_primary] or ["–"]
    parts += ["", f"## {'未注明来源的数值' if zh else 'Values without a source'}", ""]
    for card, missing in unsourced:
        parts.append(f"- {page.link(card)}: " + ", ".join(f"<code>{md_escape(m)}</code>" for m in missing))
    if not unsourced:
        parts.append("–")
    return PATH, "\n".join(parts) + "\n"

