"""The model a run trains: the base at its pinned revision (or, for --smoke, a tiny random one of the same
architecture), in the dtype the recipe's precision loads it in, 8-bit where the original was and CUDA allows,
and wrapped in LoRA adapters for LoRA recipes."""

from __future__ import annotations

from typing import Any

from reproduce import distributed
from reproduce.device import Precision
from survey.schema.recipe import Recipe


def load_base(recipe: Recipe, folder: str, precision: Precision):
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": getattr(torch, precision.load_dtype)}
    if precision.load_in_8bit:
        from transformers import BitsAndBytesConfig

        # alpaca-lora: LlamaForCausalLM.from_pretrained(load_in_8bit=True, torch_dtype=torch.float16)
        kwargs.update(quantization_config=BitsAndBytesConfig(load_in_8bit=True),
                      device_map={"": distributed.local_rank()})
    return AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=recipe.base.trust_remote_code, **kwargs)


def load_tiny(recipe: Recipe, vocab_size: int, precision: Precision):
    from reproduce.tiny import tiny_model

    return tiny_model(recipe, vocab_size, seed=recipe.hyperparameters.seed, dtype=precision.load_dtype)


def lora_targets(recipe: Recipe) -> list[str]:
    """The recorded target modules, by the names this architecture uses (BLOOM fuses q, k, v into one)."""
    if recipe.base.architecture == "bloom":
        return ["query_key_value"]
    return list(recipe.lora.target_modules)


def adapt(recipe: Recipe, model: Any):
    """LoRA adapters for LoRA recipes. Where the original loaded the base in 8 bits it called peft's
    prepare_model_for_int8_training (now prepare_model_for_kbit_training): the base frozen, norms in fp32 and
    gradient checkpointing on; that is done here too, whatever the base's dtype on this machine."""
    if not recipe.lora:
        return model
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    lora = recipe.lora
    if lora.load_in_8bit:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    elif recipe.hyperparameters.gradient_checkpointing:
        model.enable_input_require_grads()  # the frozen embeddings' output must carry gradients through checkpoints
    return get_peft_model(model, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                            target_modules=lora_targets(recipe), bias=lora.bias, task_type="CAUSAL_LM"))
