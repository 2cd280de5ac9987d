"""Synthetic, valid catalogs of N model cards for benchmarks (written to a temporary folder)."""

from __future__ import annotations

import textwrap
from pathlib import Path

ORGANIZATION = """\
id: bench-lab
name: {zh: 基准实验室, en: Bench Lab}
summary: {zh: 基准测试用的组织。, en: An organization for benchmarks.}
type: research-lab
links:
  website: https://bench.example.org
sources:
  site: {kind: website, title: Bench Lab, url: 'https://bench.example.org'}
"""

MODEL = """\
# yaml-language-server: $schema=../schema/model.schema.json
id: bench-model-{index}
name: Bench Model {index}
summary:
  zh: 第 {index} 个合成模型，用于测量检查速度。
  en: Synthetic model number {index}, used to time the checker.
organizations: [bench-lab]
released:
  date: 2023-{month:02d}-{day:02d}
  source: repo
open:
  code: {{status: yes, source: repo}}
  data: {{status: partial, source: repo, note: {{zh: 只公开了一部分。, en: Only part of it is public.}}}}
  weights: {{status: yes, source: repo}}
sizes:
  - parameters: {{value: {size}B, source: repo}}
    name: bench-{index}-{size}b
  - parameters: {{value: {size2}B, source: repo}}
training:
  data:
    - {{value: 1.{digit}T, unit: tokens, stage: pretraining, source: paper}}
    - {{value: {examples}K, unit: examples, stage: instruction-tuning, source: repo}}
  hardware: {{type: A100-80GB, count: {gpus}, source: paper}}
  time: {{value: {days}, unit: days, source: paper}}
  cost: {{value: {cost}, unit: USD, approx: true, source: paper}}
languages: [zh, en]
license: {{id: Apache-2.0, source: repo}}
links:
  repository: https://github.com/bench/model-{index}
  paper: https://arxiv.org/abs/2303.{index:05d}
{lineage}notes:
  - zh: 这是一条说明，引用了仓库。
    en: This note cites the repository.
    source: repo
sources:
  repo:
    kind: repository
    title: bench/model-{index}
    url: https://github.com/bench/model-{index}
  paper:
    kind: paper
    title: Bench paper {index}
    url: https://arxiv.org/abs/2303.{index:05d}
"""


def model_card(index: int) -> str:
    lineage = ""
    if index % 4:
        lineage = f"lineage:\n  - {{model: bench-model-{index - index % 4}, relation: lora, source: repo}}\n"
    return MODEL.format(
        index=index,
        month=1 + index % 4,
        day=1 + index % 28,
        size=7 + index % 3,
        size2=13 + index % 5,
        digit=index % 10,
        examples=50 + index % 50,
        gpus=1024,
        days=10 + index % 15,
        cost=1000 + index,
        lineage=lineage,
    )


def write(root: Path, count: int) -> Path:
    (root / "organizations").mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "organizations" / "bench-lab.yaml").write_text(textwrap.dedent(ORGANIZATION))
    for index in range(count):
        (root / "models" / f"bench-model-{index}.yaml").write_text(model_card(index))
    return root
