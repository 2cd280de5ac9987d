"""Reading training data in its original formats, sampling it as recorded, and the neo_sft_phase2 constructions."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reproduce import ReproduceError

# format -> fields each record must have
FIELDS: dict[str, tuple[str, ...]] = {
    "alpaca": ("instruction", "output"),
    "sharegpt": ("conversations",),
    "fastchat": ("conversations",),
    "firefly": ("kind", "input", "target"),
    "belle-multiturn": ("instruction", "output"),
    "dolly": ("instruction", "context", "response"),
    "self-intro": ("instruction", "output"),
}
USER_ROLES = {"human", "user", "prompter"}
ASSISTANT_ROLES = {"gpt", "assistant", "chatgpt", "bing", "bard"}


def _parquet_records(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number, record) from a Parquet file, read in batches with pyarrow; rows are numbered from 1."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ReproduceError(f"{path}: reading Parquet needs pyarrow; install the `train` extra "
                             "(pip install -e '.[train]') or pyarrow itself", code=2) from None
    try:
        parquet = pq.ParquetFile(path)
    except OSError as exc:
        if not path.is_file():
            raise ReproduceError(f"{path}: cannot read: {exc.strerror or exc}") from None
        raise ReproduceError(f"{path}: not a Parquet file: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid (a ValueError) on a damaged file
        raise ReproduceError(f"{path}: not a Parquet file: {exc}") from None
    number = 0
    try:
        for batch in parquet.iter_batches():
            for record in batch.to_pylist():
                number += 1
                yield number, record
    except (OSError, ValueError) as exc:
        raise ReproduceError(f"{path}:{number + 1}: unreadable Parquet row: {exc}") from None


def read_records(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, record) from a .json array, a .jsonl file (either may be .gz) or a .parquet file (row
    number); a bad line is an error naming file and line."""
    if path.suffix == ".parquet":
        yield from _parquet_records(path)
        return
    try:
        if path.suffix == ".gz":
            import gzip

            text = gzip.decompress(path.read_bytes()).decode("utf-8")
        else:
            text = path.read_text("utf-8")
    except OSError as exc:
        raise ReproduceError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ReproduceError(f"{path}: expected UTF-8 text ({exc.reason} at byte {exc.start})") from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReproduceError(f"{path}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}") from None
        for index, record in enumerate(data):
            if not isinstance(record, dict):
                raise ReproduceError(f"{path}: record {index + 1}: expected a JSON object, found {type(record).__name__}")
            yield index + 1, record
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReproduceError(f"{path}:{number}: malformed JSON line: {exc.msg} (column {exc.colno})") from None
        if not isinstance(record, dict):
            raise ReproduceError(f"{path}:{number}: expected a JSON object, found {type(record).__name__}")
        yield number, record


def check_fields(path: Path, number: int, record: dict, fmt: str) -> None:
    needed = FIELDS[fmt]
    missing = [f for f in needed if f not in record]
    if missing:
        raise ReproduceError(
            f"{path}:{number}: not {fmt} data: expected fields {', '.join(needed)}; "
            f"found {', '.join(sorted(record)) or 'none'}"
        )


def _messages_from_sharegpt(path: Path, number: int, turns: Any) -> list[dict]:
    if not isinstance(turns, list):
        raise ReproduceError(f"{path}:{number}: expected `conversations` to be a list of {{from, value}}")
    messages = []
    for turn in turns:
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            found = ", ".join(sorted(turn)) if isinstance(turn, dict) else type(turn).__name__
            raise ReproduceError(f"{path}:{number}: expected turns with fields from, value; found {found}")
        role = turn["from"].lower()
        if role == "system":
            continue
        if role in USER_ROLES:
            messages.append({"role": "user", "content": turn["value"]})
        elif role in ASSISTANT_ROLES:
            messages.append({"role": "assistant", "content": turn["value"]})
        else:
            raise ReproduceError(f"{path}:{number}: unknown speaker {turn['from']!r}; expected human or gpt")
    return messages


FASTCHAT_ROLES = {"human": "user", "gpt": "assistant"}


def _fastchat_messages(path: Path, number: int, turns: Any) -> list[dict]:
    """A ShareGPT conversation read as FastChat's 2023 train.py (commit 4960ca70) reads it: a first turn not from
    the human is skipped, the others must alternate human, gpt (a trailing human turn is kept), and any other
    speaker stops training (FastChat's KeyError and assertion, here an error naming the line)."""
    if not isinstance(turns, list):
        raise ReproduceError(f"{path}:{number}: expected `conversations` to be a list of {{from, value}}")
    for turn in turns:
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            found = ", ".join(sorted(turn)) if isinstance(turn, dict) else type(turn).__name__
            raise ReproduceError(f"{path}:{number}: expected turns with fields from, value; found {found}")
        if turn["from"] not in FASTCHAT_ROLES:
            raise ReproduceError(f"{path}:{number}: speaker {turn['from']!r}: FastChat's train.py knows only 'human' "
                                 "and 'gpt' and stops on any other; clean the data file first")
    if turns and FASTCHAT_ROLES[turns[0]["from"]] != "user":
        turns = turns[1:]
    messages = []
    for index, turn in enumerate(turns):
        role = FASTCHAT_ROLES[turn["from"]]
        if role != ("user", "assistant")[index % 2]:
            raise ReproduceError(f"{path}:{number}: turn {index + 1} is from {turn['from']!r} where FastChat's "
                                 "train.py expects human and gpt to alternate, and stops otherwise")
        messages.append({"role": role, "content": turn["value"]})
    return messages


def _fix_alternation(messages: list[dict]) -> list[dict]:
    """Drop a leading assistant turn and a trailing user turn (what FastChat skips too)."""
    while messages and messages[0]["role"] != "user":
        messages = messages[1:]
    if len(messages) % 2:
        messages = messages[:-1]
    return messages


_BELLE = re.compile(r"(Human|Assistant):")


def _belle_messages(instruction: str, output: str) -> list[dict]:
    parts = _BELLE.split(instruction)
    messages = []
    for speaker, text in zip(parts[1::2], parts[2::2]):
        text = text.strip()
        if text:
            messages.append({"role": "user" if speaker == "Human" else "assistant", "content": text})
    messages.append({"role": "assistant", "content": output})
    return messages


def normalise(path: Path, number: int, record: dict, fmt: str) -> dict:
    check_fields(path, number, record, fmt)
    if fmt in ("alpaca", "self-intro"):
        instruction, input_, output = record["instruction"], record.get("input") or "", record["output"]
        user = f"{instruction}\n{input_}" if input_ else instruction
        return {"instruction": instruction, "input": input_, "output": output,
                "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": output}]}
    if fmt == "dolly":
        return normalise(path, number, {"instruction": record["instruction"], "input": record["context"],
                                        "output": record["response"]}, "alpaca") | {"category": record.get("category")}
    if fmt == "firefly":
        return {"category": record["kind"], "instruction": record["input"], "input": "", "output": record["target"],
                "messages": [{"role": "user", "content": record["input"]}, {"role": "assistant", "content": record["target"]}]}
    if fmt == "belle-multiturn":
        return {"messages": _fix_alternation(_belle_messages(record["instruction"], record["output"]))}
    if fmt == "sharegpt":
        return {"messages": _fix_alternation(_messages_from_sharegpt(path, number, record["conversations"]))}
    if fmt == "fastchat":
        return {"messages": _fastchat_messages(path, number, record["conversations"])}
    raise ReproduceError(f"reading {fmt!r} data is not implemented", code=2)


def load_examples(path: Path, fmt: str) -> list[dict]:
    """The examples of a file; empty conversations are dropped, except in FastChat's format, where they stay until
    its hold-out is split off (the split permutes every record of the file) and are dropped after it."""
    out = []
    for number, record in read_records(path):
        example = normalise(path, number, record, fmt)
        if example["messages"] or fmt == "fastchat":
            out.append(example)
    return out


def hold_out(examples: list[dict], count: int, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, test) as `datasets`' `train_test_split(test_size=count, shuffle=True, seed=seed)` makes them, which
    alpaca-lora uses to hold out its validation set: the same examples, in the same order."""
    if count >= len(examples):
        raise ReproduceError(f"the recipe holds out {count} examples for validation but the data has {len(examples)}")
    try:
        from datasets import Dataset
    except ImportError:
        raise ReproduceError("holding out a validation set needs the `datasets` library; install the `train` extra "
                             "(pip install -e '.[train]')", code=2) from None
    split = Dataset.from_dict({"index": range(len(examples))}).train_test_split(test_size=count, shuffle=True, seed=seed)
    return [examples[i] for i in split["train"]["index"]], [examples[i] for i in split["test"]["index"]]


def fastchat_split(examples: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """FastChat's 2023 train.py split: `np.random.seed(0)`, a permutation of the conversations, the first
    int(0.98 n) of it for training and the rest for evaluation (fraction 0.02)."""
    import numpy as np

    np.random.seed(seed)
    order = np.random.permutation(len(examples))
    cut = int(len(order) * (1 - fraction))
    return [examples[i] for i in order[:cut]], [examples[i] for i in order[cut:]]


def sample(examples: list[dict], sampling: Any | None, seed: int = 42, fmt: str | None = None
           ) -> tuple[list[dict], list[dict]]:
    """(train, held out) under a recipe's Sampling: the validation hold-out (alpaca-lora's train_test_split, or
    FastChat's permutation for its format), then per-category quotas (firefly's 24 x 500), then a cap."""
    if sampling is None:
        return examples, []
    seed = sampling.seed if sampling.seed is not None else seed
    held: list[dict] = []
    if sampling.val_examples:
        examples, held = hold_out(examples, sampling.val_examples, seed)
    elif sampling.val_split and fmt == "fastchat":
        examples, held = fastchat_split(examples, sampling.val_split, seed)
    rng = random.Random(seed)
    if sampling.per_category:
        groups: dict[Any, list[dict]] = defaultdict(list)
        for example in examples:
            groups[example.get("category")].append(example)
        picked = []
        for key in sorted(groups, key=str):
            group = groups[key]
            picked.extend(rng.sample(group, min(sampling.per_category, len(group))))
        examples = picked
    if sampling.max_examples and len(examples) > sampling.max_examples:
        examples = rng.sample(examples, sampling.max_examples)
    return examples, held


# --- neo_sft_phase2 constructions (seed 003) ---------------------------------------------------------------

def _turn_pairs(messages: list[dict]) -> list[tuple[str, str]]:
    return [(messages[i]["content"], messages[i + 1]["content"]) for i in range(0, len(messages) - 1, 2)]


def neo_conversations(messages: list[dict]) -> list[dict]:
    """One row per reply: instruction = every earlier turn and the current question, joined by newlines."""
    rows, history = [], []
    for question, answer in _turn_pairs(messages):
        rows.append({"instruction": "\n".join([*history, question]), "input": "", "output": answer})
        history += [question, answer]
    return rows


def neo_multi(messages: list[dict]) -> list[dict]:
    """One row per conversation: all questions joined, all answers joined (newlines)."""
    pairs = _turn_pairs(messages)
    if not pairs:
        return []
    return [{"instruction": "\n".join(q for q, _ in pairs), "input": "", "output": "\n".join(a for _, a in pairs)}]


def neo_single(messages: list[dict]) -> list[dict]:
    """Only conversations of exactly one exchange."""
    pairs = _turn_pairs(messages)
    return [{"instruction": pairs[0][0], "input": "", "output": pairs[0][1]}] if len(pairs) == 1 else []


def neo_all_pair(messages: list[dict]) -> list[dict]:
    """Turns 1-2 make one row, 3-4 the next, and so on: every exchange on its own."""
    return [{"instruction": q, "input": "", "output": a} for q, a in _turn_pairs(messages)]


CONSTRUCTIONS = {"neo-conversations": neo_conversations, "neo-multi": neo_multi,
                 "neo-single": neo_single, "neo-all-pair": neo_all_pair}


def construct(name: str, path: Path) -> list[dict]:
    if name not in CONSTRUCTIONS:
        raise ReproduceError(f"unknown construction {name!r}; expected one of {', '.join(CONSTRUCTIONS)}", code=2)
    rows = []
    for number, record in read_records(path):
        check_fields(path, number, record, "sharegpt")
        messages = _messages_from_sharegpt(path, number, record["conversations"])
        rows.extend(CONSTRUCTIONS[name](_fix_alternation(messages)))
    return rows
