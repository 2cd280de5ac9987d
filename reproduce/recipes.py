"""Loading recipes from the catalog, and `--set` overrides."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from reproduce import CATALOG, ReproduceError
from survey.loader import load_file
from survey.schema.recipe import Recipe


def recipe_paths(root: Path = CATALOG) -> dict[str, Path]:
    return {path.stem: path for path in sorted((root / "recipes").glob("*.yaml"))}


def load_recipe(name: str, root: Path = CATALOG) -> Recipe:
    paths = recipe_paths(root)
    if name not in paths:
        close = difflib.get_close_matches(name, list(paths), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known recipes: {', '.join(paths)}"
        raise ReproduceError(f"unknown recipe {name!r}{hint}", code=2)
    card, problems = load_file(paths[name])
    if card is None:
        raise ReproduceError("\n".join(p.render(root.parent) for p in problems))
    return card


def all_recipes(root: Path = CATALOG) -> list[Recipe]:
    return [load_recipe(name, root) for name in recipe_paths(root)]


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(recipe: Recipe, assignments: list[str]) -> Recipe:
    """`--set hyperparameters.learning_rate=1e-5`: dotted paths into the card; the result is validated again."""
    if not assignments:
        return recipe
    data = recipe.model_dump(mode="json", exclude_none=True)
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise ReproduceError(f"--set expects KEY=VALUE, found {assignment!r}", code=2)
        node: Any = data
        parts = key.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
            else:
                if part not in node:
                    raise ReproduceError(f"--set {key}: no field {part!r} here (fields: {', '.join(node)})", code=2)
                node = node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = _parse_value(value)
        else:
            node[last] = _parse_value(value)
    try:
        return Recipe.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError
        raise ReproduceError(f"--set makes the recipe invalid: {exc}", code=2) from None
