"""Warnings for numbers that disagree with each other: compute against 6·N·D.

Training a dense transformer of N parameters on D tokens takes about 6·N·D
FLOPs. When a card gives the accelerators and the time (or the GPU-hours), the
utilisation that the numbers imply must lie between 5% and 100% of peak.
"""

from __future__ import annotations

from collections.abc import Iterator

from pathlib import Path

from survey.diagnostics import Diagnostic
from survey.schema.common import Card
from survey.walk import Field

NAME = "plausibility"

# Dense bf16/fp16 tensor peak, FLOP/s, per accelerator family.
PEAK_FLOPS = {
    "A100": 312e12,
    "A800": 312e12,
    "H100": 989e12,
    "H800": 989e12,
    "H200": 989e12,
    "V100": 125e12,
    "A6000": 155e12,
    "RTX4090": 165e12,
    "RTX3090": 71e12,
    "TPU-v3": 123e12,
    "TPU-v4": 275e12,
}
LOW, HIGH = 0.05, 1.0


def peak_flops(accelerator: str) -> float | None:
    family = accelerator.split("-")[0] if not accelerator.startswith("TPU") else "-".join(accelerator.split("-")[:2])
    return PEAK_FLOPS.get(family)


def implied_utilisation(parameters: float, tokens: float, gpu_hours: float, accelerator: str) -> float | None:
    peak = peak_flops(accelerator)
    if not peak or gpu_hours <= 0:
        return None
    return 6 * parameters * tokens / (gpu_hours * 3600 * peak)


def check_card(model: Card, path: Path, walked: list[Field]) -> Iterator[Diagnostic]:
    if model.KIND != "model":
        return
    for index, size in enumerate(model.sizes):
        extra = size.training
        data = (extra.data if extra and extra.data else None) or model.training.data
        hardware = (extra.hardware if extra and extra.hardware else None) or model.training.hardware
        time = (extra.time if extra and extra.time else None) or model.training.time
        compute = (extra.compute if extra and extra.compute else None) or model.training.compute
        tokens = sum(d.midpoint() or 0 for d in data if d.unit == "tokens" and d.known)
        parameters = size.parameters.midpoint()
        if not tokens or not parameters:
            continue
        if compute and compute.known and compute.unit == "flops":
            ratio = compute.midpoint() / (6 * parameters * tokens)
            if not 1 / 3 <= ratio <= 3:
                yield _warn(path, index, f"compute is {ratio:.2g}x the 6·N·D estimate")
            continue
        if hardware.unknown:
            continue
        if compute and compute.known and compute.unit == "gpu-hours":
            gpu_hours, basis = compute.midpoint(), "GPU-hours"
        elif time.known and time.hours() and hardware.count:
            gpu_hours, basis = time.hours() * hardware.count, "hardware x time"
        else:
            continue
        utilisation = implied_utilisation(parameters, tokens, gpu_hours, hardware.type)
        if utilisation is not None and not LOW <= utilisation <= HIGH:
            yield _warn(
                path,
                index,
                f"6·N·D over {basis} implies {utilisation:.0%} of {hardware.type} peak (expected {LOW:.0%}–{HIGH:.0%})",
            )


def _warn(path: Path, index: int, message: str) -> Diagnostic:
    loc = ("sizes", index, "parameters")
    return Diagnostic(
        path,
        field=f"sizes[{index}]",
        loc=loc,
        message=message,
        severity="warning",
        rule=NAME,
    )
