"""The Trainer the runs use averages the loss as the recipe says: per micro batch (the 2023 Trainer's, every
recipe's default) or per token over the whole step (transformers 5's); a micro batch with nothing supervised adds
zero, not NaN."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


def _train_one_step(tmp_path, loss_averaging: str, batches: list[dict]) -> float:
    from transformers import TrainerCallback, TrainingArguments

    from reproduce.metrics import ThroughputMeter
    from reproduce.recipes import load_recipe
    from reproduce.tiny import tiny_model
    from reproduce.trainer import trainer_class

    model = tiny_model(load_recipe("alpaca-7b"), 50)
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=1, gradient_accumulation_steps=len(batches),
                             max_steps=1, learning_rate=0.0, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                             dataloader_num_workers=0, remove_unused_columns=False)
    logged = []

    def collate(items):
        return {key: torch.tensor([items[0][key]]) for key in ("input_ids", "labels", "attention_mask")}

    class Keep(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            logged.append(logs)

    trainer = trainer_class()(model=model, args=args, train_dataset=batches, data_collator=collate, callbacks=[Keep()],
                              loss_averaging=loss_averaging, meter=ThroughputMeter())
    trainer.train()
    return next(row["loss"] for row in logged if "loss" in row)


def _mean_losses(batches):
    from reproduce.recipes import load_recipe
    from reproduce.tiny import tiny_model

    model = tiny_model(load_recipe("alpaca-7b"), 50)
    sums, counts = [], []
    for b in batches:

        with torch.no_grad():
            logits = model(input_ids=torch.tensor([b["input_ids"]])).logits[0, :-1]
        labels = torch.tensor(b["labels"][1:])
        keep = labels != -100
        losses = torch.nn.functional.cross_entropy(logits[keep], labels[keep], reduction="sum") if keep.any() else torch.tensor(0.0)
        sums.append(float(losses))
        counts.append(int(keep.sum()))
    return sums, counts


def _batch(ids, supervised):
    return {"input_ids": ids, "labels": [t if s else -100 for t, s in zip(ids, supervised)], "attention_mask": [1] * len(ids)}


BATCHES = [_batch([1, 5, 6, 7, 8, 9, 10, 11], [0, 0, 1, 1, 1, 1, 1, 1]),  # 6 supervised targets
           _batch([1, 12, 13, 14, 15, 16, 17, 18], [0, 0, 0, 0, 0, 0, 0, 1])]  # 1


def test_micro_batch_averaging_is_the_2023_trainers(tmp_path):
    sums, counts = _mean_losses(BATCHES)
    micro = sum(s / c for s, c in zip(sums, counts)) / len(BATCHES)
    token = sum(sums) / sum(counts)
    assert abs(micro - token) > 1e-3  # the two differ on these batches, so the test can tell them apart
    assert _train_one_step(tmp_path / "micro", "micro-batch", BATCHES) == pytest.approx(micro, rel=1e-5)
    assert _train_one_step(tmp_path / "token", "token", BATCHES) == pytest.approx(token, rel=1e-5)


def test_a_micro_batch_with_nothing_supervised_adds_zero(tmp_path):
    empty = _batch([1, 2, 3, 4], [0, 0, 0, 0])
    sums, counts = _mean_losses(BATCHES[:1])
    loss = _train_one_step(tmp_path, "micro-batch", [BATCHES[0], empty])
    assert loss == pytest.approx(sums[0] / counts[0] / 2, rel=1e-5)
