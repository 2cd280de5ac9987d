"""One run, smoke or real, top to bottom.

A --smoke run is the real run with two things swapped: the model (a tiny random one of the same architecture,
with a tokenizer trained on the shipped text) and the data (the shipped examples). TrainingArguments, optimizer,
schedule, warmup, precision where the CPU has it, and the DeepSpeed config (its "auto" values filled in by the
Trainer) are built by the same code for both; what this machine cannot do is listed in the manifest's
`deviations_in_this_run`.
"""

from __future__ import annotations

import time
from pathlib import Path

from reproduce import ReproduceError, checkpoints, dataset, distributed, hub, manifest, metrics
from reproduce import model as models
from reproduce import samples
from reproduce import tokenizer as tokenizers
from reproduce.collator import PadCollator
from reproduce.deepspeed_config import offloads, run_config
from reproduce.device import Device, precision as precision_for
from reproduce.layout import RunDir
from reproduce.schedule import total_steps
from reproduce.trainer import arguments_record, resolved_deepspeed, stop_at, trainer_class, training_arguments
from survey.files import claim, refusal
from survey.schema.recipe import Recipe

SMOKE_STEPS = 20
RUN_MARK = ".reproduce-run"  # names the folder it is in (survey.files.stamp): a copied or planted one counts for nothing
SMOKE_NEW_TOKENS, NEW_TOKENS = 16, 32


def train(recipe: Recipe, output_dir: Path | None = None, smoke: bool = False, resume: bool = False,
          force: bool = False, steps: int | None = None, save_steps: int | None = None,
          callbacks: list | None = None, overrides: list[str] | None = None) -> dict:
    """Train; `steps` stops after that many optimizer steps on the full schedule (a smoke run stops after
    SMOKE_STEPS by default); `save_steps` overrides the recipe's; `callbacks` are extra TrainerCallbacks. Each
    checkpoint gets a COMPLETE marker once its save returned; --resume uses the newest marked one."""
    h = recipe.hyperparameters
    run = RunDir(output_dir) if output_dir else RunDir.default(recipe.id, smoke)
    started = time.time()
    # Never train into (and so rotate checkpoints in, or overwrite files of) a folder another program filled.
    if (refused := refusal(run.root, "--output-dir", RUN_MARK, "python -m reproduce")) is not None:
        raise ReproduceError(refused)
    last = checkpoints.resume_checkpoint(run.root) if resume else None  # before any download: fail fast
    if not smoke and not force:
        from reproduce import feasibility

        feasibility.check(recipe)
    steps = steps if steps is not None else (SMOKE_STEPS if smoke else None)

    device = Device.detect()
    precision = precision_for(recipe, device)
    ds_config = run_config(recipe)
    world = distributed.world_size()
    distributed.start(deepspeed=ds_config is not None, cuda=device.cuda)
    # A real run lets the Trainer count its steps from the data it loads; a smoke run gets the real data's count.
    total = total_steps(recipe, world) if smoke else h.max_steps
    args = training_arguments(recipe, run, world=world, precision=precision, max_steps=total or -1,
                              deepspeed=ds_config, has_eval=dataset.holds_out(recipe), cpu=not device.cuda,
                              save_steps=save_steps)
    if distributed.is_main() and (refused := claim(run.root, "--output-dir", RUN_MARK, "python -m reproduce",
                                                         lambda stamp: f"a run folder of python -m reproduce, {stamp}\n")):
        raise ReproduceError(refused)
    run.root.mkdir(parents=True, exist_ok=True)

    with distributed.main_first():
        source = None if smoke else hub.download_model(recipe)
        files = None if smoke else hub.download_data(recipe)
    if smoke:
        shipped = dataset.shipped_examples(recipe)
        tokenizer = tokenizers.smoke(recipe, shipped[0] + shipped[1])
        model = models.load_tiny(recipe, len(tokenizer), precision)
    else:
        tokenizer = tokenizers.load(recipe, source)
        model = models.load_base(recipe, source, precision)
    tokenizers.resize_embeddings(recipe, model, tokenizer, tokenizers.apply_policy(recipe, tokenizer))
    model = models.adapt(recipe, model)
    with distributed.main_first():
        data = dataset.build(recipe, tokenizer, files)
    if distributed.is_main():
        print(f"data set: {len(data.train)} training and {len(data.eval)} held-out examples"
              + (f", {'from the cache' if data.cache['hit'] else 'built and cached'} ({data.cache['path']})"
                 if data.cache else " (shipped)"), flush=True)

    collate = PadCollator(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0,
                          recipe.tokenizer.padding_side, multiple_of=recipe.tokenizer.pad_to_multiple_of,
                          max_length=h.max_length, random_offset_probability=h.random_offset_probability, seed=h.seed)
    meter = metrics.ThroughputMeter()
    trainer = trainer_class()(
        model=model, args=args, train_dataset=data.train, eval_dataset=data.eval or None, data_collator=collate,
        callbacks=[*metrics.callbacks(run.metrics, run.tensorboard, meter),
                   checkpoints.mark_complete_callback(ds_config is not None),
                   *([stop_at(steps)] if steps else []), *(callbacks or [])],
        loss_averaging=h.loss_averaging, meter=meter)
    if last is not None:
        checkpoints.trim_metrics(run.metrics, checkpoints.step_of(last))
    _train_and_save(trainer, tokenizer, run, recipe, smoke, last)

    rows = metrics.read(run.metrics) if distributed.is_main() else []
    losses = [row["loss"] for row in rows if "loss" in row]
    evals = [row["eval_loss"] for row in rows if "eval_loss" in row]
    result = {
        "recipe": recipe.id, "smoke": smoke, "output_dir": str(run.root), "examples": len(data.train),
        "eval_examples": len(data.eval), "world_size": world, "steps": trainer.state.global_step,
        "total_steps": trainer.state.max_steps, "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None, "eval_loss": evals[-1] if evals else None,
        "seconds": round(time.time() - started, 1), "zero_stage": recipe.deepspeed.stage if ds_config else None,
        "lora": bool(recipe.lora), "resumed_from": checkpoints.step_of(last) if last else None,
        "engine": type(trainer.model_wrapped).__name__,
    }
    if distributed.is_main():
        deviations = _deviations(recipe, smoke, device, precision.deviations, ds_config, total, data, model)
        final = samples.final_model(trainer.model, run.final) if _zero3(ds_config) else trainer.model
        samples.write_samples(recipe, final, tokenizer, run.samples,
                              max_new_tokens=SMOKE_NEW_TOKENS if smoke else NEW_TOKENS)
        _write_manifest(recipe, run, trainer, result, data, overrides, deviations)
    distributed.finish()
    return result


def _write_manifest(recipe: Recipe, run: RunDir, trainer, result: dict, data: dataset.Encoded,  # noqa: ANN001
                    overrides: list[str] | None, deviations: list[str]) -> None:
    h = recipe.hyperparameters
    manifest.write(run.manifest, {
        **result, "base": {"hub": recipe.base.hub, "revision": "random-init" if result["smoke"] else recipe.base.revision},
        "training_arguments": arguments_record(trainer.args), "deepspeed": resolved_deepspeed(trainer),
        "loss_averaging": h.loss_averaging, "overrides": list(overrides or []), "seed": h.seed,
        "git_commit": manifest.git_commit(), "hardware": manifest.hardware(),
        "data_sha256": manifest.dataset_digest(data.train), "eval_data_sha256": manifest.dataset_digest(data.eval),
        "dataset_cache": data.cache, "recipe_card": recipe.model_dump(mode="json", exclude_none=True),
        "versions": manifest.versions(), "deviations_in_this_run": deviations,
    })


def _train_and_save(trainer, tokenizer, run: RunDir, recipe: Recipe, smoke: bool, last: Path | None) -> None:  # noqa: ANN001
    """trainer.train(), then the final weights and tokenizer; a full disk is reported with what was kept, and so is a
    checkpoint that its marker vouches for but that does not load."""
    from transformers import TrainerCallback

    class Loaded(TrainerCallback):  # Trainer has loaded the checkpoint (weights, optimizer, rng) by the first step
        done = False

        def on_step_begin(self, args, state, control, **kwargs):  # noqa: ANN001
            Loaded.done = True

    trainer.add_callback(Loaded())
    try:
        trainer.train(resume_from_checkpoint=str(last) if last else None)
        trainer.save_model(str(run.final))
        if distributed.is_main():
            tokenizer.save_pretrained(str(run.final))
    except Exception as exc:
        if not hub.is_disk_full(exc):
            if last is not None and not Loaded.done:
                first = str(exc).splitlines()[0] if str(exc) else "no message"
                raise ReproduceError(
                    f"--resume: {last} does not load ({type(exc).__name__}: {first}), although its files are those "
                    "its save wrote. Set it aside (rename it) to resume from an older checkpoint, or run without "
                    "--resume to start over") from None
            raise
        removed = checkpoints.remove_incomplete(run.root)
        need = hub.disk_need(recipe, "checkpoint") if not smoke else None
        complete = [p.name for p in sorted(run.root.glob("checkpoint-*"), key=checkpoints.step_of)
                    if checkpoints.checkpoint_problem(p) is None]
        raise ReproduceError(
            f"no space left on the device while saving to {run.root}{'; each checkpoint needs ' + need if need else ''}. "
            f"Nothing half-written was kept: {'removed ' + ', '.join(removed) if removed else 'no incomplete checkpoint was left'}"
            f" (only checkpoints with a {checkpoints.MARKER} marker are resumed from). Free some space, then re-run with "
            f"--resume{' to continue from ' + complete[-1] if complete else ''}") from None


def _zero3(ds_config: dict | None) -> bool:
    return bool(ds_config) and ds_config.get("zero_optimization", {}).get("stage") == 3


def _deviations(recipe: Recipe, smoke: bool, device: Device, precision: list[str], ds_config: dict | None,
                total: int | None, data: dataset.Encoded, model) -> list[str]:  # noqa: ANN001
    """What this run does differently from the recipe, beyond the recipe's own recorded deviations."""
    out = []
    if smoke:
        config = getattr(model, "config", None)
        out.append(f"model: a randomly initialised {recipe.base.architecture} of hidden size "
                   f"{getattr(config, 'hidden_size', '?')} and {getattr(config, 'num_hidden_layers', '?')} layers, "
                   "with a tokenizer trained on the shipped text, not the base model")
        out.append(f"data: the shipped examples ({len(data.train)} for training, {len(data.eval)} held out), not the "
                   "recipe's")
        out.append(f"schedule: {total} optimizer steps, the count the recipe's recorded data size gives" if total else
                   "schedule: the recipe's data size is not recorded, so the steps are counted from the shipped data")
    out += precision
    optimizer_off, params_off = offloads(ds_config)
    if (optimizer_off or params_off) and not device.cuda:
        out.append("offload to the CPU runs on a CPU: the offloaded state stays in the same memory")
    return out

