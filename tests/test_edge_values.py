"""Every number the schema accepts is one the site can render: cards at the edges of every bound.

For each kind of quantity (parameters, data sizes in every unit, durations, money, compute, scores,
hardware counts, win/tie/lose counts, step counts) cards are written with the smallest and the
largest value the schema takes, ranges spanning the whole bound and the smallest positive fractions;
the catalog must load without a problem, every page of both languages must generate and convert to
HTML, and no page may show a negative sign, `nan` or `inf` for a quantity.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest
import yaml

from conftest import CARDS, card

from survey import fastyaml
from survey.loader import load_catalog
from survey.schema.common import Compute, DataSize, Duration, Money, Parameters, Percent
from survey.schema.evaluation import MAX_JUDGEMENTS
from survey.schema.recipe import MAX_STEPS
from survey.site import render

markdown = pytest.importorskip("markdown")

SMALLEST = sys.float_info.min  # the smallest positive normal float


def lowest(measure: type, unit: str) -> int | float:
    if unit in measure.WHOLE:
        return 1
    return SMALLEST if measure.POSITIVE else 0


def below(measure: type, unit: str) -> int | float:
    """The value next below the lowest the schema takes."""
    if unit in measure.WHOLE:
        return 0
    return 0 if measure.POSITIVE else -SMALLEST


def highest(measure: type, unit: str) -> int | float:
    limit = measure.LIMITS[unit]
    return int(limit) if unit in measure.WHOLE else limit


def edge_values(measure: type, unit: str) -> list[dict]:
    """The quantity records at the edges of `unit`'s bound, as a card would write them."""
    low, high = lowest(measure, unit), highest(measure, unit)
    found = [{"value": low}, {"value": high}, {"min": low, "max": high}, {"value": high, "approx": True}]
    return [{**v, "unit": unit, "source": "repo"} for v in found]


def model_cards() -> dict[str, dict]:
    """One model per edge: each field of the training block at one extreme."""
    base = fastyaml.load(card("models/tiny-chat.yaml"))
    base.pop("datasets", None)  # the data set card is not copied with these models
    cards: dict[str, dict] = {}

    def add(name: str, change) -> None:
        data = copy.deepcopy(base)
        data["id"] = name
        data["aliases"] = []
        change(data)
        cards[name] = data

    for unit in Parameters.UNITS:
        for index, value in enumerate(edge_values(Parameters, unit)):
            add(f"edge-parameters-{index}", lambda d, v=value: d["sizes"][0].update(parameters=v))
    for unit in DataSize.UNITS:
        for index, value in enumerate(edge_values(DataSize, unit)):
            add(f"edge-data-{unit}-{index}", lambda d, v=value: d["training"].update(data=[v]))
    for measure, field in ((Duration, "time"), (Money, "cost"), (Compute, "compute")):
        for unit in measure.UNITS:
            for index, value in enumerate(edge_values(measure, unit)):
                add(f"edge-{field}-{unit.lower()}-{index}", lambda d, v=value, f=field: d["training"].update({f: v}))
    for count in (1, 1_000_000):
        add(f"edge-hardware-{count}", lambda d, c=count: d["training"].update(hardware={"type": "A100-80GB", "count": c, "source": "repo"}))
    # Everything at its largest at once: the charts put these on log axes.
    def largest(d: dict) -> None:
        d["sizes"][0]["parameters"] = edge_values(Parameters, "parameters")[1]
        d["training"].update(data=[edge_values(DataSize, "tokens")[1]], time=edge_values(Duration, "months")[1],
                             cost=edge_values(Money, "USD")[1], compute=edge_values(Compute, "flops")[1])
    add("edge-largest", largest)
    def smallest(d: dict) -> None:
        d["sizes"][0]["parameters"] = edge_values(Parameters, "parameters")[0]
        d["training"].update(data=[edge_values(DataSize, "tokens")[0]], time=edge_values(Duration, "minutes")[0],
                             cost=edge_values(Money, "USD")[0], compute=edge_values(Compute, "gpu-hours")[0])
    add("edge-smallest", smallest)
    return cards


def evaluation_card() -> dict:
    results = []
    for value in edge_values(Percent, "percent"):
        results.append({"subject": {"label": "Tiny", "model": "tiny-chat"}, "score": value, "source": "repo"})
    for count in (0, MAX_JUDGEMENTS):
        results.append({"subject": {"label": "Tiny"}, "win": count, "tie": count, "lose": count, "source": "repo"})
    for index, value in enumerate(edge_values(Duration, "hours")):
        results.append({"subject": {"label": f"Tiny {index}"}, "time": value, "cost": edge_values(Money, "USD")[index],
                        "hardware": {"type": "A100-80GB", "count": 1_000_000}, "source": "repo"})
    return {
        "id": "edge-evaluation",
        "name": "Edge evaluation",
        "summary": {"zh": "边界值。", "en": "Edge values."},
        "organizations": ["acme-lab"],
        "links": {"website": "https://acme.example.org"},
        "tables": [{"title": {"zh": "表", "en": "Table"}, "method": "benchmark", "results": results}],
        "sources": {"repo": {"kind": "repository", "title": "acme/tiny", "url": "https://github.com/acme/tiny"}},
    }


def experiment_cards() -> dict[str, dict]:
    found = {}
    for name, steps in (("edge-steps-low", 0), ("edge-steps-high", {"min": 0, "max": MAX_STEPS})):
        found[name] = {
            "id": name,
            "name": name,
            "summary": {"zh": "边界值。", "en": "Edge values."},
            "base_model": "base-lm",
            "stage": "full-sft",
            "data": [{"dataset": "tiny-data", "amount": edge_values(DataSize, "examples")[1]}],
            "dialogue": "single-turn",
            "hyperparameters": {"learning_rate": 10.0, "per_device_batch_size": 1_000_000, "zero_stage": 3},
            "checkpoint_steps": steps,
            "hardware": {"type": "A100-80GB", "count": 1_000_000},
            "sources": {"repo": {"kind": "unpublished", "title": "notes", "document": "notes"}},
        }
    return found


@pytest.fixture
def edge_catalog(tmp_path: Path):
    root = tmp_path / "catalog"
    for relative, text in CARDS.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(card(relative), "utf-8")
    extra = {f"models/{k}.yaml": v for k, v in model_cards().items()}
    extra["evaluations/edge-evaluation.yaml"] = evaluation_card()
    extra.update({f"experiments/{k}.yaml": v for k, v in experiment_cards().items()})
    for relative, data in extra.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    catalog, problems = load_catalog(root)
    assert [p.render(root) for p in problems] == []
    assert len(list(catalog.entries())) == len(CARDS) + len(extra)
    return catalog


def test_the_edges_are_the_bounds() -> None:
    """The values used here are the bounds themselves: one step beyond is refused."""
    for measure in (Parameters, DataSize, Duration, Money, Compute, Percent):
        for unit in measure.UNITS:
            high = highest(measure, unit)
            beyond = high + 1 if isinstance(high, int) else high * 1.000001
            with pytest.raises(ValueError):
                measure.model_validate({"value": beyond, "unit": unit})
            with pytest.raises(ValueError):
                measure.model_validate({"value": below(measure, unit), "unit": unit})
            for value in (float("nan"), float("inf")):
                with pytest.raises(ValueError):
                    measure.model_validate({"value": value, "unit": unit})


NUMBER_IN_TEXT = re.compile(r"(?<![\w.])(?:-\d|nan\b|inf\b|-inf\b)", re.IGNORECASE)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_accepted_value_renders(edge_catalog, lang: str) -> None:
    files = render.pages(edge_catalog, lang)
    for name in [*model_cards(), "edge-evaluation", *experiment_cards()]:
        kind = "models" if name in model_cards() else "evaluations" if name == "edge-evaluation" else "experiments"
        page = files[f"{kind}/{name}.md"]
        html = markdown.markdown(page, extensions=["footnotes", "tables", "attr_list", "toc", "md_in_html"])
        body = re.sub(r"<[^>]+>", " ", html)
        assert not NUMBER_IN_TEXT.search(body.replace("–", " ")), (name, NUMBER_IN_TEXT.search(body))
    for path, content in files.items():
        if path.endswith(".md"):
            markdown.markdown(content, extensions=["footnotes", "tables", "attr_list", "toc", "md_in_html"])


def _bound(info, names: tuple[str, ...]):
    for meta in info.metadata:
        for name in names:
            if getattr(meta, name, None) is not None:
                return name, getattr(meta, name)
    return None, None


def extremes(model: type, pick: str) -> dict:
    """Every bounded number of `model` at its largest ("high") or smallest ("low") accepted value."""
    found = {}
    for name, info in model.model_fields.items():
        kind, bound = _bound(info, ("le", "lt") if pick == "high" else ("ge", "gt"))
        if bound is None:
            continue
        exclusive = kind in ("lt", "gt")
        whole = info.annotation in (int, "int", "int | None") or "int" in str(info.annotation)
        step = 1 if whole else (abs(bound) * 1e-9 or SMALLEST)
        found[name] = (bound - step if kind == "lt" else bound + step) if exclusive else bound
    return found


@pytest.mark.parametrize("pick", ["low", "high"])
def test_every_accepted_recipe_number_renders(tmp_path: Path, pick: str) -> None:
    from survey.schema.recipe import Hyperparameters, Lora, Sampling, Shape

    real = Path(__file__).resolve().parent.parent / "catalog" / "recipes" / "sft-baichuan-7b-prefix.yaml"
    data = fastyaml.load(real.read_text("utf-8"))
    data.pop("experiment", None)
    data["hyperparameters"].update(extremes(Hyperparameters, pick))
    data["hyperparameters"]["truncation"] = "random-offset"  # the only truncation that takes a probability
    data["hyperparameters"].pop("devices", None)
    data["hyperparameters"].pop("global_batch_size", None)
    data["base"]["shape"].update(extremes(Shape, pick))
    data["data"][0]["sampling"].update(extremes(Sampling, pick))
    data["lora"] = {"target_modules": ["q_proj"], **extremes(Lora, pick)}
    root = tmp_path / "catalog"
    (root / "recipes").mkdir(parents=True)
    (root / "recipes" / f"{data['id']}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    catalog, problems = load_catalog(root)
    assert [p.render(root) for p in problems] == []
    for lang in ("zh", "en"):
        page = render.pages(catalog, lang)[f"recipes/{data['id']}.md"]
        body = re.sub(r"<[^>]+>", " ", markdown.markdown(page, extensions=["footnotes", "tables", "attr_list", "toc", "md_in_html"]))
        assert not NUMBER_IN_TEXT.search(body.replace("–", " ")), NUMBER_IN_TEXT.search(body)
