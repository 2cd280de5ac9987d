"""One page per card. Models and projects get the survey's table; every other kind
(including kinds added after this module was written) gets its fields listed
generically; every page lists notes, what refers to the card, and sources.
"""

from __future__ import annotations

from collections.abc import Callable

from survey.schema.common import Card, Links, RefTo
from survey.site import recipes, reproductions, share, text
from survey.site.page import Page, Site, _markers, card_path, heading, table

# The survey is about models (and the projects that released them): where a search matches several cards
# equally, as "Alpaca" matches the model, its data set and the experiments trained on it, these come first.
SEARCH_BOOST = {"model": 3.0, "project": 2.0}

# Fields every card has, or that a dedicated section prints.
_COMMON = ("id", "name", "summary", "aliases", "notes", "sources")


def render_card(site: Site, card: Card) -> tuple[str, str]:
    page = Page(site, card_path(card), own=card)
    body = _BODIES.get(card.KIND, _generic_body)(page, card)
    parts = [
        share.front_matter(
            site.text(card.summary),
            updated=site.last_changed(card),
            names=[card.name.zh, card.name.en or "", *card.aliases],
            boost=SEARCH_BOOST.get(card.KIND),
        ) + heading(1, text.md_escape(site.name(card)), card.id),
        "",
        share.meta_line(page, card),
        "",
        page.inline(card.summary),
        "",
    ]
    if card.aliases:
        parts += [f"**{site.word('aliases')}:** " + ", ".join(text.md_escape(a) for a in card.aliases), ""]
    parts += body
    parts += _notes(page, card)
    # Model and experiment pages show their recipes in a section of their own.
    parts += _referenced_by(page, card, skip=("recipe",) if card.KIND in ("model", "experiment") else ("reproduction",) if card.KIND == "recipe" else ())
    parts += _sources(page, card)
    parts += share.cite_section(page, card)
    footnotes = page.footnote_block()
    if footnotes:
        parts += ["", footnotes]
    return page.path, "\n".join(parts).rstrip() + "\n"


# --- shared sections --------------------------------------------------------------------


def _section(page: Page, key: str, lines: list[str] | str, searched: bool = True, title: str | None = None) -> list[str]:
    """A `##` section titled with the word `key` in the page's language, anchored at `#key`; nothing if empty."""
    content = lines if isinstance(lines, str) else "\n".join(lines)
    shown = title if title is not None else page.site.word(key)  # the site's own words, not card text
    return [heading(2, shown, key, searched), "", content, ""] if content.strip() else []


def _notes(page: Page, card: Card) -> list[str]:
    items = [f"- {page.inline(note)}{page.cite(card, note.source)}" for note in card.notes]
    return _section(page, "notes", items)


def _sources(page: Page, card: Card) -> list[str]:
    items = [f"- {page.source_md(source, key)}" for key, source in card.sources.items()]
    return _section(page, "sources", items, searched=False)


def _referenced_by(page: Page, card: Card, skip: tuple[str, ...] = ()) -> list[str]:
    seen: dict[str, list[Card]] = {}
    listed: set[tuple[str, str]] = set()  # by kind and id: comparing whole cards costs seconds at 1,000 cards
    for other, _loc in page.site.referrers.get((card.KIND, card.id), []):
        if other.KIND in skip or other is card or (other.KIND, other.id) in listed:
            continue
        listed.add((other.KIND, other.id))
        seen.setdefault(other.KIND, []).append(other)
    lines = []
    for kind in sorted(seen):
        links = ", ".join(page.link(c) for c in seen[kind])
        lines.append(f"- **{page.site.word('kind.' + kind)}:** {links}")
    return _section(page, "referenced_by", lines, searched=False)


def _links(page: Page, links: Links | None) -> str:
    if links is None:
        return ""
    out = []
    for name in type(links).model_fields:
        url = text.safe_url(getattr(links, name))
        if url:
            out.append(f"[{text.md_escape(page.site.label(name))}]({url})")
    return " · ".join(out)


def _fields_table(page: Page, card: Card, skip: tuple[str, ...] = ()) -> list[str]:
    rows = []
    for name, info in type(card).model_fields.items():
        if name in _COMMON or name in skip:
            continue
        value = getattr(card, name)
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, Links):
            cell = _links(page, value)
        elif name == "languages" and isinstance(value, list):
            cell = text.md_escape(page.site.languages(value))
        else:
            kind = next((m.kind for m in _markers(info) if isinstance(m, RefTo)), None)
            cell = page.generic(card, value, kind)
        if cell:
            rows.append([text.md_escape(page.site.label(name)), cell])
    return [table([page.site.word("field"), page.site.word("value")], rows), ""] if rows else []


def _generic_body(page: Page, card: Card) -> list[str]:
    return _fields_table(page, card)


# --- models ------------------------------------------------------------------------------

SURVEY_FIELDS = ("open.code", "open.data", "open.weights", "training.data", "parameters", "training.hardware", "training.time")


def survey_cells(page: Page, model: Card) -> dict[str, str]:
    """The survey's seven columns for one model, as Markdown with footnotes."""
    training = model.training
    return {
        "open.code": page.value(model, model.open.code),
        "open.data": page.value(model, model.open.data),
        "open.weights": page.value(model, model.open.weights),
        "training.data": "<br>".join(page.value(model, d) for d in training.data),
        "parameters": ", ".join(page.value(model, s.parameters) for s in model.sizes),
        "training.hardware": page.value(model, training.hardware),
        "training.time": page.value(model, training.time),
    }


def _model_body(page: Page, model: Card) -> list[str]:
    site = page.site
    w = site.word
    facts = [
        [w("organizations"), ", ".join(page.ref("organization", o) for o in model.organizations)],
        [w("project"), page.ref("project", model.project) if model.project else ""],
        [w("released"), page.value(model, model.released)],
        [w("license"), page.value(model, model.license)],
        [w("languages"), text.md_escape(site.languages(model.languages))],
        [w("architecture"), text.md_escape(model.architecture or "")],
        [w("links"), _links(page, model.links)],
    ]
    out = _section(page, "facts", table([w("field"), w("value")], [r for r in facts if r[1]]))
    cells = survey_cells(page, model)
    rows = [[w(key), cells[key]] for key in SURVEY_FIELDS]
    training = model.training
    rows += [
        [w("training.cost"), page.value(model, training.cost)],
        [w("training.compute"), page.value(model, training.compute)],
        [w("training.framework"), page.ref("framework", training.framework) if training.framework else ""],
    ]
    out += _section(page, "survey_table", table([w("field"), w("value")], [r for r in rows if r[1]]))
    if len(model.sizes) > 1 or any(s.name or s.hub or s.training for s in model.sizes):
        size_rows = []
        for size in model.sizes:
            extra = page.generic(model, size.training) if size.training else ""
            hub = text.safe_url(f"https://huggingface.co/{size.hub}") if size.hub else None
            size_rows.append(
                [
                    page.value(model, size.parameters),
                    text.md_escape(size.name or ""),
                    f"[{text.md_escape(size.hub)}]({hub})" if hub else "",
                    extra,
                ]
            )
        out += _section(page, "sizes", table([w("parameters"), w("name"), page.site.label("hub"), w("other_fields")], size_rows))
    up = [
        f"- {page.ref('model', link.model)} — {text.md_escape(page.relation(link.relation))}{page.cite(model, link.source)}"
        + (f" — {page.inline(link.note)}" if link.note else "")
        for link in model.lineage
    ]
    out += _section(page, "lineage.up", up)
    down = []
    for other in site.sorted_cards("model"):
        for link in other.lineage:
            if link.model == model.id:
                down.append(f"- {page.link(other)} — {text.md_escape(page.relation(link.relation))}")
    out += _section(page, "lineage.down", down)
    used = [
        f"- {page.ref('dataset', use.dataset)}"
        + (f" <small>({text.md_escape(page.site.enum(use.stage))})</small>" if use.stage else "")
        + (f" — {page.inline(use.note)}" if use.note else "")
        for use in model.datasets
    ]
    out += _section(page, "datasets", used)
    generated = [f"- {page.link(d)}" for d in site.sorted_cards("dataset") if model.id in d.generated_with]
    out += _section(page, "datasets.generated", generated)
    out += _evaluations_of(page, model)
    experiments = [
        f"- {page.link(e)}"
        for e in site.sorted_cards("experiment")
        if e.base_model == model.id or e.compared_with == model.id
    ]
    out += _section(page, "experiments", experiments)
    out += reproductions.published_scores(page, model)
    out += recipes.section(page, model)
    out += reproductions.model_section(page, model, recipes.recipes_for(page, model))
    return out


def _evaluations_of(page: Page, model: Card) -> list[str]:
    site = page.site
    w = site.word
    out: list[str] = []
    for evaluation in site.sorted_cards("evaluation"):
        for table_ in evaluation.tables:
            rows = [r for r in table_.results if model.id in (r.subject.model, r.versus.model if r.versus else None)]
            if not rows:
                continue
            out.append(f"**{page.link(evaluation)}** — {page.inline(table_.title)}")
            out.append("")
            out.append(result_table(page, evaluation, rows))
            out.append("")
    return _section(page, "evaluations", out)


def result_table(page: Page, card: Card, results: list) -> str:
    w = page.site.word
    rows = []
    for r in results:
        wtl = f"{r.win} / {r.tie} / {r.lose}" if r.win is not None else ""
        subject = page.ref("model", r.subject.model) if r.subject.model else text.md_escape(r.subject.label)
        if r.subject.model and r.subject.label != page.site.name(page.site.catalog.get("model", r.subject.model) or card):
            subject += f" <small>({text.md_escape(r.subject.label)})</small>"
        versus = ""
        if r.versus:
            versus = page.ref("model", r.versus.model) if r.versus.model else text.md_escape(r.versus.label)
        rows.append(
            [
                subject,
                versus,
                page.value(card, r.score) if r.score else "",
                text.md_escape(wtl),
                page.value(card, r.hardware) if r.hardware else "",
                page.value(card, r.time) if r.time else "",
                page.value(card, r.cost) if r.cost else "",
            ]
            + [page.cite(card, r.source)]
        )
    header = [w("subject"), w("versus"), w("score"), w("win_tie_lose"), w("hardware"), w("time"), w("cost"), w("sources")]
    keep = [i for i in range(len(header)) if any(row[i] for row in rows) or i == 0]
    return table([header[i] for i in keep], [[row[i] for i in keep] for row in rows])


# --- projects ------------------------------------------------------------------------------


def _project_body(page: Page, project: Card) -> list[str]:
    w = page.site.word
    facts = [
        [w("organizations"), ", ".join(page.ref("organization", o) for o in project.organizations)],
        [w("released"), page.value(project, project.released)],
        [w("kind.framework"), ", ".join(page.ref("framework", f) for f in project.frameworks)],
        [w("links"), _links(page, project.links)],
    ]
    out = _section(page, "facts", table([w("field"), w("value")], [r for r in facts if r[1]]))
    if project.open:
        rows = [[w(f"open.{k}"), page.value(project, getattr(project.open, k))] for k in ("code", "data", "weights")]
        out += _section(page, "survey_table", table([w("field"), w("value")], rows))
    models = [m for m in page.site.sorted_cards("model") if m.project == project.id]
    if models:
        header = [w("name"), *(w(k) for k in SURVEY_FIELDS)]
        rows = []
        for model in models:
            cells = survey_cells(page, model)
            rows.append([page.link(model), *(cells[k] for k in SURVEY_FIELDS)])
        out += _section(page, "models_of_project", table(header, rows))
        for model in models:
            lines = [page.inline(model.summary)]
            lines += [f"- {page.inline(note)}{page.cite(model, note.source)}" for note in model.notes]
            out += [heading(3, text.md_escape(page.site.name(model)), f"model-{model.id}"), "", "\n".join([lines[0], "", *lines[1:]]), ""]
    return out


# --- evaluations ------------------------------------------------------------------------------


def _evaluation_body(page: Page, evaluation: Card) -> list[str]:
    out = _fields_table(page, evaluation, skip=("tables",))
    for number, table_ in enumerate(evaluation.tables, 1):
        out += [heading(2, page.inline(table_.title), f"table-{number}"), "", f"*{text.md_escape(page.site.enum(table_.method))}*", ""]
        if table_.note:
            out += [page.inline(table_.note), ""]
        out += [result_table(page, evaluation, table_.results), ""]
    return out


# --- experiments ------------------------------------------------------------------------------


def _experiment_body(page: Page, experiment: Card) -> list[str]:
    out = _fields_table(page, experiment, skip=("system_prompt", "outcome"))
    if experiment.system_prompt:
        out += [
            heading(2, page.site.label("system_prompt"), "system_prompt"),
            "",
            text.fenced(experiment.system_prompt, css="sv-prompt"),
            "",
        ]
    if experiment.outcome:
        out += _section(page, "outcome", page.block(experiment.outcome), title=page.site.label("outcome"))
    out += recipes.section(page, experiment)
    return out


# --- concepts ------------------------------------------------------------------------------


def _concept_body(page: Page, concept: Card) -> list[str]:
    out = []
    if concept.details:
        out += [page.block(concept.details), ""]
    out += _fields_table(page, concept, skip=("details",))
    return out


_BODIES: dict[str, Callable[[Page, Card], list[str]]] = {
    "model": _model_body,
    "project": _project_body,
    "evaluation": _evaluation_body,
    "experiment": _experiment_body,
    "concept": _concept_body,
    "recipe": lambda page, recipe: recipes.body(page, recipe) + reproductions.recipe_section(page, recipe),
    "reproduction": reproductions.body,
}
