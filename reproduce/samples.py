"""Samples: greedy completions of fixed prompts in the recipe's training template, from the trained model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from reproduce.checkpoints import WEIGHTS
from reproduce.templates import segments
from survey.schema.recipe import Recipe

SAMPLE_PROMPTS = ("Give three tips for staying healthy.", "用一句话介绍你自己。", "What is the capital of France?")
# Templates whose training text is tokenized whole (special tokens added by the tokenizer); the others are
# tokenized segment by segment without them.
_WHOLE_TEXT = {"alpaca", "alpaca-lora", "vicuna_v1.1"}


def generation_prompt(recipe: Recipe, question: str, input_: str = "") -> str:
    """The recipe's training text for a one-turn example up to where the model answers: every segment but the answer.
    An `input_` goes in the Alpaca templates' Input field, and after the question in the chat templates."""
    # a placeholder answer, dropped again: an empty one renders differently in FastChat's template
    user = question + (f"\n\n{input_}" if input_ else "")
    example = {"instruction": question, "input": input_, "output": "x",
               "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "x"}]}
    return "".join(s.text for s in segments(recipe.template.name, example, system=recipe.template.system)[:-1])


def final_model(model: Any, final: Path):
    """Under ZeRO-3 the engine's parameters are partitioned: a whole model reloaded from the saved final weights
    (safetensors when gathered on save, else the ZeRO checkpoint through zero_to_fp32)."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    unset_hf_deepspeed_config()  # training is over: load whole, not through zero.Init
    dtype = next((p.dtype for p in model.parameters() if p.dtype.is_floating_point), torch.float32)
    if any((final / name).is_file() for name in WEIGHTS):
        reloaded = AutoModelForCausalLM.from_pretrained(final, dtype=dtype)
    else:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        reloaded = AutoModelForCausalLM.from_config(model.config)
        missing = reloaded.load_state_dict(get_fp32_state_dict_from_zero_checkpoint(str(final)), strict=False).missing_keys
        if missing:
            print(f"warning: {final} lacks {len(missing)} weights ({', '.join(missing[:3])}); samples may be off",
                  file=sys.stderr)
        reloaded.to(dtype)
    return reloaded.to("cuda" if torch.cuda.is_available() else "cpu")


def prompt_ids(recipe: Recipe, tokenizer: Any, prompt: str):
    """The prompt's token ids as training tokenized it (special tokens added for the whole-text templates)."""
    return tokenizer(prompt, add_special_tokens=recipe.template.name in _WHOLE_TEXT, return_tensors="pt")["input_ids"]


def greedy(recipe: Recipe, model: Any, tokenizer: Any, prompt: str, max_new_tokens: int, streamer: Any = None) -> str:
    """The greedy completion of `prompt`, decoded without special tokens (`streamer` gets the tokens as they come)."""
    import torch

    device = next(model.parameters()).device
    ids = prompt_ids(recipe, tokenizer, prompt)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with torch.no_grad():
        out = model.generate(input_ids=ids.to(device), attention_mask=torch.ones_like(ids).to(device),
                             do_sample=False, max_new_tokens=max_new_tokens, pad_token_id=pad_id,
                             eos_token_id=tokenizer.eos_token_id, streamer=streamer)
    return tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)


def write_samples(recipe: Recipe, model: Any, tokenizer: Any, path: Path, max_new_tokens: int = 32) -> list[dict]:
    """Greedy completions of SAMPLE_PROMPTS in the recipe's template, printed and written to `path` (JSON lines)."""
    model.eval()
    rows = []
    for question in SAMPLE_PROMPTS:
        prompt = generation_prompt(recipe, question)
        completion = greedy(recipe, model, tokenizer, prompt, max_new_tokens)
        rows.append({"question": question, "prompt": prompt, "completion": completion, "text": prompt + completion})
        print(f"--- sample: {question}\n{completion}", flush=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    partial.replace(path)
    return rows
