"""Checkpoints a run can be resumed from: a COMPLETE marker written once Trainer's save has returned, the newest
marked checkpoint chosen by --resume, and what is removed when a save was cut short."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from reproduce import ReproduceError, distributed

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
    folders = sorted((p for p in output_dir.glob("checkpoint-*") if p.is_dir() and step_of(p) >= 0), key=step_of, reverse=True)
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
    if distributed.is_main():
        for stale in folders[:len(problems)]:
            print(f"--resume: removing incomplete {stale} ({checkpoint_problem(stale)})", file=sys.stderr)
            shutil.rmtree(stale, ignore_errors=True)
    return folder


def trim_metrics(path: Path, step: int) -> None:
    """Drop logged rows past `step` (written after the checkpoint resumed from), so the file reads as one run."""
    if not path.exists() or not distributed.is_main():
        return
    rows = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    partial = path.with_name(path.name + ".tmp")
    partial.write_text("".join(line + "\n" for line in rows if json.loads(line).get("step", 0) <= step), "utf-8")
    partial.replace(path)


def write_marker(folder: Path, deepspeed: bool) -> None:
    missing = missing_parts(folder, deepspeed)
    if missing:
        print(f"warning: {folder} lacks {', '.join(missing)} after saving; no {MARKER} marker written", file=sys.stderr)
        return
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
    record = {"step": step_of(folder), "time": time.time(), "files": files}
    partial = folder / (MARKER + ".tmp")
    with partial.open("w", encoding="utf-8") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    partial.replace(folder / MARKER)


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
