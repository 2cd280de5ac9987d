"""What a run reports while it trains: metrics.jsonl (every optimizer step and every evaluation, written by rank 0
only), TensorBoard events, and the non-padding tokens and tokens/s of each step."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


class ThroughputMeter:
    """Non-padding tokens and tokens/s since the last log, added to Trainer's logs before any callback (console,
    TensorBoard, metrics.jsonl) sees them. Trainer counts the tokens itself (include_num_input_tokens_seen=
    "non_padding": the attention mask's sum, gathered over ranks)."""

    def __init__(self):
        self.mark: tuple[float, int] | None = None

    def start(self, state) -> None:  # noqa: ANN001 - after a resumed state is loaded
        self.mark = (time.time(), state.num_input_tokens_seen)

    def add(self, logs: dict, state) -> None:  # noqa: ANN001
        if "loss" not in logs or self.mark is None:
            return
        now, seen = time.time(), state.num_input_tokens_seen
        tokens = seen - self.mark[1]
        logs["tokens"] = tokens
        logs["tokens_per_second"] = round(tokens / max(now - self.mark[0], 1e-9), 1)
        self.mark = (now, seen)


def callbacks(metrics: Path, tensorboard: Path, meter: ThroughputMeter) -> list:
    """The meter's start hook, TensorBoard (when installed) and the metrics.jsonl writer."""
    from transformers import TrainerCallback

    class Start(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001
            meter.start(state)

    class MetricsFile(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
            if not state.is_world_process_zero or not logs:
                return
            with metrics.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"step": state.global_step, "epoch": state.epoch, "time": time.time(), **logs}) + "\n")

    return [Start(), *_tensorboard(tensorboard), MetricsFile()]


def _tensorboard(folder: Path) -> list:
    """A TensorBoardCallback writing under `folder`, or none (one warning) without tensorboard."""
    try:
        from transformers.integrations import TensorBoardCallback

        callback = TensorBoardCallback()
    except (ImportError, RuntimeError):
        print("warning: tensorboard is not installed; no TensorBoard logs (pip install tensorboard)", file=sys.stderr)
        return []
    callback.logging_dir = str(folder)
    return [callback]


def read(path: Path) -> list[dict]:
    """The rows of a metrics.jsonl."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
