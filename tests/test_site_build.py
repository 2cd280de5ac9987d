"""`mkdocs build --strict` of the real catalog, both languages, and the built site in Chromium.

The browser tests need Playwright for Python and Debian's chromium at /usr/bin/chromium (`make test`
installs both); without them they are skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from survey.site.page import card_path, url_of
from tests.site_browser import browser, built, catalog, search, server, visit  # noqa: F401 - fixtures

pytest.importorskip("mkdocs")
pytest.importorskip("material")


def test_strict_build_has_both_languages(built: Path, catalog) -> None:
    assert (built / "index.html").is_file() and (built / "en" / "index.html").is_file()
    for lang_root in (built, built / "en"):
        assert (lang_root / "search" / "search_index.json").is_file()
        for entry in catalog.entries():
            assert (lang_root / url_of(card_path(entry.card)) / "index.html").is_file(), entry.card.id
    assert (built / "downloads" / "catalog.json").is_file()


def test_search_index_is_utf8_and_leaves_out_navigation(built: Path, catalog) -> None:
    raw = (built / "search" / "search_index.json").read_text("utf-8")
    assert "\\u" not in raw.split('"docs"', 1)[1] and re.search(r"[\u4e00-\u9fff]", raw)  # written as UTF-8
    docs = json.loads(raw)["docs"]
    model = next(m for m in sorted(catalog.of("model"), key=lambda m: m.id) if m.notes and m.recipes)
    sections = [d for d in docs if d["location"].startswith(url_of(card_path(model)))]
    titles = {d["title"].replace("\u200b", "") for d in sections}
    assert "备注" in titles  # content stays searchable
    assert not titles & {"来源", "被引用"}, titles  # source lists, footnotes and back-links do not
    assert not any(model.recipes[0] in d["location"] for d in sections)  # the recipe is searched on its own page
    recipe = url_of(card_path(catalog.get("recipe", model.recipes[0])))
    assert any(d["location"].startswith(recipe) for d in docs)


def test_built_site_names_no_other_host(built: Path) -> None:
    for page in [*built.rglob("*.html"), *built.rglob("*.css"), *built.rglob("*.js")]:
        text = page.read_text("utf-8", errors="replace")
        if page.suffix == ".html":
            # Links readers click may lead elsewhere, and so may the page's canonical address and its
            # hreflang alternates (metadata, never fetched); nothing may be loaded from elsewhere.
            loading = [
                tag
                for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text)
                if not re.search(r"""\brel=["'](?:canonical|alternate)["']""", tag)
            ]
            assert not [t for t in loading if re.search(r"""(?:src|href)=["'](?:https?:)?//""", t)], page
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page


# --- in the browser -------------------------------------------------------------------


def _sample_model(catalog):
    models = sorted(catalog.of("model"), key=lambda m: (-len(m.lineage), m.id))
    return models[0]


def test_pages_load_cleanly(visit, catalog) -> None:
    v = visit()
    for lang in ("", "en/"):
        tag = lang.strip("/") or "zh"
        assert v.go(lang, f"home-{tag}").locator("h1").count() >= 1
        model = _sample_model(catalog)
        page = v.go(lang + url_of(card_path(model)), f"model-{tag}")
        assert page.locator(".footnote").count() == 1
        datasets = sorted(catalog.of("dataset"), key=lambda d: d.id)
        if datasets:
            v.go(lang + url_of(card_path(datasets[0])), f"dataset-{tag}")


def test_charts_and_tree_are_drawn(visit, catalog) -> None:
    v = visit()
    page = v.go("charts/", "charts-zh")
    assert page.locator("#sv-timeline circle").count() >= 1
    assert page.locator("#sv-scaling circle").count() >= 1
    page = v.go("en/family-tree/", "family-tree-en")
    assert page.locator("#sv-family-tree circle").count() == len(catalog.of("model"))
    assert page.locator("#sv-family-tree path.sv-edge").count() >= 1
    v.go("family-tree/", "family-tree-zh")


_OVERLAPS = """selector => {
  const boxes = Array.from(document.querySelectorAll(selector)).map(t => t.getBoundingClientRect());
  const hits = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) hits.push([a.x, a.y, b.x, b.y]);
  }));
  return hits;
}"""


def test_chart_and_tree_labels_do_not_overlap_in_either_palette(visit) -> None:
    v = visit()
    for scheme in ("light", "dark"):
        v.page.emulate_media(color_scheme=scheme)
        for path, shot in (("charts/", "charts"), ("en/charts/", "charts-en"), ("family-tree/", "family-tree")):
            page = v.go(path, f"{shot}-{scheme}")
            for selector in ("#sv-timeline text.sv-point-label", "#sv-scaling text.sv-point-label", "#sv-family-tree text"):
                assert page.evaluate(_OVERLAPS, selector) == [], (path, selector, scheme)


def test_comparison_sorts_and_filters(visit, catalog) -> None:
    v = visit()
    page = v.go("compare/", "compare-zh")
    rows = page.locator("#sv-compare-table tbody tr")
    total = len(catalog.of("model"))
    assert rows.count() == total

    def visible_ids() -> list[str]:
        return page.eval_on_selector_all("#sv-compare-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.id)")

    before = visible_ids()
    header = page.locator("#sv-compare-table thead th").nth(6)  # parameters
    header.locator("button").click()
    ascending = page.eval_on_selector_all(
        "#sv-compare-table tbody tr", "rows => rows.map(r => parseFloat(r.cells[6].dataset.sort))"
    )
    known = [x for x in ascending if x == x]  # drop NaN (unknown sizes sink)
    assert known == sorted(known) and visible_ids() != before
    header.locator("button").click()
    descending = [x for x in page.eval_on_selector_all(
        "#sv-compare-table tbody tr", "rows => rows.map(r => parseFloat(r.cells[6].dataset.sort))"
    ) if x == x]
    assert descending == sorted(descending, reverse=True)
    page.select_option("select[data-filter=weights]", "yes")
    shown = visible_ids()
    weights_yes = {m.id for m in catalog.of("model") if m.open.weights.status == "yes"}
    assert set(shown) == weights_yes and len(shown) < total
    page.locator("button.sv-reset").click()
    page.wait_for_timeout(50)
    assert len(visible_ids()) == total
    year = sorted({m.released.date[:4] for m in catalog.of("model")})[0]
    page.select_option("select[data-filter=year]", year)
    assert set(visible_ids()) == {m.id for m in catalog.of("model") if m.released.date.startswith(year)}
    v.go("en/compare/", "compare-en")


def test_search_in_each_language(visit, catalog, server) -> None:
    v = visit()
    cjk = re.compile(r"[\u4e00-\u9fff]{2,}")
    orgs = [o for o in sorted(catalog.of("organization"), key=lambda o: o.id) if cjk.fullmatch(o.name.zh)]
    card = orgs[0] if orgs else _sample_model(catalog)
    page = v.go("")
    hits = search(page, card.name.zh)
    assert url_of(card_path(card)) in hits[:10], hits[:10]
    model = _sample_model(catalog)
    page = v.go("en/")
    hits = search(page, model.name.en)
    assert "en/" + url_of(card_path(model)) in hits[:10], hits[:10]


def test_language_switch_stays_on_the_page(visit, catalog, server) -> None:
    v = visit()
    model = _sample_model(catalog)
    path = url_of(card_path(model))
    page = v.go(path)
    heading = page.inner_text("h1")
    target = page.eval_on_selector("a[hreflang=en]", "a => a.href")
    assert target == server + "en/" + path
    page = v.go("en/" + path)
    assert page.inner_text("h1").rstrip("¶") == model.name.en
    back = page.eval_on_selector("a[hreflang=zh]", "a => a.href")
    assert back == server + path
    page = v.go(path)
    assert page.inner_text("h1") == heading
    # and the switcher itself, as a reader uses it
    page.locator(".md-select").first.hover()
    page.locator("a[hreflang=en]").first.click()
    page.wait_for_url(server + "en/" + path)
    page.locator(".md-select").first.hover()
    page.locator("a[hreflang=zh]").first.click()
    page.wait_for_url(server + path)

