"""The comparison page: every model in one table, to sort, filter, share and pick from (assets/site.js).

The page drops both sidebars and gives the table the full width; the table scrolls inside its own frame,
so its header stays at the top while the rows move and a cue shows while columns are off to the side.
Filters, the sort and the picked models live in the page's address. Picking 2–4 models shows them side
by side with every field and its source, from `assets/compare-models.json` (loaded only then).
"""

from __future__ import annotations

import json
import re

from survey.site import facts, share, text
from survey.site.lang import field_label as lang_field_label
from survey.site.lang import word
from survey.site.page import Page, Site, card_path
from survey.site.text import html_escape as esc

PATH = "compare.md"
DATA = "assets/compare-models.json"
SAMPLE_UNITS = ("examples", "conversations", "pairs", "messages")  # counted items; tokens get their own column
MAX_PICKS = 4

_WORDS = {
    "title": ("模型对比", "Compare models"),
    "intro": (
        "每行一个模型。点击表头排序（再点一次反向），用文字框和选择框筛选；勾选 2–4 个模型可以并排查看它们的全部字段和出处。"
        "筛选、排序和勾选都记在网址里，复制网址即可分享当前视图。",
        "One row per model. Click a column heading to sort (again to reverse); narrow the rows with the text box "
        "and the selectors; tick 2–4 models to see every field and its source side by side. Filters, sort and "
        "ticks are kept in the address, so copying it shares this view.",
    ),
    "text": ("筛选", "Filter"),
    "text.placeholder": ("名称、别名或机构", "name, alias or organization"),
    "samples": ("训练样本", "Training samples"),
    "tokens": ("训练 token", "Training tokens"),
    "pick": ("选择", "Pick"),
    "pick.one": ("选择 {name}", "Pick {name}"),
    "picked": ("已选 {n} 个（最多 {max} 个）", "{n} picked (up to {max})"),
    "side.show": ("并排对比", "Compare side by side"),
    "side.clear": ("清除选择", "Clear picks"),
    "side.title": ("并排对比", "Side by side"),
    "side.close": ("关闭", "Close"),
    "side.field": ("字段", "Field"),
    "side.loading": ("正在载入……", "Loading…"),
    "side.failed": ("载入失败。", "Could not load the data."),
    "scroll": ("左右滑动查看更多列", "Scroll sideways for more columns"),
    "side.size_training": ("各规模的训练", "Training of each size"),
    "side.scores": ("公布的评测分数", "Published scores"),
    "side.shots": ("{n}-shot", "{n}-shot"),
}


def _w(lang: str, key: str) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


_BREAKS_INSIDE = re.compile(r"[-/–_.]")


def words_html(name: str) -> str:
    """A name as HTML that a line may break only between words: a word a browser would otherwise break at
    a hyphen or a slash is kept whole ("Linly-ChatFlow", "BSD-3-Clause"); Chinese text still breaks between
    characters."""
    parts = []
    for word_ in name.split():
        shown = esc(word_)
        whole = _BREAKS_INSIDE.search(word_) and not _CJK.search(word_)
        parts.append(f'<span class="sv-word">{shown}</span>' if whole else shown)
    return " ".join(parts)


def _select(name: str, label: str, options: list[tuple[str, str]], lang: str) -> str:
    opts = [f'<option value="">{esc(word("all", lang))}</option>']
    opts += [f'<option value="{esc(value)}">{esc(shown)}</option>' for value, shown in options]
    return (
        f'<label class="sv-filter">{esc(label)} '
        f'<select data-filter="{esc(name)}" aria-label="{esc(label)}">{"".join(opts)}</select></label>'
    )


def sizes_text(page: Page, model) -> str:
    """Every size once, smallest first ("7B, 13B"; BELLE's four 7B variants are one 7B)."""
    known = sorted({p for p in facts.params(model)})
    shown = [facts.human(p) for p in known]
    if any(s.parameters.unknown or s.parameters.midpoint() is None for s in model.sizes) and not shown:
        shown = [page.site.word("unknown")]
    return ", ".join(shown)


def data_columns(page: Page, model) -> tuple[tuple[str, float | None], tuple[str, float | None]]:
    """(tokens text, tokens sort key), (samples text, samples sort key): token counts and counted items
    (examples, conversations, pairs, messages; bytes and words are shown with them, unsorted) apart."""
    tokens, samples = [], []
    for measure in model.training.data:
        if measure.unknown:
            continue
        (tokens if measure.unit == "tokens" else samples).append(measure)
    unknown = page.site.word("unknown")
    token_key = facts.training_tokens(model)
    sample_values = [m.midpoint() for m in samples if m.unit in SAMPLE_UNITS and m.midpoint() is not None]
    sample_key = sum(sample_values) if sample_values else None
    token_text = "; ".join(page.measure_plain(m) for m in tokens) or unknown
    sample_text = "; ".join(page.measure_plain(m) for m in samples) or unknown
    return (token_text, token_key), (sample_text, sample_key)


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    lang = site.lang
    w = site.word
    models = site.sorted_cards("model")
    family_of = facts.families(site.catalog)

    def name_of(kind: str, card_id: str) -> str:
        card = site.catalog.get(kind, card_id)
        return site.name(card) if card else card_id

    def linked(kind: str, card_id: str) -> str:
        card = site.catalog.get(kind, card_id)
        if card is None:
            return words_html(card_id)
        return f'<a href="{page.href(card_path(card))}">{words_html(site.name(card))}</a>'

    statuses = [(s, w(f"status.{s}")) for s in ("yes", "partial", "no", "unknown")]
    family_ids = sorted({f for fs in family_of.values() for f in fs}, key=lambda f: name_of("model", f).lower())
    org_ids = sorted({o for m in models for o in m.organizations}, key=lambda o: name_of("organization", o).lower())
    languages = sorted({code for m in models for code in m.languages}, key=lambda c: site.language(c))
    years = sorted({facts.year(m) for m in models})
    search_box = (
        f'<label class="sv-filter sv-filter-text">{esc(_w(lang, "text"))} '
        f'<input type="search" data-filter-text placeholder="{esc(_w(lang, "text.placeholder"))}" '
        f'aria-label="{esc(_w(lang, "text"))}" autocomplete="off"></label>'
    )
    filters = [
        search_box,
        _select("code", w("open.code"), statuses, lang),
        _select("data", w("open.data"), statuses, lang),
        _select("weights", w("open.weights"), statuses, lang),
        _select("family", w("family"), [(f, name_of("model", f)) for f in family_ids], lang),
        _select("size", w("size_range"), list(facts.SIZE_BUCKETS), lang),
        _select("lang", w("languages"), [(x, site.language(x)) for x in languages], lang),
        _select("org", w("organizations"), [(o, name_of("organization", o)) for o in org_ids], lang),
        _select("year", w("year"), [(y, y) for y in years], lang),
    ]
    columns = [
        ("name", w("name"), "text"),
        ("org", w("organizations"), "text"),
        ("released", w("released"), "text"),
        ("code", w("open.code"), "text"),
        ("data", w("open.data"), "text"),
        ("weights", w("open.weights"), "text"),
        ("params", w("parameters"), "number"),
        ("tokens", _w(lang, "tokens"), "number"),
        ("samples", _w(lang, "samples"), "number"),
        ("hardware", w("training.hardware"), "text"),
        ("time", w("training.time"), "number"),
        ("family", w("family"), "text"),
        ("lang", w("languages"), "text"),
        ("license", w("license"), "text"),
    ]
    head = "".join(
        f'<th data-key="{key}" data-type="{kind}" aria-sort="none"><button type="button" class="sv-sort">{esc(label)}</button></th>'
        for key, label, kind in columns
    )
    rows = []
    for model in models:
        biggest = facts.max_params(model)
        (tokens_text, tokens_key), (samples_text, samples_key) = data_columns(page, model)
        hours = model.training.time.hours() if not model.training.time.unknown else None
        fams = family_of.get(model.id, [model.id])
        org_names = [name_of("organization", o) for o in model.organizations]
        findable = " ".join([site.name(model), model.name.zh, model.name.en or "", model.id, *model.aliases, *org_names])
        attrs = {
            "data-code": model.open.code.status,
            "data-data": model.open.data.status,
            "data-weights": model.open.weights.status,
            "data-family": " ".join(fams),
            "data-size": " ".join(dict.fromkeys(facts.size_bucket(p) for p in facts.params(model) or [None])),
            "data-lang": " ".join(model.languages),
            "data-org": " ".join(model.organizations),
            "data-year": facts.year(model),
            "data-id": model.id,
            "data-text": " ".join(findable.lower().split()),
        }
        name = site.name(model)
        pick = (
            f'<input type="checkbox" class="sv-pick" value="{esc(model.id)}" '
            f'aria-label="{esc(_w(lang, "pick.one").format(name=name))}">'
        )
        exact_params = ", ".join(f"{int(p):,}" for p in sorted(set(facts.params(model))))
        cells = [
            (name.lower(), f'{pick}<a href="{page.href(card_path(model))}">{words_html(name)}</a>'),
            (", ".join(org_names).lower(), ", ".join(linked("organization", o) for o in model.organizations)),
            (model.released.date, esc(model.released.date)),
            *(
                (s.status, f'<span class="sv-status sv-{esc(s.status)}">{esc(page.status_plain(s))}</span>')
                for s in (model.open.code, model.open.data, model.open.weights)
            ),
            ("" if biggest is None else repr(biggest), f'<span title="{esc(exact_params)}">{esc(sizes_text(page, model))}</span>'),
            ("" if tokens_key is None else repr(tokens_key), esc(tokens_text)),
            ("" if samples_key is None else repr(samples_key), esc(samples_text)),
            (page.hardware_plain(model.training.hardware).lower(), esc(page.hardware_plain(model.training.hardware))),
            ("" if hours is None else repr(hours), esc(page.measure_plain(model.training.time))),
            (" ".join(name_of("model", f) for f in fams).lower(), ", ".join(linked("model", f) for f in fams)),
            (site.languages(model.languages).lower(), esc(site.languages(model.languages))),
            (model.license.id.lower(), words_html(w("unknown") if model.license.id == "unknown" else model.license.id)),
        ]
        tds = "".join(
            f'<td data-sort="{esc(key)}" class="sv-col-{column[0]}">{html}</td>' for (key, html), column in zip(cells, columns)
        )
        attr_text = " ".join(f'{k}="{esc(v)}"' for k, v in attrs.items())
        rows.append(f"<tr {attr_text}>{tds}</tr>")
    counter = (
        f'<p class="sv-count" aria-live="polite" data-search-exclude data-template="{esc(w("shown"))} {{shown}} {esc(w("of"))} {{total}}">'
        f"{esc(w('shown'))} {len(models)} {esc(w('of'))} {len(models)}</p>"
    )
    picker = (
        f'<div class="sv-picker" data-search-exclude data-max="{MAX_PICKS}" data-template="{esc(_w(lang, "picked"))}" data-data="{esc(DATA)}">'
        f'<span class="sv-picked"></span> '
        f'<button type="button" class="md-button md-button--primary sv-side-show" disabled>{esc(_w(lang, "side.show"))}</button> '
        f'<button type="button" class="md-button sv-side-clear" disabled>{esc(_w(lang, "side.clear"))}</button></div>'
    )
    side = (
        f'<section class="sv-side" hidden data-search-exclude aria-label="{esc(_w(lang, "side.title"))}" '
        f'data-loading="{esc(_w(lang, "side.loading"))}" data-failed="{esc(_w(lang, "side.failed"))}" '
        f'data-field="{esc(_w(lang, "side.field"))}">'
        f'<div class="sv-side-head"><h2 id="side-by-side">{esc(_w(lang, "side.title"))}</h2>'
        f'<button type="button" class="md-button sv-side-close">{esc(_w(lang, "side.close"))}</button></div>'
        f'<div class="sv-side-body sv-scroll"></div></section>'
    )
    html = (
        f'<div class="sv-compare">\n<form class="sv-filters" onsubmit="return false" data-search-exclude>{"".join(filters)}'
        f'<button type="reset" class="md-button sv-reset">{esc(w("reset"))}</button></form>\n{counter}\n{picker}\n{side}\n'
        f'<div class="sv-frame" data-search-exclude><p class="sv-scroll-hint" hidden>{esc(_w(lang, "scroll"))} →</p>'
        f'<div class="sv-scroll sv-table-scroll" tabindex="0">'
        f'<table class="sv-table sv-sortable" id="sv-compare-table">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div></div>\n</div>"
    )
    intro = _w(lang, "intro")
    body = share.front_matter(intro, hide=("navigation", "toc"), boost=0.5) + f"# {_w(lang, 'title')} {{ #compare }}\n\n{intro}\n\n{html}\n"
    return PATH, body


def side_by_side_data(site: Site) -> str:
    """Every model's fields for the side-by-side view: {fields: [[key, label]], models: {id: {name, url,
    cells: {key: [{text, surveyed?, note?, sources: [[title, url]]}]}}}}. Plain text only; the page's script
    puts it into the table as text, never as markup. URLs are relative to the comparison page."""
    page = Page(site, PATH)
    w = site.word
    lang = site.lang
    family_of = facts.families(site.catalog)
    fields = [
        ("summary", w("summary")),
        ("aliases", w("aliases")),
        ("organizations", w("organizations")),
        ("project", w("project")),
        ("released", w("released")),
        ("open.code", w("open.code")),
        ("open.data", w("open.data")),
        ("open.weights", w("open.weights")),
        ("sizes.parameters", w("parameters")),
        ("sizes.training", _w(lang, "side.size_training")),
        ("sizes.scores", _w(lang, "side.scores")),
        ("training.data", w("training.data")),
        ("training.hardware", w("training.hardware")),
        ("training.time", w("training.time")),
        ("training.cost", w("training.cost")),
        ("training.compute", w("training.compute")),
        ("training.framework", w("training.framework")),
        ("family", w("family")),
        ("lineage", w("lineage.up")),
        ("datasets", w("datasets")),
        ("languages", w("languages")),
        ("license", w("license")),
        ("architecture", w("architecture")),
        ("recipes", w("recipes")),
        ("links", w("links")),
        ("notes", w("notes")),
        ("sources", w("sources")),
    ]

    def sources(model, key: str | None) -> list[list[str]]:
        source = model.sources.get(key) if key else None
        if source is None:
            return []
        return [[f"{site.enum(source.kind)}: {source.title}", text.safe_url(source.url) or ""]]

    def cell(model, shown: str, value=None) -> dict:
        out: dict = {"text": shown, "sources": sources(model, getattr(value, "source", None))}
        if getattr(value, "as_surveyed", None):
            out["surveyed"] = f"{w('as_surveyed')}: {value.as_surveyed}"
        note = getattr(value, "note", None)
        if note is not None:
            out["note"] = text.plain(site.text(note))
        return out

    def name_of(kind: str, card_id: str) -> str:
        card = site.catalog.get(kind, card_id)
        return site.name(card) if card else card_id

    def size_training(model, size) -> list[dict]:
        training = size.training
        if training is None:
            return []
        parts = [page.measure_plain(d) for d in training.data or []]
        parts += [page.hardware_plain(training.hardware)] if training.hardware else []
        parts += [page.measure_plain(m) for m in (training.time, training.cost, training.compute) if m is not None]
        first = next((m for m in (training.hardware, training.time, *(training.data or [])) if m is not None), None)
        return [cell(model, f"{size.name or page.measure_plain(size.parameters)}: " + "; ".join(parts), first)]

    def score(model, size, item) -> dict:
        shots = f", {_w(lang, 'side.shots').format(n=item.shots)}" if item.shots is not None else ""
        where = f" ({size.name})" if size.name else ""
        return cell(model, f"{item.task} {item.metric}{shots}: {item.value:g}%{where}", item)

    models = {}
    for model in site.sorted_cards("model"):
        training = model.training
        cells = {
            "organizations": [cell(model, ", ".join(name_of("organization", o) for o in model.organizations))],
            "project": [cell(model, name_of("project", model.project))] if model.project else [],
            "released": [cell(model, model.released.date, model.released)],
            "open.code": [cell(model, page.status_plain(model.open.code), model.open.code)],
            "open.data": [cell(model, page.status_plain(model.open.data), model.open.data)],
            "open.weights": [cell(model, page.status_plain(model.open.weights), model.open.weights)],
            "sizes.parameters": [cell(model, page.measure_plain(s.parameters) + (f" ({s.name})" if s.name else ""), s.parameters) for s in model.sizes],
            "training.data": [cell(model, page.measure_plain(d) + (f" ({site.enum(d.stage)})" if d.stage else ""), d) for d in training.data],
            "training.hardware": [cell(model, page.hardware_plain(training.hardware), training.hardware)],
            "training.time": [cell(model, page.measure_plain(training.time), training.time)],
            "training.cost": [cell(model, page.measure_plain(training.cost), training.cost)] if training.cost else [],
            "training.compute": [cell(model, page.measure_plain(training.compute), training.compute)] if training.compute else [],
            "training.framework": [cell(model, name_of("framework", training.framework))] if training.framework else [],
            "family": [cell(model, ", ".join(name_of("model", f) for f in family_of.get(model.id, [model.id])))],
            "lineage": [cell(model, f"{name_of('model', link.model)} — {page.relation(link.relation)}", link) for link in model.lineage],
            "datasets": [
                cell(model, name_of("dataset", use.dataset) + (f" ({site.enum(use.stage)})" if use.stage else ""), use)
                for use in model.datasets
            ],
            "languages": [cell(model, site.languages(model.languages))],
            "license": [cell(model, w("unknown") if model.license.id == "unknown" else model.license.id, model.license)],
            "architecture": [cell(model, model.architecture)] if model.architecture else [],
            "summary": [cell(model, text.plain(site.text(model.summary)))],
            "aliases": [cell(model, ", ".join(model.aliases))] if model.aliases else [],
            "sizes.training": [c for size in model.sizes for c in size_training(model, size)],
            "sizes.scores": [score(model, size, item) for size in model.sizes for item in size.scores],
            "recipes": [cell(model, name_of("recipe", r)) for r in model.recipes],
            "links": [
                {"text": lang_field_label(kind, lang), "sources": [[url, text.safe_url(url) or ""]]}
                for kind, url in model.links.model_dump(exclude_none=True).items()
            ],
            "notes": [cell(model, text.plain(site.text(note)), note) for note in model.notes],
            "sources": [
                {"text": site.enum(source.kind), "sources": [[source.title, text.safe_url(source.url) or ""]]}
                for source in model.sources.values()
            ],
        }
        models[model.id] = {"name": site.name(model), "url": page.href(card_path(model)), "cells": cells}
    data = {"lang": lang, "fields": [list(f) for f in fields], "models": models}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
