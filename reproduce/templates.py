"""Prompt templates, byte-exact to the originals, as (text, supervised) segments, and their tokenisation.

An example is a dict: `messages` (a list of {"role": "user"|"assistant", "content"}) and optional
`system`; single-turn data also keeps `instruction`, `input` and `output` for the Alpaca templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORE_INDEX = -100

ALPACA = {
    "prompt_input": (
        "Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request.\n\n"
        "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
    ),
    "prompt_no_input": (
        "Below is an instruction that describes a task. "
        "Write a response that appropriately completes the request.\n\n"
        "### Instruction:\n{instruction}\n\n### Response:"
    ),
}
# tloen/alpaca-lora templates/alpaca.json: the same text, each prompt ending in a newline.
ALPACA_LORA = {
    "prompt_input": ALPACA["prompt_input"] + "\n",
    "prompt_no_input": ALPACA["prompt_no_input"] + "\n",
    "response_split": "### Response:",
}
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
QWEN_SYSTEM = "You are a helpful assistant."


@dataclass(frozen=True)
class Segment:
    text: str
    supervised: bool


def _pairs(example: dict) -> list[tuple[str, str]]:
    messages = example["messages"]
    pairs = []
    for i in range(0, len(messages) - 1, 2):
        user, assistant = messages[i], messages[i + 1]
        if user["role"] != "user" or assistant["role"] != "assistant":
            raise ValueError("expected messages alternating user, assistant")
        pairs.append((user["content"], assistant["content"]))
    return pairs


def _alpaca_fields(example: dict) -> tuple[str, str, str]:
    if "instruction" in example:
        return example["instruction"], example.get("input") or "", example["output"]
    pairs = _pairs(example)
    if len(pairs) != 1:
        raise ValueError("the Alpaca templates take single-turn examples")
    return pairs[0][0], "", pairs[0][1]


def alpaca_prompt(example: dict, table: dict[str, str] = ALPACA) -> str:
    instruction, input_, _ = _alpaca_fields(example)
    key = "prompt_input" if input_ != "" else "prompt_no_input"
    return table[key].format_map({"instruction": instruction, "input": input_})


def segments(name: str, example: dict, eos: str = "</s>", system: str | None = None) -> list[Segment]:
    """The training text of `example` under template `name`, split into what is and is not supervised."""
    if name == "alpaca":
        _, _, output = _alpaca_fields(example)
        return [Segment(alpaca_prompt(example), False), Segment(f"{output}{eos}", True)]
    if name == "alpaca-lora":
        _, _, output = _alpaca_fields(example)
        # train_on_inputs=True by default: everything is supervised; EOS is added as a token id.
        return [Segment(alpaca_prompt(example, ALPACA_LORA), True), Segment(output, True)]
    system = system if system is not None else example.get("system")
    pairs = _pairs(example)
    out: list[Segment] = []
    if name == "vicuna_v1.1":
        text = (system if system is not None else VICUNA_SYSTEM) + " "
        for user, assistant in pairs:
            out.append(Segment(text + f"USER: {user} ASSISTANT:", False))
            out.append(Segment(f" {assistant}</s>", True))
            text = ""
        return out
    if name == "oasst":
        prefix = system or ""
        for user, assistant in pairs:
            out.append(Segment(f"{prefix}<|prompter|>{user}</s><|assistant|>", False))
            out.append(Segment(f"{assistant}</s>", True))
            prefix = ""
        return out
    if name == "firefly":
        prefix = "<s>" + (system or "")
        for user, assistant in pairs:
            out.append(Segment(f"{prefix}{user}</s>", False))
            out.append(Segment(f"{assistant}</s>", True))
            prefix = ""
        return out
    if name == "qwen":
        text = f"<|im_start|>system\n{system if system is not None else QWEN_SYSTEM}<|im_end|>\n"
        for index, (user, assistant) in enumerate(pairs):
            sep = "\n" if index else ""
            out.append(Segment(f"{text}{sep}<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n", False))
            out.append(Segment(f"{assistant}<|im_end|>", True))
            text = ""
        return out
    raise ValueError(f"unknown template {name!r}")


def render(name: str, example: dict, **kwargs: Any) -> str:
    return "".join(s.text for s in segments(name, example, **kwargs))


def tokenize(name: str, example: dict, tokenizer: Any, max_length: int, system: str | None = None,
             train_on_inputs: bool | None = None) -> dict[str, list[int]]:
    """input_ids and labels (IGNORE_INDEX where not supervised), computed as the original code does."""
    eos = tokenizer.eos_token or "</s>"
    if name == "alpaca":
        # stanford_alpaca: tokenize source+target and source alone; mask the source's length.
        source, target = segments(name, example, eos=eos)
        full = tokenizer(source.text + target.text, max_length=max_length, truncation=True)["input_ids"]
        source_len = len(tokenizer(source.text, max_length=max_length, truncation=True)["input_ids"])
        labels = [IGNORE_INDEX] * min(source_len, len(full)) + full[source_len:]
        return {"input_ids": full, "labels": labels}
    if name == "alpaca-lora":
        # alpaca-lora: tokenize(full_prompt), EOS appended if room; labels = input_ids (train_on_inputs).
        prompt, output = segments(name, example, eos=eos)
        ids = tokenizer(prompt.text + output.text, max_length=max_length, truncation=True)["input_ids"]
        if ids[-1] != tokenizer.eos_token_id and len(ids) < max_length:
            ids = ids + [tokenizer.eos_token_id]
        labels = list(ids)
        if train_on_inputs is False:
            user_len = len(tokenizer(prompt.text, max_length=max_length, truncation=True)["input_ids"])
            labels = [IGNORE_INDEX] * user_len + labels[user_len:]
        return {"input_ids": ids, "labels": labels}
    ids: list[int] = []
    labels: list[int] = []
    if name == "vicuna_v1.1" and tokenizer.bos_token_id is not None:
        ids.append(tokenizer.bos_token_id)
        labels.append(IGNORE_INDEX)
    for segment in segments(name, example, eos=eos, system=system):
        piece = tokenizer(segment.text, add_special_tokens=False)["input_ids"]
        ids.extend(piece)
        labels.extend(piece if segment.supervised else [IGNORE_INDEX] * len(piece))
    return {"input_ids": ids[:max_length], "labels": labels[:max_length]}
