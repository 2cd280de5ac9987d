"""The site renderer: deterministic output, escaping, footnotes, a page for every card."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from survey.loader import Entry, load_catalog
from survey.schema.common import Card, Note, Parameters
from survey.site import render, text
from survey.site.page import card_path

markdown = pytest.importorskip("markdown")

EXTENSIONS = ["footnotes", "tables", "attr_list", "toc"]


def to_html(md: str) -> str:
    return markdown.markdown(md, extensions=EXTENSIONS)


@pytest.fixture
def catalog(catalog_root: Path):
    loaded, problems = load_catalog(catalog_root)
    assert not problems
    return loaded


def _with_note(catalog, kind: str, card_id: str, zh: str, en: str):
    """Put a note on a card that the schema would refuse (the renderer must not trust the schema)."""
    entry = catalog.cards[kind][card_id]
    note = Note.model_construct(zh=zh, en=en, source=None)
    card = entry.card.model_copy(update={"notes": [note]})
    catalog.cards[kind][card_id] = Entry(card, entry.path)


def test_same_catalog_gives_identical_files(catalog_root: Path) -> None:
    first = {lang: render.pages(load_catalog(catalog_root)[0], lang) for lang in ("zh", "en")}
    second = {lang: render.pages(load_catalog(catalog_root)[0], lang) for lang in ("zh", "en")}
    assert first == second


def test_real_catalog_renders_deterministically() -> None:
    catalog, _problems = load_catalog(Path("catalog"))
    assert render.pages(catalog, "zh") == render.pages(catalog, "zh")


def test_every_card_gets_a_page_in_each_language(catalog) -> None:
    for lang in ("zh", "en"):
        files = render.pages(catalog, lang)
        for entry in catalog.entries():
            assert card_path(entry.card) in files, (lang, entry.card.id)
        for page in ("index.md", "compare.md", "charts.md", "family-tree.md", "health.md", "downloads.md"):
            assert page in files


def test_script_in_a_note_shows_as_text(catalog) -> None:
    _with_note(catalog, "model", "tiny-chat", "<script>alert('x')</script> **粗体**", "<img src=x onerror=alert(1)>")
    for lang, shown in (("zh", "script"), ("en", "img")):
        html = to_html(render.pages(catalog, lang)["models/tiny-chat.md"])
        assert "<script" not in html and "<img" not in html
        assert f"&lt;{shown}" in html or f"&#60;{shown}" in html
    assert "<strong>粗体</strong>" in to_html(render.pages(catalog, "zh")["models/tiny-chat.md"])


def test_only_http_links_become_links(catalog) -> None:
    _with_note(
        catalog,
        "model",
        "tiny-chat",
        "[坏](javascript:alert(1)) [好](https://example.org/a_b?c=d) ![图](https://example.org/x.png)",
        "x",
    )
    html = to_html(render.pages(catalog, "zh")["models/tiny-chat.md"])
    assert "javascript:" not in html.replace("javascript&#58;", "")
    assert 'href="javascript' not in html
    assert 'href="https://example.org/a_b?c=d"' in html
    assert "<img" not in html


def test_markdown_syntax_in_plain_fields_is_inert() -> None:
    for hostile in ("| a | b |", "[^x]", "{: onclick=alert(1)}", "# heading", "1. item", "<b>", "&amp;"):
        html = to_html(text.inline(hostile))
        assert "<b>" not in html and "<h1" not in html and "<ol" not in html and "<table" not in html
        assert "onclick=" not in html.replace("onclick=alert", "") or "onclick" not in html.split(">", 1)[0]


def test_values_carry_footnotes_to_their_sources(catalog) -> None:
    md = render.pages(catalog, "en")["models/tiny-chat.md"]
    assert "[^tiny-chat-repo]" in md
    assert "[^tiny-chat-repo]: repository: [acme/tiny](https://github.com/acme/tiny)" in md
    html = to_html(md)
    assert 'class="footnote"' in html
    assert 'href="https://github.com/acme/tiny"' in html


def test_lineage_links_both_ways(catalog) -> None:
    files = render.pages(catalog, "en")
    assert "[Base LM](base-lm.md)" in files["models/tiny-chat.md"]
    assert "[Tiny Chat](tiny-chat.md)" in files["models/base-lm.md"]


def test_missing_reference_is_text_not_a_broken_link(catalog) -> None:
    # tiny-data exists; remove it to imitate a card another helper has not written yet.
    del catalog.cards["dataset"]["tiny-data"]
    md = render.pages(catalog, "zh")["models/tiny-chat.md"]
    assert "tiny&#45;data" in md and "datasets/tiny-data.md" not in md


class Widget(Card):
    KIND: ClassVar[str] = "widget"
    FOLDER: ClassVar[str] = "widgets"
    size: Parameters


def test_unknown_kind_gets_generic_pages(catalog) -> None:
    card = Widget.model_validate(
        {
            "id": "gizmo",
            "name": "Gizmo",
            "summary": {"zh": "小工具。", "en": "A gizmo."},
            "size": {"value": "7B", "source": "site"},
            "sources": {"site": {"kind": "website", "title": "Gizmo", "url": "https://example.org"}},
        }
    )
    catalog.add(Entry(card, Path("catalog/widgets/gizmo.yaml")))
    files = render.pages(catalog, "en")
    assert "widgets/gizmo.md" in files and "widgets/index.md" in files
    assert "7B[^gizmo-site]" in files["widgets/gizmo.md"]


def test_concept_terms_link_to_the_concept(catalog_root: Path) -> None:
    (catalog_root / "concepts").mkdir()
    (catalog_root / "concepts" / "lora.yaml").write_text(
        "id: lora\nname: LoRA\nsummary: {zh: 低秩适配。, en: Low-rank adaptation.}\nterms: [instruction model]\n"
        "sources:\n  paper: {kind: paper, title: LoRA, url: 'https://arxiv.org/abs/2106.09685'}\n",
        encoding="utf-8",
    )
    catalog, problems = load_catalog(catalog_root)
    assert not problems
    md = render.pages(catalog, "en")["models/tiny-chat.md"]
    assert "[instruction model](../concepts/lora.md)" in md


def test_write_touches_only_changed_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert len(render.write(out, {"a.md": "x", "b/c.md": "y"})) == 2
    assert render.write(out, {"a.md": "x", "b/c.md": "y"}) == []
    changed = render.write(out, {"a.md": "z"})
    assert out / "a.md" in changed and not (out / "b").exists()
