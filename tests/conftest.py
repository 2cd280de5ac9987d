"""A small valid catalog written to a temporary folder, which each test can then break."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

CARDS = {
    "organizations/acme-lab.yaml": """
        id: acme-lab
        name: {zh: 示例实验室, en: Acme Lab}
        summary: {zh: 一个测试用的实验室。, en: A lab that exists for tests.}
        type: research-lab
        links: {website: 'https://acme.example.org'}
        sources:
          site: {kind: website, title: Acme Lab, url: 'https://acme.example.org'}
    """,
    "projects/tiny.yaml": """
        id: tiny
        name: Tiny
        summary: {zh: 测试项目。, en: A test project.}
        organizations: [acme-lab]
        released: {date: 2023-03-01, source: repo}
        links: {repository: 'https://github.com/acme/tiny'}
        sources:
          repo: {kind: repository, title: acme/tiny, url: 'https://github.com/acme/tiny'}
    """,
    "models/base-lm.yaml": """
        id: base-lm
        name: Base LM
        summary: {zh: 基础模型。, en: A base model.}
        organizations: [acme-lab]
        released: {date: 2023-02, source: paper}
        open:
          code: {status: yes, source: paper}
          data: {status: no, source: paper}
          weights: {status: yes, source: paper}
        sizes:
          - parameters: {value: 7B, source: paper}
        training:
          data: {value: 1T, unit: tokens, source: paper}
          hardware: {type: A100-80GB, count: 2048, source: paper}
          time: {value: 5, unit: days, source: paper}
        languages: [en]
        license: {id: Apache-2.0, source: paper}
        links: {paper: 'https://arxiv.org/abs/0000.00000'}
        sources:
          paper: {kind: paper, title: Base LM, url: 'https://arxiv.org/abs/0000.00000'}
    """,
    "models/tiny-chat.yaml": """
        id: tiny-chat
        name: Tiny Chat
        summary: {zh: 指令模型。, en: An instruction model.}
        organizations: [acme-lab]
        released: {date: 2023-03-01, source: repo}
        open:
          code: {status: yes, source: repo}
          data: {status: partial, note: {zh: 只开源一半。, en: Half of it.}, source: repo}
          weights: {status: yes, source: repo}
        sizes:
          - parameters: {value: 7B, source: repo}
        training:
          data: {value: 52K, unit: examples, source: repo}
          hardware:
            type: A100-80GB
            count: 8
            source: repo
          time: {value: 3, unit: hours, source: repo}
        languages: [en, zh]
        license: {id: Apache-2.0, source: repo}
        links: {repository: 'https://github.com/acme/tiny'}
        project: tiny
        lineage:
          - {model: base-lm, relation: full-fine-tune, source: repo}
        datasets:
          - dataset: tiny-data
        sources:
          repo: {kind: repository, title: acme/tiny, url: 'https://github.com/acme/tiny'}
    """,
    "datasets/tiny-data.yaml": """
        id: tiny-data
        name: Tiny Data
        summary: {zh: 指令数据。, en: Instruction data.}
        size: {value: 52K, unit: examples, source: card}
        languages: [en]
        license: CC-BY-4.0
        method: model-generated
        made_by: [acme-lab]
        links: {data: 'https://huggingface.co/datasets/acme/tiny'}
        generated_with: [base-lm]
        sources:
          card: {kind: dataset-card, title: acme/tiny, url: 'https://huggingface.co/datasets/acme/tiny'}
    """,
}


def write_catalog(root: Path, cards: dict[str, str] = CARDS) -> Path:
    for relative, text in cards.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture
def catalog_root(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "catalog")


def card(relative: str) -> str:
    return textwrap.dedent(CARDS[relative]).lstrip()


@pytest.fixture(autouse=True)
def _restore_environment():
    """Training sets RANK, MASTER_PORT… for DeepSpeed; later tests' subprocesses must not inherit them."""
    import os

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
