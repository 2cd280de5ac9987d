"""What this machine can do of what a recipe asks (half precision, TF32, 8-bit weights), and what it does instead.

The run path is the same on a GPU and on a CPU; only these choices differ, and each one the CPU cannot honour
becomes a line of the run's recorded deviations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reproduce import ReproduceError
from survey.schema.recipe import Recipe


@dataclass(frozen=True)
class Device:
    cuda: bool
    bf16: bool
    tf32: bool
    int8: bool  # bitsandbytes 8-bit weights: CUDA and the bitsandbytes package

    @classmethod
    def detect(cls) -> Device:
        import torch

        cuda = torch.cuda.is_available()
        ampere = cuda and torch.cuda.get_device_capability(0)[0] >= 8
        try:
            import bitsandbytes  # noqa: F401

            bnb = True
        except ImportError:
            bnb = False
        # bf16 on the CPU: PyTorch's autocast and DeepSpeed's CPU accelerator both run it
        return cls(cuda=cuda, bf16=ampere or not cuda, tf32=ampere, int8=cuda and bnb)


@dataclass
class Precision:
    """TrainingArguments' precision switches, the dtype weights are loaded in, 8-bit loading, and what differs."""

    bf16: bool = False
    fp16: bool = False
    tf32: bool | None = None
    load_dtype: str = "float32"
    load_in_8bit: bool = False
    deviations: list[str] = field(default_factory=list)

    def arguments(self) -> dict:
        return {"bf16": self.bf16, "fp16": self.fp16, **({"tf32": self.tf32} if self.tf32 is not None else {})}


def precision(recipe: Recipe, device: Device) -> Precision:
    h = recipe.hyperparameters
    out = Precision()
    if h.precision == "bf16":
        if device.bf16:
            out.bf16, out.load_dtype = True, "bfloat16"
        else:
            out.fp16, out.load_dtype = True, "float16"
            out.deviations.append("bf16 asked for, this GPU has none: fp16 mixed precision")
    elif h.precision in ("fp16", "int8-fp16"):
        if device.cuda:
            out.fp16, out.load_dtype = True, "float16"
        else:
            out.deviations.append(f"{h.precision} asked for: fp32 on the CPU (no fp16 kernels, no loss scaling)")
    if h.tf32:
        if device.tf32:
            out.tf32 = True
        else:
            out.deviations.append("tf32 asked for: this machine has no TF32 (an Ampere or later GPU has)")
    if recipe.lora and recipe.lora.load_in_8bit:
        if device.int8:
            out.load_in_8bit = True
        elif device.cuda:
            raise ReproduceError(f"{recipe.id} loads its base in 8 bits, which needs bitsandbytes: pip install "
                                 "bitsandbytes (or `--set lora.load_in_8bit=false` to load it in 16 bits)")
        else:
            out.deviations.append(f"8-bit base weights asked for: bitsandbytes needs CUDA, so the base is loaded in "
                                  f"{out.load_dtype}")
    return out
