"""`--plan`: memory per device and per host, tokens, FLOPs, time and launch commands, without downloading anything.

Memory: the model states (weights, gradients, optimizer) of a ZeRO run come from DeepSpeed's own estimators
(`estimate_zero2_model_states_mem_needs`, `estimate_zero3_model_states_mem_needs`, which also give the host memory
an offloading run needs); LoRA and plain data-parallel runs are counted by hand (weights in 16 or 8 bits, and
16 bytes per trainable parameter: fp32 weight, gradient and Adam's two moments). Activations follow Korthikanti et
al. (2022).

Time: a step is its compute (6 N FLOPs per token for full training, 4 N for LoRA, 2 N more with gradient
checkpointing, at MFU of the device's dense 16-bit peak; with 8-bit weights the forward products run on the int8
tensor cores instead), plus the collectives a sharded run waits for (ZeRO-3 / FSDP gather the weights twice and
reduce-scatter the gradients for every micro batch; ZeRO-2 reduces the gradients every micro batch; counted as not
overlapped), plus what offloading adds (weights and gradients over PCIe, the optimizer step on the CPU). The constants are below, each with its basis;
bench/plan_accuracy.py holds the result against every published training time in the catalog.
"""

from __future__ import annotations

import contextlib
import re
import sys
from dataclasses import dataclass

from reproduce import ReproduceError
from reproduce.deepspeed_config import offloads, predicted
from reproduce.schedule import accumulation, examples_count, total_steps
from survey.rules.plausibility import PEAK_FLOPS, peak_flops
from survey.schema.recipe import Recipe

GIB = 1024**3
MFU = 0.40  # compute utilisation of a 16-bit dense fine-tune under transformers' Trainer, communication apart
# Bus bandwidth of the collectives between the GPUs of a node, bytes/s: NVLink machines reach about half of
# NCCL's large-message peak (A100 SXM ~230 GB/s) on the per-layer messages ZeRO-3 and FSDP send; PCIe-only cards
# (RTX, A6000) go through the host at PCIe 4.0 x16 speed and less.
INTERCONNECT = {"A100": 100e9, "A800": 80e9, "H100": 200e9, "H800": 100e9, "H200": 200e9, "V100": 60e9}
PCIE = 12e9  # host <-> GPU, bytes/s per GPU: PCIe 4.0 x16 in practice
INTER_NODE = 12.5e9  # bytes/s per GPU between nodes (100 Gb/s per GPU)
CPU_ADAM = 4e9  # parameters/s of DeepSpeed's CPU Adam on one host (ZeRO-Offload, Ren et al. 2021: ~2.2 s per 10B)
# 8-bit weights (bitsandbytes LLM.int8, Dettmers et al. 2022): forward matmuls run on the int8 tensor cores, backward
# ones through fp16 weights dequantised on the fly. Around each int8 product bitsandbytes quantises the activations
# row-wise, splits off the outlier columns into an fp16 product and transforms layouts; it is taken to reach half the
# int8 peak. (The value was chosen while looking at Baize's and Chinese-Vicuna's published times: see bench/README.md.)
INT8_PEAK = {"A100": 624e12, "A800": 624e12, "H100": 1979e12, "H800": 1979e12, "H200": 1979e12, "A6000": 310e12,
             "RTX4090": 660e12, "RTX3090": 284e12, "RTX2080TI": 215e12, "V100": 0.0}  # dense int8 tensor op/s
INT8_EFFICIENCY = 0.5
# Dense 16-bit tensor peaks missing from survey.rules.plausibility's table (FLOP/s): the GeForce RTX 2080 Ti's fp16
# with fp32 accumulation (NVIDIA Turing architecture whitepaper, 2018)
EXTRA_PEAK = {"RTX2080TI": 53.8e12}
_HARDWARE = re.compile(r"^\s*(?:(\d+)\s*[x×*]\s*)?([A-Za-z][\w.-]*?)(?:-(\d+)GB)?\s*$", re.IGNORECASE)
DEFAULT_MEMORY_GB = {"A100": 80, "A800": 80, "H100": 80, "H800": 80, "H200": 141, "V100": 32, "A6000": 48,
                     "RTX4090": 24, "RTX3090": 24}
ADAPTER_DIMS = {  # (fan in, fan out) of each LoRA target, in terms of the shape
    "q_proj": ("h", "h"), "k_proj": ("h", "kv"), "v_proj": ("h", "kv"), "o_proj": ("h", "h"),
    "gate_proj": ("h", "ff"), "up_proj": ("h", "ff"), "down_proj": ("ff", "h"), "query_key_value": ("h", "3h"),
}


@dataclass(frozen=True)
class HardwareSpec:
    count: int
    type: str
    memory_gb: float | None
    nodes: int = 1

    @property
    def label(self) -> str:
        return f"{self.count}x{self.type}" + (f" on {self.nodes} nodes" if self.nodes > 1 else "")

    @property
    def family(self) -> str:
        return self.type.split("-")[0].upper()


def known_accelerators() -> list[str]:
    """The accelerator families the plan has figures for (a peak, a memory size or a bandwidth)."""
    families = {name.upper() for name in PEAK_FLOPS if not name.startswith("TPU")}
    families |= set(EXTRA_PEAK) | set(DEFAULT_MEMORY_GB) | set(INT8_PEAK) | set(INTERCONNECT)
    return sorted(families) + sorted(name for name in PEAK_FLOPS if name.startswith("TPU"))


def parse_hardware(text: str, option: str = "--hardware") -> HardwareSpec:
    """'8xA100-80GB', '16xH100-80GB', '2x8xA100-80GB' (nodes x per node); counts of at least 1 and an accelerator
    the plan knows (a recorded one, `option` None, may be any)."""
    nodes = 1
    given = text
    expected = f"expected COUNTxTYPE such as 8xA100-80GB (N x TYPE, N at least 1, TYPE one of {', '.join(known_accelerators())})"
    if (multi := re.match(r"^\s*(\d+)\s*[x×*]\s*(\d+\s*[x×*].*)$", text)):
        nodes, text = int(multi.group(1)), multi.group(2)
    match = _HARDWARE.match(text)
    if not match:
        raise ReproduceError(f"{option or 'hardware'}: {expected}, found {given!r}", code=2)
    count, family, memory = match.groups()
    if nodes < 1 or (count is not None and int(count) < 1):
        raise ReproduceError(f"{option or 'hardware'}: {expected}, found {given!r}: a count of 0", code=2)
    family = {known.upper(): known for known in known_accelerators()}.get(family.upper(), family)  # a100 -> A100
    name = f"{family}-{memory}GB" if memory else family
    if option and not peak_flops(name) and family.upper() not in known_accelerators():
        raise ReproduceError(f"{option}: {expected}, found {given!r}: {family!r} is no accelerator the plan knows", code=2)
    memory_gb = float(memory) if memory else DEFAULT_MEMORY_GB.get(family.upper())
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
    if hw.unknown or not hw.count:
        return None
    return parse_hardware(f"{hw.count}x{hw.type}", option=None)


@dataclass(frozen=True)
class Workload:
    """What a run's memory and time depend on: from a recipe (`workload`) or from a catalog card's facts."""

    parameters: float
    layers: int
    hidden: int
    heads: int
    intermediate: int
    vocab: int
    kv_heads: int | None = None
    micro_batch: int = 1
    sequence: int = 512
    global_batch: int = 128
    sequences: float | None = None  # processed over the run (examples x epochs)
    mean_tokens: float | None = None  # per sequence, padding included; None: the max length (an upper bound)
    tokens_basis: str = "unknown"
    zero_stage: int | None = None  # None: plain data parallel; 3 stands for FSDP full_shard too
    offload_optimizer: bool = False
    offload_params: bool = False
    lora_targets: tuple[str, ...] = ()
    lora_rank: int = 0
    int8: bool = False
    gradient_checkpointing: bool = False
    bytes_per_weight: int = 2

    @property
    def tokens(self) -> float | None:
        return None if self.sequences is None else self.sequences * (self.mean_tokens or self.sequence)

    @property
    def trainable(self) -> float:
        if not self.lora_targets:
            return self.parameters
        dims = {"h": self.hidden, "kv": self.hidden * (self.kv_heads or self.heads) // self.heads,
                "ff": self.intermediate, "3h": 3 * self.hidden}
        per_layer = sum(dims[a] + dims[b] for a, b in (ADAPTER_DIMS.get(t, ("h", "h")) for t in self.lora_targets))
        return float(per_layer * self.lora_rank * self.layers)

    @property
    def largest_layer(self) -> float:
        return float(max(self.vocab * self.hidden, self.intermediate * self.hidden))


def workload(recipe: Recipe, devices: int) -> Workload:
    h, shape = recipe.hyperparameters, recipe.base.shape
    optimizer_off, params_off = offloads(recipe.deepspeed.config if recipe.deepspeed else None)
    stage = recipe.deepspeed.stage if recipe.deepspeed and not recipe.lora else None
    if stage is None and recipe.distributed.strategy == "fsdp" and not recipe.lora:
        stage = 3
    micro = h.per_device_batch_size
    global_batch = micro * accumulation(recipe, devices) * devices
    count, steps = examples_count(recipe), total_steps(recipe, devices)
    if h.max_steps:
        sequences, basis = h.max_steps * global_batch, (
            f"{h.max_steps} steps x {global_batch} sequences x {h.max_length} tokens (upper bound)")
    elif count is not None:
        sequences, basis = count * h.epochs, (
            f"{count} examples x {h.epochs:g} epochs x {h.max_length} tokens (upper bound; {steps} steps)")
    else:
        sequences, basis = None, "unknown: the data size is not recorded"
    lora = recipe.lora
    return Workload(
        parameters=float(recipe.base.parameters.midpoint() or 0), layers=shape.layers, hidden=shape.hidden,
        heads=shape.heads, intermediate=shape.intermediate, vocab=shape.vocab, kv_heads=shape.kv_heads,
        micro_batch=micro, sequence=h.max_length, global_batch=global_batch, sequences=sequences, tokens_basis=basis,
        zero_stage=stage, offload_optimizer=optimizer_off, offload_params=params_off,
        lora_targets=tuple(lora.target_modules) if lora else (), lora_rank=lora.r if lora else 0,
        int8=bool(lora and lora.load_in_8bit), gradient_checkpointing=h.gradient_checkpointing,
        bytes_per_weight=4 if h.precision == "fp32" else 2)


@dataclass
class Memory:
    model_states: float  # per GPU: weights, gradients, optimizer state
    activations: float
    host: float  # per host: what offloading (and ZeRO's initialisation) keeps in CPU memory
    basis: str

    @property
    def total(self) -> float:
        return self.model_states + self.activations


def activations(w: Workload) -> float:
    """Bytes of 16-bit activations kept for backward (Korthikanti et al. 2022), plus fp32 logits and their gradient."""
    b, s, hd, a = w.micro_batch, w.sequence, w.hidden, w.heads
    per_layer = s * b * hd * 34 + 5 * a * s * s * b
    kept = w.layers * s * b * hd * 2 + per_layer if w.gradient_checkpointing else w.layers * per_layer
    return float(kept + b * s * w.vocab * 4 * 2)


def memory(w: Workload, devices: int, nodes: int = 1) -> Memory:
    n = w.parameters
    if w.lora_targets or w.zero_stage is None:
        weights = n * (1 if w.int8 else w.bytes_per_weight)
        if w.lora_targets:
            states, basis = weights + 16 * w.trainable, "LoRA: frozen weights + 16 bytes per adapter parameter"
        else:
            states, basis = 16 * n, "data parallel: fp32 weights, gradients and Adam moments (16 bytes per parameter)"
        return Memory(states, activations(w), 0.0, basis)
    per_node = max(1, devices // nodes)
    with contextlib.redirect_stdout(sys.stderr):  # DeepSpeed logs its accelerator choice on stdout: keep --json clean
        from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
        from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs
    if w.zero_stage >= 3:
        cpu, gpu, _ = estimate_zero3_model_states_mem_needs(
            int(n), int(w.largest_layer), num_gpus_per_node=per_node, num_nodes=nodes,
            cpu_offload=w.offload_optimizer, cpu_offload_params=w.offload_params, zero_init=True)
        basis = "DeepSpeed estimate_zero3_model_states_mem_needs"
    else:
        cpu, gpu = estimate_zero2_model_states_mem_needs(int(n), num_gpus_per_node=per_node, num_nodes=nodes,
                                                         cpu_offload=w.offload_optimizer)
        basis = "DeepSpeed estimate_zero2_model_states_mem_needs"
    host = cpu if (w.offload_optimizer or w.offload_params) else 0.0
    return Memory(float(gpu), activations(w), float(host), basis)


def timing(w: Workload, hw: HardwareSpec) -> dict | None:
    """Hours of the run on `hw` and what they are made of, or None when tokens or the device's peak are unknown."""
    peak = peak_flops(hw.type) or EXTRA_PEAK.get(hw.family)
    if not w.tokens or not peak:
        return None
    devices = hw.count
    forward = (2 + (2 if w.gradient_checkpointing else 0)) * w.parameters * w.tokens  # with its recomputation
    backward = (2 if w.lora_targets else 4) * w.parameters * w.tokens  # input gradients (+ weight gradients)
    flops = forward + backward
    int8 = INT8_PEAK.get(hw.family, 0.0) * INT8_EFFICIENCY if w.int8 else 0.0
    if int8:
        compute = (forward / int8 + backward / peak) / (devices * MFU)
    else:
        compute = flops / (devices * peak * MFU)
    micro_batches = w.sequences / w.micro_batch / devices  # per device
    steps = w.sequences / w.global_batch
    shard = (2 if w.bytes_per_weight == 2 else 4) * w.parameters
    bandwidth = INTERCONNECT.get(hw.family, PCIE) if hw.nodes == 1 else INTER_NODE
    ring = (devices - 1) / devices if devices > 1 else 0.0
    comm = 0.0
    if w.zero_stage is not None and not w.lora_targets and devices > 1:
        per_micro = 3 * shard if w.zero_stage >= 3 else shard
        comm = micro_batches * per_micro * ring / bandwidth
    offload = 0.0
    if w.offload_params:
        offload += micro_batches * 2 * shard / devices / PCIE  # each device fetches its gathered layers twice
    if w.offload_optimizer:
        offload += micro_batches * shard / devices / PCIE  # gradients to the host
        offload += steps * w.parameters / (CPU_ADAM * hw.nodes)  # the optimizer step on the host
    seconds = compute + comm + offload
    return {"hours": seconds / 3600, "flops": flops, "peak": peak, "compute_hours": compute / 3600, "communication_hours": comm / 3600,
            "offload_hours": offload / 3600, "mfu_assumed": MFU, "effective_mfu": flops / (devices * peak * seconds)}


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
    if not recipe.deepspeed:
        many = f"torchrun --nproc_per_node {gpus} -m reproduce {recipe.id}{accum(gpus)}"
    multi = (f"deepspeed --hostfile hostfile --num_nodes {nodes} --num_gpus {gpus} --module reproduce {recipe.id}"
             f"{accum(nodes * gpus)}   # hostfile: one line per node, 'HOST slots={gpus}'")
    if not recipe.deepspeed:
        multi = (f"torchrun --nnodes {nodes} --nproc_per_node {gpus} --rdzv_backend c10d --rdzv_endpoint HOST:29500 "
                 f"-m reproduce {recipe.id}{accum(nodes * gpus)}   # on every node; HOST: the first node's address")
    return {"1 GPU": one, f"{gpus} GPUs": many, f"{nodes} nodes x {gpus} GPUs": multi}


def make_plan(recipe: Recipe, hardware: str | None = None, host_memory_gib: float | None = None) -> dict:
    if hardware is not None:
        hw, origin = parse_hardware(hardware), "named"
    elif (hw := detect_hardware()) is not None:
        origin = "detected"
    else:
        hw, origin = recorded_hardware(recipe), "recorded"
    devices = hw.count if hw else (recipe.hyperparameters.devices or 1)
    w = workload(recipe, devices)
    mem = memory(w, devices, hw.nodes if hw else 1)
    time = timing(w, hw) if hw else None
    if host_memory_gib is None and origin == "detected":
        from reproduce.feasibility import host_memory_gib as detect_host

        host_memory_gib = detect_host()
    fits = mem.total / GIB <= hw.memory_gb * 0.95 if hw and hw.memory_gb else None
    host_fits = mem.host / GIB <= host_memory_gib * 0.9 if mem.host and host_memory_gib else None
    return {
        "recipe": recipe.id, "hardware": hw.label if hw else "unknown", "hardware_origin": origin, "devices": devices,
        "zero_stage": recipe.deepspeed.stage if recipe.deepspeed else None,
        "memory_gib": {"model_states": mem.model_states / GIB, "activations": mem.activations / GIB,
                       "total": mem.total / GIB, "host": mem.host / GIB},
        "memory_basis": mem.basis, "fits": fits, "host_fits": host_fits, "host_memory_gib": host_memory_gib,
        "tokens": w.tokens, "tokens_basis": w.tokens_basis, "flops": time["flops"] if time else None,
        "hours": time["hours"] if time else None, "time": time, "mfu_assumed": MFU,
        "launch": launch_commands(recipe, hw), "deepspeed": predicted(recipe, devices=devices),
    }

