"""A reproduction's recipe names the model it reproduces, and that model is in the catalog.

`references` already reports a recipe that does not exist; this rule follows the recipe to its model, so the
reproduction has an original to stand beside on the site.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from survey.diagnostics import Diagnostic
from survey.facts import CardFacts

NAME = "reproductions"


def check_facts(facts: Iterable[CardFacts]) -> Iterator[Diagnostic]:
    facts = list(facts)
    recipes = {card.id: card for card in facts if card.kind == "recipe"}
    models = {card.id for card in facts if card.kind == "model"}
    for card in facts:
        if card.kind != "reproduction":
            continue
        recipe_id = next((value for loc, kind, value in card.refs if loc == ("recipe",) and kind == "recipe"), None)
        recipe = recipes.get(recipe_id)
        if recipe is None:
            continue  # `references` names the missing recipe
        model = next((value for loc, kind, value in recipe.refs if loc == ("model",) and kind == "model"), None)
        if model is None:
            message = f"expected a recipe that names the model it reproduces (`model:`), found recipe {recipe_id!r} with none"
        elif model not in models:
            message = f"expected the model of recipe {recipe_id!r} ({model!r}) to be a model card, found no such card"
        else:
            continue
        yield Diagnostic(card.path, field="recipe", loc=("recipe",), message=message, rule=NAME)
