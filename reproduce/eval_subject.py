"""What `eval`, `chat` and `export` work on: a finished run directory or a released original on the Hub
(`owner/name@revision`), loaded as the model, its tokenizer and the recipe that says how to prompt it.

A run's recipe is the card recorded in its manifest (with the run's overrides applied); its weights are final/,
a whole model or a LoRA adapter put onto the recipe's base (the random tiny base of a --smoke run is rebuilt from
its seed, as the run built it). An original is measured under the recipe named by --recipe.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reproduce import ReproduceError
from reproduce.checkpoints import WEIGHTS
from reproduce.layout import RunDir
from survey.schema.recipe import Recipe

ADAPTER = "adapter_config.json"
# model_type a loaded config reports for each recipe architecture (Baichuan-7B is LLaMA-shaped: tiny stands in)
MODEL_TYPES = {"baichuan": {"baichuan", "llama"}}


@dataclass
class Subject:
    kind: str  # "run" or "hub"
    recipe: Recipe
    path: Path | None = None
    hub: str | None = None
    revision: str | None = None
    manifest: dict | None = None
    manifest_sha256: str | None = None

    @property
    def smoke(self) -> bool:
        return bool(self.manifest and self.manifest.get("smoke"))

    def record(self) -> dict:
        return {"kind": self.kind, "path": str(self.path) if self.path else None, "hub": self.hub,
                "revision": self.revision, "manifest_sha256": self.manifest_sha256}


def resolve(target: str, recipe_id: str | None) -> Subject:
    """A run directory (when `target` is a folder) or `owner/name@revision` (then --recipe is needed)."""
    path = Path(target)
    if path.is_dir():
        return _run_subject(path, recipe_id)
    hub, sep, revision = target.partition("@")
    if not sep or "/" not in hub or not revision:
        raise ReproduceError(f"{target}: expected a run directory or a Hub model as owner/name@revision, "
                             "found neither", code=2)
    if not recipe_id:
        raise ReproduceError(f"{target}: name the recipe to prompt it with, e.g. --recipe alpaca-7b", code=2)
    from reproduce.recipes import load_recipe

    return Subject("hub", load_recipe(recipe_id), hub=hub, revision=revision)


def _run_subject(path: Path, recipe_id: str | None) -> Subject:
    run = RunDir(path)
    if not run.manifest.is_file():
        started = run.metrics.is_file() or any(path.glob("checkpoint-*"))
        raise ReproduceError(f"{run.manifest}: not found; " + (
            "training in this folder did not finish (the manifest is written when it ends); finish it with "
            "`python -m reproduce RECIPE --resume --output-dir " + str(path) + "`" if started else
            "this is not a run directory (one that `python -m reproduce RECIPE --output-dir DIR` wrote)"))
    raw = run.manifest.read_bytes()
    try:
        manifest = json.loads(raw)
        recipe = Recipe.model_validate(manifest["recipe_card"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReproduceError(f"{run.manifest}: expected a run manifest with a valid recipe_card, found "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    if recipe_id and recipe_id != recipe.id:
        raise ReproduceError(f"{path}: the run is of recipe {recipe.id}, not {recipe_id}; leave --recipe out", code=2)
    if not any((run.final / name).is_file() for name in WEIGHTS):
        raise ReproduceError(f"{run.final}: no trained weights ({' or '.join(WEIGHTS[::2])}); the run did not finish "
                             "saving, so there is nothing to evaluate")
    return Subject("run", recipe, path=path, manifest=manifest, manifest_sha256=hashlib.sha256(raw).hexdigest())


def load(subject: Subject, merge_ready: bool = False) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode on the best device. `merge_ready`: never 8-bit, so an adapter can be merged."""
    import torch

    folder = _weights_folder(subject)
    remote = subject.recipe.base.trust_remote_code
    if (folder / ADAPTER).is_file():
        from peft import PeftModel

        model, tokenizer = _base(subject, folder, merge_ready)
        check_architecture(subject, model.config)
        model = PeftModel.from_pretrained(model, str(folder))
    else:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        with _load_errors(folder):  # the architecture is checked on config.json, before any weights load
            check_architecture(subject, AutoConfig.from_pretrained(str(folder), trust_remote_code=remote))
            tokenizer = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=remote)
            model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=_dtype(subject.recipe), trust_remote_code=remote)
    check_vocabulary(subject, model, tokenizer)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if torch.cuda.is_available() and not getattr(model, "is_loaded_in_8bit", False):
        model = model.to("cuda")
    return model.eval(), tokenizer


def _weights_folder(subject: Subject) -> Path:
    if subject.kind == "run":
        return RunDir(subject.path).final
    from huggingface_hub import snapshot_download

    from reproduce.hub import hub_errors
    from reproduce.layout import cache

    with hub_errors(subject.hub, "model", cache() / "hub"):
        return Path(snapshot_download(subject.hub, revision=subject.revision, cache_dir=cache() / "hub"))


def _dtype(recipe: Recipe) -> Any:
    import torch

    from reproduce.device import Device, precision

    return getattr(torch, precision(recipe, Device.detect()).load_dtype)


def _base(subject: Subject, adapter: Path, merge_ready: bool) -> tuple[Any, Any]:
    """The base an adapter was trained on, with the tokenizer saved beside the adapter (the recipe's policy applied)."""
    from transformers import AutoTokenizer

    from reproduce import dataset, hub
    from reproduce import model as models
    from reproduce import tokenizer as tokenizers
    from reproduce.device import Device, precision

    recipe = subject.recipe
    dtype = precision(recipe, Device.detect())
    if merge_ready:
        dtype.load_in_8bit = False
    if subject.smoke:  # the run's random base, rebuilt from the same seed and shipped text
        shipped = dataset.shipped_examples(recipe)
        tokenizer = tokenizers.smoke(recipe, shipped[0] + shipped[1])
        model = models.load_tiny(recipe, len(tokenizer), dtype)
    else:
        source = hub.download_model(recipe)
        tokenizer = tokenizers.load(recipe, source)
        with _load_errors(Path(source)):
            model = models.load_base(recipe, source, dtype)
    tokenizers.resize_embeddings(recipe, model, tokenizer, tokenizers.apply_policy(recipe, tokenizer))
    if any(adapter.glob("tokenizer*")):
        tokenizer = AutoTokenizer.from_pretrained(str(adapter))
        tokenizers.apply_policy(recipe, tokenizer)
    return model, tokenizer


@contextmanager
def _load_errors(folder: Path):
    """A folder transformers cannot read as a model is named in one line."""
    try:
        yield
    except (OSError, ValueError, KeyError) as exc:
        raise ReproduceError(f"{folder}: expected a Hugging Face model folder (config.json, weights, tokenizer), "
                             f"found {type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def _where(subject: Subject) -> str:
    return str(subject.path) if subject.path else f"{subject.hub}@{subject.revision}"


def check_architecture(subject: Subject, config: Any) -> None:
    """The model must be of the recipe's architecture (checked on config.json, before any weight is read)."""
    recipe = subject.recipe
    found = getattr(config, "model_type", None)
    if found not in MODEL_TYPES.get(recipe.base.architecture, {recipe.base.architecture}):
        raise ReproduceError(f"{_where(subject)}: recipe {recipe.id} is for a {recipe.base.architecture} model, found "
                             f"a {found} model; name the recipe it was trained with (--recipe)")


def check_vocabulary(subject: Subject, model: Any, tokenizer: Any) -> None:
    """The model's embeddings must hold every token of the tokenizer."""
    recipe = subject.recipe
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > rows:
        raise ReproduceError(f"{_where(subject)}: the tokenizer has {len(tokenizer)} tokens but the model's embeddings "
                             f"only {rows} rows; expected the tokenizer of recipe {recipe.id}'s base "
                             f"({recipe.base.hub}, {recipe.base.shape.vocab} tokens) or of the run")
