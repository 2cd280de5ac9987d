"""`reproduce eval` and `compare` on the CPU: a LoRA smoke run of alpaca-lora-7b (evaluated on its hold-out during
training, as the original every 200 steps) and a saved "original" handed back by a replaced snapshot_download; the
benchmark is the shipped lm-eval task, defined from a shipped file. Bad input gets one line, exit 1, no file."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("lm_eval")
hub = pytest.importorskip("huggingface_hub")

from reproduce import cli  # noqa: E402
from reproduce.recipes import load_recipe  # noqa: E402
from reproduce.samples import generation_prompt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RECIPE = "alpaca-lora-7b"
REVISION = "0123456789abcdef0123456789abcdef01234567"
QUICK = ["--tasks", "reproduce_shipped_mc", "--limit", "6", "--prompts-limit", "2", "--max-new-tokens", "4"]


def reproduce(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reproduce", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=600)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """Two optimizer steps, evaluated on the hold-out at step 2, at a learning rate that moves the adapter."""
    out = tmp_path_factory.mktemp("run") / "alpaca-lora"
    result = reproduce(RECIPE, "--smoke", "--steps", "2", "--output-dir", str(out), "--set",
                       "hyperparameters.eval_steps=2", "--set", "hyperparameters.learning_rate=0.003")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def run_eval(smoke_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "eval.json"
    result = reproduce("eval", str(smoke_run), *QUICK, "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_training_evaluates_on_the_hold_out_into_metrics_and_tensorboard(smoke_run):
    rows = [json.loads(line) for line in (smoke_run / "metrics.jsonl").read_text("utf-8").splitlines()]
    evals = [row for row in rows if "eval_loss" in row]
    assert [row["step"] for row in evals] == [2] and math.isfinite(evals[0]["eval_loss"])
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = [EventAccumulator(str(path.parent)).Reload() for path in (smoke_run / "tensorboard").rglob("events.*")]
    logged = [(e.step, e.value) for acc in events if "eval/loss" in acc.Tags()["scalars"] for e in acc.Scalars("eval/loss")]
    assert logged and logged[-1][0] == 2 and logged[-1][1] == pytest.approx(evals[0]["eval_loss"], rel=1e-5)


def test_eval_on_a_smoke_run_writes_held_out_loss_a_benchmark_and_generations(smoke_run, run_eval):
    data = json.loads(run_eval.read_text("utf-8"))
    manifest = json.loads((smoke_run / "manifest.json").read_text("utf-8"))
    assert data["format"] == 1 and data["recipe"] == RECIPE
    assert data["subject"] == {"kind": "run", "path": str(smoke_run), "hub": None, "revision": None,
                               "manifest_sha256": hashlib.sha256((smoke_run / "manifest.json").read_bytes()).hexdigest()}
    held = data["heldout"]
    # the same hold-out, template and masking as the Trainer's evaluation at the last step (batching differs)
    assert held["split"] == "recipe" and held["examples"] == manifest["eval_examples"] == 32
    assert held["loss"] == pytest.approx(manifest["eval_loss"], rel=2e-3)
    assert held["perplexity"] == pytest.approx(math.exp(held["loss"])) and held["tokens"] > held["examples"]
    scores = {row["metric"]: row for row in data["benchmarks"]}
    assert set(scores) == {"acc", "acc_norm"} and scores["acc"]["task"] == "reproduce_shipped_mc"
    assert 0 <= scores["acc"]["value"] <= 100 and scores["acc"]["limit"] == 6 and scores["acc"]["shots"] == 0
    assert data["prompts"] == {"name": "shipped", "url": None, "revision": None, "count": 2}
    first = json.loads((ROOT / "reproduce/shipped/eval_prompts.jsonl").read_text("utf-8").splitlines()[0])
    assert data["generations"][0]["prompt"] == generation_prompt(load_recipe(RECIPE), first["instruction"])
    assert data["generations"][0]["prompt"].endswith("### Response:\n") and len(data["generations"]) == 2
    assert data["versions"]["lm_eval"] and data["settings"]["tasks"] == ["reproduce_shipped_mc:0"]
    assert not list(run_eval.parent.glob("*.tmp"))


@pytest.fixture
def original(tmp_path, monkeypatch):
    """A released "original" of sft-bloom-800m-zh (BLOOM, Firefly template, no hold-out): a tiny BLOOM saved in
    process, returned by the replaced snapshot_download when asked for its repo at its revision."""
    import reproduce.layout
    from reproduce.templates import render
    from reproduce.tiny import tiny_model, tiny_tokenizer

    recipe = load_recipe("sft-bloom-800m-zh")
    folder = tmp_path / "original"
    texts = [render("firefly", {"messages": [{"role": "user", "content": f"question {n}"},
                                             {"role": "assistant", "content": f"answer {n}"}]}) for n in range(50)]
    tokenizer = tiny_tokenizer(texts, "bloom")
    tokenizer.save_pretrained(folder)
    tiny_model(recipe, len(tokenizer)).save_pretrained(folder)
    small = tmp_path / "small-vocab"  # a LLaMA whose embeddings are fewer than its tokenizer's tokens
    tokenizer.save_pretrained(small)
    tiny_model(load_recipe("alpaca-7b"), 50).save_pretrained(small)
    repos = {"acme/bloom-original": folder, "acme/small-vocab": small}

    def snapshot_download(repo_id, revision=None, **kwargs):
        assert revision == REVISION
        return str(repos[repo_id])

    monkeypatch.setattr(hub, "snapshot_download", snapshot_download)
    monkeypatch.setattr(reproduce.layout, "CACHE", tmp_path / "cache")
    return folder


def test_eval_on_a_saved_original_uses_the_named_recipe(original, tmp_path):
    out = tmp_path / "original.json"
    assert cli.main(["eval", f"acme/bloom-original@{REVISION}", "--recipe", "sft-bloom-800m-zh", *QUICK,
                     "--out", str(out)]) == 0
    data = json.loads(out.read_text("utf-8"))
    assert data["subject"] == {"kind": "hub", "path": None, "hub": "acme/bloom-original", "revision": REVISION,
                               "manifest_sha256": None}
    assert data["heldout"]["split"] == "shipped" and data["heldout"]["examples"] == 32
    assert math.isfinite(data["heldout"]["loss"]) and data["benchmarks"][0]["task"] == "reproduce_shipped_mc"
    assert data["generations"][0]["prompt"].startswith("<s>Give three tips")  # Firefly's template
    assert data["generations"][0]["prompt"].endswith("</s>")


@pytest.mark.parametrize(("case", "message"), [
    ("empty", "this is not a run directory"),
    ("unfinished", "training in this folder did not finish"),
    ("no-final", "no trained weights"),
    ("unknown-task", "lm-eval has no task 'no_such_task'"),
])
def test_bad_runs_and_tasks_get_one_line_and_nothing_written(case, message, smoke_run, tmp_path, capsys):
    folder = tmp_path / "run"
    extra = QUICK
    if case == "empty":
        folder.mkdir()
    elif case == "unfinished":
        folder.mkdir()
        shutil.copy(smoke_run / "metrics.jsonl", folder)
        shutil.copytree(smoke_run / "checkpoint-2", folder / "checkpoint-2")
    else:
        shutil.copytree(smoke_run, folder, ignore=shutil.ignore_patterns("final", "eval.json"))
        if case == "unknown-task":
            shutil.copytree(smoke_run / "final", folder / "final")
            extra = ["--tasks", "no_such_task"]
    out = tmp_path / "eval.json"
    assert cli.main(["eval", str(folder), *extra, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(("repo", "recipe", "message"), [
    ("acme/bloom-original", "alpaca-7b", "recipe alpaca-7b is for a llama model, found a bloom model"),
    ("acme/small-vocab", "alpaca-7b", "but the model's embeddings only 50 rows"),
])
def test_a_model_the_recipe_does_not_fit_is_refused(original, tmp_path, capsys, repo, recipe, message):
    out = tmp_path / "eval.json"
    assert cli.main(["eval", f"{repo}@{REVISION}", "--recipe", recipe, *QUICK, "--out", str(out)]) == 1
    errors = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0] and not out.exists()


def test_compare_shows_both_the_differences_the_published_score_and_the_answers(run_eval, tmp_path, monkeypatch,
                                                                                capsys):
    import reproduce.compare

    other = json.loads(run_eval.read_text("utf-8"))
    other["heldout"]["loss"] += 0.5
    other["generations"][0]["output"] = "<script>alert(1)</script> & more"
    b = tmp_path / "b.json"
    b.write_text(json.dumps(other), "utf-8")
    card = (ROOT / "catalog/models/alpaca-lora.yaml").read_text("utf-8")
    anchor = "    hub: tloen/alpaca-lora-7b\n"
    assert anchor in card
    catalog = tmp_path / "catalog"
    (catalog / "models").mkdir(parents=True)
    (catalog / "models/alpaca-lora.yaml").write_text(card.replace(anchor, anchor + (
        "    scores:\n      - {task: reproduce_shipped_mc, metric: acc, value: 61.5, shots: 0, source: repo}\n")), "utf-8")
    monkeypatch.setattr(reproduce.compare, "CATALOG", catalog)

    report = tmp_path / "report.html"
    assert cli.main(["compare", str(run_eval), str(b), "--out", str(report)]) == 0
    shown = capsys.readouterr().out
    a = json.loads(run_eval.read_text("utf-8"))
    assert f"{a['heldout']['loss']:.3f}" in shown and f"{other['heldout']['loss']:.3f}" in shown and "+0.500" in shown
    assert "61.500" in shown  # the published figure beside the measured accuracy
    assert a["generations"][0]["output"].strip()[:3] in shown and "<script>alert(1)</script>" in shown
    page = report.read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page and "<script>" not in page
    markdown = tmp_path / "report.md"
    assert cli.main(["compare", str(run_eval), str(b), "--out", str(markdown)]) == 0
    assert "| held-out loss |" in markdown.read_text("utf-8") and "+0.500" in markdown.read_text("utf-8")
    assert cli.main(["compare", str(run_eval), str(b), "--out", str(tmp_path / "report.txt")]) == 2


def test_chat_answers_scripted_input_in_the_template_and_agrees_with_eval(smoke_run, run_eval):
    first = json.loads((ROOT / "reproduce/shipped/eval_prompts.jsonl").read_text("utf-8").splitlines()[0])
    result = reproduce("chat", str(smoke_run), "--show-prompt", "--max-new-tokens", "4",
                       stdin=f"{first['instruction']}\n\n{first['instruction']}\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    expected = "prompt: " + json.dumps(generation_prompt(load_recipe(RECIPE), first["instruction"]), ensure_ascii=False)
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("prompt: ")] == [expected, expected]  # Alpaca: no history
    answer = result.stdout.split(expected + "\n")[1].strip()
    generated = json.loads(run_eval.read_text("utf-8"))["generations"][0]
    assert answer and answer == generated["output"].strip()  # same model, same greedy decoding, streamed


def test_chat_carries_the_conversation_in_templates_with_turns():
    from reproduce.chat import prompt
    from reproduce.templates import VICUNA_SYSTEM

    text = prompt(load_recipe("vicuna-7b"), [("Hi", "Hello!")], "Name a colour.")
    assert text == f"{VICUNA_SYSTEM} USER: Hi ASSISTANT: Hello!</s>USER: Name a colour. ASSISTANT:"
    alpaca = prompt(load_recipe("alpaca-7b"), [("Hi", "Hello!")], "Name a colour.")
    assert "Hi" not in alpaca and alpaca.endswith("### Instruction:\nName a colour.\n\n### Response:")


def test_chat_leaves_cleanly_on_ctrl_d_and_ctrl_c(smoke_run):
    import signal

    done = reproduce("chat", str(smoke_run), stdin="")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    process = subprocess.Popen([sys.executable, "-m", "reproduce", "chat", str(smoke_run)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = ""
    while "Ctrl-D" not in banner:  # the model is loaded and input is awaited
        banner = process.stderr.readline()
        assert banner or process.poll() is None
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err


def test_export_merges_the_adapter_into_a_folder_whose_logits_are_base_plus_adapter(smoke_run, run_eval, tmp_path,
                                                                                   monkeypatch, capsys):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from reproduce import eval_subject

    run = tmp_path / "run"
    shutil.copytree(smoke_run, run, ignore=shutil.ignore_patterns("checkpoint-*"))
    shutil.copy(run_eval, run / "eval.json")
    calls = []
    monkeypatch.setattr(hub.HfApi, "create_repo", lambda self, repo, **kw: calls.append(("create", repo)))
    monkeypatch.setattr(hub.HfApi, "upload_folder", lambda self, **kw: calls.append(("upload", kw["repo_id"],
                                                                                      kw["folder_path"])))
    out = tmp_path / "export"
    assert cli.main(["export", str(run), "--out", str(out), "--push", "acme/alpaca-lora-rerun"]) == 0
    assert calls == [("create", "acme/alpaca-lora-rerun"), ("upload", "acme/alpaca-lora-rerun", str(out))]
    assert (out / "model.safetensors").is_file() and not (out / "adapter_config.json").exists()
    assert not list(tmp_path.glob(".export.partial-*"))

    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    unmerged, _ = eval_subject.load(eval_subject.resolve(str(run), None))  # peft's PeftModel, adapter not merged
    ids = tokenizer("Give three tips for staying healthy.", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        expected = unmerged(input_ids=ids).logits
        with unmerged.disable_adapter():
            base = unmerged(input_ids=ids).logits
        found = merged(input_ids=ids).logits
    assert torch.allclose(found, expected, atol=1e-5)
    assert (found - base).abs().max() > 1e-4  # the adapter changed the model, and the merge kept that

    card = (out / "README.md").read_text("utf-8")
    digest = hashlib.sha256((run / "manifest.json").read_bytes()).hexdigest()
    held = json.loads(run_eval.read_text("utf-8"))["heldout"]
    assert RECIPE in card and digest in card and f"held-out loss {held['loss']:.4f}" in card
    assert "LoRA r=" in card and "yahma/alpaca-cleaned" in card

    capsys.readouterr()
    assert cli.main(["export", str(run), "--out", str(out)]) == 1  # not empty: refused, left as it was
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert (out / "model.safetensors").is_file()
