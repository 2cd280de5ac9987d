"""What makes a page shareable and citable: its front matter (description, layout), the line under a card's
title (last change, edit link) and its "cite" section (BibTeX, and CITATION.cff for the whole survey)."""

from __future__ import annotations

import json
import re

from survey.schema.common import Card
from survey.site import project, text
from survey.site.page import Page, card_path, heading, url_of

DESCRIPTION_CHARS = 160  # what search engines show of a description


def front_matter(
    description: str = "",
    hide: tuple[str, ...] = (),
    updated: str | None = None,
    names: list[str] | None = None,
    boost: float | None = None,
) -> str:
    """YAML front matter (written as JSON values, which YAML reads as they are). The description is plain
    text here; theme/main.html escapes it into the page's meta tags; `updated` goes into the sitemap.

    `names` (a card's names and aliases) become the page's search tags, which Material's search weighs
    above titles, so a search for a name or an alias (羊驼, 小羊驼) finds that card first; no tags plugin
    is used, so they are not shown. `boost` scales the page in search (navigation pages list every name)."""
    lines = []
    if description:
        lines.append(f"description: {json.dumps(_clip(text.plain(description)), ensure_ascii=False)}")
    if updated:
        lines.append(f"updated: {json.dumps(updated)}")
    if names:
        lines.append(f"tags: {json.dumps(list(dict.fromkeys(n for n in names if n)), ensure_ascii=False)}")
    if boost is not None:
        lines.append(f"search: {json.dumps({'boost': boost})}")
    if hide:
        lines.append(f"hide: {json.dumps(list(hide))}")
    return "---\n" + "\n".join(lines) + "\n---\n\n" if lines else ""


def _clip(value: str) -> str:
    if len(value) <= DESCRIPTION_CHARS:
        return value
    cut = value[: DESCRIPTION_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-30:] else cut) + "…"


def repository_path(card: Card) -> str:
    """The card's file in the repository: file name = id, folder = kind (the catalog's convention)."""
    return "catalog/" + card_path(card).removesuffix(".md") + ".yaml"


def meta_line(page: Page, card: Card) -> str:
    """`Last changed 2026-11-21 · Edit this card · Cite` under the card's title."""
    site = page.site
    bits = []
    changed = site.last_changed(card)
    if changed:
        bits.append(f'{text.html_escape(site.word("last_changed"))} <time datetime="{changed}">{changed}</time>')
    edit = project.edit_url(repository_path(card))
    bits.append(f'<a href="{text.html_escape(edit)}" class="sv-edit">{text.html_escape(site.word("edit_card"))}</a>')
    bits.append(f'<a href="#cite">{text.html_escape(site.word("cite"))}</a>')
    return f'<p class="sv-meta" data-search-exclude>{" · ".join(bits)}</p>'


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_escape(value: str) -> str:
    return re.sub(r"[\\{}%&$#_~^]", lambda m: _BIBTEX_SPECIAL[m.group()], " ".join(value.split()))


def bibtex(page: Page, card: Card) -> str:
    site = page.site
    url = project.SITE_ROOTS[page.lang] + url_of(card_path(card))
    changed = site.last_changed(card)
    fields = [
        ("title", f"{bibtex_escape(site.name(card))} --- {bibtex_escape(site.word('site_name'))}"),
        ("author", "{" + bibtex_escape(site.word("contributors")) + "}"),
        ("howpublished", f"\\url{{{url}}}"),
    ]
    if changed:
        fields.append(("year", changed[:4]))
    fields.append(("note", bibtex_escape(f"{repository_path(card)}" + (f", {changed}" if changed else ""))))
    key = re.sub(r"[^a-z0-9]+", "-", f"small-alpaca-survey-{card.KIND}-{card.id}")
    body = ",\n".join(f"  {name:<12} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def cite_section(page: Page, card: Card) -> list[str]:
    site = page.site
    whole = f"[CITATION.cff]({project.file_url('CITATION.cff')})"
    return [
        heading(2, site.word("cite"), "cite", searched=False),
        "",
        text.fenced(bibtex(page, card), "bibtex"),
        "",
        site.word("cite.whole").format(file=whole),
        "",
    ]
