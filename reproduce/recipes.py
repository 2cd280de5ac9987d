"""Loading recipes from the catalog, and `--set` overrides."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reproduce import CATALOG, ReproduceError
from survey.loader import load_file
from survey.messages import reword
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


def _paths_to(node: Any, name: str, prefix: str = "") -> list[str]:
    """Dotted paths of every key called `name` in `node`, for a hint when an override names a field out of place."""
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        here = f"{prefix}{key}"
        if key == name:
            found.append(here)
        found += _paths_to(value, name, here + ".")
    return found


def _set(data: dict, key: str, value: Any) -> None:
    """Put `value` at the dotted `key` of the dumped card; a path that leads nowhere is a command-line mistake."""
    node: Any = data
    parts = key.split(".")
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the recipe"
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ReproduceError(f"--set {key}: {here} is a list of {len(node)}; expected an index from 0 to "
                                     f"{len(node) - 1}, found {part!r}", code=2)
            index: Any = int(part)
        elif isinstance(node, dict):
            if not part:
                raise ReproduceError(f"--set {key}: expected a dotted path of field names, found an empty name", code=2)
            if not last and part not in node:
                elsewhere = _paths_to(data, part)
                hint = f"; did you mean {' or '.join(elsewhere[:3])}?" if elsewhere else f" (fields: {', '.join(node)})"
                raise ReproduceError(f"--set {key}: {here} has no field {part!r}{hint}", code=2)
            index = part
        else:
            raise ReproduceError(f"--set {key}: {here} is a single value ({json.dumps(node)[:40]}), not a group of "
                                 f"fields; expected a path that ends at {here}", code=2)
        if last:
            if isinstance(node, dict) and part not in node and (elsewhere := _paths_to(data, part)):
                raise ReproduceError(f"--set {key}: {here} has no field {part!r}; did you mean "
                                     f"{' or '.join(elsewhere[:3])}?", code=2)
            node[index] = value
        else:
            node = node[index]


def apply_overrides(recipe: Recipe, assignments: list[str]) -> Recipe:
    """`--set hyperparameters.learning_rate=1e-5`: dotted paths into the card; the result is validated again by the
    recipe schema, so an override is held to every rule a card is (finite numbers in range, a pinned commit for
    remote code, ...), each error naming the field and what it expects."""
    if not assignments:
        return recipe
    data = recipe.model_dump(mode="json", exclude_none=True)
    keys = []
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            raise ReproduceError(f"--set expects KEY=VALUE, found {assignment!r}", code=2)
        _set(data, key, _parse_value(value))
        keys.append(key)
    return _validated(data, keys, assignments)


def _validated(data: dict, keys: list[str], assignments: list[str]) -> Recipe:
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc, message, _ = reword(error, Recipe)
            field = ".".join(str(part) for part in loc) or "the recipe"
            given = [i for i, k in enumerate(keys) if field.startswith(k) or k.startswith(field)]
            if given:
                where = assignments[given[-1]] + ("" if keys[given[-1]] == field else f": {field}")
            else:  # a rule across fields (one --set broke how it fits with another field)
                where = f"{' '.join(assignments)}: {field}"
            problems.append(f"--set {where}: {message}")
        raise ReproduceError("\n".join(problems), code=2) from None
