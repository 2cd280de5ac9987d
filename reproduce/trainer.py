"""The Trainer setup every run uses, smoke or real: TrainingArguments from the recipe's hyperparameters, the
recipe's loss averaging, and stopping early on the full schedule.

Only the step count differs between a smoke run and a real one, and only in how it is known: a real run lets the
Trainer count it from the data it loaded, a smoke run (tiny data) is given the count the recipe's real data makes,
so its learning rate follows the real schedule for as many steps as it runs.
"""

from __future__ import annotations

from typing import Any

from reproduce import ReproduceError
from reproduce.device import Precision
from reproduce.layout import RunDir
from reproduce.schedule import accumulation
from survey.schema.recipe import Recipe

# The recipes' scheduler names, as the Trainer's lr_scheduler_type; a DeepSpeed "scheduler" block overrides it.
SCHEDULERS = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}
TRAINER_DEFAULT_SAVE_STEPS = 500
TRAINER_DEFAULT_EVAL_BATCH = 8


def scheduler_type(name: str) -> str:
    lowered = name.lower()
    return next((value for key, value in SCHEDULERS.items() if key in lowered), "linear")


def training_arguments(recipe: Recipe, run: RunDir, *, world: int, precision: Precision, max_steps: int,
                       deepspeed: dict | None, has_eval: bool, cpu: bool, save_steps: int | None = None):
    """TrainingArguments for the recipe on `world` data-parallel processes. Every optimizer step is logged (to
    metrics.jsonl and TensorBoard), whatever logging_steps the original printed at; logging does not change training."""
    from transformers import TrainingArguments

    h = recipe.hyperparameters
    evaluate = has_eval and h.eval_steps is not None
    save = save_steps or h.save_steps or TRAINER_DEFAULT_SAVE_STEPS
    if evaluate and h.load_best_model_at_end and save % h.eval_steps:
        raise ReproduceError(f"{recipe.id} keeps its best checkpoint (load_best_model_at_end), so checkpoints must "
                             f"fall on evaluations: save steps {save} is not a multiple of eval_steps {h.eval_steps}; "
                             f"pick another --save-steps or --set hyperparameters.eval_steps=N", code=2)
    return TrainingArguments(
        output_dir=str(run.root), per_device_train_batch_size=h.per_device_batch_size,
        per_device_eval_batch_size=h.per_device_eval_batch_size or TRAINER_DEFAULT_EVAL_BATCH,
        gradient_accumulation_steps=accumulation(recipe, world), learning_rate=h.learning_rate,
        num_train_epochs=h.epochs, max_steps=max_steps, weight_decay=h.weight_decay,
        warmup_steps=h.warmup_steps if h.warmup_steps is not None else (h.warmup_ratio or 0.0),
        lr_scheduler_type=scheduler_type(h.scheduler), optim="adamw_torch",
        adam_beta1=h.adam_beta1, adam_beta2=h.adam_beta2, adam_epsilon=h.adam_epsilon,
        max_grad_norm=h.max_grad_norm if h.max_grad_norm is not None else 1.0,
        logging_steps=1, save_strategy="steps", save_steps=save, save_total_limit=h.save_total_limit,
        eval_strategy="steps" if evaluate else "no", eval_steps=h.eval_steps if evaluate else None,
        load_best_model_at_end=evaluate and h.load_best_model_at_end,
        metric_for_best_model="loss" if evaluate and h.load_best_model_at_end else None,
        seed=h.seed, report_to=[], include_num_input_tokens_seen="non_padding",
        activation_checkpointing=h.gradient_checkpointing, deepspeed=deepspeed, use_cpu=cpu,
        ddp_find_unused_parameters=False if recipe.lora else None,
        remove_unused_columns=False, dataloader_num_workers=0, **precision.arguments(),
    )


def trainer_class():
    """A Trainer with the recipe's loss averaging and the throughput meter on its logs.

    "micro-batch" averaging (the 2023 Trainer's): the model returns each micro batch's mean loss and the Trainer
    divides it by the accumulation steps; data-parallel gradients are averaged over processes. "token"
    averaging (transformers 5's default): the step's supervised tokens are counted over accumulation and devices
    and each weighs the same. A micro batch without a supervised token gives a zero loss (the mean over no tokens
    would be NaN and spoil the step). The logged learning rate is the one the logged step applied, read from the
    optimizer when the step begins."""
    from transformers import Trainer

    class ReproduceTrainer(Trainer):
        def __init__(self, *args: Any, loss_averaging: str, meter: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.meter = meter
            self.step_lr: float | None = None
            if loss_averaging == "micro-batch":
                self.model_accepts_loss_kwargs = False  # the model averages each micro batch; Trainer divides by GA

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001
            labels = inputs.get("labels")
            if labels is not None and not bool((labels[..., 1:] != -100).any()):
                outputs = model(**{k: v for k, v in inputs.items() if k != "labels"})
                loss = outputs.logits.sum() * 0.0  # every parameter in the graph, so all ranks reduce alike
                return (loss, outputs) if return_outputs else loss
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

        def training_step(self, model, inputs, num_items_in_batch=None):  # noqa: ANN001
            if self.step_lr is None:  # the step's first micro batch: the rate its update will apply
                self.step_lr = float(self.optimizer.param_groups[0]["lr"])
            return super().training_step(model, inputs, num_items_in_batch)

        def log(self, logs, start_time=None):  # noqa: ANN001 - before any callback sees the logs
            if "learning_rate" in logs and self.step_lr is not None:
                # the rate the logged step applied: what Trainer logs here depends on who steps the scheduler
                # (the rate before the step for its own, after it when DeepSpeed steps one inside backward)
                logs["learning_rate"], self.step_lr = self.step_lr, None
            self.meter.add(logs, self.state)
            super().log(logs, start_time)

    return ReproduceTrainer


def stop_at(steps: int):
    """Stops training after `steps` optimizer steps, saving a checkpoint there, without changing the schedule."""
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
            if state.global_step >= steps:
                control.should_training_stop = True
                control.should_save = True

    return StopAt()


def resolved_deepspeed(trainer: Any) -> dict | None:
    """The DeepSpeed config as the Trainer filled it in."""
    hf_config = getattr(trainer.args, "hf_deepspeed_config", None)
    return hf_config.config if hf_config is not None else None


def arguments_record(args: Any) -> dict:
    """TrainingArguments as JSON-friendly values, for the manifest."""
    import json

    return json.loads(json.dumps(args.to_dict(), default=str))
