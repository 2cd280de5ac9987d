"""Models: one released model (or family of sizes) with its lineage, openness and training facts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from survey.schema.common import (
    Card,
    Compute,
    DataSize,
    Dated,
    Duration,
    Hardware,
    Language,
    License,
    Links,
    Localized,
    Money,
    Openness,
    Parameters,
    Ref,
    SourceRef,
    Strict,
    one_or_many,
)
from survey.schema.score import Score

Relation = Literal[
    "continued-pretraining",
    "full-fine-tune",
    "lora",
    "p-tuning",
    "rlhf",
    "reward-model",
    "quantization",
]
Stage = Literal["pretraining", "continued-pretraining", "instruction-tuning", "dialogue-tuning", "rlhf", "reward-model"]


class Lineage(Strict):
    """One base this model was built from, and how."""

    model: Ref("model")
    relation: Relation
    source: SourceRef | None = None
    note: Localized | None = None


class Openness3(Strict):
    """The survey's three openness columns."""

    code: Openness
    data: Openness
    weights: Openness


class DataAmount(DataSize):
    """Training data of one stage (pre-training, instruction tuning…)."""

    stage: Stage | None = None


class Training(Strict):
    """How a model (or one size of it) was trained; `unknown` is written out, never left blank."""

    data: one_or_many(DataAmount)
    hardware: Hardware
    time: Duration
    cost: Money | None = None
    compute: Compute | None = None
    framework: Ref("framework") | None = None


class PartialTraining(Strict):
    """Per-size facts that differ from the model-wide `training` block."""

    data: one_or_many(DataAmount) | None = None
    hardware: Hardware | None = None
    time: Duration | None = None
    cost: Money | None = None
    compute: Compute | None = None


class Size(Strict):
    """One released size of the model."""

    parameters: Parameters
    name: str | None = Field(default=None, description="The released checkpoint's name, e.g. vicuna-13b.")
    hub: str | None = Field(default=None, description="Hugging Face Hub repo id of the weights, when published there.")
    training: PartialTraining | None = None
    scores: list[Score] = Field(default=[], description="Benchmark scores a primary source published for this checkpoint.")
    note: Localized | None = None


class DatasetUse(Strict):
    dataset: Ref("dataset")
    stage: Stage | None = None
    note: Localized | None = None


class Model(Card):
    KIND = "model"
    FOLDER = "models"

    organizations: list[Ref("organization")] = Field(min_length=1)
    released: Dated
    open: Openness3
    sizes: list[Size] = Field(min_length=1)
    training: Training
    languages: list[Language] = Field(min_length=1)
    license: License
    links: Links
    project: Ref("project") | None = None
    lineage: list[Lineage] = []
    datasets: list[DatasetUse] = []
    architecture: str | None = Field(default=None, description="transformers model_type, e.g. llama, gpt_neox, bloom.")
    recipes: list[Ref("recipe")] = []
