"""Benchmark 4: CPU training throughput of the smoke model, reproduce's batching against padding to max length.

Run: .venv/bin/python bench/train_cpu.py [--steps 30] [--runs 3]
The same encoded Alpaca data (../shared/data/alpaca_zh_2k.json when present, else synthetic), the same
tiny random model (reproduce.tiny.tiny_model, the `--smoke` architecture of the `alpaca-7b` recipe), the
same shuffled batches and steps; only the padding differs. The figure is non-padding tokens per second
of training (collate, forward, backward, AdamW step). The last line is the headline ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import data_pipeline  # noqa: E402

from reproduce.recipes import load_recipe  # noqa: E402
from reproduce.collator import PadCollator  # noqa: E402
from reproduce.dataset import encode  # noqa: E402
from reproduce.templates import render  # noqa: E402
from reproduce.tiny import tiny_model, tiny_tokenizer  # noqa: E402
from reproduce.tokenizer import apply_policy, resize_embeddings  # noqa: E402


def batches(dataset: list[dict], size: int, steps: int, seed: int, grouped: bool) -> list[list[dict]]:
    """The batch order the Trainer uses: a seeded RandomSampler (or transformers' LengthGroupedSampler)."""
    import torch
    from torch.utils.data import RandomSampler
    from transformers.trainer_pt_utils import LengthGroupedSampler

    generator = torch.Generator().manual_seed(seed)
    if grouped:
        sampler = LengthGroupedSampler(size, dataset=dataset, lengths=[len(d["input_ids"]) for d in dataset],
                                       generator=generator)
    else:
        sampler = RandomSampler(dataset, generator=generator)
    order = list(sampler)
    return [[dataset[i] for i in order[s * size:(s + 1) * size]] for s in range(steps)]


def train(model_state, recipe, vocab: int, plan: list[list[dict]], collate: PadCollator) -> tuple[float, int, int, list[float]]:
    import torch

    model = tiny_model(recipe, vocab)
    model.load_state_dict(model_state)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    real = padded = 0
    losses = []
    start = time.perf_counter()
    for batch in plan:
        inputs = collate(batch)
        real += int(inputs["attention_mask"].sum())
        padded += inputs["input_ids"].numel()
        loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
    return time.perf_counter() - start, real, padded, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_pipeline.SHARED)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=None, help="micro batch (default: the recipe's, 4)")
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per figure")
    args = parser.parse_args()

    import torch

    recipe = load_recipe("alpaca-7b")
    examples, where = data_pipeline.benchmark_examples(args.data)
    max_length = recipe.hyperparameters.max_length
    size = args.batch or recipe.hyperparameters.per_device_batch_size
    tokenizer = tiny_tokenizer((render("alpaca", e) for e in examples), "llama", vocab_size=args.vocab)
    base = tiny_model(recipe, len(tokenizer))
    resize_embeddings(recipe, base, tokenizer, apply_policy(recipe, tokenizer))
    dataset = encode(recipe, examples, tokenizer)
    state = {k: v.clone() for k, v in base.state_dict().items()}
    vocab = base.get_input_embeddings().weight.shape[0]
    pad_id = tokenizer.pad_token_id
    dynamic = PadCollator(pad_id, recipe.tokenizer.padding_side)
    fixed = PadCollator(pad_id, recipe.tokenizer.padding_side, pad_to=max_length)
    plan = batches(dataset, size, args.steps, seed=recipe.hyperparameters.seed, grouped=False)
    grouped = batches(dataset, size, args.steps, seed=recipe.hyperparameters.seed, grouped=True)

    modes = [("pad to max_length (baseline)", plan, fixed),
             ("reproduce: pad to longest", plan, dynamic),
             ("+ group_by_length (other batches)", grouped, dynamic)]
    train(state, recipe, vocab, plan[:2], dynamic)  # warm up kernels and allocator
    results = {}
    for _ in range(args.runs):
        for name, batches_, collate in modes:
            outcome = train(state, recipe, vocab, batches_, collate)
            if name not in results or outcome[0] < results[name][0]:
                results[name] = outcome
    base_s, base_real, base_padded, base_losses = results[modes[0][0]]
    ours_s, ours_real, _, ours_losses = results[modes[1][0]]
    assert base_real == ours_real
    drift = max(abs(a - b) for a, b in zip(base_losses, ours_losses))
    assert abs(base_losses[0] - ours_losses[0]) < 1e-4, (base_losses[0], ours_losses[0])

    table = Table(title=f"tiny {recipe.base.architecture} (smoke architecture), {args.steps} steps x {size} examples, "
                        f"max_length {max_length}, best of {args.runs}")
    for column in ("batching", "seconds", "real tokens", "padded tokens", "padding", "real tokens/s", "vs baseline"):
        table.add_column(column, justify="right")
    base_rate = base_real / base_s
    for name, _, _ in modes:
        seconds, real, padded, _ = results[name]
        table.add_row(name, f"{seconds:.2f}", f"{real:,}", f"{padded:,}", f"{1 - real / padded:.0%}",
                      f"{real / seconds:,.0f}", f"{real / seconds / base_rate:.2f}x")
    console = Console(width=160)
    console.print(table)
    console.print(f"data: {where}, {len(dataset):,} examples, mean {sum(len(d['input_ids']) for d in dataset) / len(dataset):.0f} "
                  f"tokens; same batches in the first two rows, loss at step 1 equal, largest loss gap over {args.steps} "
                  f"steps {drift:.2e}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
                  f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    console.print(f"headline: reproduce batching / pad to max_length = {ours_real / ours_s / base_rate:.2f}x real tokens/s")


if __name__ == "__main__":
    main()
