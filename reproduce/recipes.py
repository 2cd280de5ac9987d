"""Loading recipes from the catalog, `--set` overrides and the effective DeepSpeed config."""

from __future__ import annotations

import copy
import difflib
import json
from pathlib import Path
from typing import Any

from reproduce import CATALOG, ReproduceError
from survey.loader import load_file
from survey.schema.recipe import Recipe


def recipe_paths(root: Path = CATALOG) -> dict[str, Path]:
    return {path.stem: path for path in sorted((root / "recipes").glob("*.yaml"))}


def load_recipe(name: str, root: Path = CATALOG) -> Recipe:
    paths = recipe_paths(root)
    if name not in paths:
        close = difflib.get_close_matches(name, list(paths), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known recipes: {', '.join(paths)}"
        raise ReproduceError(f"unknown recipe {name!r}{hint}", code=2)
    card, problems = load_file(paths[name])
    if card is None:
        raise ReproduceError("\n".join(p.render(root.parent) for p in problems))
    return card


def all_recipes(root: Path = CATALOG) -> list[Recipe]:
    return [load_recipe(name, root) for name in recipe_paths(root)]


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(recipe: Recipe, assignments: list[str]) -> Recipe:
    """`--set hyperparameters.learning_rate=1e-5`: dotted paths into the card; the result is validated again."""
    if not assignments:
        return recipe
    data = recipe.model_dump(mode="json", exclude_none=True)
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise ReproduceError(f"--set expects KEY=VALUE, found {assignment!r}", code=2)
        node: Any = data
        parts = key.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
            else:
                if part not in node:
                    raise ReproduceError(f"--set {key}: no field {part!r} here (fields: {', '.join(node)})", code=2)
                node = node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = _parse_value(value)
        else:
            node[last] = _parse_value(value)
    try:
        return Recipe.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError
        raise ReproduceError(f"--set makes the recipe invalid: {exc}", code=2) from None


def effective_deepspeed(recipe: Recipe, devices: int | None = None, precision: str | None = None) -> dict | None:
    """The DeepSpeed config with every "auto" resolved as transformers' Trainer resolves it."""
    if recipe.deepspeed is None:
        return None
    h = recipe.hyperparameters
    devices = devices or h.devices or 1
    precision = precision or h.precision
    config = copy.deepcopy(recipe.deepspeed.config)
    accumulation = h.gradient_accumulation_steps
    if h.global_batch_size:
        accumulation = max(1, h.global_batch_size // (h.per_device_batch_size * devices))
    micro = h.per_device_batch_size
    hidden = recipe.base.shape.hidden
    total = total_steps(recipe, devices)
    warmup = h.warmup_steps if h.warmup_steps is not None else int(round((h.warmup_ratio or 0) * total))
    values = {
        "train_micro_batch_size_per_gpu": micro,
        "gradient_accumulation_steps": accumulation,
        "train_batch_size": micro * accumulation * devices,
        "gradient_clipping": h.max_grad_norm if h.max_grad_norm is not None else 1.0,
    }
    for key, value in values.items():
        if config.get(key) == "auto":
            config[key] = value
    for name, on in (("fp16", precision in ("fp16", "int8-fp16")), ("bf16", precision == "bf16")):
        if isinstance(config.get(name), dict) and config[name].get("enabled") == "auto":
            config[name]["enabled"] = on
    optimizer = config.get("optimizer", {}).get("params", {})
    for key, value in {"lr": h.learning_rate, "betas": [h.adam_beta1, h.adam_beta2], "eps": h.adam_epsilon,
                       "weight_decay": h.weight_decay}.items():
        if optimizer.get(key) == "auto":
            optimizer[key] = value
    scheduler = config.get("scheduler", {}).get("params", {})
    for key, value in {"warmup_min_lr": 0, "warmup_max_lr": h.learning_rate, "warmup_num_steps": warmup,
                       "total_num_steps": total}.items():
        if scheduler.get(key) == "auto":
            scheduler[key] = value
    zero = config.get("zero_optimization", {})
    for key, value in {"reduce_bucket_size": hidden * hidden, "stage3_prefetch_bucket_size": int(0.9 * hidden * hidden),
                       "stage3_param_persistence_threshold": 10 * hidden}.items():
        if zero.get(key) == "auto":
            zero[key] = value
    return config


def examples_count(recipe: Recipe) -> int | None:
    total = 0
    for part in recipe.data:
        if not part.included:
            continue
        s = part.sampling
        if s and s.per_category and s.categories:
            count = s.per_category * s.categories
        elif s and s.max_examples:
            count = s.max_examples
        elif part.amount and part.amount.known and part.amount.unit in ("examples", "conversations"):
            count = int(part.amount.midpoint())
        else:
            return None
        if s and s.val_examples:
            count = max(0, count - s.val_examples)
        if s and s.val_split:
            count = int(count * (1 - s.val_split))
        total += count
    return total


def total_steps(recipe: Recipe, devices: int | None = None) -> int:
    h = recipe.hyperparameters
    if h.max_steps:
        return h.max_steps
    examples = examples_count(recipe)
    batch = h.global_batch_size or h.per_device_batch_size * h.gradient_accumulation_steps * (devices or 1)
    if not examples:
        return 0
    return int(-(-examples // batch) * h.epochs)
