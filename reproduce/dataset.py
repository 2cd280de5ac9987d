"""The data a run trains and evaluates on: each part read in its original format, split and sampled as recorded,
then rendered in the template and tokenized with its masking (the encoded set cached on disk for real runs).

For --smoke the recipe's data is replaced by the shipped examples (reproduce/shipped/), split the same way with the
hold-out shrunk to fit them; everything after that is the real run's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reproduce import SHIPPED, ReproduceError
from reproduce.data import Place, load_examples, normalise, sample
from reproduce.templates import IGNORE_INDEX, tokenize_many
from survey.schema.recipe import Recipe

CONVERSATION_FORMATS = {"sharegpt", "fastchat", "belle-multiturn", "oasst-export"}


@dataclass
class Encoded:
    train: list[dict]
    eval: list[dict]
    cache: dict | None = None  # where the encoded set was cached and whether this run found it there


def read_part(path: Path, fmt: str, construction: str | None) -> list[dict]:
    """The examples of one data file in its format (after a `reproduce data` construction, if any)."""
    if construction:
        from reproduce.data import construct

        rows = construct(construction, path)
        return [normalise(Place(path, i + 1), row, "alpaca") for i, row in enumerate(rows)]
    from reproduce.oa_data import OA_SEED, READERS, oasst_trees

    if fmt == "oasst-export":
        return [c for tree in oasst_trees(path) for c in tree]
    if fmt in READERS:
        import random

        return READERS[fmt](path, random.Random(OA_SEED))
    return load_examples(path, fmt)


def holds_out(recipe: Recipe) -> bool:
    """Whether the recipe's data has a held-out split (to evaluate on)."""
    return any(p.included and p.sampling and (p.sampling.val_examples or p.sampling.val_split) for p in recipe.data)


def _conversations(examples: list[dict]) -> list[dict]:
    return [e for e in examples if e.get("messages")]


def shipped_examples(recipe: Recipe) -> tuple[list[dict], list[dict]]:
    """(train, held out) from the shipped examples, in the shape of the recipe's first part; a hold-out larger
    than a fifth of them is cut to a fifth."""
    part = next(p for p in recipe.data if p.included)
    if part.format in CONVERSATION_FORMATS:
        fmt = "fastchat" if part.format == "fastchat" else "sharegpt"
        examples = read_part(SHIPPED / "sharegpt_smoke.json", fmt, part.construction)
    else:
        examples = load_examples(SHIPPED / "alpaca_smoke.jsonl", "alpaca")
    sampling = part.sampling
    if sampling and sampling.val_examples:
        sampling = sampling.model_copy(update={"val_examples": min(sampling.val_examples, len(examples) // 5)})
    train, held = sample(examples, sampling, recipe.hyperparameters.seed, part.format)
    return _conversations(train), _conversations(held)


def recipe_examples(recipe: Recipe, files: list[tuple[Any, Path]]) -> tuple[list[dict], list[dict]]:
    """(train, held out) of the downloaded parts, each read in its format, split and sampled as recorded."""
    from reproduce.oa_data import OA_FORMATS, load_part

    train, held = [], []
    for part, path in files:
        if part.format in OA_FORMATS:
            part_train, part_held = load_part(path, part)
        else:
            part_train, part_held = sample(read_part(path, part.format, part.construction), part.sampling,
                                           recipe.hyperparameters.seed, part.format)
        train += _conversations(part_train)
        held += _conversations(part_held)
    return train, held


def encode(recipe: Recipe, examples: list[dict], tokenizer: Any) -> list[dict]:
    """Every example tokenized with the recipe's template, masking and truncation. Examples left with no supervised
    token are kept, as the originals keep them (their batches then add nothing to the loss); under random-offset
    truncation examples are kept whole and the collator crops them."""
    h = recipe.hyperparameters
    max_length = None if h.truncation == "random-offset" else h.max_length
    return tokenize_many(recipe.template.name, examples, tokenizer, max_length, system=recipe.template.system,
                         truncation=h.truncation)


def supervised(items: list[dict]) -> int:
    return sum(1 for item in items if any(label != IGNORE_INDEX for label in reversed(item["labels"])))


def build(recipe: Recipe, tokenizer: Any, files: list[tuple[Any, Path]] | None) -> Encoded:
    """The encoded train and held-out sets: from the shipped examples when `files` is None (--smoke), else from the
    downloaded files through the on-disk cache."""
    if files is None:
        train, held = shipped_examples(recipe)
        encoded = Encoded(encode(recipe, train, tokenizer), encode(recipe, held, tokenizer))
    else:
        from rich.console import Console

        from reproduce.dataset_cache import cached_dataset
        from reproduce.layout import cache

        def make() -> dict[str, list[dict]]:
            with Console(stderr=True).status("building the data set: reading and sampling …") as status:
                train, held = recipe_examples(recipe, files)
                status.update(f"building the data set: tokenizing {len(train) + len(held):,} examples …")
                return {"train": encode(recipe, train, tokenizer), "eval": encode(recipe, held, tokenizer)}

        splits, path, hit = cached_dataset(cache() / "datasets", recipe, tokenizer, files, make)
        encoded = Encoded(splits["train"], splits["eval"], {"path": str(path), "hit": hit})
    if not supervised(encoded.train):
        raise ReproduceError(f"{recipe.id}: no training example has a supervised token within max_length "
                             f"{recipe.hyperparameters.max_length}")
    return encoded
