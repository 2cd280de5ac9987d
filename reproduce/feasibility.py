"""Before a real run downloads anything: is there a GPU, does the plan fit its memory, and, where the recipe
offloads to the CPU, does the host have the RAM for it."""

from __future__ import annotations

import os

from reproduce import ReproduceError
from survey.schema.recipe import Recipe


def host_memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def check(recipe: Recipe) -> dict:
    from reproduce.plan import detect_hardware, make_plan

    hw = detect_hardware()
    if hw is None:
        raise ReproduceError(
            f"{recipe.id}: no GPU detected; the recorded run used {recipe.hardware.count or '?'} x "
            f"{recipe.hardware.type or 'unknown GPUs'}. See `python -m reproduce {recipe.id} --plan`, "
            "or run `--smoke` (CPU, tiny model) or `--force`")
    plan = make_plan(recipe, f"{hw.count}x{hw.type}")
    if plan["fits"] is False:
        hint = ""
        if recipe.deepspeed and recipe.deepspeed.stage == 3 and not plan["memory_gib"]["host"]:
            hint = ("; ZeRO-3 can offload to the CPU: --set deepspeed.config.zero_optimization.offload_param="
                    "'{\"device\": \"cpu\"}' --set deepspeed.config.zero_optimization.offload_optimizer='{\"device\": "
                    "\"cpu\"}' --set deepspeed.config.optimizer='{\"type\": \"AdamW\", \"params\": {\"lr\": \"auto\", "
                    "\"betas\": \"auto\", \"eps\": \"auto\", \"weight_decay\": \"auto\"}}' (a departure the manifest "
                    "records in its overrides)")
        raise ReproduceError(f"{recipe.id}: needs about {plan['memory_gib']['total']:.0f} GiB per device, "
                             f"{hw.type} has {hw.memory_gb:.0f}; see --plan or use --force{hint}")
    if plan["host_fits"] is False:
        raise ReproduceError(f"{recipe.id}: offloading to the CPU needs about {plan['memory_gib']['host']:.0f} GiB of "
                             f"host memory, this machine has {plan['host_memory_gib']:.0f}; see --plan or use --force")
    return plan
