"""Reproductions: one rerun of a recipe, with what it measured, so the site can put it beside the original's claim.

`python -m reproduce report RUN-DIR` writes one from a finished run directory (its manifest.json, metrics.jsonl and
the eval.json of `reproduce eval`); whoever ran it adds the file by a pull request. The model reproduced is the
recipe's `model` (`survey.rules.reproductions` checks that both exist).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from survey.schema.common import (
    Card,
    Compute,
    Duration,
    Hardware,
    PartialDate,
    Ref,
    SourceRef,
    Strict,
    Text,
    Url,
    expected,
)
from survey.schema.recipe import MAX_STEPS
from survey.schema.score import Score

# Cross-entropy in nats: a model guessing uniformly over a 10M-token vocabulary scores 16; a diverging run that
# still logs finite numbers stays far below this.
MAX_LOSS = 1_000.0
MAX_TOKENS_PER_SECOND = 1e12  # the largest clusters train at about 1e7 tokens/s
MAX_CURVE_POINTS = 500  # `reproduce report` keeps 200; a chart of more shows nothing more on a phone
SHA256 = r"^[0-9a-f]{64}$"

Loss = Annotated[float, Field(ge=0, le=MAX_LOSS, allow_inf_nan=False)]


class RunScore(Score):
    """A benchmark score the run itself measured (`reproduce eval`): its source is the run unless it says otherwise."""

    source: SourceRef | None = None
    stderr: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False, description="Standard error, in percent.")
    limit: int | None = Field(default=None, ge=1, le=10**9,
                              description="Examples per task when the run evaluated only the first ones (`--limit`).")


class Point(Strict):
    step: int = Field(ge=0, le=MAX_STEPS)
    loss: Loss


def _rising(points: list[Point], field: str, name: str) -> list[Point]:
    for index, (before, after) in enumerate(zip(points, points[1:]), 1):
        if after.step <= before.step:
            raise expected(f"{name} points in rising step order, found step {after.step} after {before.step}",
                           at=(field, index, "step"))
    return points


class Curve(Strict):
    """Loss by optimizer step, downsampled: the training loss as logged, and the held-out loss at each evaluation."""

    train: list[Point] = Field(default=[], max_length=MAX_CURVE_POINTS)
    heldout: list[Point] = Field(default=[], max_length=MAX_CURVE_POINTS)

    @model_validator(mode="after")
    def _ordered(self) -> Curve:
        _rising(self.train, "train", "training-loss")
        _rising(self.heldout, "heldout", "held-out-loss")
        return self


class Measured(Strict):
    """What the run measured; `source` (one of the card's sources, the run's logs or manifest) covers every figure."""

    hardware: Hardware
    wall_time: Duration = Field(description="From the start of `python -m reproduce` to the manifest being written.")
    gpu_hours: Compute | None = Field(default=None, description="Wall time x accelerators; absent for a run on the CPU.")
    tokens_per_second: float | None = Field(default=None, gt=0, le=MAX_TOKENS_PER_SECOND, allow_inf_nan=False,
                                            description="Non-padding training tokens per second, over the whole run.")
    steps: int = Field(ge=1, le=MAX_STEPS, description="Optimizer steps taken.")
    total_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS, description="Steps of the recipe's full schedule.")
    train_loss: Loss = Field(description="The last logged training loss.")
    heldout_loss: Loss | None = Field(default=None, description="Held-out loss of the final weights (`reproduce eval`, "
                                      "else the run's last evaluation).")
    heldout_perplexity: float | None = Field(default=None, ge=1, le=1e300, allow_inf_nan=False)
    source: SourceRef

    @model_validator(mode="after")
    def _steps(self) -> Measured:
        if self.total_steps is not None and self.steps > self.total_steps:
            raise expected(f"`steps` ({self.steps}) at most `total_steps` ({self.total_steps})", at=("steps",))
        return self


class RunLinks(Strict):
    logs: Url | None = None
    weights: Url | None = None


class Reproduction(Card):
    KIND = "reproduction"
    FOLDER = "reproductions"

    recipe: Ref("recipe")
    date: PartialDate = Field(description="When the run finished.")
    ran_by: str = Field(min_length=1, max_length=200, description="Who ran it: a person or an organization.")
    smoke: bool = Field(default=False, description="A --smoke run: a tiny random model on shipped data, not a rerun.")
    measured: Measured
    scores: list[RunScore] = []
    deviations: list[Text] = Field(default=[], description="What this run did differently from the recipe.")
    manifest_sha256: str = Field(pattern=SHA256, description="sha256 of the run's manifest.json.")
    links: RunLinks = RunLinks()
    curve: Curve = Curve()

    @model_validator(mode="after")
    def _curve_within_run(self) -> Reproduction:
        for name in ("train", "heldout"):
            points = getattr(self.curve, name)
            if points and points[-1].step > self.measured.steps:
                raise expected(f"curve steps at most the run's {self.measured.steps} steps, found {points[-1].step}",
                               at=("curve", name, len(points) - 1, "step"))
        return self
