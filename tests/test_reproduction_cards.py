"""Reproduction cards: `python -m reproduce report` turns a real smoke run (and an eval.json in `reproduce eval`'s
format) into a card that `survey check` and `survey fmt --check` accept; unfinished runs and another run's eval.json
are refused with nothing written; the rules follow the recipe to its model; the site shows the card's figures, its
loss curve, and the original's claim beside it on the recipe and model pages.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from survey.loader import load_catalog
from survey.schema.reproduction import Reproduction

pytest.importorskip("torch")
pytest.importorskip("peft")
ROOT = Path(__file__).resolve().parent.parent
RECIPE, MODEL = "alpaca-lora-7b", "alpaca-lora"
CARD_ID = "alpaca-lora-7b-test-run"
# A published score on the model's 7B size, so the recipe page has a claimed score to put the measured one beside.
PUBLISHED = "    scores:\n      - {task: arc_challenge, metric: acc_norm, value: 52.6, shots: 25, source: repo}\n"


def python(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A finished smoke run of three steps, evaluated on its hold-out at step 2."""
    out = tmp_path_factory.mktemp("run") / "run"
    result = python("-m", "reproduce", RECIPE, "--smoke", "--steps", "3", "--output-dir", str(out),
                    "--set", "hyperparameters.eval_steps=2")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def copy_run(run_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    return target


def digest(run: Path) -> str:
    return hashlib.sha256((run / "manifest.json").read_bytes()).hexdigest()


def metric_rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text("utf-8").splitlines()]


def write_eval(path: Path, run: Path, **changes) -> Path:
    """An eval.json as `reproduce eval` writes it (format 1), by hand."""
    data = {
        "format": 1,
        "subject": {"kind": "run", "path": str(run), "hub": None, "revision": None, "manifest_sha256": digest(run)},
        "recipe": RECIPE,
        "created": "2026-12-02T18:00:00+00:00",
        "settings": {"tasks": ["arc_challenge", "hellaswag"], "limit": 8},
        "versions": {"lm_eval": "0.4.9"},
        "heldout": {"loss": 5.91234, "perplexity": 369.1234, "examples": 32, "tokens": 4000, "split": "heldout"},
        "benchmarks": [
            {"task": "arc_challenge", "metric": "acc_norm", "value": 25.0, "stderr": 15.3, "shots": 25, "limit": 8},
            {"task": "hellaswag", "metric": "acc_norm", "value": 37.5, "stderr": 17.1, "shots": 10, "limit": 8},
        ],
        "prompts": {"name": "shipped"},
        "generations": [{"id": "1", "prompt": "p", "output": "o"}],
    }
    data.update(changes)
    path.write_text(json.dumps(data), "utf-8")
    return path


def catalog_copy(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", root, ignore=shutil.ignore_patterns(".cache"))
    return root


def report(run: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return python("-m", "reproduce", "report", str(run), "--out", str(out), "--by", "A Tester", *extra)


@pytest.fixture(scope="module")
def catalog_with_card(run_dir, tmp_path_factory) -> Path:
    """A copy of the catalog holding the run's card, written by `report`, and a published score on the model."""
    tmp = tmp_path_factory.mktemp("catalog")
    root = catalog_copy(tmp)
    model = root / "models" / f"{MODEL}.yaml"
    text = model.read_text("utf-8")
    anchor = "    hub: tloen/alpaca-lora-7b\n"
    assert anchor in text
    model.write_text(text.replace(anchor, anchor + PUBLISHED, 1), "utf-8")
    evaluation = write_eval(tmp / "eval.json", run_dir)
    result = report(run_dir, root / "reproductions" / f"{CARD_ID}.yaml", "--eval", str(evaluation),
                    "--logs", "https://example.org/logs/run")
    assert result.returncode == 0, result.stderr
    return root


def load_card(root: Path) -> Reproduction:
    catalog, problems = load_catalog(root)
    assert [p for p in problems if p.severity == "error"] == []
    return catalog.get("reproduction", CARD_ID)


# --- report ----------------------------------------------------------------------------------------------------


def test_report_card_passes_check_and_fmt(catalog_with_card):
    check = python("-m", "survey", "check", str(catalog_with_card))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 errors, 0 warnings" in check.stdout
    fmt = python("-m", "survey", "fmt", "--check", str(catalog_with_card))
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_report_card_holds_the_runs_figures(catalog_with_card, run_dir):
    card = load_card(catalog_with_card)
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    rows = metric_rows(run_dir)
    losses = [(r["step"], r["loss"]) for r in rows if "loss" in r]
    evals = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
    assert card.recipe == RECIPE and card.smoke and card.ran_by == "A Tester"
    assert card.manifest_sha256 == digest(run_dir)
    m = card.measured
    assert m.steps == manifest["steps"] == 3 and m.total_steps == manifest["total_steps"]
    assert m.train_loss == pytest.approx(losses[-1][1], rel=1e-3)
    assert m.heldout_loss == pytest.approx(5.912) and m.heldout_perplexity == pytest.approx(369.1)  # eval.json's
    assert m.hardware.type == "CPU" and m.gpu_hours is None
    assert m.wall_time.unit == "minutes" and m.wall_time.value == pytest.approx(manifest["seconds"] / 60, rel=1e-2)
    assert [(p.step, p.loss) for p in card.curve.train] == [(s, pytest.approx(v, rel=1e-3)) for s, v in losses]
    assert [p.step for p in card.curve.heldout] == [s for s, _ in evals] and evals
    assert [(s.task, s.value, s.shots, s.limit) for s in card.scores] == [("arc_challenge", 25.0, 25, 8), ("hellaswag", 37.5, 10, 8)]
    assert any("hyperparameters.eval_steps=2" in d for d in card.deviations)
    assert any("randomly initialised" in d for d in card.deviations)
    assert card.links.logs == "https://example.org/logs/run" and card.sources["run"].url == card.links.logs


def test_report_reads_eval_json_from_the_run_dir_and_defaults_its_id(run_dir, tmp_path):
    run = copy_run(run_dir, tmp_path)
    write_eval(run / "eval.json", run)
    out_dir = tmp_path / "catalog" / "reproductions"
    result = python("-m", "reproduce", "report", str(run), "--by", "A Tester", "--id", "found-beside", "--out",
                    str(out_dir / "found-beside.yaml"))
    assert result.returncode == 0, result.stderr
    assert "heldout_perplexity: 369.1" in (out_dir / "found-beside.yaml").read_text("utf-8")


def test_downsample_keeps_the_ends_and_at_most_the_limit():
    from reproduce.report import downsample

    points = [{"step": step, "loss": 1 / step} for step in range(1, 1001)]
    kept = downsample(points, 200)
    assert len(kept) == 200 and kept[0] == points[0] and kept[-1] == points[-1]
    assert [p["step"] for p in kept] == sorted({p["step"] for p in kept})
    assert downsample(points[:5], 200) == points[:5]


def _no_manifest(run: Path) -> str:
    (run / "manifest.json").unlink()
    return "expected the manifest a run writes when it has finished, found none"


def _half_written_manifest(run: Path) -> str:
    (run / "manifest.json.tmp").write_text("{", "utf-8")
    return "found one half-written"


def _no_final_weights(run: Path) -> str:
    shutil.rmtree(run / "final")
    return "expected the final weights a finished run saves"


def _resumed_and_running(run: Path) -> str:
    with (run / "metrics.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"step": 9, "loss": 5.0, "time": 0}) + "\n")
    return "the run was resumed and has not finished yet"


def _diverged(run: Path) -> str:
    with (run / "metrics.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"step": 3, "loss": NaN}\n')
    return "loss: expected a finite number, found nan"


def _damaged_manifest(run: Path) -> str:
    (run / "manifest.json").write_text('{"recipe": "alpaca-lora-7b", "steps": "three"}', "utf-8")
    return "steps: expected the optimizer steps taken, found 'three'"


def _other_runs_eval(run: Path) -> str:
    write_eval(run / "eval.json", run, subject={"kind": "run", "manifest_sha256": "0" * 64})
    return "subject.manifest_sha256: expected this run's"


def _released_models_eval(run: Path) -> str:
    write_eval(run / "eval.json", run, subject={"kind": "hub", "hub": "tloen/alpaca-lora-7b", "revision": "x"})
    return "subject.kind: expected 'run'"


def _score_out_of_range(run: Path) -> str:
    write_eval(run / "eval.json", run, benchmarks=[{"task": "arc_challenge", "metric": "acc", "value": 150}])
    return "scores[0].value: expected a number of at most 100"


@pytest.mark.parametrize("breaks", [_no_manifest, _half_written_manifest, _no_final_weights, _resumed_and_running,
                                    _diverged, _damaged_manifest, _other_runs_eval, _released_models_eval,
                                    _score_out_of_range])
def test_report_refuses_what_is_not_a_finished_run_of_its_own(run_dir, tmp_path, breaks):
    run = copy_run(run_dir, tmp_path)
    expected = breaks(run)
    out = tmp_path / "catalog" / "reproductions" / "refused.yaml"
    result = report(run, out)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not (out.parent.exists() and list(out.parent.iterdir()))


def test_report_refuses_to_replace_a_card(run_dir, tmp_path):
    out = tmp_path / "catalog" / "reproductions" / "kept.yaml"
    out.parent.mkdir(parents=True)
    out.write_text("someone's card\n", "utf-8")
    result = report(run_dir, out)
    assert result.returncode == 1 and "already exists; not replacing it" in result.stderr
    assert out.read_text("utf-8") == "someone's card\n"
    assert list(out.parent.iterdir()) == [out]


def test_report_refuses_an_out_not_named_by_the_id(run_dir, tmp_path):
    result = python("-m", "reproduce", "report", str(run_dir), "--by", "A", "--id", "good-id", "--out", str(tmp_path / "other.yaml"))
    assert result.returncode == 2 and "--out: expected a file named good-id.yaml" in result.stderr
    assert not (tmp_path / "other.yaml").exists()


# --- survey check ------------------------------------------------------------------------------------------------


def _check(root: Path) -> list[str]:
    result = python("-m", "survey", "check", str(root))
    return [line for line in result.stdout.splitlines() if ": " in line and not line.startswith("checked")]


def _card_line(root: Path, text: str) -> int:
    lines = (root / "reproductions" / f"{CARD_ID}.yaml").read_text("utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(text))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_check_follows_the_recipe_to_its_model(catalog_with_card, tmp_path):
    root = tmp_path / "catalog"
    shutil.copytree(catalog_with_card, root, ignore=shutil.ignore_patterns(".cache"))
    card = root / "reproductions" / f"{CARD_ID}.yaml"
    where = f"{card}:{_card_line(root, 'recipe:')}:9: recipe: "

    _edit(card, f"recipe: {RECIPE}\n", "recipe: alpaca-lora-7x\n")
    assert any(line.startswith(where + "expected the id of a recipe card, found 'alpaca-lora-7x'") for line in _check(root))
    _edit(card, "recipe: alpaca-lora-7x\n", f"recipe: {RECIPE}\n")

    _edit(root / "recipes" / f"{RECIPE}.yaml", f"model: {MODEL}\n", "")
    assert f"{where}expected a recipe that names the model it reproduces (`model:`), found recipe '{RECIPE}' with none" in _check(root)

    _edit(root / "recipes" / f"{RECIPE}.yaml", "id: alpaca-lora-7b\n", "id: alpaca-lora-7b\nmodel: alpaca-lora-gone\n")
    assert (f"{where}expected the model of recipe '{RECIPE}' ('alpaca-lora-gone') to be a model card, found no such card"
            in _check(root))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  train_loss: ", "  train_loss: 5000 #", "measured.train_loss: expected a number of at most 1000"),
    ("manifest_sha256: ", "manifest_sha256: not-a-digest #", "manifest_sha256: expected text matching"),
    ("  steps: 3\n", "  steps: 2\n", "curve.train[2].step: expected curve steps at most the run's 2 steps, found 3"),
    ("    - {step: 2, loss:", "    - {step: 1, loss:", "curve.train[1].step: expected training-loss points in rising step order"),
    ("  - {task: arc_challenge, metric: acc_norm, value: 25,", "  - {task: arc_challenge, metric: acc_norm, value: 250,",
     "scores[0].value: expected a number of at most 100"),
])
def test_check_bounds_every_figure(catalog_with_card, tmp_path, old, new, expected):
    root = tmp_path / "catalog"
    shutil.copytree(catalog_with_card, root, ignore=shutil.ignore_patterns(".cache"))
    card = root / "reproductions" / f"{CARD_ID}.yaml"
    _edit(card, old, new)
    found = _check(root)
    assert any(f"{card}:" in line and expected in line for line in found), found


# --- the site ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(catalog_with_card) -> dict[str, dict[str, str]]:
    from survey.site import render

    catalog, _ = load_catalog(catalog_with_card)
    return {lang: render.pages(catalog, lang) for lang in ("zh", "en")}


def _row(md: str, label: str) -> str:
    """The row of the side-by-side table (the section anchored at #reproductions) that starts with `label`."""
    section = md.split("{ #reproductions }", 1)[1]
    return next(line for line in section.splitlines() if line.startswith(f"| {label}"))


def test_reproduction_page_shows_its_figures_and_curve(pages, catalog_with_card):
    card = load_card(catalog_with_card)
    for lang in ("zh", "en"):
        md = pages[lang][f"reproductions/{CARD_ID}.md"]
        assert f"{card.measured.train_loss:g}" in md and f"{card.measured.heldout_loss:g}" in md
        assert card.manifest_sha256 in md
        assert md.count("<svg") == 2 and "sv-wide" in md and "sv-narrow" in md  # a wide and a phone frame
        assert md.count('class="sv-line-dot"') == 2 * len(card.curve.heldout)
        assert md.count("<polyline") == 4  # training and held-out, in each frame
        assert "!!! warning" in md  # a smoke run says it is one
    assert f"]({CARD_ID}.md)" in pages["en"]["reproductions/index.md"]


def test_recipe_and_model_pages_put_the_claim_beside_the_rerun(pages, catalog_with_card):
    card = load_card(catalog_with_card)
    for page in (f"recipes/{RECIPE}.md", f"models/{MODEL}.md"):
        md = pages["en"][page]
        assert f"reproductions/{CARD_ID}.md" in md and 'id="loss-' + CARD_ID + '"' in md
        score = _row(md, "<code>arc_challenge</code> acc&#95;norm")
        assert "52.6" in score and "25 ± 15.3" in score  # published and measured, on one row
        assert f"{card.measured.train_loss:g}" in _row(md, "Final training loss")
        assert "1 × RTX4090" in _row(md, "Hardware") and "| CPU |" in _row(md, "Hardware")
    zh = pages["zh"][f"recipes/{RECIPE}.md"]
    assert "原始结果与复现对比" in zh and "52.6" in _row(zh, "<code>arc_challenge</code>")


def test_model_page_lists_published_scores(pages):
    md = pages["en"][f"models/{MODEL}.md"]
    assert "## Published scores" in md
    assert "| <code>arc_challenge</code> | acc&#95;norm | 25 | 52.6 |" in md


def test_a_gpu_run_gets_its_accelerators_and_gpu_hours(run_dir, tmp_path):
    """A run on eight GPUs for two hours (the manifest as an eight-GPU run would write it)."""
    run = copy_run(run_dir, tmp_path)
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    manifest.update(world_size=8, seconds=7200.0, hardware={**manifest["hardware"], "gpus": ["NVIDIA H100 80GB HBM3"] * 8})
    (run / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    out = tmp_path / "catalog" / "reproductions" / "on-gpus.yaml"
    result = report(run, out)
    assert result.returncode == 0, result.stderr
    text = out.read_text("utf-8")
    assert "hardware: 8 x H100-80GB-HBM3\n" in text and "wall_time: 2 hours\n" in text and "gpu_hours: 16 gpu-hours\n" in text
    assert f"manifest_sha256: {digest(run)}\n" in text


@pytest.mark.parametrize(("written", "value", "unit"), [("0.5 minutes", 0.5, "minutes"), ("3 months", 3, "months"),
                                                        ("1.5 M minutes", 1_500_000, "minutes"), ("~3 hours", 3, "hours")])
def test_a_short_wall_time_reads_as_written(written, value, unit):
    """The shorthand `report` writes for a run under an hour: the m of "minutes" is the unit, not a million."""
    from survey.schema.common import Duration

    duration = Duration.model_validate(written)
    assert (duration.value, duration.unit) == (value, unit)
