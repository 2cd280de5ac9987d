"""Benchmark scores a primary source published for one released checkpoint.

Tasks and metrics are named as lm-evaluation-harness names them (`arc_challenge` / `acc_norm`, `truthfulqa_mc2` /
`acc`), so `reproduce compare` and the site can put a rerun's score beside the published one without a mapping.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from survey.schema.common import Localized, SourceRef, Strict, expected

_TASK = re.compile(r"^[a-z0-9]+(?:[_.-][a-z0-9]+)*$")
_METRIC = re.compile(r"^[a-z0-9]+(?:[_.@-][a-z0-9]+)*$")  # lm-eval's code metrics are pass@1, pass@10
MAX_SHOTS = 100  # few-shot prompts beyond a few dozen examples do not fit the 2K contexts of these models


def _check_task(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 80 or not _TASK.match(value):
        raise expected("an lm-evaluation-harness task name: lowercase letters, digits and single '_', '-' or '.' between them")
    return value


def _check_metric(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 80 or not _METRIC.match(value):
        raise expected("an lm-evaluation-harness metric name such as acc, acc_norm, exact_match or pass@1")
    return value


TaskName = Annotated[str, BeforeValidator(_check_task, json_schema_input_type=str)]
MetricName = Annotated[str, BeforeValidator(_check_metric, json_schema_input_type=str)]


class Score(Strict):
    """One published figure: task, metric, number of shots and the value in percent (0 to 100)."""

    task: TaskName = Field(description="lm-evaluation-harness task, e.g. arc_challenge, hellaswag, mmlu, gsm8k.")
    metric: MetricName = Field(description="lm-evaluation-harness metric, e.g. acc, acc_norm, exact_match, pass@1.")
    value: float = Field(ge=0, le=100, allow_inf_nan=False, description="Percent, as the source prints it (0.511 is 51.1).")
    shots: int | None = Field(default=None, ge=0, le=MAX_SHOTS, description="Few-shot examples; omit when the source does not say.")
    source: SourceRef
    note: Localized | None = None
