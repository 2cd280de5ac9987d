"""The comparison page: every model in one table, sortable and filterable (assets/site.js)."""

from __future__ import annotations

from survey.site import facts
from survey.site.lang import word
from survey.site.page import Page, Site
from survey.site.text import html_escape as esc

PATH = "compare.md"


def _select(name: str, label: str, options: list[tuple[str, str]], lang: str) -> str:
    opts = [f'<option value="">{esc(word("all", lang))}</option>']
    opts += [f'<option value="{esc(value)}">{esc(text)}</option>' for value, text in options]
    return (
        f'<label class="sv-filter">{esc(label)} '
        f'<select data-filter="{esc(name)}" aria-label="{esc(label)}">{"".join(opts)}</select></label>'
    )


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    lang = site.lang
    w = site.word
    models = site.sorted_cards("model")
    family_of = facts.families(site.catalog)

    def name_of(kind: str, card_id: str) -> str:
        card = site.catalog.get(kind, card_id)
        return site.name(card) if card else card_id

    statuses = [(s, w(f"status.{s}")) for s in ("yes", "partial", "no", "unknown")]
    family_ids = sorted({f for fs in family_of.values() for f in fs}, key=lambda f: name_of("model", f).lower())
    org_ids = sorted({o for m in models for o in m.organizations}, key=lambda o: name_of("organization", o).lower())
    languages = sorted({lang_ for m in models for lang_ in m.languages})
    years = sorted({facts.year(m) for m in models})
    filters = [
        _select("code", w("open.code"), statuses, lang),
        _select("data", w("open.data"), statuses, lang),
        _select("weights", w("open.weights"), statuses, lang),
        _select("family", w("family"), [(f, name_of("model", f)) for f in family_ids], lang),
        _select("size", w("size_range"), list(facts.SIZE_BUCKETS), lang),
        _select("lang", w("languages"), [(x, site.enum(x)) for x in languages], lang),
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
        ("tokens", w("training.data"), "number"),
        ("hardware", w("training.hardware"), "text"),
        ("time", w("training.time"), "number"),
        ("family", w("family"), "text"),
        ("lang", w("languages"), "text"),
        ("license", w("license"), "text"),
    ]
    head = "".join(
        f'<th data-type="{kind}" aria-sort="none"><button type="button" class="sv-sort">{esc(label)}</button></th>'
        for _key, label, kind in columns
    )
    rows = []
    for model in models:
        biggest = facts.max_params(model)
        tokens = facts.training_tokens(model)
        hours = model.training.time.hours() if not model.training.time.unknown else None
        fams = family_of.get(model.id, [model.id])
        attrs = {
            "data-code": model.open.code.status,
            "data-data": model.open.data.status,
            "data-weights": model.open.weights.status,
            "data-family": " ".join(fams),
            "data-size": facts.size_bucket(biggest),
            "data-lang": " ".join(model.languages),
            "data-org": " ".join(model.organizations),
            "data-year": facts.year(model),
            "data-id": model.id,
        }
        data_text = "; ".join(page.measure_plain(d) for d in model.training.data)
        cells = [
            (model.name.en.lower(), f'<a href="{page.href(f"models/{model.id}.md")}">{esc(site.name(model))}</a>'),
            (
                ", ".join(name_of("organization", o) for o in model.organizations).lower(),
                ", ".join(page.ref_html("organization", o) for o in model.organizations),
            ),
            (model.released.date, esc(model.released.date)),
            *(
                (status.status, f'<span class="sv-status sv-{esc(status.status)}">{esc(page.status_plain(status))}</span>')
                for status in (model.open.code, model.open.data, model.open.weights)
            ),
            (
                "" if biggest is None else repr(biggest),
                esc(", ".join(page.measure_plain(s.parameters) for s in model.sizes)),
            ),
            ("" if tokens is None else repr(tokens), esc(data_text)),
            (page.hardware_plain(model.training.hardware).lower(), esc(page.hardware_plain(model.training.hardware))),
            ("" if hours is None else repr(hours), esc(page.measure_plain(model.training.time))),
            (
                " ".join(name_of("model", f) for f in fams).lower(),
                ", ".join(page.ref_html("model", f) for f in fams),
            ),
            (" ".join(model.languages), esc(", ".join(site.enum(x) for x in model.languages))),
            (model.license.id.lower(), esc(w("unknown") if model.license.id == "unknown" else model.license.id)),
        ]
        tds = "".join(f'<td data-sort="{esc(key)}">{html}</td>' for key, html in cells)
        attr_text = " ".join(f'{k}="{esc(v)}"' for k, v in attrs.items())
        rows.append(f"<tr {attr_text}>{tds}</tr>")
    intro = {
        "zh": "每行一个模型。点击表头排序（再点一次反向），用下面的选择框筛选。数值的出处见各模型页面的脚注。",
        "en": "One row per model. Click a column heading to sort (again to reverse); narrow the rows with the "
        "selectors below. Each value's source is footnoted on the model's own page.",
    }[lang]
    counter = (
        f'<p class="sv-count" data-template="{esc(w("shown"))} {{shown}} {esc(w("of"))} {{total}}">'
        f"{esc(w('shown'))} {len(models)} {esc(w('of'))} {len(models)}</p>"
    )
    html = (
        f'<div class="sv-compare">\n<form class="sv-filters" onsubmit="return false">{"".join(filters)}'
        f'<button type="reset" class="md-button sv-reset">{esc(w("reset"))}</button></form>\n{counter}\n'
        f'<div class="sv-scroll"><table class="sv-table sv-sortable" id="sv-compare-table">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>\n</div>"
    )
    title = {"zh": "模型对比", "en": "Compare models"}[lang]
    return PATH, f"# {title}\n\n{intro}\n\n{html}\n"
