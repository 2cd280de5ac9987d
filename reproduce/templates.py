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
    if name == "vicuna_v1.1":
        return _vicuna_segments(example, system)
    pairs = _pairs(example)
    out: list[Segment] = []
    if name == "oasst":
        # OA's DialogueDataCollator marks every token of an assistant message (from <|assistant|> to its EOS) and
        # trains on `targets = roll(input_ids, -1)`: the token *after* each marked one is predicted. In labels
        # aligned with input_ids that is the reply, its EOS and the <|prompter|> opening the next turn.
        tag = example.get("oa_system")  # Open-Assistant's system tag (oa_data.system_tag)
        prefix = (system or "") + (f"<|system|>{tag}\n{eos}" if tag else "")
        for index, (user, assistant) in enumerate(pairs):
            if index:
                out.append(Segment("<|prompter|>", True))
                out.append(Segment(f"{user}{eos}<|assistant|>", False))
            else:
                out.append(Segment(f"{prefix}<|prompter|>{user}{eos}<|assistant|>", False))
            out.append(Segment(f"{assistant}{eos}", True))
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


def _vicuna_segments(example: dict, system: str | None) -> list[Segment]:
    """FastChat's get_prompt for SeparatorStyle.ADD_COLON_TWO (conversation.py, commit 4960ca70): the system
    prompt and " ", then for each message "ROLE: message" and its separator (" " after USER, "</s>" after
    ASSISTANT), or just "ROLE:" when the message is empty; a trailing USER turn is rendered too."""
    text = (system if system is not None else VICUNA_SYSTEM) + " "
    out: list[Segment] = []
    for index, message in enumerate(example["messages"]):
        role, content = ("USER", "ASSISTANT")[index % 2], message["content"]
        if index % 2 == 0:
            out.append(Segment(text + (f"USER: {content} " if content else "USER:"), False))
            text = ""
        elif content:
            out += [Segment("ASSISTANT:", False), Segment(f" {content}</s>", True)]
        else:
            out.append(Segment(f"{role}:", False))
    return out


def render(name: str, example: dict, **kwargs: Any) -> str:
    return "".join(s.text for s in segments(name, example, **kwargs))


def tokenize(name: str, example: dict, tokenizer: Any, max_length: int | None, system: str | None = None,
             train_on_inputs: bool | None = None, truncation: str = "head") -> dict[str, list[int]]:
    """input_ids and labels (IGNORE_INDEX where not supervised), computed as the original code does. With
    `max_length` None nothing is cut (the collator crops, for Open-Assistant's random offsets)."""
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
    if name == "vicuna_v1.1":
        return _tokenize_vicuna(example, tokenizer, max_length, system)
    pieces = [(tokenizer(segment.text, add_special_tokens=False)["input_ids"], segment.supervised)
              for segment in segments(name, example, eos=eos, system=system)]
    if truncation == "infer-seqlen":
        return _infer_seqlen_turns(pieces, max_length)
    ids: list[int] = []
    labels: list[int] = []
    for piece, supervised in pieces:
        ids.extend(piece)
        labels.extend(piece if supervised else [IGNORE_INDEX] * len(piece))
    return {"input_ids": ids[:max_length], "labels": labels[:max_length]}


def infer_seqlen(source_len: int, target_len: int, cutoff_len: int) -> tuple[int, int]:
    """LLaMA-Factory's budget for one turn (data/processors/processor_utils.py, commit 47877acc2): a short response
    keeps all of itself and the prompt is cut; a short prompt keeps all of itself and the response is cut; else
    both are cut in proportion to their lengths."""
    if target_len * 2 < cutoff_len:
        max_target = cutoff_len
    elif source_len * 2 < cutoff_len:
        max_target = cutoff_len - source_len
    else:
        max_target = int(cutoff_len * (target_len / (source_len + target_len)))
    target = min(max_target, target_len)
    return min(max(cutoff_len - target, 0), source_len), target


def _infer_seqlen_turns(pieces: list[tuple[list[int], bool]], max_length: int) -> dict[str, list[int]]:
    """LLaMA-Factory's _encode_supervised_example: turn by turn, each (prompt, response) pair cut by infer_seqlen
    to the budget the earlier turns left, stopping once it is spent."""
    ids: list[int] = []
    labels: list[int] = []
    for (source, _), (target, _) in zip(pieces[0::2], pieces[1::2]):
        if len(ids) >= max_length:
            break
        source_len, target_len = infer_seqlen(len(source), len(target), max_length - len(ids))
        ids += source[:source_len] + target[:target_len]
        labels += [IGNORE_INDEX] * source_len + target[:target_len]
    return {"input_ids": ids, "labels": labels}


def tokenize_many(name: str, examples: list[dict], tokenizer: Any, max_length: int | None, system: str | None = None,
                  train_on_inputs: bool | None = None, truncation: str = "head") -> list[dict[str, list[int]]]:
    """`tokenize` over many examples, with identical results; Alpaca in one batched fast-tokenizer call.

    stanford_alpaca tokenizes prompt+output and the prompt alone, one call each per example, and masks the
    prompt's token count. Here the full texts go through the tokenizer once, as a batch, and character
    offsets place the mask: every token before the one holding the output's first character. Where a token
    straddles that boundary (prompt and output merged into one token), or truncation cut the output off, the
    prompt alone is tokenized, as the original does, so the mask is the original's in every case. Slow
    tokenizers, and those adding special tokens after the text, take the per-example path.
    """
    if name != "alpaca" or not examples or max_length is None or not _specials_only_lead(tokenizer):
        return [tokenize(name, e, tokenizer, max_length, system=system, train_on_inputs=train_on_inputs,
                         truncation=truncation) for e in examples]
    eos = tokenizer.eos_token or "</s>"
    sources, texts = [], []
    for example in examples:
        source, target = segments(name, example, eos=eos)
        sources.append(source.text)
        texts.append(source.text + target.text)
    out: list[dict[str, list[int]]] = []
    straddling: list[int] = []
    for index, (encoding, source) in enumerate(zip(_encode_batch(tokenizer, texts, max_length), sources)):
        ids, boundary = encoding.ids, len(source)
        masked = encoding.char_to_token(boundary)  # the token holding the output's first character
        if masked is None or encoding.token_to_chars(masked)[0] < boundary:
            straddling.append(index)  # cut off by truncation, or a token spanning prompt and output
            masked = len(ids)
        out.append({"input_ids": ids, "labels": [IGNORE_INDEX] * masked + ids[masked:]})
    if straddling:
        lengths = tokenizer([sources[i] for i in straddling], max_length=max_length, truncation=True)["input_ids"]
        for index, source_ids in zip(straddling, lengths):
            ids = out[index]["input_ids"]
            masked = min(len(source_ids), len(ids))
            out[index]["labels"] = [IGNORE_INDEX] * masked + ids[masked:]
    return out


def _encode_batch(tokenizer: Any, texts: list[str], max_length: int) -> list[Any]:
    """The `tokenizers.Encoding` of each text as `tokenizer(texts, max_length=..., truncation=True)` makes it, from
    one call of the Rust tokenizer without transformers' per-text conversion to lists (checked against the
    wrapper on the first text; on any difference the wrapper's own encodings are used)."""
    reference = tokenizer(texts[:1], max_length=max_length, truncation=True)
    backend = tokenizer.backend_tokenizer
    truncation, padding = backend.truncation, backend.padding
    try:
        backend.no_padding()
        backend.enable_truncation(max_length, direction=getattr(tokenizer, "truncation_side", "right"))
        encodings = backend.encode_batch(texts)
    finally:
        if truncation is None:
            backend.no_truncation()
        else:
            backend.enable_truncation(**truncation)
        if padding is not None:
            backend.enable_padding(**padding)
    if encodings[0].ids != reference["input_ids"][0]:
        encodings = tokenizer(texts, max_length=max_length, truncation=True).encodings
    return encodings


def _specials_only_lead(tokenizer: Any) -> bool:
    """A fast tokenizer that adds special tokens (if any) only before the text, so offsets can place the mask."""
    if not getattr(tokenizer, "is_fast", False):
        return False
    mask = tokenizer("x", return_special_tokens_mask=True)["special_tokens_mask"]
    return not mask or mask[-1] == 0


def _mask(labels: list[int], start: int, stop: int | None = None) -> None:
    """labels[start:stop] = IGNORE_INDEX, clipped to the list as a tensor slice assignment is."""
    for i in range(max(start, 0), min(len(labels) if stop is None else stop, len(labels))):
        labels[i] = IGNORE_INDEX


def _tokenize_vicuna(example: dict, tokenizer: Any, max_length: int | None, system: str | None) -> dict[str, list[int]]:
    """FastChat's preprocess() (fastchat/train/train.py, commit 4960ca70), step by step. The conversation is
    tokenized whole (truncated to max_length) and split at "</s>" into rounds; in each round everything up to
    " ASSISTANT: " is masked, counted as len(tokenizer(that part)) - 2 (the BOS and the trailing space piece of
    LLaMA's tokenizer), and the round advances the cursor by len(tokenizer(round)) (its BOS standing for the
    "</s>" the split removed). A round without " ASSISTANT: " ends the walk and the rest is masked. When the
    cursor does not land on the conversation's length in non-pad tokens (a trailing USER turn, a "</s>" inside a
    message, an <unk> counted as padding), FastChat masks the whole conversation; so does this."""
    text = render("vicuna_v1.1", example, system=system)
    ids = tokenizer(text, **({"max_length": max_length, "truncation": True} if max_length else {}))["input_ids"]
    labels = list(ids)
    total = sum(1 for t in ids if t != tokenizer.pad_token_id)
    sep = " ASSISTANT: "
    cursor = 1
    _mask(labels, 0, cursor)
    for turn in text.split("</s>"):
        if turn == "":
            break
        parts = turn.split(sep)
        if len(parts) != 2:
            break
        round_len = len(tokenizer(turn)["input_ids"])
        instruction_len = len(tokenizer(parts[0] + sep)["input_ids"]) - 2
        _mask(labels, cursor, cursor + instruction_len)
        cursor += round_len
    _mask(labels, cursor)
    if (max_length is None or cursor < max_length) and cursor != total:
        labels = [IGNORE_INDEX] * len(ids)
    return {"input_ids": ids, "labels": labels}
