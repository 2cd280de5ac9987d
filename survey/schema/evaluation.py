"""Evaluations: benchmarks, judged comparisons and cost tables, kept as tables of typed results."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from survey.schema.common import (
    Card,
    Dated,
    Duration,
    Hardware,
    Links,
    Localized,
    Money,
    Percent,
    Ref,
    SourceRef,
    Strict,
    expected,
)

MAX_JUDGEMENTS = 1_000_000_000  # comparisons in one table; human and GPT-4 judged ones number in the thousands

Method = Literal["gpt4-judge", "human-preference", "benchmark", "time-and-cost"]


class Subject(Strict):
    """Who was measured: the label as the table prints it, and the catalog model when there is one."""

    label: str = Field(min_length=1)
    model: Ref("model") | None = None


class Result(Strict):
    """One row cell group: a score, a win/tie/lose count, or a time and cost on some hardware."""

    subject: Subject
    versus: Subject | None = None
    score: Percent | None = None
    win: int | None = Field(default=None, ge=0, le=MAX_JUDGEMENTS)
    tie: int | None = Field(default=None, ge=0, le=MAX_JUDGEMENTS)
    lose: int | None = Field(default=None, ge=0, le=MAX_JUDGEMENTS)
    hardware: Hardware | None = None
    time: Duration | None = None
    cost: Money | None = None
    source: SourceRef | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Result:
        wtl = [self.win, self.tie, self.lose]
        if any(v is not None for v in wtl) and any(v is None for v in wtl):
            raise expected("all three of `win`, `tie` and `lose`")
        if self.score is None and self.win is None and self.time is None:
            raise expected("a `score`, `win`/`tie`/`lose` counts, or a `time`")
        return self


class Table(Strict):
    title: Localized
    method: Method
    results: list[Result] = Field(min_length=1)
    note: Localized | None = None


class Evaluation(Card):
    KIND = "evaluation"
    FOLDER = "evaluations"

    organizations: list[Ref("organization")] = Field(min_length=1)
    links: Links
    published: Dated | None = None
    tables: list[Table] = []
