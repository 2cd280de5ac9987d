"""Smoke runs on CPU: a ZeRO-2, a ZeRO-3 and a LoRA recipe train a tiny random model and lower the loss.

Each runs in its own process (DeepSpeed keeps a process group). The first DeepSpeed run JIT-builds
a communication op (about 2 minutes, cached in ~/.cache/torch_extensions).
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


def smoke(recipe: str, out: Path, *extra: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "reproduce", recipe, "--smoke", "--output-dir", str(out), *extra],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text("utf-8"))


def check_outputs(recipe: str, out: Path) -> None:
    """samples.jsonl has one greedy completion per fixed prompt, in the recipe's template; throughput is logged;
    TensorBoard events are written when tensorboard is installed."""
    from reproduce.recipes import load_recipe
    from reproduce.run import SAMPLE_PROMPTS, generation_prompt

    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text("utf-8").splitlines()]
    assert [row["question"] for row in rows] == list(SAMPLE_PROMPTS)
    for row in rows:
        expected = generation_prompt(load_recipe(recipe), row["question"])
        assert row["question"] in expected and row["prompt"] == expected and row["text"].startswith(expected)
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text("utf-8").splitlines()]
    logged = [row for row in logged if "loss" in row]
    assert logged and all(row["tokens"] > 0 and row["tokens_per_second"] > 0 for row in logged)
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return
    assert list((out / "tensorboard").rglob("events.out.tfevents.*"))


def losses(out: Path) -> list[float]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text("utf-8").splitlines()]
    return [row["loss"] for row in rows if "loss" in row]


@pytest.mark.parametrize(("recipe", "stage"), [("sft-bloom-800m-zh", 2), ("alpaca-7b", 3)])
def test_deepspeed_smoke_lowers_the_loss(tmp_path, recipe, stage):
    pytest.importorskip("deepspeed")
    manifest = smoke(recipe, tmp_path)
    assert manifest["zero_stage"] == stage and manifest["deepspeed"]["zero_optimization"]["stage"] == stage
    values = losses(tmp_path)
    assert len(values) == 30
    assert (tmp_path / "checkpoint-30" / "COMPLETE").is_file()  # DeepSpeed's latest + global_step30/ were there
    check_outputs(recipe, tmp_path)
    assert sum(values[-5:]) / 5 < sum(values[:5]) / 5 - 0.5


def test_lora_smoke_lowers_the_loss_and_resumes(tmp_path):
    pytest.importorskip("peft")
    manifest = smoke("alpaca-lora-7b", tmp_path, "--steps", "20", "--set", "hyperparameters.seed=7")
    assert manifest["lora"] and manifest["steps"] == 20
    assert manifest["overrides"] == ["hyperparameters.seed=7"] and manifest["seed"] == 7
    assert len(manifest["data_sha256"]) == 64 and manifest["hardware"]["cpus"] >= 1
    assert "git_commit" in manifest and "versions" in manifest
    values = losses(tmp_path)
    assert sum(values[-5:]) / 5 < sum(values[:5]) / 5
    check_outputs("alpaca-lora-7b", tmp_path)
    resumed = smoke("alpaca-lora-7b", tmp_path, "--steps", "24", "--resume", "--set", "hyperparameters.seed=7")
    assert resumed["steps"] == 24
    assert len(losses(tmp_path)) == 24  # 20 logged before, 4 after resuming


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
    assert "no GPU detected" in result.stderr
