"""The side-by-side view of the comparison page holds every field a model card has, with each value's source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey.loader import Entry, load_catalog
from survey.schema.model import Model
from survey.schema.score import Score
from survey.site import compare
from survey.site.page import Site

HEADER_FIELDS = {"id", "name"}  # the column heading shows the name and links the page


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path("catalog"))[0]


def _filled(value) -> bool:
    return value not in (None, [], {}, "")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_field_of_every_model_has_a_row(catalog, lang: str) -> None:
    data = json.loads(compare.side_by_side_data(Site(catalog, lang)))
    keys = [key for key, _label in data["fields"]]
    for field in set(Model.model_fields) - HEADER_FIELDS:
        assert any(key == field or key.startswith(field + ".") for key in keys), f"no row for `{field}`"
    for model in catalog.of("model"):
        cells = data["models"][model.id]["cells"]
        for field in set(Model.model_fields) - HEADER_FIELDS:
            if _filled(getattr(model, field)):
                rows = [key for key in keys if key == field or key.startswith(field + ".")]
                assert any(cells[key] for key in rows), (model.id, field)
        assert len(cells["sizes.parameters"]) == len(model.sizes)
        assert len(cells["sizes.scores"]) == sum(len(size.scores) for size in model.sizes)
        assert len(cells["sources"]) == len(model.sources) and len(cells["notes"]) == len(model.notes)
        assert {link for c in cells["links"] for _title, link in c["sources"]} == set(
            model.links.model_dump(exclude_none=True).values())


def test_published_scores_carry_their_source() -> None:
    catalog = load_catalog(Path("catalog"))[0]
    entry = catalog.cards["model"]["alpaca"]
    key = next(iter(entry.card.sources))
    score = Score(task="arc_challenge", metric="acc_norm", value=52.5, shots=25, source=key)
    sizes = [entry.card.sizes[0].model_copy(update={"scores": [score]}), *entry.card.sizes[1:]]
    catalog.cards["model"]["alpaca"] = Entry(entry.card.model_copy(update={"sizes": sizes}), entry.path)
    data = json.loads(compare.side_by_side_data(Site(catalog, "en")))
    cell = data["models"]["alpaca"]["cells"]["sizes.scores"][0]
    assert cell["text"].startswith("arc_challenge acc_norm, 25-shot: 52.5%")
    assert cell["sources"][0][1] == entry.card.sources[key].url
