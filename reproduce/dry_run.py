"""--dry-run: the first examples as the run would train on them: text, token ids and which tokens are supervised."""

from __future__ import annotations

from pathlib import Path

from reproduce import dataset, hub, tokenizer as tokenizers
from reproduce.layout import cache
from reproduce.templates import IGNORE_INDEX, render
from survey.schema.recipe import Recipe


def dry_run(recipe: Recipe, smoke: bool = False, input_path: Path | None = None, count: int = 2) -> list[dict]:
    if input_path is not None:
        part = next(p for p in recipe.data if p.included)
        examples = dataset.read_part(input_path, part.format, part.construction)
    elif smoke:
        examples = dataset.shipped_examples(recipe)[0]
    else:
        examples = dataset.recipe_examples(recipe, hub.download_data(recipe))[0]
    examples = [e for e in examples if e.get("messages")]
    if smoke:
        tokenizer = tokenizers.smoke(recipe, dataset.shipped_examples(recipe)[0] + examples[:50])
    else:
        with hub.hub_errors(recipe.base.hub, "model", cache() / "hub"):
            tokenizer = tokenizers.load(recipe, hub.download_tokenizer(recipe))
    tokenizers.apply_policy(recipe, tokenizer)
    samples = []
    items = dataset.encode(recipe, examples[:count], tokenizer)
    for index, (example, item) in enumerate(zip(examples, items)):
        supervised = [label != IGNORE_INDEX for label in item["labels"]]
        sup_ids = [t for t, s in zip(item["input_ids"], supervised) if s]
        samples.append({"index": index, "text": render(recipe.template.name, example, eos=tokenizer.eos_token or "</s>",
                                                       system=recipe.template.system),
                        "input_ids": item["input_ids"], "supervised": supervised, "supervised_count": sum(supervised),
                        "supervised_text": tokenizer.decode(sup_ids)})
    return samples
