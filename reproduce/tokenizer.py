"""The tokenizer a run trains with: the base model's (or, for --smoke, one trained on the shipped text), the
recipe's special-token policy applied, and the embeddings resized to match, as each original did."""

from __future__ import annotations

import math
from typing import Any

from survey.schema.recipe import Recipe


def load(recipe: Recipe, folder: str):
    from transformers import AutoTokenizer

    # transformers 5 keeps one (tokenizers-backed) class per model; use_fast=False still selects it
    use_fast = recipe.tokenizer.use_fast if recipe.tokenizer.use_fast is not None else True
    return AutoTokenizer.from_pretrained(folder, trust_remote_code=recipe.base.trust_remote_code,
                                         model_max_length=recipe.hyperparameters.max_length, use_fast=use_fast)


def smoke(recipe: Recipe, examples: list[dict]):
    """A byte-level BPE trained on the rendered shipped examples, with the base architecture's special tokens."""
    from reproduce.templates import render
    from reproduce.tiny import tiny_tokenizer

    texts = [render(recipe.template.name, e, system=recipe.template.system) for e in examples if e.get("messages")]
    return tiny_tokenizer(texts, recipe.base.architecture)


def apply_policy(recipe: Recipe, tokenizer: Any) -> int:
    """The recipe's special-token policy; returns how many tokens were added (embedding rows to initialise)."""
    policy = recipe.tokenizer
    added = 0
    extra = [t for t in policy.add_special_tokens if t != "[PAD]"]
    if extra:
        added += tokenizer.add_special_tokens({"additional_special_tokens": extra})
    if policy.pad == "add-pad-mean-init" and tokenizer.pad_token is None:
        added += tokenizer.add_special_tokens({"pad_token": "[PAD]"})
    elif policy.pad == "unk":
        tokenizer.pad_token = tokenizer.unk_token
    elif policy.pad == "unk-id-0":
        tokenizer.pad_token_id = 0
    elif policy.pad in ("eos", "existing") and tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = policy.padding_side
    return added


def resize_embeddings(recipe: Recipe, model: Any, tokenizer: Any, added: int) -> None:
    """Embedding rows for the tokenizer's vocabulary. New rows start as the mean of the old ones where the
    original did that (stanford_alpaca's smart_tokenizer_and_embedding_resize), else from the model's own
    initialisation, as the 2023 transformers did (5.x would fill them with the mean). Open-Assistant resizes to a
    multiple of 16 rows even when that removes unused ones. Under ZeRO-3 the rows are gathered to be written."""
    rows = model.get_input_embeddings().weight.ds_shape[0] if _partitioned(model) else \
        model.get_input_embeddings().weight.shape[0]
    multiple = recipe.tokenizer.vocab_multiple_of
    target = math.ceil(len(tokenizer) / multiple) * multiple if multiple else len(tokenizer)
    if target == rows or (not multiple and target < rows and not added):
        return
    model.resize_token_embeddings(target, mean_resizing=False)
    if not (added and recipe.tokenizer.pad == "add-pad-mean-init"):
        return
    import torch

    embeddings = [e.weight for e in (model.get_input_embeddings(), model.get_output_embeddings()) if e is not None]
    with _gathered(model, embeddings), torch.no_grad():
        for weight in embeddings:
            weight[-added:] = weight[:-added].mean(dim=0, keepdim=True)


def _partitioned(model: Any) -> bool:
    return hasattr(model.get_input_embeddings().weight, "ds_shape")


def _gathered(model: Any, parameters: list):
    if _partitioned(model):
        import deepspeed

        return deepspeed.zero.GatheredParameters(parameters, modifier_rank=0)
    from contextlib import nullcontext

    return nullcontext()
