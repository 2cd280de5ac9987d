"""The built site used as a reader uses it, in Debian's chromium at a desktop (1440 x 900) and a phone
(390 x 844) size: the comparison as a tool, readable charts and tree, search that finds the survey's words,
stable anchors, pages to share and cite, code to copy, a light first visit, nothing wider than a phone.

Each test checks what issue 12 found wrong with the site before; every page visited is also checked for
console errors and for requests to any other host (tests/site_browser.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from survey.site import facts, project
from survey.site.page import card_path, url_of
from tests.site_browser import DESKTOP, PHONE, browser, built, catalog, search, server, visit  # noqa: F401 - fixtures

pytest.importorskip("mkdocs")
pytest.importorskip("material")


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all("#sv-compare-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.id)")


def column(page, key: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#sv-compare-table tbody tr:not([hidden]) td.sv-col-{key}", "cells => cells.map(c => c.innerText.trim())"
    )


# --- 1. the comparison ------------------------------------------------------------------------------


def test_size_filter_keeps_every_model_with_a_size_in_range(visit, catalog) -> None:
    page = visit(DESKTOP).go("compare/")
    page.select_option("select[data-filter=size]", "1b-10b")
    shown = set(visible_ids(page))
    expected = {m.id for m in catalog.of("model") if any(1e9 <= p < 1e10 for p in facts.params(m))}
    assert shown == expected
    assert {"alpaca", "vicuna", "llama", "koala", "baize", "chinese-llama"} <= shown


def test_header_row_stays_at_the_top_while_the_rows_scroll(visit) -> None:
    for viewport in (DESKTOP, PHONE):
        page = visit(viewport).go("compare/")
        table = page.locator("#sv-compare-table")
        middle = table.bounding_box()["y"] + table.bounding_box()["height"] / 2
        page.evaluate(f"window.scrollTo(0, {middle})")
        page.wait_for_timeout(200)
        bar = page.evaluate("document.querySelector('.md-header').getBoundingClientRect().bottom")
        top = page.evaluate("document.querySelector('#sv-compare-table thead th').getBoundingClientRect().top")
        assert 0 <= top <= bar + 2, (viewport, top, bar)
        # and it is not painted over by the rows beneath it
        covering = page.evaluate(
            "(() => { const th = document.querySelector('#sv-compare-table thead th:nth-child(3)');"
            " const r = th.getBoundingClientRect(); const el = document.elementFromPoint(r.left + 5, r.top + r.height / 2);"
            " return !!(el && el.closest('thead')); })()"
        )
        assert covering, viewport


_BROKEN_WORDS = """() => {
    const broken = [];
    for (const link of document.querySelectorAll('#sv-compare-table td.sv-col-name a, #sv-compare-table td.sv-col-org a')) {
      const walker = document.createTreeWalker(link, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of node.textContent.matchAll(/[^\\s\\u2e80-\\u9fff\\uff00-\\uffef]+/g)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
          if (tops.size > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
}"""


def test_comparison_is_full_width_and_keeps_names_whole(visit) -> None:
    page = visit(DESKTOP).go("compare/", "compare-desktop")
    assert page.locator(".md-sidebar--primary").is_hidden() and page.locator(".md-sidebar--secondary").is_hidden()
    assert page.locator("#sv-compare-table").bounding_box()["width"] > 1300
    # every word of a name or an organization on one line (a name may wrap between words, never inside one)
    broken = page.evaluate(_BROKEN_WORDS)
    assert broken == []
    phone = visit(PHONE).go("compare/")
    assert phone.evaluate(_BROKEN_WORDS) == []


def test_columns_off_screen_show_a_cue(visit) -> None:
    page = visit(PHONE).go("compare/", "compare-phone")
    frame = page.locator(".sv-compare .sv-frame")
    assert "sv-more-right" in frame.get_attribute("class")
    assert page.locator(".sv-compare .sv-scroll-hint").is_visible()
    page.evaluate("(() => { const s = document.querySelector('.sv-table-scroll'); s.scrollLeft = s.scrollWidth; })()")
    page.wait_for_timeout(200)
    assert "sv-more-right" not in frame.get_attribute("class")
    assert not page.locator(".sv-compare .sv-scroll-hint").is_visible()


def test_values_read_as_people_write_them(visit, catalog) -> None:
    page = visit(DESKTOP).go("en/compare/")
    cells = dict(zip(visible_ids(page), column(page, "params")))
    assert cells["gpt-j-6b"] == "6.05B" and cells["belle"] == "7B"
    assert cells["dolly"] == "2.8B, 6B, 6.9B, 12B"
    tokens, samples = dict(zip(visible_ids(page), column(page, "tokens"))), dict(zip(visible_ids(page), column(page, "samples")))
    assert samples["alpaca"] == "52K examples" and tokens["alpaca"] == "unknown"
    assert tokens["llama"] == "1T–1.4T tokens" and samples["llama"] == "unknown"
    page.locator("th[data-key=samples] button").click()
    page.locator("th[data-key=samples] button").click()  # descending
    counted = {
        m.id: sum(d.midpoint() or 0 for d in m.training.data if d.unit in ("examples", "conversations", "pairs", "messages"))
        for m in catalog.of("model")
    }
    order = visible_ids(page)
    assert [counted[i] for i in order[:5]] == sorted(counted.values(), reverse=True)[:5]
    for cell in column(page, "lang"):
        for name in cell.split(", "):
            assert not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]+)?", name), cell  # a name, not a code
    assert "Bulgarian" in " ".join(column(page, "lang"))
    zh = visit(DESKTOP).go("compare/")
    assert "保加利亚语" in " ".join(column(zh, "lang"))


def test_filters_and_sort_live_in_the_address(visit, server) -> None:
    v = visit(DESKTOP)
    page = v.go("compare/")
    page.fill("[data-filter-text]", "llama")
    page.select_option("select[data-filter=weights]", "partial")
    page.locator("th[data-key=released] button").click()
    page.locator("th[data-key=released] button").click()
    rows, url = visible_ids(page), page.url
    assert rows and "text=llama" in url and "weights=partial" in url and "sort=released" in url
    dates = column(page, "released")
    assert dates == sorted(dates, reverse=True)
    shared = visit(DESKTOP).go(url.removeprefix(server))
    assert visible_ids(shared) == rows  # a shared link restores the same rows in the same order
    assert shared.input_value("[data-filter-text]") == "llama"
    page.go_back()
    page.go_back()
    assert "sort=" not in page.url and set(visible_ids(page)) >= set(rows)
    page.go_forward()
    page.go_forward()
    assert visible_ids(page) == rows


def test_picked_models_side_by_side_with_every_source(visit, catalog, server) -> None:
    page = visit(DESKTOP).go("en/compare/")
    for model_id in ("alpaca", "vicuna", "chatglm-6b"):
        page.check(f"input.sv-pick[value={model_id}]")
    page.click(".sv-side-show")
    page.wait_for_selector(".sv-side-table")
    heads = page.eval_on_selector_all(".sv-side-table thead th", "ths => ths.map(t => t.innerText)")
    assert heads[1:] == ["Alpaca", "ChatGLM-6B", "Vicuna"]  # in the table's order
    labels = page.eval_on_selector_all(".sv-side-table tbody th", "ths => ths.map(t => t.innerText)")
    assert {"Open weights", "Parameters", "Training data", "Hardware", "License"} <= set(labels)
    sources = set(page.eval_on_selector_all(".sv-side-table a.sv-side-source", "a => a.map(x => x.href)"))
    picked = [catalog.get("model", m) for m in ("alpaca", "vicuna", "chatglm-6b")]
    links = {url for m in picked for url in m.links.model_dump(exclude_none=True).values()}
    assert sources and sources <= {s.url for m in picked for s in m.sources.values()} | links
    assert {"Summary", "Also known as", "Links", "Sources", "Notes"} <= set(labels)
    alpaca = picked[0]
    for value in (alpaca.open.weights, alpaca.released, alpaca.training.hardware):
        assert alpaca.sources[value.source].url in sources
    assert "pick=alpaca%2Cchatglm-6b%2Cvicuna" in page.url and "view=side" in page.url
    again = visit(DESKTOP).go(page.url.removeprefix(server))
    again.wait_for_selector(".sv-side-table")
    assert again.eval_on_selector_all(".sv-side-table thead th", "ths => ths.map(t => t.innerText)") == heads


# --- 2 and 3. charts and the family tree -------------------------------------------------------------

_TEXT_SIZES = """() => {
  const sizes = [];
  for (const svg of document.querySelectorAll('.md-content svg[viewBox]')) {
    const box = svg.getBoundingClientRect();
    if (!box.width) continue;  // the other screen's drawing
    const scale = box.width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) sizes.push(parseFloat(getComputedStyle(t).fontSize) * scale);
  }
  return sizes;
}"""


def test_chart_text_is_readable_on_a_desktop_and_a_phone(visit) -> None:
    for viewport in (DESKTOP, PHONE):
        v = visit(viewport)
        for path in ("charts/", "en/charts/", "family-tree/", "health/"):
            sizes = v.go(path).evaluate(_TEXT_SIZES)
            assert sizes and min(sizes) >= 11, (viewport, path, min(sizes))


def test_the_survey_period_has_its_own_chart_with_its_subjects_named(visit, catalog) -> None:
    page = visit(DESKTOP).go("charts/", "charts-desktop")
    key = [catalog.get("model", m) for m in facts.KEY_MODELS if catalog.get("model", m)]
    for frame in ("sv-wide", "sv-narrow"):  # the phone's drawing names them too
        labels = set(page.eval_on_selector_all(f"#sv-zoom svg.{frame} text.sv-point-label", "ts => ts.map(t => t.textContent)"))
        assert {m.name.zh for m in key} <= labels, frame
    assert page.locator("#sv-zoom ul.sv-legend-family li").count() >= 3
    assert page.locator("#sv-zoom ul.sv-legend-family").is_visible() and not page.locator("#sv-zoom ul.sv-legend-open").is_visible()
    page.check("input[name=sv-colour][value=open]")
    assert page.locator("#sv-zoom ul.sv-legend-open").is_visible()
    # every dot links to its model's page
    hrefs = page.eval_on_selector_all("#sv-timeline svg.sv-wide a.sv-point", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(re.fullmatch(r"\.\./models/[a-z0-9._-]+/", h) for h in hrefs)


def test_a_tap_shows_a_dots_name(visit) -> None:
    v = visit(PHONE, has_touch=True, is_mobile=True)
    page = v.go("charts/")
    dot = page.locator("#sv-zoom svg.sv-narrow a.sv-point:not(.sv-labelled)").first
    name = dot.get_attribute("data-name")
    before = page.url
    dot.locator("circle").tap()
    tip = page.locator("#sv-zoom .sv-tip")
    tip.wait_for(state="visible")
    assert name in tip.inner_text() and page.url == before
    box, screen = tip.bounding_box(), PHONE["width"]
    assert 0 <= box["x"] and box["x"] + box["width"] <= screen


def test_family_tree_fits_with_no_label_cut(visit) -> None:
    for viewport in (DESKTOP, PHONE):
        page = visit(viewport).go("family-tree/", f"family-tree-{viewport['width']}")
        cut = page.evaluate(
            """() => { const svg = document.querySelector('#sv-family-tree svg'); const box = svg.closest('.sv-scroll').getBoundingClientRect();
                 const s = svg.getBoundingClientRect();
                 return Array.from(svg.querySelectorAll('text')).filter(t => { const r = t.getBoundingClientRect();
                   return r.right > s.right + 0.5 || r.right > box.right + 0.5 || r.left < box.left - 0.5; }).map(t => t.textContent); }"""
        )
        assert cut == [], viewport
        assert page.locator("#sv-family-tree .sv-scroll-hint").is_hidden()


# --- 4. search -------------------------------------------------------------------------------------

QUERIES = [
    ("", "小羊驼", "models/vicuna/"),
    ("", "羊驼", "models/alpaca/"),
    ("", "清华大学", "organizations/thudm/"),
    ("", "元语智能", "organizations/clue-ai/"),
    ("", "低秩适配", "concepts/lora/"),
    ("", "斯坦福", "organizations/stanford-crfm/"),
    ("", "复旦", "projects/moss/"),
    ("", "指令微调", "concepts/instruction-tuning/"),
    ("", "哈工大", "organizations/hfl/"),
    ("", "家族树", "family-tree/"),
    ("en/", "Alpaca", "en/models/alpaca/"),
    ("en/", "Vicuna", "en/models/vicuna/"),
    ("en/", "ChatGLM", "en/models/chatglm-6b/"),
    ("en/", "ShareGPT", "en/datasets/sharegpt/"),
    ("en/", "BELLE", "en/models/belle/"),
    ("en/", "Dolly", "en/models/dolly/"),
    ("en/", "Koala", "en/models/koala/"),
    ("en/", "Baize", "en/models/baize/"),
    ("en/", "Tsinghua", "en/organizations/thudm/"),
    ("en/", "family tree", "en/family-tree/"),
]


def test_twenty_queries_find_their_page_in_the_top_three(visit) -> None:
    misses = []
    pages = {}
    v = visit(DESKTOP)
    for root, query, wanted in QUERIES:
        if root not in pages:
            pages[root] = v.go(root)
        found = search(pages[root], query)
        if wanted not in found[:3]:
            misses.append((query, wanted, found[:5]))
    assert not misses, misses


def test_catalog_names_stay_whole_for_the_search(built: Path) -> None:
    words = set(Path("docs/generated/search-words.txt").read_text("utf-8").split())
    assert {"小羊驼", "羊驼"} <= words
    docs = json.loads((built / "search" / "search_index.json").read_text("utf-8"))["docs"]
    vicuna = next(d for d in docs if d["location"] == "models/vicuna/")
    assert "小羊驼" in vicuna["tags"] and "\u200b小羊驼\u200b" in "\u200b" + vicuna["text"].replace(" ", "\u200b") + "\u200b"
    # the label of the survey's cells is not searched, so snippets do not repeat it; the cells are
    assert not any("调研原表:" in d["text"] for d in docs)
    assert any("7B、13B" in d["text"] for d in docs if d["location"].startswith("models/alpaca/"))


# --- 5. anchors --------------------------------------------------------------------------------------


def _ids(path: Path) -> list[str]:
    return re.findall(r'<h[1-6] id="([^"]+)"', path.read_text("utf-8"))


def test_headings_have_the_same_meaningful_ids_in_both_languages(built: Path, catalog) -> None:
    pages = [url_of(card_path(e.card)) for e in catalog.entries()] + ["", "compare/", "charts/", "health/", "contributing/"]
    for page in pages:
        zh, en = _ids(built / page / "index.html"), _ids(built / "en" / page / "index.html")
        assert zh == en, page
        assert not [i for i in zh if re.fullmatch(r"_\d+", i)], (page, zh)
    assert "facts" in _ids(built / "models/alpaca/index.html") and "facts" in _ids(built / "models/vicuna/index.html")


def test_language_switch_keeps_the_section(visit, server) -> None:
    page = visit(DESKTOP).go("models/alpaca/#notes")
    page.locator(".md-select").first.hover()
    page.locator("a[hreflang=en]").first.click()
    page.wait_for_url(server + "en/models/alpaca/#notes")
    assert page.locator("#notes").is_visible()


# --- 6. sharing, citing, contributing ------------------------------------------------------------------


def _pages(root: Path) -> list[str]:
    found = []
    for html in root.rglob("index.html"):
        relative = html.relative_to(root).parent.as_posix()
        if root.name != "en" and relative.startswith("en"):
            continue
        found.append("" if relative == "." else relative + "/")
    return sorted(found)


def test_sitemaps_list_every_page_with_its_other_language(built: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    for root, lang in ((built, "zh"), (built / "en", "en")):
        tree = ET.parse(root / "sitemap.xml")
        locs = [u.find("s:loc", ns).text for u in tree.getroot().findall("s:url", ns)]
        assert sorted(locs) == sorted(project.SITE_ROOTS[lang] + p for p in _pages(root))
        first = tree.getroot().find("s:url", ns)
        alternates = {a.get("hreflang"): a.get("href") for a in first.findall("x:link", ns)}
        assert set(alternates) == {"zh", "en"}
    card = next(u for u in ET.parse(built / "sitemap.xml").getroot().findall("s:url", ns) if u.find("s:loc", ns).text.endswith("/models/alpaca/"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", card.find("s:lastmod", ns).text)


def test_card_pages_describe_themselves_and_link_their_other_language(built: Path, catalog) -> None:
    alpaca = catalog.get("model", "alpaca")
    html = (built / "models/alpaca/index.html").read_text("utf-8")
    head = html.split("</head>")[0]
    assert f'<link rel="canonical" href="{project.SITE_URL}models/alpaca/">' in head
    assert f'<link rel="alternate" hreflang="en" href="{project.SITE_URL}en/models/alpaca/">' in head
    assert f'<link rel="alternate" hreflang="zh" href="{project.SITE_URL}models/alpaca/">' in head
    assert f'<meta name="description" content="{alpaca.summary.zh}">' in head
    assert '<meta property="og:title" content="Alpaca">' in head and 'property="og:url"' in head
    descriptions = {re.search(r'<meta name="description" content="([^"]*)"', (built / p / "index.html").read_text("utf-8")).group(1)
                    for p in ("models/alpaca", "models/vicuna", "datasets/alpaca-data", "")}
    assert len(descriptions) == 4  # one per page, not the site's for all


def test_cards_link_their_file_their_last_change_and_a_citation(visit, catalog) -> None:
    page = visit(DESKTOP).go("models/alpaca/")
    assert page.get_attribute("a.md-source", "href") == project.REPOSITORY
    assert page.get_attribute("a.sv-edit", "href") == f"{project.REPOSITORY}/edit/main/catalog/models/alpaca.yaml"
    committed = subprocess.run(["git", "log", "-1", "--format=%cs", "--", "catalog/models/alpaca.yaml"], capture_output=True, text=True).stdout.strip()
    if committed:
        assert page.get_attribute(".sv-meta time", "datetime") == committed
    bibtex = page.inner_text("#cite ~ .highlight code")
    assert bibtex.startswith("@misc{small-alpaca-survey-model-alpaca,") and project.SITE_URL + "models/alpaca/" in bibtex
    contributing = visit(DESKTOP).go("contributing/")
    assert contributing.locator(f'a[href="{project.REPOSITORY}/compare"]').count() == 1


def test_one_repository_address_everywhere() -> None:
    for config, root in (("mkdocs.yml", project.SITE_ROOTS["zh"]), ("mkdocs.en.yml", project.SITE_ROOTS["en"])):
        data = yaml.safe_load(Path(config).read_text("utf-8"))
        assert data["repo_url"] == project.REPOSITORY and data["site_url"] == root
        assert [a["root"] for a in data["extra"]["alternate"]] == [project.SITE_ROOTS["zh"], project.SITE_ROOTS["en"]]
    citation = yaml.safe_load(Path("CITATION.cff").read_text("utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["repository-code"] == project.REPOSITORY
    assert citation["url"] == project.SITE_URL and citation["title"] and citation["authors"]


# --- 7. code ---------------------------------------------------------------------------------------------


def test_code_blocks_are_highlighted_copyable_and_long_configs_folded(visit, catalog) -> None:
    recipe = next(r for r in sorted(catalog.of("recipe"), key=lambda r: r.id) if r.deepspeed)
    page = visit(DESKTOP).go(url_of(card_path(recipe)), "recipe-desktop")
    blocks = page.locator(".md-content .highlight")
    assert blocks.count() >= 3
    assert page.locator(".md-content .highlight button.md-code__button[data-md-type=copy]").count() == blocks.count()
    assert page.locator(".md-content .highlight span.s2, .md-content .highlight span.nt").count() > 10  # JSON highlighted
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.md-content .highlight code')).fontSize)")
    assert size >= 13
    config = page.locator("details", has_text="zero_optimization")
    assert config.count() == 1 and config.get_attribute("open") is None
    page.locator(".md-content .highlight button.md-code__button").first.click()  # copying works offline


# --- 8. weight ---------------------------------------------------------------------------------------------


def test_first_visit_of_a_model_page_is_under_500_kb(browser, server) -> None:
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(server + "models/alpaca/", wait_until="networkidle")
    page.wait_for_timeout(500)
    total = sum(len(r.body()) for r in responses if r.status == 200)
    assert total < 500_000, total
    assert not any(r.url.endswith("search_index.json") for r in responses)
    assert "models/vicuna/" in search(page, "Vicuna")[:3]  # the search starts when first used
    assert any(r.url.endswith("search/search_index.json") for r in responses)
    context.close()


# --- 9. phones, the health page, the home page --------------------------------------------------------

_TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.md-sidebar--primary, .md-search, details:not([open]) > :not(summary)')) continue;  // drawer, search, folded
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || (r.left >= -0.5 && r.right <= width + 0.5)) continue;
    const box = el.closest('.sv-scroll');  // a box that scrolls sideways, fits, and says so
    const hint = box && box.parentElement.querySelector('.sv-scroll-hint');
    if (hint && !hint.hidden && box.getBoundingClientRect().right <= width + 0.5) continue;
    out.push(el.tagName + '.' + (el.getAttribute('class') || '') + ': ' + (el.textContent || '').trim().slice(0, 40));
  }
  return [document.documentElement.scrollWidth, out.slice(0, 5)];
}"""


def test_no_page_is_wider_than_a_phone(visit, catalog) -> None:
    samples = ["", "compare/", "charts/", "family-tree/", "health/", "catalog/", "contributing/", "downloads/"]
    for kind in ("model", "project", "dataset", "recipe", "evaluation", "experiment", "concept", "organization", "framework"):
        cards = sorted(catalog.of(kind), key=lambda c: -len(card_path(c)))
        samples += [url_of(card_path(cards[0]))] if cards else []
        samples += [card_path(cards[0]).split("/")[0] + "/"] if cards else []
    samples += ["models/alpaca/", "projects/alpaca/"]
    v = visit(PHONE)
    for path in samples + ["en/" + p for p in samples[:6]]:
        width, wide = v.go(path).evaluate(_TOO_WIDE)
        assert width <= PHONE["width"] and wide == [], (path, width, wide)


def test_health_opens_with_a_summary_and_folds_the_details(visit) -> None:
    page = visit(DESKTOP).go("health/", "health-desktop")
    first = page.eval_on_selector(".md-content h2", "h => h.id")
    assert first == "summary" and page.locator("#summary ~ figure.sv-health svg rect.sv-bar").count() >= 9
    details = page.locator(".md-content details")
    assert details.count() >= 9 and page.locator(".md-content details[open]").count() == 0
    assert page.evaluate("document.documentElement.scrollHeight") < 4000


def test_home_leads_into_the_key_models(visit, catalog) -> None:
    page = visit(PHONE).go("", "home-phone")
    links = page.eval_on_selector_all(".sv-cards a.sv-card-title", "as => as.map(a => a.getAttribute('href'))")
    assert links == [url_of(card_path(catalog.get("model", m))) for m in facts.KEY_MODELS if catalog.get("model", m)]
    assert page.locator(".sv-cards").bounding_box()["y"] < 1500  # before the conclusions, near the top


# --- card text in the new places: head tags, search tags, BibTeX, the side-by-side data ----------------


def test_card_text_is_escaped_in_the_head_and_the_side_by_side_view(tmp_path: Path, browser) -> None:
    from tests.conftest import CARDS, write_catalog

    awkward = 'Tiny "Chat" & a < b \'q\''  # no tag, not even an unclosed one: the schema refuses those
    cards = dict(CARDS)
    cards["models/tiny-chat.yaml"] = (
        CARDS["models/tiny-chat.yaml"]
        .replace("name: Tiny Chat", f"name: {json.dumps(awkward)}")
        .replace("An instruction model.", 'An "instruction" model & more > less.')
    )
    root = write_catalog(tmp_path / "catalog", cards)
    site = tmp_path / "site"
    command = [sys.executable, "-m", "survey.site", "--root", str(root), "--out", str(tmp_path / "generated"), "build", "--site-dir", str(site)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    head = (site / "en/models/tiny-chat/index.html").read_text("utf-8").split("</head>")[0]
    assert '<meta name="description" content="An &#34;instruction&#34; model &amp; more &gt; less.">' in head
    assert "<title>Tiny &#34;Chat&#34; &amp; a &lt; b &#39;q&#39; - Small-alpaca survey</title>" in head
    assert '<meta property="og:title" content="Tiny &#34;Chat&#34; &amp; a &lt; b &#39;q&#39;">' in head
    assert "a < b" not in head
    body = (site / "en/models/tiny-chat/index.html").read_text("utf-8")
    assert "a < b" not in body and "\\&amp;" in body  # BibTeX's \& for "&", HTML-escaped inside the code block
    port = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(site)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = port.stdout.readline()
        address = re.search(r"port (\d+)", line).group(1)
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{address}/en/compare/?pick=base-lm,tiny-chat&view=side", wait_until="networkidle")
        page.wait_for_selector(".sv-side-table")
        assert page.locator(".sv-side-table b").count() == 0
        assert awkward in page.inner_text(".sv-side-table thead")
        context.close()
    finally:
        port.terminate()
        port.wait(timeout=10)
