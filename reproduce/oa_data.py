"""Readers for the Open-Assistant SFT data mix (bloom-zh-3b, seed 001), each giving conversations as
`{"messages": [...]}` that the `oasst` template turns into `<|prompter|>…</s><|assistant|>…</s>`.

What each reader does follows LAION-AI/Open-Assistant model/model_training/custom_datasets
(oasst_dataset.py load_oasst_export, qa_datasets.py QADataset/WebGPT/JokeExplaination/DatabricksDolly15k,
translation.py WMT2019/TEDTalk). The random choices OA makes (which prompt wording, which direction a
translation goes, the train/validation split) are drawn here from a seeded `random.Random`, so they are
reproducible but not the same draws as OA's torch/numpy generators.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from reproduce import ReproduceError
from reproduce.data import Place, read_records, text_field

# translation.py TRANSLATION_PROMPT, the three languages this mix uses; "{}" is the text to translate.
TRANSLATION_PROMPTS: dict[str, tuple[str, ...]] = {
    "zh": (
        "Translate to chinese simplified: {}",
        "{}, translate to chinese",
        "{} give me the chinese translation",
        "翻译成中文: {}",
        "{} 这句中文翻译怎麽写？",
        "我需要这句话的中文翻译: {}",
    ),
    "en": ("{}. translate to english", "{} write in english", "english translation: '{}'"),
    "ja": (
        "{}: help me translate to japanese",
        "Need japanese translation: {}",
        "{}: にほんごやくをよこす",
        "{}: にほんごやくをおくれ",
        "{}: にほんごやくを じょす",
        "give me the japanese translation, {}",
    ),
}
# qa_datasets.py re_reference_remove: "[1]", "[2, 3]" citation marks
_REFERENCES = re.compile(r"\[\d+(?:,\s*\d+)*?\]")
_LETTER_CITATION = re.compile(r"\[[a-zA-Z]\]")
INPUT_MAX_LENGTH = 2048  # characters; DatabricksDolly15k's input_max_length default
OA_SEED = 287631038922  # OA's manual_seed default
SYSTEM_PROPERTY_DROP_PROBA = 0.5  # formatting.py
TRANSLATION_MAXIMUM = 100_000  # WMT2019 / TEDTalk maximum_size: the first 100,001 rows are all OA reads


class Rng(Protocol):
    def random(self) -> float: ...
    def choice(self, seq: Any) -> Any: ...
    def shuffle(self, x: list) -> None: ...
    def sample(self, population: Any, k: int) -> list: ...


def _pair(question: str, answer: str) -> dict:
    return {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}


def _need(where: Place, record: dict, *fields: str) -> None:
    missing = [f for f in fields if f not in record]
    if missing:
        raise ReproduceError(f"{where}: expected fields {', '.join(fields)}; found {', '.join(sorted(record)) or 'none'}")


# --- oasst export: message trees -> prompter/assistant threads -----------------------------------------------

def _leaf_threads(node: dict, parents: list[dict]) -> Iterable[list[dict]]:
    thread = [*parents, node]
    replies = node.get("replies") or []
    if len(thread) > 1 and not replies and not any(m.get("deleted") for m in thread):
        last = thread[-1]
        # a thread ends at an assistant leaf, or at a prompter leaf that is its parent's first reply
        if last.get("role") == "assistant" or (thread[-2].get("replies") or [None])[0] is last:
            yield thread
    for child in replies:
        yield from _leaf_threads(child, thread)


def _check_messages(where: Place, prompt: Any) -> None:
    """Every message of a tree is an object with text and a known role, its replies a list (walked with a stack:
    a tree may be as deep as JSON nests)."""
    stack = [(prompt, "prompt")]
    while stack:
        node, at = stack.pop()
        if not isinstance(node, dict):
            raise ReproduceError(f"{where}: {at}: expected a message object, found {type(node).__name__}")
        text_field(where, node, "text", at=f"{at}.text")
        if node.get("role") not in ("prompter", "assistant"):
            raise ReproduceError(f"{where}: {at}.role: expected prompter or assistant, found {node.get('role')!r}")
        replies = node.get("replies") or []
        if not isinstance(replies, list):
            raise ReproduceError(f"{where}: {at}.replies: expected a list of messages, found {type(replies).__name__}")
        stack.extend((reply, f"{at}.replies[{index}]") for index, reply in enumerate(replies))


def oasst_trees(path: Path, languages: list[str] | None = None) -> list[list[dict]]:
    """One list of conversations per kept tree (OA splits train/validation by tree)."""
    trees = []
    for where, tree in read_records(path):
        _need(where, tree, "prompt")
        prompt = tree["prompt"]
        _check_messages(where, prompt)
        if tree.get("tree_state", "ready_for_export") != "ready_for_export" or not prompt.get("review_result", True):
            continue
        if languages and prompt.get("lang") not in languages:
            continue
        conversations = []
        for thread in _leaf_threads(prompt, []):
            if thread[-1].get("role") == "prompter":
                thread = thread[:-1]
            roles = [m.get("role") for m in thread]
            if roles != ["prompter", "assistant"] * (len(thread) // 2) or not thread:
                continue
            conversations.append({"messages": [
                {"role": "user" if m["role"] == "prompter" else "assistant", "content": m["text"]} for m in thread]})
        trees.append(conversations)
    return trees


# --- single-exchange sets --------------------------------------------------------------------------------------

def system_tag(example: dict, properties: dict[str, Any], rng: Rng) -> dict:
    """formatting.py DatasetEntry.system_tag: each non-empty property (context, lang, ...) is kept with probability
    1 - SYSTEM_PROPERTY_DROP_PROBA, the kept ones shuffled into "key: value" lines, which the oasst template puts
    in a <|system|> turn before the first prompter turn. OA draws this every time an example is formatted (each
    epoch); it is drawn once here, when the data set is read."""
    kept = [(k, v) for k, v in properties.items() if v is not None and str(v).replace("\n", "")
            and rng.random() > SYSTEM_PROPERTY_DROP_PROBA]
    if kept:
        rng.shuffle(kept)
        example["oa_system"] = "\n".join(f"{k}: {v}" for k, v in kept)
    return example


def dolly(path: Path, rng: Rng) -> list[dict]:
    """DatabricksDolly15k as of OA commit 62b6a92 (2023-05-07; since 42e0798, 2023-04-20): the context, citations
    removed, is a DatasetEntry property, so it reaches the text only through the system tag; instruction and
    response are each cut to 2,048 characters."""
    out = []
    for where, row in read_records(path):
        _need(where, row, "instruction", "context", "response")
        context = _REFERENCES.sub("", text_field(where, row, "context", optional=True))
        context = _LETTER_CITATION.sub("", context.replace("[citation needed]", ""))
        example = _pair(text_field(where, row, "instruction")[:INPUT_MAX_LENGTH],
                        text_field(where, row, "response")[:INPUT_MAX_LENGTH])
        out.append(system_tag(example, {"context": context}, rng))
    return out


def _field_pairs(path: Path, question: str, answer: str) -> list[dict]:
    out = []
    for where, row in read_records(path):
        _need(where, row, question, answer)
        out.append(_pair(text_field(where, row, question), text_field(where, row, answer)))
    return out


def joke(path: Path, rng: Rng | None = None) -> list[dict]:
    """JokeExplaination: (joke, explaination) -- the field's misspelling is the data's."""
    return _field_pairs(path, "joke", "explaination")


def gsm8k(path: Path, rng: Rng | None = None) -> list[dict]:
    """QADataset index_gsm8k: (question, answer) verbatim, the worked solution and '#### N' included."""
    return _field_pairs(path, "question", "answer")


def webgpt(path: Path, rng: Rng) -> list[dict]:
    """WebGPT (sft): answers grouped by question, citations removed, empty or identical pairs skipped,
    the best-scored answer kept; each a DatasetEntry with lang "en", so its system tag may say so."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for where, row in read_records(path):
        _need(where, row, "question", "answer_0", "answer_1", "score_0", "score_1")
        question = (text_field(where, row["question"], "full_text", at="question.full_text")
                    if isinstance(row["question"], dict) else text_field(where, row, "question"))
        a0 = _REFERENCES.sub("", text_field(where, row, "answer_0"))
        a1 = _REFERENCES.sub("", text_field(where, row, "answer_1"))
        if a0 and a1 and a0 != a1:
            scores[question][a0] = row["score_0"]
            scores[question][a1] = row["score_1"]
    out = []
    for question, answers in scores.items():
        best = sorted(answers.items(), key=lambda item: -item[1])[0][0]  # stable: first seen wins a tie
        out.append(system_tag(_pair(question, best), {"lang": "en"}, rng))
    return out


def translation(path: Path, pair: str, rng: Rng, rows: Iterable[tuple[Place, dict]] | None = None,
                maximum: int = TRANSLATION_MAXIMUM) -> list[dict]:
    """WMT2019 / TEDTalk: each row goes one way or the other with even odds, worded by a random prompt of
    the target language; like OA, reading stops once more than `maximum` pairs are made. OA's 20% mixing of a
    neighbouring pair into the question is not done. `rows` defaults to the records of `path`."""
    src, tgt = pair.split("-")
    for lang in (src, tgt):
        if lang not in TRANSLATION_PROMPTS:
            raise ReproduceError(f"{path}: no OA translation prompts for language {lang!r}", code=2)
    out = []
    for where, row in read_records(path) if rows is None else rows:
        _need(where, row, "translation")
        texts = row["translation"]
        if not isinstance(texts, dict):
            raise ReproduceError(f"{where}: translation: expected an object of texts by language, found "
                                 f"{type(texts).__name__}")
        for lang in (src, tgt):
            text_field(where, texts, lang, at=f"translation.{lang}")
        if rng.random() > 0.5:
            out.append(_pair(rng.choice(TRANSLATION_PROMPTS[tgt]).format(texts[src]), texts[tgt]))
        else:
            out.append(_pair(rng.choice(TRANSLATION_PROMPTS[src]).format(texts[tgt]), texts[src]))
        if len(out) > maximum:
            break
    return out


# --- the mix: split and caps ----------------------------------------------------------------------------------

def split(units: list[Any], val_split: float | None, rng: Rng) -> tuple[list[Any], list[Any]]:
    """Shuffle, then hold out round(len * val_split) units for validation (OA's random_split by fraction)."""
    units = list(units)
    if not val_split:
        return units, []
    rng.shuffle(units)
    held = int(round(len(units) * val_split))
    return units[held:], units[:held]


def cap(items: list[Any], most: int | None, rng: Rng) -> list[Any]:
    """max_train_set / max_val_set: a random subset of that many (in their original order)."""
    if not most or len(items) <= most:
        return items
    keep = sorted(rng.sample(range(len(items)), most)) if hasattr(rng, "sample") else list(range(most))
    return [items[i] for i in keep]


_PAIR = re.compile(r"([a-z]{2})-([a-z]{2})$")
READERS: dict[str, Callable[..., list[dict]]] = {"oa-dolly": dolly, "oa-joke": joke, "oa-gsm8k": gsm8k, "oa-webgpt": webgpt}
OA_FORMATS = {"oasst-export", "oa-translation", *READERS}


def _archive_rows(path: Path, part: Any, pair: str) -> Iterable[tuple[Place, dict]] | None:
    """IWSLT/ted_talks_iwslt's WIT3 archive (.tgz), read as its loading script reads it; None for a data file."""
    if not path.name.endswith(".tgz"):
        return None
    from reproduce.ted_talks import parse_config, talk_rows

    config = getattr(part, "config", None)
    first, second, _year = parse_config(config)
    if f"{first}-{second}" != pair:
        raise ReproduceError(f"{part.name}: its config {config!r} is not the pair its name ends in", code=2)
    return ((Place(path, number), row) for number, row in enumerate(talk_rows(path, config), start=1))


def load_part(path: Path, part: Any, seed: int = OA_SEED, rng: Rng | None = None) -> tuple[list[dict], list[dict]]:
    """(train, validation) conversations of one data part of the OA mix, its sampling applied."""
    import random

    rng = rng or random.Random(seed)
    s = part.sampling
    if part.format == "oasst-export":
        trees = oasst_trees(path, getattr(part, "languages", None))
        train_trees, val_trees = split(trees, s.val_split if s else None, rng)
        train = [c for tree in train_trees for c in tree]
        val = [c for tree in val_trees for c in tree]
    else:
        if part.format == "oa-translation":
            match = _PAIR.search(part.name)
            if not match:
                raise ReproduceError(f"{part.name}: a translation part's name must end in a pair such as zh-en", code=2)
            pair = f"{match.group(1)}-{match.group(2)}"
            rows = translation(path, pair, rng, _archive_rows(path, part, pair))
        elif part.format in READERS:
            rows = READERS[part.format](path, rng)
        else:
            raise ReproduceError(f"{part.name}: {part.format!r} is not an Open-Assistant format", code=2)
        train, val = split(rows, s.val_split if s else None, rng)
    if s:
        train = cap(train, s.max_examples, rng)
        val = cap(val, s.val_examples, rng)
    return train, val
