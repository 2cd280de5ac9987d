"""`--plan`: memory per device, tokens, FLOPs, time and launch commands, without downloading anything."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reproduce import ReproduceError
from reproduce.deepspeed_config import predicted
from reproduce.schedule import examples_count, total_steps
from survey.rules.plausibility import peak_flops
from survey.schema.recipe import Recipe

GIB = 1024**3
MFU = 0.40  # model FLOPs utilisation assumed for time estimates
_HARDWARE = re.compile(r"^\s*(?:(\d+)\s*[x×*]\s*)?([A-Za-z][\w.-]*?)(?:-(\d+)GB)?\s*$", re.IGNORECASE)
DEFAULT_MEMORY_GB = {"A100": 80, "A800": 80, "H100": 80, "H800": 80, "H200": 141, "V100": 32, "A6000": 48,
                     "RTX4090": 24, "RTX3090": 24}


@dataclass(frozen=True)
class HardwareSpec:
    count: int
    type: str
    memory_gb: float | None
    nodes: int = 1

    @property
    def label(self) -> str:
        return f"{self.count}x{self.type}" + (f" on {self.nodes} nodes" if self.nodes > 1 else "")


def parse_hardware(text: str) -> HardwareSpec:
    """'8xA100-80GB', '16xH100-80GB', '2x8xA100-80GB' (nodes x per node)."""
    nodes = 1
    if (multi := re.match(r"^\s*(\d+)\s*[x×*]\s*(\d+\s*[x×*].*)$", text)):
        nodes, text = int(multi.group(1)), multi.group(2)
    match = _HARDWARE.match(text)
    if not match:
        raise ReproduceError(f"--hardware: expected COUNTxTYPE such as 8xA100-80GB, found {text!r}", code=2)
    count, family, memory = match.groups()
    memory_gb = float(memory) if memory else DEFAULT_MEMORY_GB.get(family.upper())
    name = f"{family}-{memory}GB" if memory else family
    return HardwareSpec(int(count or 1) * nodes, name, memory_gb, nodes)


def detect_hardware() -> HardwareSpec | None:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    count = torch.cuda.device_count()
    props = torch.cuda.get_device_properties(0)
    name = props.name.replace("NVIDIA ", "").split()[0]
    return HardwareSpec(count, f"{name}-{round(props.total_memory / GIB)}GB", props.total_memory / GIB)


def recorded_hardware(recipe: Recipe) -> HardwareSpec | None:
    hw = recipe.hardware
    if hw.unknown:
        return None
    return parse_hardware(f"{hw.count}x{hw.type}")


@dataclass
class Memory:
    params: float
    grads: float
    optimizer: float
    activations: float
    cpu: float

    @property
    def total(self) -> float:
        return self.params + self.grads + self.optimizer + self.activations


def memory_per_device(recipe: Recipe, devices: int) -> Memory:
    """Bytes per GPU under the recipe's ZeRO stage / offload (or LoRA), mixed precision Adam."""
    n = float(recipe.base.parameters.midpoint() or 0)
    h = recipe.hyperparameters
    shape = recipe.base.shape
    half = 1 if recipe.lora and recipe.lora.load_in_8bit else 2
    if h.precision == "fp32":
        half = 4
    if recipe.lora:
        r = recipe.lora.r
        per_layer = len(recipe.lora.target_modules) * r * (shape.hidden * 2)
        trainable = per_layer * shape.layers
        params = n * half + trainable * 4
        grads = trainable * 4
        optimizer = trainable * 8
        cpu = 0.0
    else:
        stage = recipe.deepspeed.stage if recipe.deepspeed and recipe.distributed.strategy == "deepspeed" else 0
        if recipe.distributed.strategy == "fsdp":
            stage = 3
        zero = (recipe.deepspeed.config.get("zero_optimization", {}) if recipe.deepspeed else {})
        params, grads, optimizer = n * half, n * half, n * 12.0  # fp32 master + Adam m and v
        if stage >= 1:
            optimizer /= devices
        if stage >= 2:
            grads /= devices
        if stage >= 3:
            params /= devices
        cpu = 0.0
        if (zero.get("offload_optimizer") or {}).get("device") == "cpu":
            cpu += optimizer * devices
            optimizer = 0.0
        if (zero.get("offload_param") or {}).get("device") == "cpu":
            cpu += params * devices
            params = 0.0
    b, s, hd, a, layers, v = h.per_device_batch_size, h.max_length, shape.hidden, shape.heads, shape.layers, shape.vocab
    per_layer = s * b * hd * 34 + 5 * a * s * s * b  # bytes, fp16 activations of one layer (Korthikanti et al. 2022)
    if h.gradient_checkpointing:
        activations = layers * s * b * hd * 2 + per_layer
    else:
        activations = layers * per_layer
    activations += b * s * v * 4 * 2  # fp32 logits and their gradient
    return Memory(params, grads, optimizer, float(activations), cpu)


def tokens(recipe: Recipe) -> tuple[int | None, str]:
    h = recipe.hyperparameters
    steps = total_steps(recipe, recipe.hyperparameters.devices or 1)
    batch = h.global_batch_size
    if h.max_steps and batch:
        return h.max_steps * batch * h.max_length, f"{h.max_steps} steps x {batch} sequences x {h.max_length} tokens (upper bound)"
    count = examples_count(recipe)
    if count is None:
        return None, "unknown: the data size is not recorded"
    return int(count * h.epochs * h.max_length), f"{count} examples x {h.epochs:g} epochs x {h.max_length} tokens (upper bound; {steps} steps)"


def flops(recipe: Recipe, token_count: int) -> float:
    n = float(recipe.base.parameters.midpoint() or 0)
    factor = 4 if recipe.lora else 6  # LoRA skips the weight gradients of the frozen base
    if recipe.hyperparameters.gradient_checkpointing:
        factor += 2
    return factor * n * token_count


def launch_commands(recipe: Recipe, hw: HardwareSpec | None) -> dict[str, str]:
    h = recipe.hyperparameters
    global_batch = h.global_batch_size or h.per_device_batch_size * h.gradient_accumulation_steps
    micro = h.per_device_batch_size
    runner = "python -m reproduce"

    def accum(devices: int) -> str:
        steps, rest = divmod(global_batch, micro * devices)
        if rest or steps == 0:
            return f"  # {global_batch} is not a multiple of {micro}x{devices}: global batch cannot be kept exactly"
        return f" --set hyperparameters.gradient_accumulation_steps={steps} --set hyperparameters.devices={devices}"

    gpus = hw.count if hw and hw.nodes == 1 else (hw.count // hw.nodes if hw else 8)
    gpus = gpus if gpus > 1 else 8  # one GPU is the first command already; show a typical node beside it
    nodes = hw.nodes if hw and hw.nodes > 1 else 2
    one = f"{runner} {recipe.id}{accum(1)}"
    many = f"deepspeed --num_gpus {gpus} --module reproduce {recipe.id}{accum(gpus)}"
    if recipe.distributed.strategy != "deepspeed" and not recipe.deepspeed:
        many = f"torchrun --nproc_per_node {gpus} -m reproduce {recipe.id}{accum(gpus)}"
    multi = (f"deepspeed --hostfile hostfile --num_nodes {nodes} --num_gpus {gpus} --module reproduce {recipe.id}"
             f"{accum(nodes * gpus)}   # hostfile: one line per node, 'HOST slots={gpus}'")
    return {"1 GPU": one, f"{gpus} GPUs": many, f"{nodes} nodes x {gpus} GPUs": multi}


def make_plan(recipe: Recipe, hardware: str | None = None) -> dict:
    if hardware:
        hw, origin = parse_hardware(hardware), "named"
    elif (hw := detect_hardware()) is not None:
        origin = "detected"
    else:
        hw, origin = recorded_hardware(recipe), "recorded"
    devices = hw.count if hw else (recipe.hyperparameters.devices or 1)
    memory = memory_per_device(recipe, devices)
    token_count, token_basis = tokens(recipe)
    total_flops = flops(recipe, token_count) if token_count else None
    hours = None
    if hw and total_flops and (peak := peak_flops(hw.type)):
        hours = total_flops / (hw.count * peak * MFU) / 3600
    fits = None
    if hw and hw.memory_gb:
        fits = memory.total / GIB <= hw.memory_gb * 0.95
    return {
        "recipe": recipe.id, "hardware": hw.label if hw else "unknown", "hardware_origin": origin, "devices": devices,
        "zero_stage": recipe.deepspeed.stage if recipe.deepspeed else None,
        "memory_gib": {"params": memory.params / GIB, "grads": memory.grads / GIB, "optimizer": memory.optimizer / GIB,
                       "activations": memory.activations / GIB, "total": memory.total / GIB, "cpu_offload_total": memory.cpu / GIB},
        "fits": fits, "tokens": token_count, "tokens_basis": token_basis, "flops": total_flops,
        "hours": hours, "mfu_assumed": MFU, "launch": launch_commands(recipe, hw),
        "deepspeed": predicted(recipe, devices=devices),
    }
