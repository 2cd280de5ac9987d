"""What every page generator shares: where each card's page lives, links between
pages, the page's footnotes, and the card values most pages print.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from survey.loader import Catalog
from survey.schema.common import Card, Dated, Hardware, License, Localized, Measure, Openness, RefTo
from survey.site import facts, text
from survey.site.lang import RELATIONS, UNITS, field_label, language_name, pick, value_label, word
from survey.walk import fields

# Kinds in the order the site lists them; kinds not named here follow, alphabetically.
KIND_ORDER = ("model", "project", "dataset", "framework", "evaluation", "experiment", "recipe", "reproduction", "concept",
              "organization")



def heading(level: int, title_md: str, anchor: str, searched: bool = True) -> str:
    """A Markdown heading with a fixed id (attr_list): the same section has the same anchor on every page and
    in both languages, so links into a page survive the language switch (ids made from Chinese text would
    come out as `_1`, `_2`… and shift whenever a section is added).

    Material's search leaves out a section whose heading carries `data-search-exclude`. Source lists,
    footnotes and lists of referring cards are navigation rather than content, and a recipe embedded in a
    model page is searched on its own page: keeping them out makes results more to the point."""
    attrs = f"#{anchor_id(anchor)}" + ("" if searched else " data-search-exclude")
    return f"{'#' * level} {title_md} {{ {attrs} }}"


def anchor_id(key: str) -> str:
    """`survey_table`, `lineage.up`, `alpaca_7b` -> `survey-table`, `lineage-up`, `alpaca-7b`."""
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "section"


def card_path(card: Card) -> str:
    folder = type(card).FOLDER or f"{card.KIND}s"
    return f"{folder}/{card.id}.md"


def kind_index(catalog: Catalog, kind: str) -> str:
    cards = catalog.of(kind)
    folder = type(cards[0]).FOLDER if cards else f"{kind}s"
    return f"{folder}/index.md"


def kinds(catalog: Catalog) -> list[str]:
    present = [k for k in catalog.cards if catalog.cards[k]]
    return [k for k in KIND_ORDER if k in present] + sorted(k for k in present if k not in KIND_ORDER)


def url_of(md_path: str) -> str:
    """The directory-style URL mkdocs gives a page, relative to the site root ('' for the home page)."""
    stem = md_path.removesuffix(".md")
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


@dataclass
class Site:
    """One language's view of the catalog, with indexes every page needs."""

    catalog: Catalog
    lang: str
    referrers: dict[tuple[str, str], list[tuple[Card, tuple]]] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)
    updated: dict[Path, str] = field(default_factory=dict)
    _sorted: dict[str, list[Card]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        refs: dict[tuple[str, str], list[tuple[Card, tuple]]] = defaultdict(list)
        for kind in sorted(self.catalog.cards):
            for card in sorted(self.catalog.of(kind), key=lambda c: c.id):
                for loc, value, found in fields(card):
                    for marker in found:
                        if isinstance(marker, RefTo) and isinstance(value, str):
                            refs[(marker.kind, value)].append((card, loc))
        self.referrers = dict(refs)
        terms: dict[str, str] = {}
        for concept in sorted(self.catalog.of("concept"), key=lambda c: c.id):
            for term in [*getattr(concept, "terms", []), concept.name.en, concept.name.zh]:
                if term and len(term) >= 2:
                    terms.setdefault(term, concept.id)
        self.terms = terms

    def word(self, key: str) -> str:
        return word(key, self.lang)

    def label(self, name: str) -> str:
        """A schema field's name in the page's language."""
        return field_label(name, self.lang)

    def enum(self, value: str) -> str:
        """An enumerated value (source kind, organization type, stage…) in the page's language."""
        return value_label(value, self.lang)

    def language(self, code: str) -> str:
        """A language code (`bg`, `zh-Hant`) by its name in the page's language."""
        return language_name(code, self.lang)

    def languages(self, codes: list[str]) -> str:
        return ", ".join(self.language(code) for code in codes)

    def text(self, localized: Localized | None) -> str:
        """The page language's text, falling back to Chinese (always present)."""
        if localized is None:
            return ""
        return (localized.en or localized.zh) if self.lang == "en" else localized.zh

    def name(self, card: Card) -> str:
        return self.text(card.name)

    def sorted_cards(self, kind: str) -> list[Card]:
        """The kind's cards by id (kept: pages ask for them over and over; the catalog does not change)."""
        if kind not in self._sorted:
            self._sorted[kind] = sorted(self.catalog.of(kind), key=lambda c: c.id)
        return list(self._sorted[kind])

    def source_file(self, card: Card) -> Path | None:
        entry = self.catalog.cards.get(card.KIND, {}).get(card.id)
        return entry.path if entry is not None else None

    def last_changed(self, card: Card) -> str | None:
        """The date of the last commit that changed the card's file (None when git has none)."""
        path = self.source_file(card)
        return self.updated.get(path.resolve()) if path is not None else None


class Page:
    """One generated Markdown page: links relative to it, and its footnotes."""

    def __init__(self, site: Site, path: str, own: Card | None = None) -> None:
        self.site = site
        self.path = path
        self.lang = site.lang
        self.footnotes: dict[str, str] = {}
        own_concept = own.id if own is not None and own.KIND == "concept" else None
        terms = {t: c for t, c in site.terms.items() if c != own_concept}
        self.linker = text.TermLinker(terms, self._concept_link)

    # --- links ---------------------------------------------------------------------

    def rel(self, target_md: str) -> str:
        """A Markdown link target (mkdocs checks and rewrites it)."""
        return posixpath.relpath(target_md, posixpath.dirname(self.path) or ".")

    def href(self, target_md: str) -> str:
        """An href for raw HTML, where mkdocs rewrites nothing."""
        here = url_of(self.path) or "."
        there = url_of(target_md) or "."
        rel = posixpath.relpath(there, here)
        return "./" if rel == "." else rel + "/"

    def _concept_link(self, concept_id: str) -> str | None:
        concept = self.site.catalog.get("concept", concept_id)
        return self.rel(card_path(concept)) if concept else None

    def link(self, card: Card) -> str:
        return f"[{text.md_escape(self.site.name(card))}]({self.rel(card_path(card))})"

    def ref(self, kind: str, card_id: str) -> str:
        """A link to a card by id, or the id as text when the card is not in the catalog."""
        card = self.site.catalog.get(kind, card_id)
        if card is None:
            return f"{text.md_escape(card_id)} <small>{text.md_escape(self.site.word('not_in_catalog'))}</small>"
        return self.link(card)

    def ref_html(self, kind: str, card_id: str) -> str:
        card = self.site.catalog.get(kind, card_id)
        if card is None:
            return text.html_escape(card_id)
        return f'<a href="{self.href(card_path(card))}">{text.html_escape(self.site.name(card))}</a>'

    # --- text ----------------------------------------------------------------------

    def inline(self, localized: Localized | str | None) -> str:
        value = localized if isinstance(localized, str) or localized is None else self.site.text(localized)
        return text.inline(value or "", self.linker)

    def block(self, localized: Localized | None) -> str:
        return text.block(self.site.text(localized), self.linker)

    # --- sources and footnotes -------------------------------------------------------

    def cite(self, card: Card, key: str | None) -> str:
        """A footnote reference for one of the card's sources ('' when none)."""
        if not key:
            return ""
        label = f"{card.id}-{key}"
        if label not in self.footnotes:
            source = card.sources.get(key)
            self.footnotes[label] = self.source_md(source, key) if source else text.md_escape(key)
        return f"[^{label}]"

    def source_md(self, source: Any, key: str) -> str:
        title = text.md_escape(source.title)
        url = text.safe_url(source.url)
        kind = text.md_escape(self.site.enum(source.kind))
        if url:
            return f"{kind}: [{title}]({url})"
        document = f" ({text.md_escape(source.document)})" if getattr(source, "document", None) else ""
        return f"{kind}: {title}{document}"

    def footnote_block(self) -> str:
        return "\n".join(f"[^{label}]: {body}" for label, body in self.footnotes.items())

    # --- values --------------------------------------------------------------------

    def number(self, value: int | float | None) -> str:
        """7B, 52K, 6.05B (rounded to three significant digits where four would not be exact)."""
        if value is None:
            return ""
        if isinstance(value, int) and value >= 1000:
            return facts.human(value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    def unit(self, unit: str | None) -> str:
        if not unit:
            return ""
        pair = UNITS.get(unit)
        return pick(pair, self.lang) if pair else unit

    def measure_plain(self, measure: Measure | None) -> str:
        """A quantity as plain text: '~3 hours', '7B', '1M-2M tokens', 'unknown'."""
        if measure is None:
            return ""
        if measure.unknown:
            return self.site.word("unknown")
        if measure.value is not None:
            number = self.number(measure.value)
        else:
            number = f"{self.number(measure.min)}–{self.number(measure.max)}"
        unit = self.unit(measure.unit)
        sep = "" if not unit or unit == "%" else " "
        return f"{'~' if measure.approx else ''}{number}{sep}{unit}"

    def hardware_plain(self, hardware: Hardware | None) -> str:
        if hardware is None:
            return ""
        if hardware.unknown:
            return self.site.word("unknown")
        return f"{hardware.count} × {hardware.type}" if hardware.count is not None else str(hardware.type)

    def status_plain(self, openness: Openness) -> str:
        return self.site.word(f"status.{openness.status}")

    def value(self, card: Card, value: Any) -> str:
        """Markdown of one sourced value: text, its footnote, the survey's own cell and note."""
        if value is None:
            return ""
        if isinstance(value, Measure):
            main = text.md_escape(self.measure_plain(value))
            if isinstance(value.value, int) and value.value >= 1000 and facts.is_rounded(value.value):
                main += f" <small>({value.value:,})</small>"  # the exact figure the source gives
            if getattr(value, "stage", None):
                main += f" <small>({text.md_escape(self.site.enum(value.stage))})</small>"
        elif isinstance(value, Hardware):
            main = text.md_escape(self.hardware_plain(value))
        elif isinstance(value, Openness):
            main = f'<span class="sv-status sv-{value.status}">{text.md_escape(self.status_plain(value))}</span>'
        elif isinstance(value, Dated):
            main = text.md_escape(value.date)
        elif isinstance(value, License):
            url = text.safe_url(value.url)
            shown = self.site.word("unknown") if value.id == "unknown" else value.id
            main = f"[{text.md_escape(shown)}]({url})" if url else text.md_escape(shown)
        else:
            return self.generic(card, value)
        main += self.cite(card, getattr(value, "source", None))
        surveyed = getattr(value, "as_surveyed", None)
        if surveyed:
            main += f" {self.surveyed(surveyed)}"
        note = getattr(value, "note", None)
        if note is not None:
            main += f" — {self.inline(note)}"
        return main

    def surveyed(self, cell: str) -> str:
        """The survey's own cell. Its label stays out of the search index (a page shows it on many rows, and
        search snippets would repeat it); the survey's words stay in."""
        label = text.md_escape(self.site.word("as_surveyed"))
        return f'<span class="sv-surveyed"><span data-search-exclude>{label}: </span>{text.md_escape(cell)}</span>'

    def generic(self, card: Card, value: Any, ref_kind: str | None = None) -> str:
        """Any field value, for kinds and fields without a dedicated layout."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.site.word("yes" if value else "no")
        if isinstance(value, str):
            if ref_kind:
                return self.ref(ref_kind, value)
            url = text.safe_url(value) if value.startswith("http") else None
            return f"[{text.md_escape(value)}]({url})" if url else text.md_escape(self.site.enum(value))
        if isinstance(value, (int, float)):
            return text.md_escape(str(value))
        if isinstance(value, list):
            return ", ".join(self.generic(card, item, ref_kind) for item in value)
        if isinstance(value, dict):
            return "; ".join(f"{text.md_escape(k)}: {self.generic(card, v)}" for k, v in value.items())
        if isinstance(value, (Measure, Hardware, Openness, Dated, License)):
            return self.value(card, value)
        if isinstance(value, Localized):
            extra = [
                f"{text.md_escape(self.site.label(name))}: {self.generic(card, getattr(value, name))}"
                for name in type(value).model_fields
                if name not in ("zh", "en", "source") and getattr(value, name) not in (None, [], {})
            ]
            main = self.inline(value) + (f" <small>({'; '.join(extra)})</small>" if extra else "")
            return main + self.cite(card, getattr(value, "source", None))
        if isinstance(value, BaseModel):
            parts = []
            for name, info in type(value).model_fields.items():
                item = getattr(value, name)
                if item is None or item == [] or name == "source":
                    continue
                kind = next((m.kind for m in _markers(info) if isinstance(m, RefTo)), None)
                parts.append(f"{text.md_escape(self.site.label(name))}: {self.generic(card, item, kind)}")
            return "; ".join(parts) + self.cite(card, getattr(value, "source", None))
        return text.md_escape(str(value))

    def relation(self, relation: str) -> str:
        pair = RELATIONS.get(relation)
        return pick(pair, self.lang) if pair else relation


def _markers(info: Any) -> tuple[Any, ...]:
    from survey.walk import markers

    return markers(info.annotation) + tuple(info.metadata)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; cells are Markdown already (escaped by the caller)."""
    if not rows:
        return ""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)
