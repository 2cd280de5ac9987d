"""Where things live: the download and data-set cache, and the files of one run directory.

A run directory is what later commands (evaluation, comparison, chat, export, reports) read:

    manifest.json   what was run: recipe card, overrides, resolved TrainingArguments and DeepSpeed config, the
                    deviations of this run, versions, revisions, data digests, hardware, outcome
    metrics.jsonl   one JSON object per line: every optimizer step ({"step", "loss", "learning_rate", ...}) and
                    every evaluation ({"step", "eval_loss", ...}), each with "epoch" and "time"
    tensorboard/    the same figures as TensorBoard events
    checkpoint-N/   Trainer checkpoints; only those with a COMPLETE marker are resumed from
    final/          the trained weights (the whole model, or the LoRA adapter) and the tokenizer
    samples.jsonl   greedy completions of fixed prompts in the recipe's template
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reproduce import ROOT

CACHE = Path(os.environ.get("REPRODUCE_CACHE", Path.home() / ".cache" / "reproduce"))


@dataclass(frozen=True)
class RunDir:
    root: Path

    @classmethod
    def default(cls, recipe_id: str, smoke: bool) -> RunDir:
        return cls(ROOT / "runs" / (recipe_id + ("-smoke" if smoke else "")))

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    @property
    def final(self) -> Path:
        return self.root / "final"

    @property
    def samples(self) -> Path:
        return self.root / "samples.jsonl"


def cache() -> Path:
    """The cache folder, read when needed so that a changed REPRODUCE_CACHE (or a test's) is honoured."""
    return CACHE
