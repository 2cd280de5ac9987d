"""The run path: feasibility, pinned downloads, data, tokenizer policy, Trainer (+ DeepSpeed or LoRA), metrics, manifest."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from reproduce import ROOT, SHIPPED, ReproduceError
from reproduce.data import CONSTRUCTIONS, load_examples, normalise, read_records, sample
from reproduce.recipes import effective_deepspeed
from reproduce.templates import IGNORE_INDEX, tokenize, tokenize_many
from survey.schema.recipe import Recipe

CACHE = Path(os.environ.get("REPRODUCE_CACHE", Path.home() / ".cache" / "reproduce"))
CONVERSATION_FORMATS = {"sharegpt", "belle-multiturn", "oasst-export"}


# --- data ---------------------------------------------------------------------------------------------------

def _from_file(path: Path, fmt: str, construction: str | None) -> list[dict]:
    if construction:
        from reproduce.data import construct

        rows = construct(construction, path)
        return [normalise(path, i + 1, row, "alpaca") for i, row in enumerate(rows)]
    from reproduce.oa_data import OA_FORMATS, oasst_trees

    if fmt == "oasst-export":
        return [c for tree in oasst_trees(path) for c in tree]
    if fmt in OA_FORMATS:
        from reproduce.oa_data import READERS

        if fmt in READERS:
            return READERS[fmt](path)
    return load_examples(path, fmt)


def shipped_examples(recipe: Recipe) -> list[dict]:
    part = next(p for p in recipe.data if p.included)
    if part.format in CONVERSATION_FORMATS:
        return _from_file(SHIPPED / "sharegpt_smoke.json", "sharegpt", part.construction)
    return load_examples(SHIPPED / "alpaca_smoke.jsonl", "alpaca")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_data(recipe: Recipe) -> list[tuple[Any, Path]]:
    """Each included part, fetched once into the cache at its pinned revision (URL parts checked against sha256)."""
    files = []
    for part in recipe.data:
        if not part.included:
            continue
        if part.url:
            target = CACHE / "data" / recipe.id / Path(part.url).name
            if not target.exists():
                import urllib.request

                target.parent.mkdir(parents=True, exist_ok=True)
                urllib.request.urlretrieve(part.url, target)  # noqa: S310 - recorded http(s) URL
            if part.sha256 and _sha256(target) != part.sha256:
                raise ReproduceError(f"{target}: sha256 differs from the recipe's {part.sha256}")
            files.append((part, target))
            continue
        from huggingface_hub import hf_hub_download, snapshot_download

        if part.file:
            path = Path(hf_hub_download(part.hub, part.file, repo_type="dataset", revision=part.revision,
                                        cache_dir=CACHE / "hub"))
        else:
            folder = Path(snapshot_download(part.hub, repo_type="dataset", revision=part.revision, cache_dir=CACHE / "hub",
                                            allow_patterns=["*.json", "*.jsonl"]))
            candidates = sorted(folder.rglob("*.json*"))
            if not candidates:
                raise ReproduceError(f"{part.hub}@{part.revision}: no .json/.jsonl file; name one with data.N.file")
            path = candidates[0]
        files.append((part, path))
    return files


def recipe_examples(recipe: Recipe) -> list[dict]:
    from reproduce.oa_data import OA_FORMATS, load_part

    examples = []
    for part, path in download_data(recipe):
        if part.format in OA_FORMATS:
            examples.extend(load_part(path, part)[0])  # the training split; validation is not used
            continue
        examples.extend(sample(_from_file(path, part.format, part.construction), part.sampling,
                               recipe.hyperparameters.seed))
    return examples


# --- tokenizer ----------------------------------------------------------------------------------------------

def apply_tokenizer_policy(recipe: Recipe, tokenizer: Any) -> int:
    """The recipe's special-token policy; returns how many tokens were added (embeddings to resize)."""
    policy = recipe.tokenizer
    added = 0
    if policy.add_special_tokens:
        extra = [t for t in policy.add_special_tokens if t != "[PAD]"]
        if extra:
            added += tokenizer.add_special_tokens({"additional_special_tokens": extra})
    if policy.pad == "add-pad-mean-init" and tokenizer.pad_token is None:
        added += tokenizer.add_special_tokens({"pad_token": "[PAD]"})
    elif policy.pad == "unk":
        tokenizer.pad_token = tokenizer.unk_token
    elif policy.pad == "unk-id-0":
        tokenizer.pad_token_id = 0
    elif policy.pad in ("eos", "existing") and tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = policy.padding_side
    return added


def resize_embeddings(model: Any, tokenizer: Any, added: int, mean_init: bool) -> None:
    """stanford_alpaca's smart_tokenizer_and_embedding_resize: new rows are the mean of the old ones."""
    if len(tokenizer) <= model.get_input_embeddings().weight.shape[0] and not added:
        return
    model.resize_token_embeddings(len(tokenizer))
    if added and mean_init:
        import torch

        with torch.no_grad():
            for emb in (model.get_input_embeddings(), model.get_output_embeddings()):
                if emb is not None:
                    emb.weight[-added:] = emb.weight[:-added].mean(dim=0, keepdim=True)


def encode(recipe: Recipe, examples: list[dict], tokenizer: Any, max_length: int | None = None) -> list[dict]:
    max_length = max_length or recipe.hyperparameters.max_length
    items = tokenize_many(recipe.template.name, examples, tokenizer, max_length, system=recipe.template.system)
    # Supervised tokens mostly come last: scanning from the end finds one at once.
    return [item for item in items if any(label != IGNORE_INDEX for label in reversed(item["labels"]))]


def smoke_tokenizer(recipe: Recipe, examples: list[dict]):
    from reproduce.templates import render
    from reproduce.tiny import tiny_tokenizer

    texts = [render(recipe.template.name, e, system=recipe.template.system) for e in examples]
    return tiny_tokenizer(texts, recipe.base.architecture)


# --- dry run ------------------------------------------------------------------------------------------------

def dry_run(recipe: Recipe, smoke: bool = False, input_path: Path | None = None, count: int = 2) -> list[dict]:
    from reproduce.templates import render

    if input_path is not None:
        part = next(p for p in recipe.data if p.included)
        examples = _from_file(input_path, part.format, part.construction)
    elif smoke:
        examples = shipped_examples(recipe)
    else:
        examples = recipe_examples(recipe)
    if smoke:
        tokenizer = smoke_tokenizer(recipe, shipped_examples(recipe) + examples[:50])
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(recipe.base.hub, revision=recipe.base.revision,
                                                  trust_remote_code=recipe.base.trust_remote_code,
                                                  use_fast=recipe.tokenizer.use_fast if recipe.tokenizer.use_fast is not None else True)
    apply_tokenizer_policy(recipe, tokenizer)
    samples = []
    for index, example in enumerate(examples[:count]):
        item = tokenize(recipe.template.name, example, tokenizer, recipe.hyperparameters.max_length, system=recipe.template.system)
        supervised = [label != IGNORE_INDEX for label in item["labels"]]
        sup_ids = [t for t, s in zip(item["input_ids"], supervised) if s]
        samples.append({"index": index, "text": render(recipe.template.name, example, eos=tokenizer.eos_token or "</s>",
                                                       system=recipe.template.system),
                        "input_ids": item["input_ids"], "supervised": supervised, "supervised_count": sum(supervised),
                        "supervised_text": tokenizer.decode(sup_ids)})
    return samples


# --- training -----------------------------------------------------------------------------------------------

class PadCollator:
    """Batches of encoded examples as tensors, padded to the batch's longest example (dynamic padding).

    `pad_to` pads every batch to that length instead (what a fixed `padding="max_length"` does; kept for
    benchmarks, bench/train_cpu.py). Labels are padded with IGNORE_INDEX, the attention mask with 0.
    """

    def __init__(self, pad_id: int, padding_side: str = "right", pad_to: int | None = None) -> None:
        self.pad_id, self.left, self.pad_to = pad_id, padding_side == "left", pad_to

    def __call__(self, batch: list[dict]) -> dict:
        import torch

        longest = max(len(b["input_ids"]) for b in batch)
        width = max(self.pad_to or 0, longest)
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _single_process_env() -> None:
    for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("MASTER_PORT", str(_free_port()))


def smoke_deepspeed(recipe: Recipe, micro: int, accumulation: int) -> dict | None:
    """The recipe's DeepSpeed config for a CPU smoke run: same ZeRO stage, no offload, fp32, Trainer's optimizer."""
    if recipe.deepspeed is None:
        return None
    config = copy.deepcopy(recipe.deepspeed.config)
    zero = config.setdefault("zero_optimization", {})
    zero.pop("offload_optimizer", None)
    zero.pop("offload_param", None)
    for key in ("optimizer", "scheduler"):
        config.pop(key, None)
    for key in ("fp16", "bf16"):
        config[key] = {"enabled": False}
    config["train_micro_batch_size_per_gpu"] = micro
    config["gradient_accumulation_steps"] = accumulation
    config["train_batch_size"] = micro * accumulation
    config["zero_allow_untested_optimizer"] = True
    return config


def feasibility(recipe: Recipe) -> dict:
    from reproduce.plan import detect_hardware, make_plan

    hw = detect_hardware()
    if hw is None:
        raise ReproduceError(
            f"{recipe.id}: no GPU detected; the recorded run used {recipe.hardware.count or '?'} x "
            f"{recipe.hardware.type or 'unknown GPUs'}. See `python -m reproduce {recipe.id} --plan`, "
            "or run `--smoke` (CPU, tiny model) or `--force`")
    plan = make_plan(recipe, f"{hw.count}x{hw.type}")
    if plan["fits"] is False:
        raise ReproduceError(f"{recipe.id}: needs about {plan['memory_gib']['total']:.0f} GiB per device, "
                             f"{hw.type} has {hw.memory_gb:.0f}; see --plan or use --force")
    return plan


def train(recipe: Recipe, output_dir: Path | None = None, smoke: bool = False, resume: bool = False,
          force: bool = False, steps: int | None = None) -> dict:
    import torch
    import transformers
    from transformers import Trainer, TrainerCallback, TrainingArguments

    h = recipe.hyperparameters
    output_dir = output_dir or ROOT / "runs" / (recipe.id + ("-smoke" if smoke else ""))
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if smoke:
        examples = shipped_examples(recipe)
        tokenizer = smoke_tokenizer(recipe, examples)
        added = apply_tokenizer_policy(recipe, tokenizer)
        from reproduce.tiny import tiny_model

        model = tiny_model(recipe, len(tokenizer))
        max_length, micro, accumulation = 128, 4, 1
        learning_rate, max_steps = (2e-2 if recipe.lora else 3e-3), steps or 30
        ds_config = smoke_deepspeed(recipe, micro, accumulation)
        precision = {}
        revision = "random-init"
    else:
        if not force:
            feasibility(recipe)
        from huggingface_hub import snapshot_download
        from transformers import AutoModelForCausalLM, AutoTokenizer

        local = snapshot_download(recipe.base.hub, revision=recipe.base.revision, cache_dir=CACHE / "hub")
        tokenizer = AutoTokenizer.from_pretrained(local, trust_remote_code=recipe.base.trust_remote_code,
                                                  model_max_length=h.max_length,
                                                  use_fast=recipe.tokenizer.use_fast if recipe.tokenizer.use_fast is not None else True)
        added = apply_tokenizer_policy(recipe, tokenizer)
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "int8-fp16": torch.float16}.get(h.precision, torch.float32)
        model = AutoModelForCausalLM.from_pretrained(local, trust_remote_code=recipe.base.trust_remote_code, dtype=dtype)
        examples = recipe_examples(recipe)
        max_length, micro = h.max_length, h.per_device_batch_size
        world = int(os.environ.get("WORLD_SIZE", "1"))
        accumulation = max(1, (h.global_batch_size or micro * h.gradient_accumulation_steps) // (micro * world))
        learning_rate, max_steps = h.learning_rate, steps or h.max_steps or -1
        ds_config = effective_deepspeed(recipe, devices=world) if recipe.deepspeed else None
        precision = {"bf16": h.precision == "bf16", "fp16": h.precision in ("fp16", "int8-fp16")}
        revision = recipe.base.revision
    resize_embeddings(model, tokenizer, added, mean_init=recipe.tokenizer.pad == "add-pad-mean-init")
    if recipe.lora:
        from peft import LoraConfig, get_peft_model

        targets = recipe.lora.target_modules
        if recipe.base.architecture == "bloom":
            targets = ["query_key_value"]
        model = get_peft_model(model, LoraConfig(r=recipe.lora.r, lora_alpha=recipe.lora.alpha, lora_dropout=recipe.lora.dropout,
                                                 target_modules=targets, bias=recipe.lora.bias, task_type="CAUSAL_LM"))
        ds_config = None
    if ds_config is not None:
        _single_process_env()
    dataset = encode(recipe, examples, tokenizer, max_length)
    if not dataset:
        raise ReproduceError(f"{recipe.id}: no example has a supervised token within max_length {max_length}")

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    collate = PadCollator(pad_id, recipe.tokenizer.padding_side)

    metrics_path = output_dir / "metrics.jsonl"
    losses: list[float] = []

    class Metrics(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            if not state.is_world_process_zero or not logs:
                return
            if "loss" in logs:
                losses.append(float(logs["loss"]))
            with metrics_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"step": state.global_step, "epoch": state.epoch, "time": time.time(), **logs}) + "\n")

    warmup = h.warmup_steps if h.warmup_steps is not None else (h.warmup_ratio or 0.0)
    if smoke:
        warmup = 0
    args = TrainingArguments(
        output_dir=str(output_dir), per_device_train_batch_size=micro, gradient_accumulation_steps=accumulation,
        learning_rate=learning_rate, num_train_epochs=h.epochs, max_steps=max_steps, weight_decay=h.weight_decay,
        warmup_steps=warmup, lr_scheduler_type="constant" if smoke else _scheduler(h.scheduler),
        adam_beta1=h.adam_beta1, adam_beta2=h.adam_beta2, adam_epsilon=h.adam_epsilon,
        max_grad_norm=h.max_grad_norm if h.max_grad_norm is not None else 1.0,
        logging_steps=1 if smoke else (h.logging_steps or 10), save_strategy="steps",
        save_steps=(max_steps if smoke else (h.save_steps or 500)), save_total_limit=2, seed=h.seed, report_to=[],
        gradient_checkpointing=h.gradient_checkpointing and not smoke, deepspeed=ds_config,
        use_cpu=smoke and ds_config is None, remove_unused_columns=False, dataloader_num_workers=0, **precision,
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=collate, callbacks=[Metrics()])
    last = None
    if resume:
        checkpoints = sorted(output_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
        if not checkpoints:
            raise ReproduceError(f"--resume: no checkpoint-* folder in {output_dir}")
        last = str(checkpoints[-1])
    trainer.train(resume_from_checkpoint=last)
    trainer.save_model(str(output_dir / "final"))
    result = {
        "recipe": recipe.id, "smoke": smoke, "output_dir": str(output_dir), "examples": len(dataset),
        "steps": trainer.state.global_step, "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None, "seconds": round(time.time() - started, 1),
        "zero_stage": recipe.deepspeed.stage if ds_config else None, "lora": bool(recipe.lora),
    }
    manifest = {
        **result, "base": {"hub": recipe.base.hub, "revision": revision}, "deepspeed": ds_config,
        "recipe_card": recipe.model_dump(mode="json", exclude_none=True),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     **_optional_versions("deepspeed", "peft", "huggingface_hub", "tokenizers")},
        "deviations_in_this_run": (["tiny random model", "shipped examples", "fp32 on CPU", "offload removed",
                                    f"Trainer's AdamW, constant lr {learning_rate:g}"] if smoke else []),
    }
    (output_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), "utf-8")
    return result


def _scheduler(name: str) -> str:
    name = name.lower()
    if "cosine" in name:
        return "cosine"
    if "constant" in name:
        return "constant_with_warmup"
    return "linear"


def _optional_versions(*names: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
