"""Frameworks and tools: training stacks (DeepSpeed, ColossalAI…) and LLM tooling (LangChain…)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from survey.schema.common import Card, License, Links, Localized, Parameters, Ref, Strict

Purpose = Literal[
    "distributed-training",
    "fine-tuning",
    "rlhf",
    "parameter-efficient-tuning",
    "inference",
    "retrieval-augmentation",
    "agents",
    "data-generation",
    "serving",
    "evaluation",
]


class SupportedFamily(Strict):
    """A model family the tool supports, over a size range (DeepSpeed-Chat's table)."""

    family: str
    min: Parameters
    max: Parameters
    note: Localized | None = None


class Framework(Card):
    KIND = "framework"
    FOLDER = "frameworks"

    purposes: list[Purpose] = Field(min_length=1)
    organizations: list[Ref("organization")] = Field(min_length=1)
    links: Links
    license: License | None = None
    supports: list[SupportedFamily] = []
    built_on: list[Ref("framework")] = []
