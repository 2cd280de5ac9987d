"""Benchmark 5: training at real size on one GPU. The LLaMA-7B shape, randomly initialised in bf16, trains a few
steps under alpaca-7b's recorded DeepSpeed ZeRO-3 with CPU offload and under alpaca-lora-7b's LoRA; the script
reports tokens/s, MFU and peak GPU memory next to the estimate `python -m reproduce RECIPE --plan` prints.

Run, on a machine with one CUDA GPU and the `train` extra (deepspeed, peft) installed:
    python bench/train_gpu.py [--steps 8] [--modes zero3-offload,lora]
    python bench/train_gpu.py --tiny --steps 3    # the same code path on the CPU with a tiny model: a check, no figures
Each mode runs in a process of its own, so DeepSpeed's and the CUDA allocator's state do not carry over.
Sequences are `max_length` random token ids (no padding), the recipe's micro batch and gradient checkpointing,
one micro batch per step; the first two steps are warm-up and are not timed. MFU counts 6·N FLOPs per token for
full training and 4·N for LoRA (frozen weights get no weight gradient) against the GPU's dense bf16 peak.
The last line is the headline: measured peak memory / planned, per mode.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reproduce.deepspeed_config import run_config  # noqa: E402
from reproduce.plan import GIB, memory, workload  # noqa: E402
from reproduce.recipes import apply_overrides, load_recipe  # noqa: E402
from survey.rules.plausibility import PEAK_FLOPS  # noqa: E402

MODES = {"zero3-offload": "alpaca-7b", "lora": "alpaca-lora-7b"}
# stanford_alpaca's configs/default_offload_opt_param.json offloads both; the recipe dropped that, the benchmark puts it back
# (and its DeepSpeed AdamW, which DeepSpeed runs as its CPU Adam when the optimizer is offloaded)
OFFLOAD = {"zero3-offload": ['deepspeed.config.zero_optimization.offload_optimizer={"device": "cpu", "pin_memory": true}',
                             'deepspeed.config.zero_optimization.offload_param={"device": "cpu", "pin_memory": true}',
                             'deepspeed.config.optimizer={"type": "AdamW", "params": {"lr": "auto", "betas": "auto", '
                             '"eps": "auto", "weight_decay": "auto"}}']}
WARMUP_STEPS = 2


def model_config(recipe, tiny: bool):
    from transformers import LlamaConfig

    s = recipe.base.shape
    if tiny:
        return LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                           vocab_size=s.vocab, max_position_embeddings=recipe.hyperparameters.max_length)
    return LlamaConfig(hidden_size=s.hidden, intermediate_size=s.intermediate, num_hidden_layers=s.layers,
                       num_attention_heads=s.heads, num_key_value_heads=s.kv_heads or s.heads, vocab_size=s.vocab,
                       max_position_embeddings=max(2048, recipe.hyperparameters.max_length))


def deepspeed_config(recipe) -> dict:
    """The recipe's config with one micro batch per step; every other "auto" is the Trainer's to fill."""
    config = run_config(recipe)
    micro = recipe.hyperparameters.per_device_batch_size
    config.update(train_micro_batch_size_per_gpu=micro, gradient_accumulation_steps=1, train_batch_size=micro)
    return config


def child(mode: str, steps: int, tiny: bool) -> dict:
    """One mode's run; returns its figures (printed as one JSON line for the parent)."""
    import torch
    from transformers import AutoModelForCausalLM, Trainer, TrainerCallback, TrainingArguments

    from reproduce import distributed

    recipe = apply_overrides(load_recipe(MODES[mode]), OFFLOAD.get(mode, []))
    h = recipe.hyperparameters
    gpu = torch.cuda.is_available() and not tiny
    micro, length = h.per_device_batch_size, h.max_length
    ds_config = deepspeed_config(recipe) if mode == "zero3-offload" else None
    if ds_config is not None:
        distributed.start(deepspeed=True, cuda=gpu)
    # TrainingArguments comes first: with a ZeRO-3 config it makes from_config build the model partitioned
    args = TrainingArguments(
        output_dir=str(ROOT / "build" / "bench-gpu" / mode), per_device_train_batch_size=micro,
        gradient_accumulation_steps=1, max_steps=steps, learning_rate=h.learning_rate, warmup_steps=0,
        logging_steps=1, save_strategy="no", report_to=[], bf16=gpu, use_cpu=not gpu,
        activation_checkpointing=h.gradient_checkpointing, deepspeed=ds_config, remove_unused_columns=False,
        dataloader_num_workers=0, seed=h.seed,
    )
    torch.manual_seed(0)
    config = model_config(recipe, tiny)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16 if gpu else torch.float32)
    parameters = sum(p.ds_numel if hasattr(p, "ds_numel") else p.numel() for p in model.parameters())
    if mode == "lora":
        from peft import LoraConfig, get_peft_model

        lora = recipe.lora
        model = get_peft_model(model, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                                 target_modules=lora.target_modules, bias=lora.bias, task_type="CAUSAL_LM"))
    generator = torch.Generator().manual_seed(0)
    rows = [torch.randint(3, config.vocab_size, (length,), generator=generator) for _ in range(micro * steps)]
    dataset = [{"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()} for ids in rows]

    marks: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
            if gpu:
                torch.cuda.synchronize()
            marks.append(time.perf_counter())

    if gpu:
        torch.cuda.reset_peak_memory_stats()
    trainer = Trainer(model=model, args=args, train_dataset=dataset, callbacks=[Clock()])
    trainer.train()
    timed = marks[WARMUP_STEPS:]
    seconds = (timed[-1] - timed[0]) / (len(timed) - 1) if len(timed) > 1 else float("nan")
    tokens_per_second = micro * length / seconds
    device = torch.cuda.get_device_name() if gpu else "cpu"
    family = next((name for name in PEAK_FLOPS if name in device), None)
    flops_per_token = (4 if mode == "lora" else 6) * parameters
    planned = memory(workload(recipe, 1), 1)
    return {
        "mode": mode, "recipe": recipe.id, "device": device, "parameters": parameters, "micro_batch": micro,
        "sequence": length, "steps": steps, "seconds_per_step": seconds, "tokens_per_second": tokens_per_second,
        "mfu": flops_per_token * tokens_per_second / PEAK_FLOPS[family] if gpu and family else None,
        "peak_gib": torch.cuda.max_memory_allocated() / GIB if gpu else None,
        "planned_gib": planned.total / GIB, "planned_cpu_gib": planned.host / GIB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--tiny", action="store_true", help="a tiny model on the CPU: checks the code path, no figures")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.steps, args.tiny)), flush=True)
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    if not args.tiny:
        import torch

        if not torch.cuda.is_available():
            console.print("no CUDA GPU here: run this on a GPU machine, or pass --tiny to check the code path on the CPU")
            return 2
    results = []
    for mode in args.modes.split(","):
        if mode not in MODES:
            console.print(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
            return 2
        console.print(f"[bold]{mode}[/] ({MODES[mode]}), {args.steps} steps …")
        command = [sys.executable, __file__, "--child", mode, "--steps", str(args.steps)] + (["--tiny"] if args.tiny else [])
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        found = re.search(r"^RESULT (.*)$", run.stdout, re.M)
        if run.returncode or not found:
            console.print(run.stdout[-2000:], run.stderr[-4000:], markup=False)
            console.print(f"{mode}: the run failed (exit {run.returncode})")
            return 1
        results.append(json.loads(found.group(1)))

    table = Table(title=f"Training at real size, one device ({results[0]['device']})" if not args.tiny
                  else "Code-path check on the CPU (tiny model; figures mean nothing)")
    for column in ("mode", "recipe", "parameters", "micro batch x length", "s/step", "tokens/s", "MFU",
                   "peak GPU memory", "plan: GPU / CPU", "measured / plan"):
        table.add_column(column, justify="left" if column in ("mode", "recipe") else "right")
    headline = []
    for r in results:
        ratio = r["peak_gib"] / r["planned_gib"] if r["peak_gib"] is not None and r["planned_gib"] else None
        table.add_row(
            r["mode"], r["recipe"], f"{r['parameters'] / 1e9:.2f}B", f"{r['micro_batch']} x {r['sequence']}",
            f"{r['seconds_per_step']:.2f}", f"{r['tokens_per_second']:,.0f}",
            f"{r['mfu']:.1%}" if r["mfu"] is not None else "n/a",
            f"{r['peak_gib']:.1f} GiB" if r["peak_gib"] is not None else "n/a",
            f"{r['planned_gib']:.1f} / {r['planned_cpu_gib']:.1f} GiB", f"{ratio:.2f}x" if ratio else "n/a")
        headline.append(f"{r['mode']} {ratio:.2f}x" if ratio else f"{r['mode']} n/a")
    console.print(table)
    console.print("Headline: measured peak GPU memory / plan estimate: " + ", ".join(headline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
