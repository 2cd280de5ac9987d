"""manifest.json: what a run was (recipe, overrides, configuration as built, deviations, environment) and what it
gave (steps, losses, time), written by rank 0 whole and then renamed into place."""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from reproduce import ROOT


def git_commit() -> str | None:
    """The commit of this checkout, with "+dirty" when it has uncommitted changes; None outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def hardware() -> dict:
    import torch

    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return {"machine": platform.machine(), "processor": platform.processor() or None, "cpus": os.cpu_count(), "gpus": gpus}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "transformers", "deepspeed", "peft", "accelerate", "huggingface_hub", "tokenizers",
                 "bitsandbytes"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def dataset_digest(dataset: list[dict]) -> str:
    """sha256 of the token ids and labels exactly as encoded, in order."""
    digest = hashlib.sha256()
    for item in dataset:
        digest.update(json.dumps([item["input_ids"], item["labels"]]).encode())
    return digest.hexdigest()


def _finite(value: Any) -> Any:
    """Infinite and NaN floats (DeepSpeed's steps_per_print, a diverged loss) as strings: the file stays JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write(path: Path, manifest: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".tmp")
    text = json.dumps(_finite(json.loads(json.dumps(manifest, default=str))), indent=2, ensure_ascii=False)
    partial.write_text(text, "utf-8")
    partial.replace(path)
