"""Cross-card rules: references, unique names, lineage, sources, ranges, plausibility."""

from __future__ import annotations

from conftest import card

from survey.loader import load_catalog
from survey.positions import place
from survey.rules import run_all


def problems(root, severity="error"):
    catalog, diagnostics = load_catalog(root)
    found = place(diagnostics + run_all(catalog))
    return [d.render(root) for d in sorted(found) if d.severity == severity]


def rewrite(root, relative, old, new):
    path = root / relative
    text = card(relative) if old in card(relative) else path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_valid_fixture_has_no_problems(catalog_root):
    assert problems(catalog_root) == []
    assert problems(catalog_root, "warning") == []


def test_unresolved_reference_suggests_a_close_id(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "model: base-lm,", "model: base-llm,")
    [message] = problems(catalog_root)
    assert "lineage[0].model: expected the id of a model card, found 'base-llm' (no such card); did you mean 'base-lm'?" in message
    assert message.startswith("models/tiny-chat.yaml:")


def test_alias_taken_by_another_card(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "id: tiny-chat\n", "id: tiny-chat\naliases: [Base-LM]\n")
    [message] = problems(catalog_root)
    assert "aliases[0]: expected a name no other model uses, found 'Base-LM', already taken by 'base-lm'" in message


def test_lineage_cycle(catalog_root):
    rewrite(
        catalog_root,
        "models/base-lm.yaml",
        "languages: [en]",
        "languages: [en]\nlineage:\n  - {model: tiny-chat, relation: lora, source: paper}",
    )
    found = problems(catalog_root)
    assert any("expected no cycle, found" in m and "base-lm -> tiny-chat -> base-lm" in m or "tiny-chat -> base-lm -> tiny-chat" in m for m in found)


def test_derivative_released_before_its_base(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "date: 2023-03-01", "date: 2023-01-15")
    [message] = problems(catalog_root)
    assert "released.date: expected a date on or after its base 'base-lm' (2023-02), found 2023-01-15" in message


def test_same_month_at_lower_precision_is_not_earlier(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "date: 2023-03-01", "date: 2023-02-01")
    assert problems(catalog_root) == []


def test_range_must_be_ordered(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "time: {value: 3, unit: hours, source: repo}", "time: {min: 5, max: 3, unit: hours, source: repo}")
    [message] = problems(catalog_root)
    assert "training.time: expected `min` (5) not above `max` (3)" in message


def test_cited_source_must_exist(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "time: {value: 3, unit: hours, source: repo}", "time: {value: 3, unit: hours, source: blog}")
    [message] = problems(catalog_root)
    assert "training.time.source: expected one of this card's sources (repo), found 'blog'" in message


def test_primary_source_required(catalog_root):
    rewrite(catalog_root, "datasets/tiny-data.yaml", "card: {kind: dataset-card,", "card: {kind: survey,")
    [message] = problems(catalog_root)
    assert "sources: expected at least one primary source" in message


def test_unsourced_number_is_a_warning(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "time: {value: 3, unit: hours, source: repo}", "time: 3 hours")
    assert problems(catalog_root) == []
    [message] = problems(catalog_root, "warning")
    assert "training.time: expected a `source:` for this number, found none" in message


def test_compute_far_from_6nd_is_a_warning(catalog_root):
    # 7B parameters on 1T tokens is ~4.2e22 FLOPs: 2048 A100s for 5 days is plausible, for 500 days not.
    rewrite(catalog_root, "models/base-lm.yaml", "time: {value: 5, unit: days, source: paper}", "time: {value: 500, unit: days, source: paper}")
    [message] = problems(catalog_root, "warning")
    assert "implies" in message and "of A100-80GB peak" in message


def test_template_placeholders_are_errors(catalog_root):
    rewrite(catalog_root, "models/tiny-chat.yaml", "name: Tiny Chat", "name: TODO")
    found = problems(catalog_root)
    assert found and all("expected a real value, found the template placeholder 'TODO'" in m for m in found)
    assert any("name.en:" in m for m in found)
