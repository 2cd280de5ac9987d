"""The site renderer: deterministic output, escaping, footnotes, a page for every card."""

from __future__ import annotations

import re
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


def test_a_term_written_in_mixed_case_links_only_in_that_case() -> None:
    links: list[str] = []
    linker = text.TermLinker({"ZeRO": "zero", "scaling laws": "scaling"}, lambda concept: links.append(concept) or f"{concept}.md")
    assert "zero.md" not in linker("zero-shot and Zero-shot accuracy")
    assert "[ZeRO](zero.md)" in linker("trained with ZeRO stage 3")
    assert "[Scaling laws](scaling.md)" in linker("Scaling laws hold")  # a lower-case term matches any case


def test_recipe_pages_name_the_originals_evaluation_prompts_at_their_pin(real_catalog) -> None:
    with_prompts = [r for r in real_catalog.of("recipe") if r.evaluation_prompts]
    assert with_prompts
    for lang, heading in (("zh", "## 原作者的评测提示"), ("en", "## The original&#39;s evaluation prompts")):
        files = render.pages(real_catalog, lang)
        for recipe in with_prompts:
            md = files[card_path(recipe)]
            assert heading in md, (lang, recipe.id)
            assert f"]({recipe.evaluation_prompts.url})" in md and recipe.evaluation_prompts.sha256 in md
            assert f" {recipe.evaluation_prompts.count} " in md


def test_write_touches_only_changed_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert len(render.write(out, {"a.md": "x", "b/c.md": "y"})) == 2
    assert render.write(out, {"a.md": "x", "b/c.md": "y"}) == []
    changed = render.write(out, {"a.md": "z"})
    assert out / "a.md" in changed and not (out / "b").exists()


# --- recipes, labels, chart layout ---------------------------------------------------------


@pytest.fixture(scope="module")
def real_catalog():
    return load_catalog(Path("catalog"))[0]


def test_model_pages_show_the_recipe_that_reproduces_them(real_catalog) -> None:
    with_recipes = [m for m in real_catalog.of("model") if m.recipes]
    assert with_recipes, "no model lists a recipe"
    for lang, heading in (("zh", "## 复现配方"), ("en", "## Recipe that reproduces it")):
        files = render.pages(real_catalog, lang)
        for model in with_recipes:
            md = files[card_path(model)]
            assert heading in md, (lang, model.id)
            for recipe_id in model.recipes:
                recipe = real_catalog.get("recipe", recipe_id)
                assert f"../recipes/{recipe_id}.md" in md
                assert f"python -m reproduce {recipe_id} --plan" in md and re.search(rf"python -m reproduce {re.escape(recipe_id)}(?:\n|<)", md)
                assert recipe.base.hub.replace("-", "&#45;") in md or recipe.base.hub in md
                if recipe.deepspeed:
                    assert "zero_optimization" in md and re.search(r'\?\?\? note ".*DeepSpeed.*"\n\n    ```json\n', md)
                if recipe.lora:
                    assert "target_modules" in md
                page = files[card_path(recipe)]
                assert "python -m reproduce" in page and "| " in page
                assert ("学习率" if lang == "zh" else "Learning rate") in page
                html = to_html(page)
                assert "<script" not in html
                for key in recipe.template.text:
                    assert key in html


def test_recipe_pages_mark_every_revision_that_is_not_a_commit(real_catalog) -> None:
    files = render.pages(real_catalog, "en")
    for recipe in real_catalog.of("recipe"):
        page = files[card_path(recipe)]
        revisions = [recipe.base.revision] + [part.revision for part in recipe.data if part.hub]
        moving = [r for r in revisions if not re.fullmatch(r"[0-9a-f]{40}", r or "")]
        assert page.count("not pinned to a commit") == len(moving), recipe.id
        for revision in set(revisions) - set(moving):
            assert f"<code>{revision[:12]}</code>" in to_html(page), (recipe.id, revision)
        for part in recipe.data:
            if part.config:
                assert part.config in page
            if part.sha256:
                assert part.sha256[:12] in page, (recipe.id, part.name)


def test_projects_without_models_show_the_surveys_openness_cells(real_catalog) -> None:
    from survey.site.lang import word

    projects = [p for p in real_catalog.of("project") if p.open]
    assert {"deepspeed-chat", "open-assistant"} <= {p.id for p in projects}
    for lang in ("zh", "en"):
        files = render.pages(real_catalog, lang)
        for project in projects:
            page = files[card_path(project)]
            assert f"## {word('survey_table', lang)}" in page, project.id
            for column in ("code", "data", "weights"):
                cell = getattr(project.open, column)
                row = next(line for line in page.splitlines() if line.startswith(f"| {word('open.' + column, lang)} |"))
                assert word(f"status.{cell.status}", lang) in row, (project.id, column, row)
                assert cell.as_surveyed is None or cell.as_surveyed in row


class _Visible(__import__("html.parser").parser.HTMLParser):
    """Text nodes a reader sees. Code, pre and concept terms linked in card text are data, not labels."""

    SKIP = ("code", "pre", "script", "style")

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.stack: list[bool] = []
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        skip = tag in self.SKIP or (tag == "a" and "concepts/" in (dict(attrs).get("href") or ""))
        self.stack.append(skip)
        self.depth += skip

    def handle_endtag(self, tag) -> None:
        if self.stack:
            self.depth -= self.stack.pop()

    def handle_data(self, data) -> None:
        if not self.depth and data.strip():
            self.nodes.append(data.strip())


def _schema_fields() -> set[str]:
    import typing

    from pydantic import BaseModel

    from survey.schema import CARD_TYPES

    names: set[str] = set()
    seen: set[type] = set()

    def walk(annotation) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for name, info in annotation.model_fields.items():
                names.add(name)
                walk(info.annotation)
            return
        for arg in typing.get_args(annotation):
            walk(arg)

    for kind in CARD_TYPES:
        walk(kind)
    return names


def test_every_schema_field_has_a_label_in_both_languages() -> None:
    from survey.site.lang import FIELDS

    missing = sorted(_schema_fields() - set(FIELDS))
    assert not missing, missing


def test_chinese_pages_show_no_raw_field_names(real_catalog) -> None:
    names = _schema_fields()
    snake = sorted(n for n in names if "_" in n)
    label = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, snake)) + r")\s*[:：]")
    problems = []
    for path, md in render.pages(real_catalog, "zh").items():
        if not path.endswith(".md"):
            continue
        parser = _Visible()
        parser.feed(to_html(md))
        for node in parser.nodes:
            if node.rstrip(":：").strip() in names:
                problems.append((path, node))
            elif label.search(node):
                problems.append((path, label.search(node).group()))
    assert not problems, problems[:20]


def test_chart_labels_do_not_collide(real_catalog) -> None:
    from survey.site import charts

    for lang in ("zh", "en"):
        md = render.pages(real_catalog, lang)["charts.md"]
        for figure in re.findall(r"<svg.*?</svg>", md):
            boxes = []
            for x, y, anchor, label in re.findall(
                r'<text class="sv-point-label" x="([\d.]+)" y="([\d.]+)" text-anchor="(\w+)">([^<]*)</text>', figure
            ):
                width = charts.text_width(__import__("html").unescape(label))
                left = float(x) - {"start": 0, "end": width, "middle": width / 2}[anchor]
                boxes.append((left, float(y) - charts.FONT + 2, left + width, float(y) + 3))
            assert boxes
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not charts._overlap(a, b), (a, b)
