"""How many optimizer steps a recipe's run takes, computed as transformers 5's Trainer computes it, so a --smoke run
(tiny data) can follow the real run's learning-rate schedule and `--plan` can count the real run's tokens."""

from __future__ import annotations

import math

from survey.schema.recipe import Recipe


def accumulation(recipe: Recipe, world: int) -> int:
    """Gradient accumulation steps that keep the recipe's global batch on `world` data-parallel processes."""
    h = recipe.hyperparameters
    if h.global_batch_size:
        return max(1, h.global_batch_size // (h.per_device_batch_size * world))
    return h.gradient_accumulation_steps


def examples_count(recipe: Recipe) -> int | None:
    """Training examples of the recipe's real data (after its hold-out and caps), or None where not recorded."""
    total = 0
    for part in recipe.data:
        if not part.included:
            continue
        s = part.sampling
        if s and s.per_category and s.categories:
            count = s.per_category * s.categories
        elif part.amount and part.amount.known and part.amount.unit in ("examples", "conversations"):
            count = int(part.amount.midpoint())
            if s and s.val_examples:
                count = max(0, count - s.val_examples)
            if s and s.val_split:
                count = int(count * (1 - s.val_split))
            if s and s.max_examples:
                count = min(count, s.max_examples)
        elif s and s.max_examples:
            count = s.max_examples
        else:
            return None
        total += count
    return total


def steps_per_epoch(examples: int, micro: int, world: int, accumulation_steps: int) -> int:
    """Optimizer steps of one epoch: each process gets ceil(ceil(n / micro) / world) batches (accelerate's even
    batches), and a last, shorter accumulation ends the epoch with a step of its own (transformers 5)."""
    batches = math.ceil(math.ceil(examples / micro) / world)
    return max(math.ceil(batches / accumulation_steps), 1)


def total_steps(recipe: Recipe, world: int) -> int | None:
    """The run's optimizer steps on `world` processes: max_steps when recorded, else from the data size (None
    when that is not recorded)."""
    h = recipe.hyperparameters
    if h.max_steps:
        return h.max_steps
    examples = examples_count(recipe)
    if not examples:
        return None
    per_epoch = steps_per_epoch(examples, h.per_device_batch_size, world, accumulation(recipe, world))
    return math.ceil(h.epochs * per_epoch)


def warmup_steps(recipe: Recipe, total: int) -> int:
    """TrainingArguments.get_warmup_steps: whole steps, or ceil(ratio x total)."""
    h = recipe.hyperparameters
    if h.warmup_steps is not None:
        return h.warmup_steps
    return math.ceil(total * (h.warmup_ratio or 0.0))
