"""The real catalog: valid, canonical, complete against the survey's list of systems, fully sourced."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from survey.convert import to_card
from survey.fmt import formatted
from survey.loader import card_files, load_catalog
from survey.positions import place
from survey.rules import run_all
from survey.rules.sources import unsourced_numbers
from survey.schema import CARD_TYPES, KINDS
from survey.schemas import rendered, schema_path

ROOT = Path(__file__).resolve().parent.parent / "catalog"

# Every system the survey's tables and timelines name (002/004), as catalog ids.
SURVEY_PROJECTS = {
    "llama", "openchatkit", "chatglm-6b", "alpaca", "alpaca-lora", "fastchat", "gpt4all", "chatyuan", "dolly",
    "chinese-llama-alpaca", "lmflow", "colossalchat", "koala", "baize", "gpt-4-llm", "llmzoo", "open-assistant",
    "deepspeed-chat", "stablelm", "moss", "belle", "chinese-vicuna", "chinese-chatllama", "lamini",
}
SURVEY_MODELS = {
    "llama", "gpt-neoxt-chat-base-20b", "pythia-chat-base-7b", "chatglm-6b", "alpaca", "alpaca-lora", "vicuna",
    "fastchat-t5", "gpt4all", "chatyuan", "dolly", "chinese-llama", "chinese-alpaca", "colossalchat", "koala",
    "baize", "phoenix", "chimera", "stablelm-alpha", "moss-moon-003-base", "moss-moon-003-sft",
    "moss-moon-003-sft-plugin", "belle", "chinese-vicuna", "chinese-chatllama",
    # bases and data generators the survey names
    "gpt-neox-20b", "pythia", "gpt-j-6b", "bloom", "bloomz", "glm", "codegen", "t5", "opt",
    "text-davinci-003", "gpt-4", "chatgpt",
    # the seeds' own runs: 001, 003 and the bases of 000
    "oasst-sft-bloom-zh-3b", "bloom-3b-zh", "qwen2-7b-instruct", "baichuan-7b", "bloom-800m-zh",
    "qwen2-7b-neo-sft-conversations", "qwen2-7b-neo-sft-multi", "qwen2-7b-neo-sft-single", "qwen2-7b-neo-sft-all-pair",
}
SURVEY_DATASETS = {
    "alpaca-data", "sharegpt", "oig", "dolly-15k", "oasst1", "firefly-1.1m", "belle-multiturn-0.8m",
    "alpaca-gpt4-zh", "neo-sft-phase2", "neo-sft-phase2-conversations", "neo-sft-phase2-multi",
    "neo-sft-phase2-single", "neo-sft-phase2-all-pair", "the-pile", "guanaco", "moss-003-sft-data",
    "rm-static", "full-hh-rlhf", "synthetic-instruct-gptj-pairwise", "rlhf-reward-datasets",
    "webgpt-comparisons", "shp",
}
SURVEY_FRAMEWORKS = {"deepspeed", "deepspeed-chat", "megatron-lm", "lmflow", "colossalai", "easylm", "peft", "llamaindex", "langchain", "lamini"}
SURVEY_CONCEPTS = {
    "scaling-laws", "emergent-abilities", "few-shot-prompting", "rlhf", "inverse-scaling", "chain-of-thought",
    "lora", "prefix-tuning", "p-tuning", "task-tuning", "instruction-tuning",
}
SURVEY_EVALUATIONS = {"superclue", "llmzoo-evaluation", "deepspeed-chat-rlhf-cost"}


@pytest.fixture(scope="module")
def loaded():
    catalog, diagnostics = load_catalog(ROOT)
    return catalog, place(diagnostics + run_all(catalog))


def test_catalog_has_no_errors(loaded):
    _, diagnostics = loaded
    errors = [d.render(ROOT.parent) for d in diagnostics if d.severity == "error"]
    assert errors == []


def test_every_number_has_a_source(loaded):
    catalog, _ = loaded
    missing = [f"{catalog.path_of(card).name}: {'.'.join(map(str, loc))}" for e in catalog.entries() for card in [e.card] for loc in unsourced_numbers(card)]
    assert missing == []


def test_every_kind_has_real_cards(loaded):
    catalog, _ = loaded
    # A reproduction is a run on real hardware; none has been made yet, so none may be invented.
    assert {kind for kind in KINDS if catalog.of(kind)} == set(KINDS) - {"reproduction"}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("project", SURVEY_PROJECTS), ("model", SURVEY_MODELS), ("dataset", SURVEY_DATASETS),
     ("framework", SURVEY_FRAMEWORKS), ("concept", SURVEY_CONCEPTS), ("evaluation", SURVEY_EVALUATIONS)],
)
def test_every_system_of_the_survey_has_a_card(loaded, kind, expected):
    catalog, _ = loaded
    assert expected - {card.id for card in catalog.of(kind)} == set()


def test_seed_000_experiments_are_recorded(loaded):
    catalog, _ = loaded
    experiments = catalog.of("experiment")
    assert len(experiments) >= 5
    assert {e.base_model for e in experiments} >= {"bloom-800m-zh", "baichuan-7b"}


def test_survey_models_have_a_primary_source(loaded):
    catalog, _ = loaded
    for card in catalog.of("model") + catalog.of("project"):
        assert any(source.primary for source in card.sources.values()), card.id
    for card in catalog.of("dataset"):
        kinds = {source.kind for source in card.sources.values()}
        assert any(source.primary for source in card.sources.values()) or "unpublished" in kinds, card.id


def test_cards_are_in_canonical_form():
    for path in card_files(ROOT):
        catalog, _ = load_catalog(ROOT, [path])
        [entry] = list(catalog.entries())
        text = path.read_text("utf-8")
        assert formatted(text, entry.card) == text, f"{path.name}: run python -m survey fmt"


def test_json_schemas_are_current_and_accept_every_card(loaded):
    catalog, _ = loaded
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    for card_type in CARD_TYPES:
        path = schema_path(ROOT, card_type.KIND)
        assert path.read_text("utf-8") == rendered(card_type.KIND), "run python -m survey schema"
        schema = json.loads(path.read_text("utf-8"))
        for card in catalog.of(card_type.KIND):
            data = yaml.load(catalog.path_of(card).read_text("utf-8"))
            jsonschema.validate(_dates_as_text(data), schema)


def test_export_round_trips_every_card(loaded):
    catalog, _ = loaded
    for entry in catalog.entries():
        again = type(entry.card).model_validate(entry.card.model_dump(mode="json"))
        assert to_card(again) == to_card(entry.card)


def _dates_as_text(value):
    import datetime

    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value
