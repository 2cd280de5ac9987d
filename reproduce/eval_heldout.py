"""Held-out loss and perplexity: the recipe's evaluation split (or, for a recipe without one, a fixed sample of the
shipped examples) encoded with the recipe's own template and masking, as training encoded its hold-out."""

from __future__ import annotations

import math
from typing import Any

from reproduce import dataset, hub
from reproduce.collator import PadCollator
from reproduce.eval_subject import Subject
from reproduce.templates import IGNORE_INDEX

SHIPPED_SAMPLE = 32  # the last shipped examples, in the recipe's shape, when the recipe holds none out
BATCH = 4


def examples(subject: Subject) -> tuple[list[dict], str]:
    """(held-out examples, "recipe" or "shipped"). A --smoke run's hold-out is the one its run made of the
    shipped data; a real run or an original uses the recipe's data at its pinned revisions."""
    recipe = subject.recipe
    if not dataset.holds_out(recipe):
        train, held = dataset.shipped_examples(recipe)
        return (train + held)[-SHIPPED_SAMPLE:], "shipped"
    if subject.smoke:
        return dataset.shipped_examples(recipe)[1], "recipe"
    return dataset.recipe_examples(recipe, hub.download_data(recipe))[1], "recipe"


def measure(subject: Subject, model: Any, tokenizer: Any, items: list[dict], progress: Any = None) -> dict:
    """Mean cross-entropy over every supervised token of `items` (each token weighing the same), its exp, and the
    counts. `progress` is a rich Progress to advance."""
    import torch

    recipe = subject.recipe
    encoded = dataset.encode(recipe, items, tokenizer)
    collate = PadCollator(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0,
                          recipe.tokenizer.padding_side, multiple_of=recipe.tokenizer.pad_to_multiple_of,
                          max_length=recipe.hyperparameters.max_length)
    device = next(model.parameters()).device
    task = progress.add_task("held-out loss", total=len(encoded)) if progress else None
    total, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(encoded), BATCH):
            batch = collate(encoded[start:start + BATCH])
            logits = model(input_ids=batch["input_ids"].to(device),
                           attention_mask=batch["attention_mask"].to(device)).logits.float()
            labels = batch["labels"][:, 1:].to(device)
            total += float(torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                                             labels.reshape(-1), ignore_index=IGNORE_INDEX,
                                                             reduction="sum"))
            tokens += int((labels != IGNORE_INDEX).sum())
            if task is not None:
                progress.advance(task, len(batch["input_ids"]))
    loss = total / tokens if tokens else float("nan")
    return {"loss": loss, "perplexity": math.exp(loss) if tokens else float("nan"), "examples": len(encoded),
            "tokens": tokens}
