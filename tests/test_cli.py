"""`python -m survey` as a contributor runs it: exit codes, annotations, templates, fmt, schema, export."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from conftest import card

from survey.cli import main
from survey.schema import KINDS

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "survey", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "300"})


def test_check_exit_codes(catalog_root):
    assert main(["check", str(catalog_root)]) == 0
    (catalog_root / "models/tiny-chat.yaml").write_text(card("models/tiny-chat.yaml").replace("count: 8", "count: eight"))
    assert main(["check", str(catalog_root)]) == 1
    result = run("check", str(catalog_root / "nowhere"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_one_file_reports_only_that_file(catalog_root):
    (catalog_root / "models/base-lm.yaml").write_text("id: base-lm\n")
    result = run("check", str(catalog_root / "datasets/tiny-data.yaml"))
    # tiny-data references base-lm, which is now broken: the reference fails, reported on tiny-data only.
    assert result.returncode == 1
    assert all("tiny-data.yaml" in line for line in result.stdout.splitlines()[:-1])
    assert "generated_with[0]" in result.stdout


def test_check_github_annotations(catalog_root):
    (catalog_root / "models/tiny-chat.yaml").write_text(card("models/tiny-chat.yaml").replace("count: 8", "count: eight"))
    result = run("check", "--format", "github", "catalog", cwd=catalog_root.parent)
    assert result.returncode == 1
    [line] = [l for l in result.stdout.splitlines() if l.startswith("::")]
    assert line.startswith("::error file=catalog/models/tiny-chat.yaml,line=")
    assert "::training.hardware.count: expected an integer, found 'eight'" in line


def test_new_writes_a_template_that_check_flags_until_filled(catalog_root):
    for kind in KINDS:
        assert main(["new", kind, f"fresh-{kind}", "--root", str(catalog_root)]) == 0
        path = catalog_root / KINDS[kind].FOLDER / f"fresh-{kind}.yaml"
        assert path.read_text().startswith(f"# yaml-language-server: $schema=../schema/{kind}.schema.json\n")
    result = run("check", str(catalog_root / "models/fresh-model.yaml"))
    assert result.returncode == 1
    assert "TODO" in result.stdout
    assert main(["new", "model", "fresh-model", "--root", str(catalog_root)]) == 2  # exists already
    assert main(["new", "modle", "x", "--root", str(catalog_root)]) == 2
    assert main(["new", "model", "Bad Id", "--root", str(catalog_root)]) == 2


def test_fmt_writes_the_canonical_form_and_keeps_comments(catalog_root):
    path = catalog_root / "models/tiny-chat.yaml"
    text = card("models/tiny-chat.yaml")
    text = text.replace("id: tiny-chat\n", "# the chat model\nid: tiny-chat\n")
    text = text.replace("data: {value: 52K, unit: examples, source: repo}", "data: {value: 52000, unit: samples, source: repo}  # from the README")
    text = text.replace("time: {value: 3, unit: hours, source: repo}", "time: {source: repo, unit: hrs, value: 3}")
    path.write_text(text)
    assert main(["fmt", "--check", str(catalog_root)]) == 1
    assert path.read_text() == text  # --check changes nothing
    assert main(["fmt", str(catalog_root)]) == 0
    out = path.read_text()
    assert out.startswith("# yaml-language-server: $schema=../schema/model.schema.json\n")
    assert "# the chat model" in out
    assert "# from the README" in out
    assert "value: 52K" in out and "unit: examples" in out
    assert "value: 3\n" in out.replace(", ", "\n") or "{value: 3, unit: hours, source: repo}" in out
    assert "hrs" not in out
    assert main(["fmt", "--check", str(catalog_root)]) == 0  # idempotent
    assert main(["check", str(catalog_root)]) == 0


def test_fmt_leaves_invalid_cards_alone(catalog_root):
    path = catalog_root / "models/tiny-chat.yaml"
    broken = card("models/tiny-chat.yaml").replace("count: 8", "count: eight")
    path.write_text(broken)
    assert main(["fmt", str(catalog_root)]) == 1
    assert path.read_text() == broken
    assert not list(catalog_root.rglob(".*.tmp"))


def test_schema_files_are_written_and_checked(catalog_root):
    assert main(["schema", "--check", "--root", str(catalog_root)]) == 1
    assert main(["schema", "--root", str(catalog_root)]) == 0
    assert main(["schema", "--check", "--root", str(catalog_root)]) == 0
    schema = json.loads((catalog_root / "schema/model.schema.json").read_text())
    assert "training" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_export_has_every_field_and_exact_integers(catalog_root, tmp_path):
    out = tmp_path / "export"
    assert main(["export", "--root", str(catalog_root), "--out", str(out)]) == 0
    data = json.loads((out / "catalog.json").read_text())
    [chat] = [m for m in data["model"] if m["id"] == "tiny-chat"]
    assert chat["sizes"][0]["parameters"]["value"] == 7_000_000_000
    assert chat["training"]["data"][0] == {**chat["training"]["data"][0], "value": 52_000, "unit": "examples"}
    assert "as_surveyed" in chat["open"]["code"]  # every field, unset ones included
    rows = list(csv.DictReader((out / "models.csv").open()))
    assert {row["id"] for row in rows} == {"base-lm", "tiny-chat"}
    [row] = [r for r in rows if r["id"] == "tiny-chat"]
    assert row["hardware"] == "8xA100-80GB" and row["base_models"] == "base-lm" and row["parameters"] == "7000000000"


def test_export_refuses_an_invalid_catalog(catalog_root, tmp_path):
    (catalog_root / "models/tiny-chat.yaml").write_text("id: tiny-chat\n")
    assert main(["export", "--root", str(catalog_root), "--out", str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x" / "catalog.json").exists()


def test_second_check_uses_the_cache_and_sees_every_change(catalog_root):
    broken = card("models/tiny-chat.yaml").replace("count: 8", "count: eight")
    (catalog_root / "models/tiny-chat.yaml").write_text(broken)
    first = run("check", str(catalog_root))
    assert first.returncode == 1
    cache = catalog_root.parent / ".cache" / "survey" / "check.json"
    signature, body = cache.read_text().split("\n", 1)
    assert len(signature) == 64 and "tiny-chat.yaml" in json.loads(body).keys().__str__()  # signed JSON, no pickle
    again = run("check", str(catalog_root))
    assert again.stdout == first.stdout  # unchanged files: the same report, from the cache
    (catalog_root / "models/tiny-chat.yaml").write_text(card("models/tiny-chat.yaml"))
    assert run("check", str(catalog_root)).returncode == 0
    # a cross-card problem caused by another file's change is found although tiny-chat itself is cached
    (catalog_root / "models/base-lm.yaml").unlink()
    result = run("check", str(catalog_root))
    assert result.returncode == 1
    assert "lineage[0].model: expected the id of a model card, found 'base-lm'" in result.stdout
