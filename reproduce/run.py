"""The run path: feasibility, pinned downloads, data, tokenizer policy, Trainer (+ DeepSpeed or LoRA), metrics, manifest."""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reproduce import ROOT, SHIPPED, ReproduceError
from reproduce.data import CONSTRUCTIONS, load_examples, normalise, read_records, sample
from reproduce.recipes import effective_deepspeed
from reproduce.templates import IGNORE_INDEX, segments, tokenize, tokenize_many
from survey.schema.recipe import Recipe

CACHE = Path(os.environ.get("REPRODUCE_CACHE", Path.home() / ".cache" / "reproduce"))
CONVERSATION_FORMATS = {"sharegpt", "belle-multiturn", "oasst-export"}


# --- download and disk errors -------------------------------------------------------------------------------

_NETWORK_ERRORS = {"TransportError", "NetworkError", "ConnectError", "ReadError", "TimeoutException", "ReadTimeout",
                   "ConnectTimeout", "RemoteProtocolError", "ChunkedEncodingError", "ProtocolError", "IncompleteRead",
                   "URLError", "ContentTooShortError", "LocalEntryNotFoundError", "OfflineModeIsEnabled"}


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"


def disk_need(recipe: Recipe, what: str) -> str | None:
    """What the plan expects on disk for the base model ("download") or one checkpoint ("checkpoint"), or None."""
    n = float(recipe.base.parameters.midpoint() or 0) if recipe.base.parameters else 0.0
    if not n:
        return None
    if what == "download":
        return f"about {_gb(2 * n)} for {n / 1e9:.1f}B parameters in 16-bit ({_gb(4 * n)} if the repo holds fp32 weights)"
    if recipe.lora:
        return "a few hundred MB (LoRA adapter and its optimizer state)"
    return f"about {_gb(14 * n)} (16-bit weights plus fp32 master weights and Adam moments)"


def _is_disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def _is_network_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(cls.__name__ in _NETWORK_ERRORS for cls in type(exc).__mro__)


def _token_state() -> str:
    try:
        from huggingface_hub import get_token

        token = get_token()
    except Exception:  # noqa: BLE001 - only for the message
        token = os.environ.get("HF_TOKEN")
    return "the Hugging Face token in use was refused" if token else "no Hugging Face token was found"


def hub_error_message(exc: BaseException, repo: str, kind: str, folder: Path, need: str | None = None) -> str | None:
    """A message for the user for an error downloading `repo` (a "model" or "dataset"), or None when it is none of ours."""
    from huggingface_hub import errors as hub

    page = f"https://huggingface.co/{'datasets/' if kind == 'dataset' else ''}{repo}"
    login = "then run `huggingface-cli login` (or `hf auth login`), or set HF_TOKEN to a token of that account"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if _is_disk_full(exc):
        return (f"no space left on the device while downloading {kind} {repo} into {folder}"
                f"{'; the plan needs ' + need if need else ''}. Nothing half-written was kept in place: huggingface_hub "
                "writes each file as *.incomplete and moves it in only when whole. Free some space (or point "
                "REPRODUCE_CACHE at a larger disk) and re-run; the download resumes where it stopped")
    if isinstance(exc, hub.GatedRepoError):
        return (f"{kind} {repo} is gated and {_token_state()}. Accept its terms on {page} while logged in, {login}")
    if isinstance(exc, hub.RepositoryNotFoundError):
        return (f"{kind} {repo} was not found: it does not exist, or it is private or gated and {_token_state()}. "
                f"If you should have access, accept the terms on {page}, {login}")
    if isinstance(exc, hub.RevisionNotFoundError):
        return f"{kind} {repo} has no revision the recipe pins ({exc}); check the recipe's revision against {page}"
    if isinstance(exc, hub.HfHubHTTPError) and status in (401, 403):
        return (f"{kind} {repo}: access refused (HTTP {status}); it is gated or private and {_token_state()}. "
                f"Accept the terms on {page}, {login}")
    if _is_network_error(exc) or (isinstance(exc, hub.HfHubHTTPError) and status is not None and status >= 500):
        return (f"downloading {kind} {repo} was interrupted ({type(exc).__name__}: {exc}). Re-run the same command: "
                f"huggingface_hub resumes partial files kept in {folder}")
    return None


@contextmanager
def hub_errors(repo: str, kind: str, folder: Path, need: str | None = None):
    """Turn download failures of `repo` into a ReproduceError that says what to do."""
    try:
        yield
    except ReproduceError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything we cannot explain is re-raised as is
        cause: BaseException | None = exc
        while cause is not None:  # transformers wraps the hub's errors in an OSError
            message = hub_error_message(cause, repo, kind, folder, need)
            if message is not None:
                raise ReproduceError(message) from None
            cause = cause.__cause__
        raise


def download_model(recipe: Recipe) -> str:
    """The base model's snapshot at its pinned revision, in the cache."""
    from huggingface_hub import snapshot_download

    folder = CACHE / "hub"
    with hub_errors(recipe.base.hub, "model", folder, disk_need(recipe, "download")):
        return snapshot_download(recipe.base.hub, revision=recipe.base.revision, cache_dir=folder)


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


def _check_sha256(path: Path, expected: str | None) -> None:
    if expected and (found := _sha256(path)) != expected:
        raise ReproduceError(f"{path}: sha256 is {found}, not the recipe's {expected}; the file changed upstream or "
                             "the download is damaged. Delete it and re-run to fetch it again")


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
                partial = target.with_name(target.name + ".part")
                try:
                    urllib.request.urlretrieve(part.url, partial)  # noqa: S310 - recorded http(s) URL
                except Exception as exc:  # noqa: BLE001
                    partial.unlink(missing_ok=True)  # a half-written file is never kept
                    if _is_disk_full(exc):
                        raise ReproduceError(f"no space left on the device while downloading {part.url} into "
                                             f"{target.parent}; nothing half-written was kept. Free some space "
                                             "(or set REPRODUCE_CACHE) and re-run") from None
                    if _is_network_error(exc):
                        raise ReproduceError(f"downloading {part.url} was interrupted ({exc}); re-run the same "
                                             "command to download it again") from None
                    raise
                partial.replace(target)
            _check_sha256(target, part.sha256)
            files.append((part, target))
            continue
        from huggingface_hub import hf_hub_download, snapshot_download

        if part.file:
            with hub_errors(part.hub, "dataset", CACHE / "hub"):
                path = Path(hf_hub_download(part.hub, part.file, repo_type="dataset", revision=part.revision,
                                            cache_dir=CACHE / "hub"))
        else:
            with hub_errors(part.hub, "dataset", CACHE / "hub"):
                folder = Path(snapshot_download(part.hub, repo_type="dataset", revision=part.revision,
                                                cache_dir=CACHE / "hub", allow_patterns=["*.json", "*.jsonl"]))
            candidates = sorted(folder.rglob("*.json*"))
            if not candidates:
                raise ReproduceError(f"{part.hub}@{part.revision}: no .json/.jsonl file; name one "
                                     "(.json, .jsonl or .parquet) with data.N.file")
            path = candidates[0]
        _check_sha256(path, part.sha256)
        files.append((part, path))
    return files


def recipe_examples(recipe: Recipe) -> list[dict]:
    return examples_from(recipe, download_data(recipe))


def examples_from(recipe: Recipe, files: list[tuple[Any, Path]]) -> list[dict]:
    """The training examples of the downloaded parts, each read in its format and sampled as recorded."""
    from reproduce.oa_data import OA_FORMATS, load_part

    examples = []
    for part, path in files:
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

        with hub_errors(recipe.base.hub, "model", CACHE / "hub"):
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


# --- checkpoints ----------------------------------------------------------------------------------------------

MARKER = "COMPLETE"
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
           "adapter_model.safetensors", "adapter_model.bin")


def _step(folder: Path) -> int:
    suffix = folder.name.rpartition("-")[2]
    return int(suffix) if suffix.isdigit() else -1


def missing_parts(folder: Path, deepspeed: bool) -> list[str]:
    """What a finished Trainer (+ DeepSpeed) save has that `folder` lacks; empty when it is whole."""
    missing = [] if (folder / "trainer_state.json").is_file() else ["trainer_state.json"]
    if deepspeed:
        latest = folder / "latest"
        if not latest.is_file():
            missing.append("latest")
        elif not (folder / latest.read_text("utf-8").strip()).is_dir():
            missing.append(latest.read_text("utf-8").strip() + "/")
    elif not any((folder / name).is_file() for name in WEIGHTS):
        missing.append("model weights (" + " or ".join(WEIGHTS[::2]) + ")")
    return missing


def checkpoint_problem(folder: Path) -> str | None:
    """Why --resume may not use `folder`, or None when its save completed and nothing has gone since."""
    marker = folder / MARKER
    if not marker.is_file():
        return f"no {MARKER} marker: its save did not finish"
    try:
        record = json.loads(marker.read_text("utf-8") or "{}")
    except ValueError:
        record = {}
    gone = [name for name in record.get("files", ["trainer_state.json"]) if not (folder / name).exists()]
    if gone:
        return "files listed in its marker are gone: " + ", ".join(gone[:5])
    return None


def resume_checkpoint(output_dir: Path) -> Path:
    """The newest complete checkpoint-N in `output_dir`; incomplete newer ones are removed so Trainer never sees them."""
    folders = sorted((p for p in output_dir.glob("checkpoint-*") if p.is_dir() and _step(p) >= 0), key=_step, reverse=True)
    if not folders:
        raise ReproduceError(f"--resume: no checkpoint-* folder in {output_dir}; run without --resume to start over")
    problems = []
    for folder in folders:
        problem = checkpoint_problem(folder)
        if problem is None:
            break
        problems.append(f"{folder.name}: {problem}")
    else:
        raise ReproduceError(
            f"--resume: no complete checkpoint in {output_dir} ({'; '.join(problems)}). A checkpoint counts as complete "
            f"once Trainer has written all of it and then the {MARKER} marker; a run stopped during a save, or one "
            f"written before markers existed, has none. Run without --resume to start over (if you know a checkpoint "
            f"is whole, an empty {MARKER} file in it makes it usable)")
    if int(os.environ.get("RANK", "0")) == 0:
        for stale in folders[:len(problems)]:
            print(f"--resume: removing incomplete {stale} ({checkpoint_problem(stale)})", file=sys.stderr)
            shutil.rmtree(stale, ignore_errors=True)
    return folder


def _trim_metrics(path: Path, step: int) -> None:
    """Drop logged rows past `step` (written after the checkpoint resumed from), so the file reads as one run."""
    if not path.exists() or int(os.environ.get("RANK", "0")) != 0:
        return
    rows = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    path.write_text("".join(line + "\n" for line in rows if json.loads(line).get("step", 0) <= step), "utf-8")


def _write_marker(folder: Path, deepspeed: bool) -> None:
    missing = missing_parts(folder, deepspeed)
    if missing:
        print(f"warning: {folder} lacks {', '.join(missing)} after saving; no {MARKER} marker written", file=sys.stderr)
        return
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
    record = {"step": _step(folder), "time": time.time(), "files": files}
    partial = folder / (MARKER + ".tmp")
    with partial.open("w", encoding="utf-8") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    partial.replace(folder / MARKER)


def _remove_incomplete(output_dir: Path) -> list[str]:
    """Checkpoint folders without a marker (a save cut short), removed; their names."""
    removed = []
    if int(os.environ.get("RANK", "0")) == 0:
        for folder in output_dir.glob("checkpoint-*"):
            if folder.is_dir() and not (folder / MARKER).is_file():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
    return removed


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


def _git_commit() -> str | None:
    """The commit of this checkout, with "+dirty" when it has uncommitted changes; None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _hardware(torch) -> dict:
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return {"machine": platform.machine(), "processor": platform.processor() or None, "cpus": os.cpu_count(), "gpus": gpus}


def _dataset_digest(dataset) -> str:
    """sha256 of the token ids and labels exactly as trained, in order."""
    digest = hashlib.sha256()
    for item in dataset:
        digest.update(json.dumps([item["input_ids"], item["labels"]]).encode())
    return digest.hexdigest()


def train(recipe: Recipe, output_dir: Path | None = None, smoke: bool = False, resume: bool = False,
          force: bool = False, steps: int | None = None, save_steps: int | None = None,
          callbacks: list | None = None, overrides: list[str] | None = None) -> dict:
    """Train; `save_steps` overrides the recipe's (the smoke default saves once, at the end); `callbacks` are extra
    TrainerCallbacks. Each checkpoint gets a COMPLETE marker once its save returned; --resume uses the newest marked one."""
    import torch
    import transformers
    from transformers import Trainer, TrainerCallback, TrainingArguments

    h = recipe.hyperparameters
    output_dir = output_dir or ROOT / "runs" / (recipe.id + ("-smoke" if smoke else ""))
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    last = resume_checkpoint(output_dir) if resume else None  # before any download: fail fast
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
        from transformers import AutoModelForCausalLM, AutoTokenizer

        local = download_model(recipe)
        tokenizer = AutoTokenizer.from_pretrained(local, trust_remote_code=recipe.base.trust_remote_code,
                                                  model_max_length=h.max_length,
                                                  use_fast=recipe.tokenizer.use_fast if recipe.tokenizer.use_fast is not None else True)
        added = apply_tokenizer_policy(recipe, tokenizer)
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "int8-fp16": torch.float16}.get(h.precision, torch.float32)
        model = AutoModelForCausalLM.from_pretrained(local, trust_remote_code=recipe.base.trust_remote_code, dtype=dtype)
        files = download_data(recipe)
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
    cache = None  # where the encoded set was cached and whether this run found it there (manifest)
    if smoke:
        dataset = encode(recipe, examples, tokenizer, max_length)
    else:
        from reproduce.dataset_cache import cached_dataset

        def build() -> list[dict]:
            from rich.console import Console

            with Console(stderr=True).status("building the data set: reading and sampling …") as status:
                examples = examples_from(recipe, files)
                status.update(f"building the data set: tokenizing {len(examples):,} examples …")
                return encode(recipe, examples, tokenizer, max_length)

        dataset, cache_path, hit = cached_dataset(CACHE / "datasets", recipe, tokenizer, files, max_length, build)
        cache = {"path": str(cache_path), "hit": hit}
        print(f"data set: {len(dataset)} encoded examples {'from the cache' if hit else 'built and cached'} ({cache_path})",
              flush=True)
    if not dataset:
        raise ReproduceError(f"{recipe.id}: no example has a supervised token within max_length {max_length}")

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    collate = PadCollator(pad_id, recipe.tokenizer.padding_side)

    metrics_path = output_dir / "metrics.jsonl"
    losses: list[float] = []
    throughput = type("Throughput", (ThroughputMeter, TrainerCallback), {})()

    class Metrics(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            if not state.is_world_process_zero or not logs:
                return
            if "loss" in logs:
                losses.append(float(logs["loss"]))
            with metrics_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"step": state.global_step, "epoch": state.epoch, "time": time.time(), **logs}) + "\n")

    class MarkComplete(TrainerCallback):
        """Trainer calls on_save after the checkpoint (weights, optimizer, DeepSpeed shards, state) is written."""

        def on_save(self, args, state, control, **kwargs):  # noqa: ANN001
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                dist.barrier()  # every rank has written its shards
            if state.is_world_process_zero:
                _write_marker(Path(args.output_dir) / f"checkpoint-{state.global_step}", ds_config is not None)

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
        save_steps=save_steps or (max_steps if smoke else (h.save_steps or 500)), save_total_limit=2, seed=h.seed, report_to=[],
        include_num_input_tokens_seen="non_padding",
        gradient_checkpointing=h.gradient_checkpointing and not smoke, deepspeed=ds_config,
        use_cpu=smoke and ds_config is None, remove_unused_columns=False, dataloader_num_workers=0, **precision,
    )
    class ThroughputTrainer(Trainer):
        def log(self, logs, start_time=None):  # noqa: ANN001 - before any callback sees the logs
            throughput.add(logs, self.state)
            super().log(logs, start_time)

    trainer = ThroughputTrainer(model=model, args=args, train_dataset=dataset, data_collator=collate,
                                callbacks=[throughput, *_tensorboard(output_dir), Metrics(), MarkComplete(),
                                           *(callbacks or [])])
    if last is not None:
        _trim_metrics(metrics_path, _step(last))
    try:
        trainer.train(resume_from_checkpoint=str(last) if last else None)
        trainer.save_model(str(output_dir / "final"))
    except (OSError, RuntimeError) as exc:
        if not _is_disk_full(exc):
            raise
        removed = _remove_incomplete(output_dir)
        need = disk_need(recipe, "checkpoint") if not smoke else None
        complete = [p.name for p in sorted(output_dir.glob("checkpoint-*"), key=_step) if checkpoint_problem(p) is None]
        raise ReproduceError(
            f"no space left on the device while saving to {output_dir}{'; each checkpoint needs ' + need if need else ''}. "
            f"Nothing half-written was kept: {'removed ' + ', '.join(removed) if removed else 'no incomplete checkpoint was left'}"
            f" (only checkpoints with a {MARKER} marker are resumed from). Free some space, then re-run with --resume"
            f"{' to continue from ' + complete[-1] if complete else ''}") from None
    if trainer.state.is_world_process_zero:
        zero3 = bool(ds_config) and ds_config.get("zero_optimization", {}).get("stage") == 3
        final = _final_model(trainer.model, output_dir / "final") if zero3 else trainer.model
        write_samples(recipe, final, tokenizer, output_dir / "samples.jsonl", max_new_tokens=16 if smoke else 32)
    result = {
        "recipe": recipe.id, "smoke": smoke, "output_dir": str(output_dir), "examples": len(dataset),
        "steps": trainer.state.global_step, "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None, "seconds": round(time.time() - started, 1),
        "zero_stage": recipe.deepspeed.stage if ds_config else None, "lora": bool(recipe.lora),
        "resumed_from": _step(last) if last else None,
    }
    manifest = {
        **result, "base": {"hub": recipe.base.hub, "revision": revision}, "deepspeed": ds_config,
        "overrides": list(overrides or []), "seed": h.seed, "git_commit": _git_commit(),
        "hardware": _hardware(torch), "data_sha256": _dataset_digest(dataset), "dataset_cache": cache,
        "recipe_card": recipe.model_dump(mode="json", exclude_none=True),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     **_optional_versions("deepspeed", "peft", "huggingface_hub", "tokenizers")},
        "deviations_in_this_run": (["tiny random model", "shipped examples", "fp32 on CPU", "offload removed",
                                    f"Trainer's AdamW, constant lr {learning_rate:g}"] if smoke else []),
    }
    (output_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), "utf-8")
    return result


class ThroughputMeter:
    """Non-padding tokens and tokens/s over each logging interval, added to Trainer's logs before any callback
    (console progress, TensorBoard, metrics.jsonl) sees them. Trainer counts the tokens itself
    (include_num_input_tokens_seen="non_padding": the attention mask's sum, gathered over ranks)."""

    def __init__(self):
        self.mark: tuple[float, int] | None = None

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001 - after a resumed state is loaded
        self.mark = (time.time(), state.num_input_tokens_seen)

    def add(self, logs: dict, state) -> None:  # noqa: ANN001
        if "loss" not in logs or self.mark is None:
            return
        now, seen = time.time(), state.num_input_tokens_seen
        tokens = seen - self.mark[1]
        logs["tokens"] = tokens
        logs["tokens_per_second"] = round(tokens / max(now - self.mark[0], 1e-9), 1)
        self.mark = (now, seen)


def _tensorboard(output_dir: Path) -> list:
    """A TensorBoardCallback writing under output_dir/tensorboard, or none (one warning) without tensorboard."""
    try:
        from transformers.integrations import TensorBoardCallback

        callback = TensorBoardCallback()
    except (ImportError, RuntimeError):
        print("warning: tensorboard is not installed; no TensorBoard logs (pip install tensorboard)", file=sys.stderr)
        return []
    callback.logging_dir = str(output_dir / "tensorboard")
    return [callback]


# --- samples ------------------------------------------------------------------------------------------------

SAMPLE_PROMPTS = ("Give three tips for staying healthy.", "用一句话介绍你自己。", "What is the capital of France?")
# Templates whose training text is tokenized whole (special tokens added by the tokenizer); the others are
# tokenized segment by segment without them.
_WHOLE_TEXT = {"alpaca", "alpaca-lora", "vicuna_v1.1"}


def generation_prompt(recipe: Recipe, question: str) -> str:
    """The recipe's training text for a one-turn example up to where the model answers: every segment but the answer."""
    example = {"instruction": question, "input": "", "output": "",
               "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]}
    return "".join(s.text for s in segments(recipe.template.name, example, system=recipe.template.system)[:-1])


def _final_model(model: Any, final: Path):
    """Under ZeRO-3 the engine's parameters are partitioned: a whole model reloaded from the saved final weights
    (safetensors when gathered on save, else the ZeRO checkpoint through zero_to_fp32)."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    unset_hf_deepspeed_config()  # training is over: load whole, not through zero.Init
    dtype = next((p.dtype for p in model.parameters() if p.dtype.is_floating_point), torch.float32)
    if any((final / name).is_file() for name in WEIGHTS):
        reloaded = AutoModelForCausalLM.from_pretrained(final, dtype=dtype)
    else:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        reloaded = AutoModelForCausalLM.from_config(model.config)
        missing = reloaded.load_state_dict(get_fp32_state_dict_from_zero_checkpoint(str(final)), strict=False).missing_keys
        if missing:
            print(f"warning: {final} lacks {len(missing)} weights ({', '.join(missing[:3])}); samples may be off",
                  file=sys.stderr)
        reloaded.to(dtype)
    return reloaded.to("cuda" if torch.cuda.is_available() else "cpu")


def write_samples(recipe: Recipe, model: Any, tokenizer: Any, path: Path, max_new_tokens: int = 32) -> list[dict]:
    """Greedy completions of SAMPLE_PROMPTS in the recipe's template, printed and written to `path` (JSON lines)."""
    import torch

    model.eval()
    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = []
    for question in SAMPLE_PROMPTS:
        prompt = generation_prompt(recipe, question)
        ids = tokenizer(prompt, add_special_tokens=recipe.template.name in _WHOLE_TEXT, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            out = model.generate(input_ids=ids.to(device), attention_mask=torch.ones_like(ids).to(device),
                                 do_sample=False, max_new_tokens=max_new_tokens, pad_token_id=pad_id,
                                 eos_token_id=tokenizer.eos_token_id)
        completion = tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
        rows.append({"question": question, "prompt": prompt, "completion": completion, "text": prompt + completion})
        print(f"--- sample: {question}\n{completion}", flush=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    return rows


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
