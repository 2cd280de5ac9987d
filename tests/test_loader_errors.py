"""Every kind of mistake in a card gives `path:line:col: field: expected X, found Y`."""

from __future__ import annotations

from pathlib import Path

from conftest import card

from survey.loader import load_catalog, load_file


def errors_of(path: Path) -> list[str]:
    _, diagnostics = load_file(path)
    return [d.render(path.parent.parent) for d in diagnostics]


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_the_fixture_cards_are_valid(catalog_root):
    catalog, diagnostics = load_catalog(catalog_root)
    assert diagnostics == []
    assert len(list(catalog.entries())) == 5


def test_wrong_type_names_line_column_field_and_values(catalog_root):
    path = catalog_root / "models/tiny-chat.yaml"
    text = card("models/tiny-chat.yaml").replace("count: 8", "count: eight")
    path.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "count: eight" in l)
    assert errors_of(path) == [f"models/tiny-chat.yaml:{line}:12: training.hardware.count: expected an integer, found 'eight'"]


def test_unknown_key_suggests_the_field_meant(catalog_root):
    text = card("models/tiny-chat.yaml") + "licence: MIT\n"
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    [message] = errors_of(path)
    last_line = len(text.splitlines())
    assert message == f"models/tiny-chat.yaml:{last_line}:1: licence: unknown field 'licence' (did you mean 'license'?)"


def test_missing_required_field_points_at_its_parent(catalog_root):
    text = card("models/tiny-chat.yaml").replace("  time: {value: 3, unit: hours, source: repo}\n", "")
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    [message] = errors_of(path)
    assert "training.time: expected a value, found nothing (this field is required)" in message


def test_yaml_syntax_error_has_a_position(catalog_root):
    path = write(catalog_root, "models/broken.yaml", "id: broken\nname: [unclosed\nsummary: x\n")
    [message] = errors_of(path)
    assert message.startswith("models/broken.yaml:3:")
    assert "YAML syntax" in message


def test_duplicate_keys_are_refused(catalog_root):
    path = write(catalog_root, "models/tiny-chat.yaml", card("models/tiny-chat.yaml") + "id: again\n")
    [message] = errors_of(path)
    assert "id: expected each key once in a mapping, found 'id' a second time" in message


def test_impossible_and_malformed_dates(catalog_root):
    text = card("models/tiny-chat.yaml").replace("date: 2023-03-01", "date: 2023-02-30")
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    assert "released.date: expected a real calendar date, found '2023-02-30'" in errors_of(path)[0]
    path.write_text(card("models/tiny-chat.yaml").replace("date: 2023-03-01", "date: March 2023"))
    assert "expected a date written YYYY, YYYY-MM or YYYY-MM-DD" in errors_of(path)[0]


def test_partial_dates_are_accepted(catalog_root):
    text = card("models/tiny-chat.yaml").replace("date: 2023-03-01", "date: 2023-03")
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    assert errors_of(path) == []


def test_only_http_urls(catalog_root):
    text = card("models/tiny-chat.yaml").replace("links: {repository: 'https://github.com/acme/tiny'}", "links: {repository: 'javascript:alert(1)'}")
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    assert "links.repository: expected an http:// or https:// address, found 'javascript:alert(1)'" in errors_of(path)[0]


def test_raw_html_in_text_is_refused(catalog_root):
    text = card("models/tiny-chat.yaml").replace("en: An instruction model.", "en: '<img src=x onerror=alert(1)>'")
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    assert "summary.en: expected text without HTML tags, found '<img src=x onerror=alert(1)>'" in errors_of(path)[0]


def test_file_name_must_be_the_id(catalog_root):
    path = write(catalog_root, "models/other-name.yaml", card("models/tiny-chat.yaml"))
    [message] = errors_of(path)
    assert "id: expected the file name to be the id: tiny-chat.yaml, found other-name.yaml" in message
    assert message.startswith("models/other-name.yaml:1:5:")


def test_empty_file(catalog_root):
    path = write(catalog_root, "models/empty.yaml", "\n  \n")
    assert errors_of(path) == ["models/empty.yaml:1:1: expected a card (a YAML mapping), found an empty file"]


def test_non_utf8_bytes_are_located(catalog_root):
    path = write(catalog_root, "models/latin.yaml", b"id: latin\nname: caf\xe9\n")
    assert errors_of(path) == ["models/latin.yaml:2:10: expected UTF-8 text, found the byte 0xe9"]


def test_tabs_in_indentation(catalog_root):
    path = write(catalog_root, "models/tabs.yaml", "id: tabs\nsummary:\n\tzh: x\n")
    assert errors_of(path) == ["models/tabs.yaml:3:1: expected spaces for indentation, found a tab"]


def test_alias_bomb_is_refused_quickly(catalog_root):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]" for i in range(1, 12)]
    path = write(catalog_root, "models/bomb.yaml", "id: bomb\n" + "\n".join(lines) + "\n")
    [message] = errors_of(path)
    assert "expected plain values, found a YAML alias" in message


def test_every_file_is_reported_in_one_run(catalog_root):
    write(catalog_root, "models/empty.yaml", "")
    write(catalog_root, "models/tabs.yaml", "id: tabs\nsummary:\n\tzh: x\n")
    text = card("models/tiny-chat.yaml").replace("count: 8", "count: eight").replace("status: yes", "status: maybe")
    write(catalog_root, "models/tiny-chat.yaml", text)
    _, diagnostics = load_catalog(catalog_root)
    assert {d.path.name for d in diagnostics} == {"empty.yaml", "tabs.yaml", "tiny-chat.yaml"}
    assert len([d for d in diagnostics if d.path.name == "tiny-chat.yaml"]) == 3


def test_tokens_that_look_like_tags_are_allowed_in_code_spans(catalog_root):
    text = card("models/tiny-chat.yaml").replace("en: An instruction model.", "en: 'Each turn ends with `</s>`.'")
    path = write(catalog_root, "models/tiny-chat.yaml", text)
    assert errors_of(path) == []
    path.write_text(card("models/tiny-chat.yaml").replace("en: An instruction model.", "en: 'Each turn ends with </s>.'"))
    assert "put tokens such as `</s>` in backticks" in errors_of(path)[0]
