"""Two processes on the CPU (gloo), launched as the plan's commands launch them: `torchrun --nproc_per_node 2 -m
reproduce RECIPE --smoke` and `deepspeed --num_gpus 2 --module reproduce RECIPE --smoke`. At the same global batch
each step's loss is the one-process run's (within 1%); only rank 0 writes metrics, manifest and samples; downloads
and the encoded data set are made once, by rank 0, while the other waits, and then read from the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
ROOT = Path(__file__).resolve().parent.parent
STEPS = "3"


def run(command: list[str], out: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # two processes share this machine's cores
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-4000:])
    return json.loads((out / "manifest.json").read_text("utf-8"))


def step_losses(out: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text("utf-8").splitlines()]
    steps = [row["step"] for row in rows if "loss" in row]
    assert len(steps) == len(set(steps)), steps  # one writer: each step once
    return {row["step"]: row["loss"] for row in rows if "loss" in row}


def smoke(*extra: str, out: Path) -> list[str]:
    return ["-m", "reproduce", *extra, "--smoke", "--steps", STEPS, "--output-dir", str(out)]


def free_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def launcher(name: str) -> list[str]:
    """The launch command's head; the launchers' own console scripts may belong to another environment, so each
    is run as a module of this Python."""
    if name == "deepspeed":
        return [sys.executable, "-m", "deepspeed.launcher.runner", "--num_gpus", "2", "--master_port", free_port()]
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", free_port()]
CASES = [
    ("alpaca-lora-7b", "torchrun", []),  # LoRA, data parallel over gloo
    ("sft-bloom-800m-zh", "deepspeed", ["--set", "hyperparameters.per_device_batch_size=4", "--set",
                                        "hyperparameters.gradient_accumulation_steps=2"]),  # ZeRO-2, global batch 8
    ("alpaca-7b", "torchrun", []),  # ZeRO-3, bf16
]


@pytest.mark.parametrize(("recipe", "kind", "sets"), CASES)
def test_two_processes_take_the_one_process_steps(tmp_path, recipe, kind, sets):
    if kind == "deepspeed":
        pytest.importorskip("deepspeed")
    one, two = tmp_path / "one", tmp_path / "two"
    single = run([sys.executable, *smoke(recipe, *sets, out=one)], one)
    command = [*launcher(kind), *(["--module", "reproduce"] if kind == "deepspeed" else ["-m", "reproduce"]),
               recipe, *sets, "--smoke", "--steps", STEPS, "--output-dir", str(two)]
    double = run(command, two)
    assert (single["world_size"], double["world_size"]) == (1, 2)
    a, b = single["training_arguments"], double["training_arguments"]
    assert a["per_device_train_batch_size"] * a["gradient_accumulation_steps"] == (
        2 * b["per_device_train_batch_size"] * b["gradient_accumulation_steps"])  # the same global batch
    expected, found = step_losses(one), step_losses(two)
    assert sorted(found) == sorted(expected) == [1, 2, 3]
    for step, loss in expected.items():
        assert found[step] == pytest.approx(loss, rel=0.01), step
    assert len((two / "samples.jsonl").read_text("utf-8").splitlines()) == 3
    assert not list(two.glob("*.tmp"))


# Rank 0 first: huggingface_hub's downloads are replaced by ones handing back a tiny model and a data file, each
# call logged with its rank and time, and so are the encoded-set cache's load and save.
RANKED = """
import json, os, sys, time
from pathlib import Path
import huggingface_hub as hub
import reproduce.dataset_cache as cache
import reproduce.layout as layout
from reproduce.cli import main

root = Path(sys.argv[1])
log = root / "events.jsonl"
layout.CACHE = root / "cache"

def event(what, **extra):
    with log.open("a") as f:
        f.write(json.dumps({"rank": int(os.environ["RANK"]), "what": what, "time": time.time(), **extra}) + "\\n")

def snapshot_download(repo_id, **kwargs):
    event("download-start"); time.sleep(1.0); event("download-end")
    return str(root / "model")

def hf_hub_download(repo_id, filename, **kwargs):
    return str(root / "alpaca_data_cleaned.json")

load, save = cache.load, cache.save
def logged_load(path):
    found = load(path)
    event("cache-load", hit=found is not None)
    return found
def logged_save(path, splits):
    event("cache-save")
    save(path, splits)

hub.snapshot_download, hub.hf_hub_download = snapshot_download, hf_hub_download
cache.load, cache.save = logged_load, logged_save
sys.exit(main(sys.argv[2:]))
"""


def test_rank_zero_downloads_and_builds_the_data_set_once_and_alone_writes(tmp_path):
    pytest.importorskip("peft")
    pytest.importorskip("datasets")
    from reproduce.recipes import load_recipe
    from reproduce.templates import render
    from reproduce.tiny import tiny_model, tiny_tokenizer

    records = [{"instruction": f"Add {n} and {n + 1}.", "input": "", "output": f"{n} plus {n + 1} is {2 * n + 1}."}
               for n in range(2064)]
    (tmp_path / "alpaca_data_cleaned.json").write_text(json.dumps(records), "utf-8")
    tokenizer = tiny_tokenizer([render("alpaca-lora", r) for r in records[:200]], "llama")
    tokenizer.save_pretrained(tmp_path / "model")
    tiny_model(load_recipe("alpaca-lora-7b"), len(tokenizer)).save_pretrained(tmp_path / "model")
    script = tmp_path / "ranked.py"
    script.write_text(RANKED, "utf-8")
    out = tmp_path / "out"
    sets = ["hyperparameters.precision=fp32", "hyperparameters.max_length=96", "hyperparameters.per_device_batch_size=4",
            "hyperparameters.gradient_accumulation_steps=2", "hyperparameters.global_batch_size=8"]
    manifest = run([*launcher("torchrun"), str(script), str(tmp_path), "alpaca-lora-7b", "--force", "--steps", "2",
                    "--output-dir", str(out), *[a for s in sets for a in ("--set", s)]], out)
    assert manifest["world_size"] == 2 and manifest["steps"] == 2 and manifest["examples"] == 64
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    by = {(e["rank"], e["what"]): e for e in events}
    assert by[(0, "download-end")]["time"] <= by[(1, "download-start")]["time"]  # rank 1 waited for rank 0
    assert [e["rank"] for e in events if e["what"] == "cache-save"] == [0]  # built once, by rank 0
    assert by[(0, "cache-load")]["hit"] is False and by[(1, "cache-load")]["hit"] is True
    assert manifest["dataset_cache"]["hit"] is False  # rank 0's view; rank 1 wrote no manifest of its own
    step_losses(out)
