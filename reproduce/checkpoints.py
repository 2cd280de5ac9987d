"""Checkpoints a run can be resumed from: a COMPLETE marker written once Trainer's save has returned, the newest
marked checkpoint chosen by --resume, and what is removed when a save was cut short.

Resuming loads files that can run code: transformers 5's Trainer reads rng_state.pth, optimizer.pt, scheduler.pt
and scaler.pt with `torch.load(..., weights_only=True)` (and rng state under its `safe_globals`), which refuses
pickled code, but DeepSpeed 0.19's TorchCheckpointEngine.load reads the global_stepN/ shards with
`torch.load(..., weights_only=False)`, a full unpickle. So a checkpoint counts only when its marker vouches for
every file in it: the marker lists each file's SHA-256 and is signed (HMAC-SHA256) with this user's secret
(`survey.files.user_secret`). A folder planted or copied in, a file added, truncated or altered since the save:
the marker no longer vouches, and --resume falls back to an older checkpoint that it does vouch for, or stops.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import sys
import time
from pathlib import Path

from reproduce import ReproduceError, distributed
from survey.files import user_secret, write_atomically

MARKER = "COMPLETE"
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
           "adapter_model.safetensors", "adapter_model.bin")


def step_of(folder: Path) -> int:
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


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _signature(secret: bytes, folder: Path, body: bytes) -> str:
    return hmac.new(secret, folder.name.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _contents(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p.name != MARKER)


def checkpoint_problem(folder: Path) -> str | None:
    """Why --resume may not use `folder`, or None when its signed marker vouches for every file in it."""
    marker = folder / MARKER
    if not marker.is_file():
        return f"no {MARKER} marker: its save did not finish"
    secret = user_secret()
    if secret is None:
        return f"no secret to check its {MARKER} marker with (the cache folder cannot be written)"
    try:
        signature, _, body = marker.read_bytes().partition(b"\n")
        record = json.loads(body)
        digests = record["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        signature, digests = b"", None
    if not isinstance(digests, dict) or not hmac.compare_digest(signature, _signature(secret, folder, body).encode()):
        return f"its {MARKER} marker was not written by a run of this user (copied, planted or damaged)"
    present = _contents(folder)
    extra = [name for name in present if name not in digests]
    if extra:
        return "holds files its save did not write: " + ", ".join(extra[:5])
    gone = [name for name in digests if name not in present]
    if gone:
        return "files listed in its marker are gone: " + ", ".join(gone[:5])
    changed = [name for name in digests if (folder / name).is_symlink() or _sha256(folder / name) != digests[name]]
    if changed:
        return "changed since its save (truncated or altered; SHA-256 differs from the marker's): " + ", ".join(changed[:5])
    return None


def resume_checkpoint(output_dir: Path) -> Path:
    """The newest checkpoint-N in `output_dir` its marker vouches for. Newer ones are moved out of Trainer's way: a
    save cut short (no marker) is removed, one that its marker no longer vouches for is set aside, renamed
    damaged-checkpoint-N (never deleted: its files may not be ours), with a warning either way."""
    folders = sorted((p for p in output_dir.glob("checkpoint-*") if p.is_dir() and step_of(p) >= 0), key=step_of, reverse=True)
    if not folders:
        raise ReproduceError(f"--resume: no checkpoint-* folder in {output_dir}; run without --resume to start over")
    problems = []
    for folder in folders:
        problem = checkpoint_problem(folder)
        if problem is None:
            break
        problems.append((folder, problem))
    else:
        raise ReproduceError(
            f"--resume: no complete checkpoint in {output_dir} ({'; '.join(f'{f.name}: {p}' for f, p in problems)}). "
            f"A checkpoint counts as complete once Trainer has written all of it and then the {MARKER} marker, "
            f"which holds the SHA-256 of each file, signed by your own runs; a run stopped during a save, a "
            f"checkpoint changed since, or one from elsewhere has none that vouches for it. Run without --resume to "
            f"start over")
    if distributed.is_main():
        for stale, problem in problems:
            if (stale / MARKER).is_file():
                aside = stale.with_name(f"damaged-{stale.name}")
                print(f"warning: --resume: {stale.name}: {problem}; set aside as {aside.name}, resuming from "
                      f"{folder.name}", file=sys.stderr)
                stale.rename(aside if not aside.exists() else stale.with_name(f"damaged-{stale.name}-{time.time_ns()}"))
            else:
                print(f"--resume: removing incomplete {stale} ({problem})", file=sys.stderr)
                shutil.rmtree(stale, ignore_errors=True)
    return folder


def trim_metrics(path: Path, step: int) -> None:
    """Drop logged rows past `step` (written after the checkpoint resumed from), so the file reads as one run."""
    if not path.exists() or not distributed.is_main():
        return
    rows = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    write_atomically(path, "".join(line + "\n" for line in rows if json.loads(line).get("step", 0) <= step))


def write_marker(folder: Path, deepspeed: bool) -> None:
    missing = missing_parts(folder, deepspeed)
    if missing:
        print(f"warning: {folder} lacks {', '.join(missing)} after saving; no {MARKER} marker written", file=sys.stderr)
        return
    secret = user_secret()
    if secret is None:
        print(f"warning: no secret to sign {folder}'s {MARKER} marker with (the cache folder cannot be written); "
              "--resume will not use it", file=sys.stderr)
        return
    # Hashing reads the whole checkpoint once more (seconds per GB): the price of never loading a file unvouched.
    body = json.dumps({"step": step_of(folder), "time": time.time(),
                       "sha256": {name: _sha256(folder / name) for name in _contents(folder)}}).encode()
    write_atomically(folder / MARKER, _signature(secret, folder, body).encode() + b"\n" + body)


def remove_incomplete(output_dir: Path) -> list[str]:
    """Checkpoint folders without a marker (a save cut short), removed; their names."""
    removed = []
    if distributed.is_main():
        for folder in output_dir.glob("checkpoint-*"):
            if folder.is_dir() and not (folder / MARKER).is_file():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
    return removed


def mark_complete_callback(deepspeed: bool):
    """A TrainerCallback writing the marker: Trainer calls on_save after the checkpoint (weights, optimizer, DeepSpeed
    shards, trainer state) is written; every rank has written its shards once all reach the barrier."""
    from transformers import TrainerCallback

    class MarkComplete(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):  # noqa: ANN001
            distributed.barrier()
            if state.is_world_process_zero:
                write_marker(Path(args.output_dir) / f"checkpoint-{state.global_step}", deepspeed)

    return MarkComplete()
