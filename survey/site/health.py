"""Catalog health: for each card, how many fields are filled and how many values name their source.

The page opens with a summary (a bar chart per kind and the counts that need work) and keeps the
per-card tables folded (pymdownx.details), so it is a screen long rather than thirteen thousand pixels.
"""

from __future__ import annotations

from pydantic import BaseModel

from survey.schema.common import Card
from survey.site import share
from survey.site.charts import text_extent
from survey.site.page import Page, Site, heading, kinds, table
from survey.site.text import html_escape as esc
from survey.site.text import md_escape
from survey.walk import fields

PATH = "health.md"
BAR_W, ROW_H = 360, 22  # the summary chart, in SVG units (its 13-unit text stays readable on a phone)


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


def bars(site: Site, shares: list[tuple[str, float, float]]) -> str:
    """Per kind, two bars: the share of values with a source and the share of fields filled."""
    w = site.word
    legend_h = 24
    height = legend_h + len(shares) * ROW_H * 2 + 8
    label_w = 12 + max(text_extent(label, 13) for label, _s, _f in shares)
    span = BAR_W - label_w - 44
    second = 16 + text_extent(w("sourced"), 13) + 14
    parts = [
        f'<rect class="sv-bar" x="0" y="4" width="12" height="12"/><text x="16" y="14">{esc(w("sourced"))}</text>',
        f'<rect class="sv-bar-alt" x="{second:.0f}" y="4" width="12" height="12"/>'
        f'<text x="{second + 16:.0f}" y="14">{esc(w("filled"))}</text>',
    ]
    for i, (label, source_share, filled_share) in enumerate(shares):
        y = legend_h + i * ROW_H * 2
        parts.append(f'<text x="{label_w - 8}" y="{y + ROW_H + 4}" text-anchor="end">{esc(label)}</text>')
        for j, (value, css) in enumerate(((source_share, "sv-bar"), (filled_share, "sv-bar-alt"))):
            top = y + 3 + j * (ROW_H - 2)
            parts.append(f'<rect class="sv-bar-bg" x="{label_w}" y="{top}" width="{span}" height="{ROW_H - 6}"/>')
            parts.append(f'<rect class="{css}" x="{label_w}" y="{top}" width="{span * value:.1f}" height="{ROW_H - 6}"/>')
            parts.append(f'<text x="{label_w + span + 4}" y="{top + ROW_H - 10}">{value:.0%}</text>')
    title = "各类卡片：有来源的数值与已填字段" if site.lang == "zh" else "Per kind: values with a source and fields filled"
    return (
        f'<figure class="sv-chart sv-health" data-search-exclude><svg class="sv-bars" viewBox="0 0 {BAR_W} {height}" '
        f'role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
        f"<figcaption>{esc(title)}</figcaption></figure>"
    )


def _folded(title: str, body: str) -> list[str]:
    """A closed pymdownx.details block; its content indented four spaces."""
    inner = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return [f'??? note "{title}"', "", inner, ""]


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    w = site.word
    zh = site.lang == "zh"
    intro = (
        "每张卡片填了多少字段、多少数值注明了来源、是否有一手来源（论文、代码仓库、模型卡片……）。先看总览，各类卡片的明细在下面展开。"
        if zh
        else "For each card: how many fields are filled, how many values name their source, and whether it cites a "
        "primary source (paper, repository, model card…). The summary comes first; each kind's details unfold below."
    )
    no_primary, unsourced, shares, details = [], [], [], []
    cards_total = values_total = values_sourced = 0
    for kind in kinds(site.catalog):
        rows = []
        kind_filled = kind_fields = kind_sourced = kind_values = 0
        for card in site.sorted_cards(kind):
            f, n = filled(card)
            s, t, missing = sourced(card)
            kind_filled, kind_fields, kind_sourced, kind_values = kind_filled + f, kind_fields + n, kind_sourced + s, kind_values + t
            primary = has_primary(card)
            if not primary and kind != "experiment":
                no_primary.append(card)
            if missing:
                unsourced.append((card, missing))
            rows.append(
                [
                    page.link(card),
                    f"{f} / {n}",
                    f"{s} / {t}" if t else "–",
                    w("yes") if primary else f'<span class="sv-status sv-no">{md_escape(w("missing"))}</span>',
                ]
            )
        cards_total += len(rows)
        values_total, values_sourced = values_total + kind_values, values_sourced + kind_sourced
        label = w("kind." + kind)
        shares.append((label, kind_sourced / kind_values if kind_values else 1.0, kind_filled / kind_fields if kind_fields else 1.0))
        count = f"{len(rows)} 张卡片" if zh else f"{len(rows)} cards"
        details += _folded(f"{md_escape(label)}（{count}）" if zh else f"{md_escape(label)} ({count})",
                           table([w("card"), w("filled"), w("sourced"), w("primary")], rows))
    unsourced_count = sum(len(m) for _c, m in unsourced)
    summary = [
        f"- {'卡片' if zh else 'Cards'}: {cards_total}",
        f"- {w('sourced')}: {values_sourced} / {values_total} ({values_sourced / values_total:.0%})" if values_total else "",
        f"- {'缺少一手来源的卡片' if zh else 'Cards without a primary source'}: {len(no_primary)}",
        f"- {'未注明来源的数值' if zh else 'Values without a source'}: {unsourced_count}"
        + (f"（{len(unsourced)} 张卡片）" if zh else f" (on {len(unsourced)} cards)"),
    ]
    parts = [share.front_matter(intro, boost=0.5) + heading(1, "目录健康" if zh else "Catalog health", "health"), "", intro, ""]
    parts += [heading(2, "总览" if zh else "Summary", "summary"), "", "\n".join(x for x in summary if x), "", bars(site, shares) if shares else "–", ""]
    todo_primary = "\n".join(f"- {page.link(card)}" for card in no_primary) or "–"
    todo_sources = "\n".join(
        f"- {page.link(card)}: " + ", ".join(f"<code>{md_escape(m)}</code>" for m in missing) for card, missing in unsourced
    ) or "–"
    parts += [heading(2, "待补全" if zh else "To do", "to-do"), ""]
    parts += _folded(f"{'缺少一手来源的卡片' if zh else 'Cards without a primary source'} ({len(no_primary)})", todo_primary)
    parts += _folded(f"{'未注明来源的数值' if zh else 'Values without a source'} ({unsourced_count})", todo_sources)
    parts += [heading(2, "各类卡片明细" if zh else "Per card", "per-card"), "", *details]
    return PATH, "\n".join(parts) + "\n"
