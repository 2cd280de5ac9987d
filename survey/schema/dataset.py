"""Data sets: what models were trained on, how each set was made and by whom."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from survey.schema.common import Card, DataSize, HubId, Language, License, Links, Localized, Ref, Strict, one_or_many

Method = Literal["human-written", "model-generated", "crawled", "curated", "translated", "derived", "mixed"]
Format = Literal["alpaca", "sharegpt", "oasst", "dolly", "plain-text", "pairwise", "parallel-text", "other"]
Use = Literal["pretraining", "instruction-tuning", "dialogue-tuning", "rlhf", "reward-model", "evaluation", "translation"]


class Hub(Strict):
    repo: HubId = Field(description="owner/name on the Hugging Face Hub")
    revision: str | None = Field(default=None, description="A commit sha, pinned where a recipe uses the set.")


class Dataset(Card):
    KIND = "dataset"
    FOLDER = "datasets"

    size: one_or_many(DataSize)
    languages: list[Language] = Field(min_length=1)
    license: License
    method: Method
    made_by: list[Ref("organization")] = Field(min_length=1)
    links: Links
    construction: Localized | None = Field(default=None, description="How the set was built, step by step.")
    uses: list[Use] = []
    format: Format | None = None
    hub: Hub | None = None
    derived_from: list[Ref("dataset")] = []
    generated_with: list[Ref("model")] = []
