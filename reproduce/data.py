"""Reading training data in its original formats, sampling it as recorded, and the neo_sft_phase2 constructions."""

from __future__ import annotations

import gzip
import json
import random
import re
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
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
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\r\n]*")  # JSON's whitespace
USER_ROLES = {"human", "user", "prompter"}
ASSISTANT_ROLES = {"gpt", "assistant", "chatgpt", "bing", "bard"}


@dataclass(frozen=True)
class Place:
    """Where a record is: its file, its number (from 1) and, in a format that has lines, the line it starts on.
    Shown as `file:line: record N` (or `file: record N` for Parquet), the head of every message about it."""

    path: Path
    record: int
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: record {self.record}" if self.line else f"{self.path}: record {self.record}"


def _parquet_records(path: Path) -> Iterator[tuple[Place, dict]]:
    """(place, record) from a Parquet file, read in batches with pyarrow."""
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
                yield Place(path, number), record
    except (OSError, ValueError) as exc:
        raise ReproduceError(f"{path}: record {number + 1}: unreadable Parquet row: {exc}") from None


def _text_of(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReproduceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ReproduceError(f"{path}: expected a gzip-compressed file, found one that does not decompress "
                                 f"({exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReproduceError(f"{path}: expected UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _decode(path: Path, text: str, start: int, what: str) -> tuple[Any, int]:
    """One JSON value of `text` from `start`: (value, where it ends); an error names its line and column."""
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise ReproduceError(f"{path}:{exc.lineno}:{exc.colno}: malformed {what}: {exc.msg}") from None
    except RecursionError:
        line = text.count("\n", 0, start) + 1
        raise ReproduceError(f"{path}:{line}: expected JSON nested at most a few hundred levels deep, found deeper "
                             "nesting") from None


def _array_records(path: Path, text: str) -> Iterator[tuple[Place, dict]]:
    """The objects of a JSON array, one at a time, each with the line it starts on."""
    at = _skip(text, text.index("[") + 1)
    number, line, counted = 0, 1, 0  # lines are counted on from the last record, not from the start each time
    while at < len(text) and text[at] != "]":
        number += 1
        line, counted = line + text.count("\n", counted, at), at
        record, at = _decode(path, text, at, "JSON")
        place = Place(path, number, line)
        if not isinstance(record, dict):
            raise ReproduceError(f"{place}: expected a JSON object, found {_kind(record)}")
        yield place, record
        at = _skip(text, at)
        if at < len(text) and text[at] == ",":
            at = _skip(text, at + 1)
        elif at < len(text) and text[at] != "]":
            line = text.count("\n", 0, at) + 1
            column = at - text.rfind("\n", 0, at)
            raise ReproduceError(f"{path}:{line}:{column}: malformed JSON: expected , or ] after record {number}, "
                                 f"found {text[at]!r}")
    if at >= len(text):
        raise ReproduceError(f"{path}: malformed JSON: the array is not closed (no ])")
    if text[at + 1:].strip():
        raise ReproduceError(f"{path}:{text.count(chr(10), 0, at + 1) + 1}: malformed JSON: text after the array")


def _skip(text: str, at: int) -> int:
    return _SPACE.match(text, at).end()


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true or false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def read_records(path: Path) -> Iterator[tuple[Place, dict]]:
    """(place, record) from a .json array, a .jsonl file (either may be .gz) or a .parquet file; a bad record
    is an error naming file, line and record. An empty file is an error too: a run on no data is a mistake."""
    count = 0
    for place, record in _parquet_records(path) if path.suffix == ".parquet" else _json_records(path):
        count += 1
        yield place, record
    if not count:
        raise ReproduceError(f"{path}: expected records, found none (the file holds no data)")


def _json_records(path: Path) -> Iterator[tuple[Place, dict]]:
    text = _text_of(path)
    if text.lstrip().startswith("["):
        yield from _array_records(path, text)
        return
    number = 0
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        number += 1
        place = Place(path, number, line_number)
        try:
            record, end = _DECODER.raw_decode(line, len(line) - len(line.lstrip()))
        except json.JSONDecodeError as exc:
            raise ReproduceError(f"{path}:{line_number}: malformed JSON line: {exc.msg} (column {exc.colno})") from None
        except RecursionError:
            raise ReproduceError(f"{place}: expected JSON nested at most a few hundred levels deep, found deeper "
                                 "nesting") from None
        if line[end:].strip():
            column = len(line) - len(line[end:].lstrip()) + 1
            raise ReproduceError(f"{path}:{line_number}: malformed JSON line: extra data after the record "
                                 f"(column {column})")
        if not isinstance(record, dict):
            raise ReproduceError(f"{place}: expected a JSON object, found {_kind(record)}")
        yield place, record


def check_fields(where: Place, record: dict, fmt: str) -> None:
    needed = FIELDS[fmt]
    missing = [f for f in needed if f not in record]
    if missing:
        raise ReproduceError(
            f"{where}: not {fmt} data: expected fields {', '.join(needed)}; "
            f"found {', '.join(sorted(record)) or 'none'}"
        )


def text_field(where: Place, record: dict, name: str, optional: bool = False, at: str | None = None) -> str:
    """`record[name]` when it is text (an optional field may also be missing or null: then ""); `at` is the
    field's path in the record, for the message."""
    value = record.get(name)
    if isinstance(value, str):
        return value
    if optional and value is None:
        return ""
    raise ReproduceError(f"{where}: {at or name}: expected text, found {_kind(value)}"
                         + (f" ({json.dumps(value)[:40]})" if isinstance(value, (int, float, bool)) else ""))


def _turns(where: Place, turns: Any) -> list[tuple[str, str]]:
    """(from, value) of each turn of a ShareGPT conversation, both checked to be text."""
    if not isinstance(turns, list):
        raise ReproduceError(f"{where}: conversations: expected a list of turns {{from, value}}, found {_kind(turns)}")
    out = []
    for index, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            found = ", ".join(sorted(turn)) or "no fields" if isinstance(turn, dict) else _kind(turn)
            raise ReproduceError(f"{where}: conversations[{index}]: expected a turn with fields from, value; found {found}")
        out.append((text_field(where, turn, "from", at=f"conversations[{index}].from"),
                    text_field(where, turn, "value", at=f"conversations[{index}].value")))
    return out


def _messages_from_sharegpt(where: Place, turns: Any) -> list[dict]:
    messages = []
    for index, (speaker, value) in enumerate(_turns(where, turns), start=1):
        role = speaker.lower()
        if role == "system":
            continue
        if role in USER_ROLES:
            messages.append({"role": "user", "content": value})
        elif role in ASSISTANT_ROLES:
            messages.append({"role": "assistant", "content": value})
        else:
            raise ReproduceError(f"{where}: conversations[{index}].from: unknown speaker {speaker!r}; expected human or gpt")
    return messages


FASTCHAT_ROLES = {"human": "user", "gpt": "assistant"}


def _fastchat_messages(where: Place, turns: Any) -> list[dict]:
    """A ShareGPT conversation read as FastChat's 2023 train.py (commit 4960ca70) reads it: a first turn not from
    the human is skipped, the others must alternate human, gpt (a trailing human turn is kept), and any other
    speaker stops training (FastChat's KeyError and assertion, here an error naming the record)."""
    pairs = _turns(where, turns)
    for speaker, _ in pairs:
        if speaker not in FASTCHAT_ROLES:
            raise ReproduceError(f"{where}: speaker {speaker!r}: FastChat's train.py knows only 'human' "
                                 "and 'gpt' and stops on any other; clean the data file first")
    if pairs and FASTCHAT_ROLES[pairs[0][0]] != "user":
        pairs = pairs[1:]
    messages = []
    for index, (speaker, value) in enumerate(pairs):
        role = FASTCHAT_ROLES[speaker]
        if role != ("user", "assistant")[index % 2]:
            raise ReproduceError(f"{where}: turn {index + 1} is from {speaker!r} where FastChat's "
                                 "train.py expects human and gpt to alternate, and stops otherwise")
        messages.append({"role": role, "content": value})
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


def normalise(where: Place, record: dict, fmt: str) -> dict:
    check_fields(where, record, fmt)
    if fmt in ("alpaca", "self-intro"):
        instruction, output = text_field(where, record, "instruction"), text_field(where, record, "output")
        input_ = text_field(where, record, "input", optional=True)
        user = f"{instruction}\n{input_}" if input_ else instruction
        return {"instruction": instruction, "input": input_, "output": output,
                "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": output}]}
    if fmt == "dolly":
        fields = {"instruction": text_field(where, record, "instruction"), "output": text_field(where, record, "response"),
                  "input": text_field(where, record, "context", optional=True)}
        return normalise(where, fields, "alpaca") | {"category": record.get("category")}
    if fmt == "firefly":
        question, answer = text_field(where, record, "input"), text_field(where, record, "target")
        return {"category": record["kind"], "instruction": question, "input": "", "output": answer,
                "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}
    if fmt == "belle-multiturn":
        return {"messages": _fix_alternation(_belle_messages(text_field(where, record, "instruction"),
                                                             text_field(where, record, "output")))}
    if fmt == "sharegpt":
        return {"messages": _fix_alternation(_messages_from_sharegpt(where, record["conversations"]))}
    if fmt == "fastchat":
        return {"messages": _fastchat_messages(where, record["conversations"])}
    raise ReproduceError(f"reading {fmt!r} data is not implemented", code=2)


def load_examples(path: Path, fmt: str) -> list[dict]:
    """The examples of a file; empty conversations are dropped, except in FastChat's format, where they stay until
    its hold-out is split off (the split permutes every record of the file) and are dropped after it."""
    out = []
    for where, record in read_records(path):
        example = normalise(where, record, fmt)
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
    for where, record in read_records(path):
        check_fields(where, record, "sharegpt")
        messages = _messages_from_sharegpt(where, record["conversations"])
        rows.extend(CONSTRUCTIONS[name](_fix_alternation(messages)))
    return rows
