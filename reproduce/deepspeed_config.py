"""DeepSpeed configs: the one a run hands the Trainer (the recipe's, "auto" values and all), and what the Trainer
will make of it, predicted for `show` and `--plan` without loading anything.

Every "auto" is the Trainer's to fill (transformers.integrations.deepspeed.HfTrainerDeepSpeedConfig): batch sizes,
clipping, optimizer and scheduler values from TrainingArguments, bucket sizes from the model's hidden size, and
the scheduler's step counts from the length of the data actually loaded. The run passes the config unchanged, so
a smoke run and a GPU run resolve it with the same code; the manifest records the config as the Trainer resolved it.
"""

from __future__ import annotations

import copy

from reproduce.schedule import accumulation, total_steps, warmup_steps
from survey.schema.recipe import Recipe


def run_config(recipe: Recipe) -> dict | None:
    """The config the Trainer gets: the recipe's, unchanged."""
    return copy.deepcopy(recipe.deepspeed.config) if recipe.deepspeed else None


def predicted(recipe: Recipe, devices: int | None = None, precision: str | None = None,
              hidden: int | None = None) -> dict | None:
    """The config with each "auto" replaced as the Trainer would replace it on `devices` processes for a model of
    `hidden` width (the base's by default). Step counts stay "auto" where the recipe's data size is not recorded:
    the Trainer counts them from the data it loads."""
    if recipe.deepspeed is None:
        return None
    h = recipe.hyperparameters
    devices = devices or h.devices or 1
    precision = precision or h.precision
    hidden = hidden or recipe.base.shape.hidden
    config = copy.deepcopy(recipe.deepspeed.config)
    steps = accumulation(recipe, devices)
    total = total_steps(recipe, devices)
    values = {
        "train_micro_batch_size_per_gpu": h.per_device_batch_size,
        "gradient_accumulation_steps": steps,
        "train_batch_size": h.per_device_batch_size * steps * devices,
        "gradient_clipping": h.max_grad_norm if h.max_grad_norm is not None else 1.0,
    }
    _fill(config, values)
    for name, on in (("fp16", precision in ("fp16", "int8-fp16")), ("bf16", precision == "bf16")):
        _fill(config.get(name), {"enabled": on})
    _fill(config.get("optimizer", {}).get("params"), {"lr": h.learning_rate, "betas": [h.adam_beta1, h.adam_beta2],
                                                      "eps": h.adam_epsilon, "weight_decay": h.weight_decay})
    scheduler = {"warmup_min_lr": 0, "warmup_max_lr": h.learning_rate}
    if total is not None:
        scheduler |= {"warmup_num_steps": max(1, warmup_steps(recipe, total)), "total_num_steps": total}
    _fill(config.get("scheduler", {}).get("params"), scheduler)
    zero = {"reduce_bucket_size": hidden * hidden, "stage3_prefetch_bucket_size": int(0.9 * hidden * hidden),
            "stage3_param_persistence_threshold": 10 * hidden}
    if recipe.deepspeed.stage != 3:
        zero = {"reduce_bucket_size": zero["reduce_bucket_size"]}
    _fill(config.get("zero_optimization"), zero)
    return config


def _fill(node: dict | None, values: dict) -> None:
    if not isinstance(node, dict):
        return
    for key, value in values.items():
        if node.get(key) == "auto":
            node[key] = value


def offloads(config: dict | None) -> tuple[bool, bool]:
    """(optimizer offloaded to the CPU, parameters offloaded to the CPU)."""
    zero = (config or {}).get("zero_optimization", {})
    return ((zero.get("offload_optimizer") or {}).get("device") == "cpu",
            (zero.get("offload_param") or {}).get("device") == "cpu")
