"""Training experiments: runs someone made and reported (the SFT runs of the survey's notes)."""

from __future__ import annotations

from typing import Literal

from typing import Any

from pydantic import Field, model_serializer, model_validator

from survey.schema.common import (
    Card,
    DataSize,
    Hardware,
    Localized,
    Ref,
    Shorthand,
    SourceRef,
    Strict,
    expected,
)
from survey.schema.recipe import MAX_BATCH, MAX_LEARNING_RATE, MAX_STEPS

Dialogue = Literal["single-turn", "multi-turn"]
ExperimentStage = Literal["full-sft", "lora-sft", "continued-pretraining", "rlhf"]


class DataPart(Strict):
    """One part of the data mix."""

    dataset: Ref("dataset")
    amount: DataSize | None = None
    sampling: Localized | None = Field(default=None, description="How examples were drawn, e.g. 500 per category.")


class Hyperparameters(Strict):
    zero_stage: int | None = Field(default=None, ge=0, le=3)
    learning_rate: float | None = Field(default=None, gt=0, le=MAX_LEARNING_RATE)
    per_device_batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH)
    gradient_accumulation_steps: int | None = Field(default=None, ge=1, le=MAX_BATCH)
    scheduler: str | None = None
    optimizer: str | None = None


class Steps(Shorthand):
    """A step count or range; a bare number means one value."""

    SHORTHAND_TYPES = ("integer",)
    min: int = Field(ge=0, le=MAX_STEPS)
    max: int = Field(ge=0, le=MAX_STEPS)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"min": value, "max": value} if isinstance(value, int) else value

    @model_validator(mode="after")
    def _ordered(self) -> Steps:
        if self.min > self.max:
            raise expected(f"`min` ({self.min}) not above `max` ({self.max})")
        return self

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any, info: Any) -> Any:
        data = handler(self)
        return data["min"] if info.context == "card" and self.min == self.max else data


class Experiment(Card):
    KIND = "experiment"
    FOLDER = "experiments"

    base_model: Ref("model")
    stage: ExperimentStage
    data: list[DataPart] = Field(min_length=1)
    system_prompt: str | None = Field(default=None, description="The fixed prefix put before every prompt; absent if none.")
    dialogue: Dialogue
    hyperparameters: Hyperparameters
    checkpoint_steps: Steps
    hardware: Hardware
    outcome: Localized | None = None
    compared_with: Ref("model") | None = None
    source: SourceRef | None = None
