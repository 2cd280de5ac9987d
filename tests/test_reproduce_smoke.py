"""Smoke runs on the CPU produce what a run directory promises (metrics, TensorBoard, samples, final weights and
tokenizer, manifest), learn (with a learning rate raised by --set, as a user would), evaluate on the held-out split
and keep the best checkpoint where the recipe does.

Each runs in its own process (DeepSpeed keeps a process group). The first DeepSpeed run JIT-builds a
communication op (about 2 minutes, cached in ~/.cache/torch_extensions).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
ROOT = Path(__file__).resolve().parent.parent
FAST = "hyperparameters.learning_rate=0.003"  # a tiny random model learns little at a 7B model's rate


def smoke(recipe: str, out: Path, *extra: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "reproduce", recipe, "--smoke", "--output-dir", str(out), *extra],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text("utf-8"))


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text("utf-8").splitlines()]


def losses(out: Path) -> list[float]:
    return [row["loss"] for row in rows(out) if "loss" in row]


def check_outputs(recipe: str, out: Path) -> None:
    """samples.jsonl has one greedy completion per fixed prompt, in the recipe's template; throughput is logged;
    the final folder holds weights and the tokenizer; TensorBoard events are written when tensorboard is installed."""
    from transformers import AutoTokenizer

    from reproduce.recipes import load_recipe
    from reproduce.samples import SAMPLE_PROMPTS, generation_prompt

    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text("utf-8").splitlines()]
    assert [row["question"] for row in samples] == list(SAMPLE_PROMPTS)
    for row in samples:
        expected = generation_prompt(load_recipe(recipe), row["question"])
        assert row["question"] in expected and row["prompt"] == expected and row["text"].startswith(expected)
    logged = [row for row in rows(out) if "loss" in row]
    assert logged and all(row["tokens"] > 0 and row["tokens_per_second"] > 0 for row in logged)
    assert AutoTokenizer.from_pretrained(out / "final").pad_token is not None
    assert not list(out.rglob("*.tmp"))
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return
    assert list((out / "tensorboard").rglob("events.out.tfevents.*"))


@pytest.mark.parametrize(("recipe", "stage"), [("sft-bloom-800m-zh", 2), ("alpaca-7b", 3)])
def test_deepspeed_smoke_learns_and_writes_a_run_directory(tmp_path, recipe, stage):
    pytest.importorskip("deepspeed")
    manifest = smoke(recipe, tmp_path, "--steps", "24", "--set", FAST)
    assert manifest["zero_stage"] == stage and manifest["deepspeed"]["zero_optimization"]["stage"] == stage
    values = losses(tmp_path)
    assert len(values) == 24
    assert (tmp_path / "checkpoint-24" / "COMPLETE").is_file()  # DeepSpeed's latest + global_step24/ were there
    check_outputs(recipe, tmp_path)
    assert sum(values[-4:]) / 4 < sum(values[:4]) / 4 - 0.3
    assert manifest["overrides"] == [FAST] and manifest["recipe_card"]["id"] == recipe


def test_lora_smoke_evaluates_on_the_hold_out_and_keeps_the_best_checkpoint(tmp_path):
    pytest.importorskip("peft")
    manifest = smoke("alpaca-lora-7b", tmp_path, "--steps", "6", "--set", FAST, "--set", "hyperparameters.eval_steps=2",
                     "--set", "hyperparameters.seed=7")
    assert manifest["lora"] and manifest["steps"] == 6 and manifest["seed"] == 7
    assert manifest["eval_examples"] == 32  # the 2,000 of the recipe, cut to a fifth of the 160 shipped
    assert len(manifest["data_sha256"]) == 64 and manifest["hardware"]["cpus"] >= 1
    assert "git_commit" in manifest and manifest["versions"]["transformers"]
    assert any("8-bit base weights" in d for d in manifest["deviations_in_this_run"])
    evals = [row for row in rows(tmp_path) if "eval_loss" in row]
    assert [row["step"] for row in evals] == [2, 4, 6] and manifest["eval_loss"] == evals[-1]["eval_loss"]
    state = json.loads((tmp_path / "checkpoint-6" / "trainer_state.json").read_text("utf-8"))
    best = min(evals, key=lambda row: row["eval_loss"])
    assert state["best_model_checkpoint"].endswith(f"checkpoint-{best['step']}")  # load_best_model_at_end
    check_outputs("alpaca-lora-7b", tmp_path)


def test_real_run_without_gpu_is_refused_before_downloading(tmp_path):
    result = subprocess.run([sys.executable, "-m", "reproduce", "vicuna-7b", "--output-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    try:
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
    except ImportError:
        pass
    assert result.returncode == 1
    assert "no GPU detected" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "manifest.json").exists()


def test_a_save_steps_off_the_evaluations_is_refused_before_training(tmp_path):
    result = subprocess.run([sys.executable, "-m", "reproduce", "alpaca-lora-7b", "--smoke", "--save-steps", "3",
                             "--output-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "save steps 3 is not a multiple of eval_steps 200" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "manifest.json").exists() and not (tmp_path / "metrics.jsonl").exists()
