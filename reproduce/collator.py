"""Batches: encoded examples padded into tensors, and Open-Assistant's random-offset crop of long examples."""

from __future__ import annotations

import math
import random

from reproduce.templates import IGNORE_INDEX


class PadCollator:
    """Pads each batch to its longest example (dynamic padding), rounded up to `multiple_of` where the original's
    collator did that (alpaca-lora's DataCollatorForSeq2Seq(pad_to_multiple_of=8)).

    `pad_to` pads every batch to that length instead (what a fixed `padding="max_length"` does; kept for
    benchmarks, bench/train_cpu.py). Labels are padded with IGNORE_INDEX, the attention mask with 0; padding goes
    on the tokenizer's side.

    `max_length` and `random_offset_probability` crop examples longer than max_length as Open-Assistant's
    DialogueDataCollator does: with that probability a window of max_length tokens at a uniformly random offset,
    else the first max_length tokens. Examples for it are encoded whole; the draws come from a generator seeded with
    `seed`, so a rerun crops the same way (a resumed run skips the batches it had trained on without drawing for
    them, so it continues with other draws).
    """

    def __init__(self, pad_id: int, padding_side: str = "right", pad_to: int | None = None,
                 multiple_of: int | None = None, max_length: int | None = None,
                 random_offset_probability: float | None = None, seed: int = 0) -> None:
        self.pad_id, self.left, self.pad_to, self.multiple_of = pad_id, padding_side == "left", pad_to, multiple_of
        self.max_length, self.offset_probability = max_length, random_offset_probability
        self.rng = random.Random(seed)

    def crop(self, item: dict) -> dict:
        ids, labels = item["input_ids"], item["labels"]
        if self.offset_probability is None or self.max_length is None:
            return item
        # OA draws whether to truncate for every example, long or not (process_one), then the offset if too long
        if self.rng.random() < self.offset_probability and len(ids) > self.max_length:
            start = self.rng.randint(0, len(ids) - self.max_length)
        else:
            start = 0
        return {"input_ids": ids[start:start + self.max_length], "labels": labels[start:start + self.max_length]}

    def __call__(self, batch: list[dict]) -> dict:
        import torch

        batch = [self.crop(b) for b in batch]
        longest = max(len(b["input_ids"]) for b in batch)
        width = max(self.pad_to or 0, longest)
        if self.multiple_of:
            width = math.ceil(width / self.multiple_of) * self.multiple_of
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, b in enumerate(batch):
            n = len(b["input_ids"])
            span = slice(width - n, width) if self.left else slice(0, n)
            ids[row, span] = torch.tensor(b["input_ids"], dtype=torch.long)
            labels[row, span] = torch.tensor(b["labels"], dtype=torch.long)
            mask[row, span] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}
