"""--resume continues from the newest COMPLETE checkpoint, skipping a half-written newer one, with the same data order."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
ROOT = Path(__file__).resolve().parent.parent
STEPS, SAVE, KILL_AT = 12, 4, 7
RECIPE = "alpaca-lora-7b"  # for the error case
# LoRA (peft), DeepSpeed ZeRO-2 and ZeRO-3: each kind of checkpoint is killed and resumed
KINDS = [("alpaca-lora-7b", "adapter_model.safetensors"), ("sft-bloom-800m-zh", "global_step4"), ("alpaca-7b", "global_step4")]
# alpaca-lora keeps its best checkpoint, so its checkpoints must fall on evaluations; alpaca keeps one checkpoint
# (save_total_limit 1), which would rotate away the checkpoint the test looks at
SETS = {"alpaca-lora-7b": ["hyperparameters.eval_steps=4"], "alpaca-7b": ["hyperparameters.save_total_limit=3"]}

# Trains in a child process and ends it abruptly (os._exit: no cleanup, like a kill) in the middle of step KILL_AT.
KILLED = f"""
import os, sys
from pathlib import Path
from transformers import TrainerCallback
from reproduce.recipes import apply_overrides, load_recipe
from reproduce.run import train

class Kill(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == {KILL_AT}:
            os._exit(137)

train(apply_overrides(load_recipe(sys.argv[2]), sys.argv[3:]), Path(sys.argv[1]), smoke=True, steps={STEPS},
      save_steps={SAVE}, callbacks=[Kill()])
"""


def cli(recipe: str, out: Path, *extra: str) -> dict:
    sets = [arg for item in SETS.get(recipe, []) for arg in ("--set", item)]
    result = subprocess.run([sys.executable, "-m", "reproduce", recipe, "--smoke", "--output-dir", str(out),
                             "--steps", str(STEPS), "--save-steps", str(SAVE), *sets, *extra],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "manifest.json").read_text("utf-8"))


def step_losses(out: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text("utf-8").splitlines()]
    steps = [row["step"] for row in rows if "loss" in row]
    assert len(steps) == len(set(steps)), steps  # each step logged once
    return {row["step"]: row["loss"] for row in rows if "loss" in row}


@pytest.mark.parametrize(("recipe", "state"), KINDS)
def test_resume_after_a_kill_uses_the_last_complete_checkpoint_and_the_same_data(tmp_path, recipe, state):
    reference, run = tmp_path / "reference", tmp_path / "run"
    cli(recipe, reference)
    killed = subprocess.run([sys.executable, "-c", KILLED, str(run), recipe, *SETS.get(recipe, [])], cwd=ROOT,
                            capture_output=True, text=True,
                            timeout=600)
    assert killed.returncode == 137, killed.stderr[-3000:]
    assert (run / "checkpoint-4" / "COMPLETE").is_file() and not (run / "checkpoint-8").exists()
    assert (run / "checkpoint-4" / state).exists()  # the optimizer state of this kind of run is what resumes
    # a save cut short: a newer folder with part of the files and no marker
    shutil.copytree(run / "checkpoint-4", run / "checkpoint-8")
    (run / "checkpoint-8" / "COMPLETE").unlink()
    (run / "checkpoint-8" / "trainer_state.json").write_text('{"global_step": 8', "utf-8")

    result = cli(recipe, run, "--resume")
    assert result["resumed_from"] == 4 and result["steps"] == STEPS
    assert (run / "checkpoint-8" / "COMPLETE").is_file()  # saved again, whole this time
    expected, resumed = step_losses(reference), step_losses(run)
    assert sorted(resumed) == list(range(1, STEPS + 1))
    for step in range(1, STEPS + 1):  # same batches in the same order, so the same losses
        assert resumed[step] == pytest.approx(expected[step], rel=1e-4, abs=1e-5), step


def test_resume_explains_when_no_checkpoint_is_complete(tmp_path, capsys):
    from reproduce.cli import main
    from reproduce.run import RUN_MARK
    from survey.files import claim

    # a folder an earlier run took (its mark written by the same code a run uses), left with a save cut short
    assert claim(tmp_path, "--output-dir", RUN_MARK, "python -m reproduce", lambda stamp: stamp) is None
    (tmp_path / "checkpoint-3").mkdir()
    (tmp_path / "checkpoint-3" / "trainer_state.json").write_text("{}", "utf-8")
    assert main([RECIPE, "--smoke", "--output-dir", str(tmp_path), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "no complete checkpoint" in err and "checkpoint-3: no COMPLETE marker" in err and "Traceback" not in err


def test_disk_full_during_a_save_keeps_nothing_half_written(tmp_path):
    import errno

    from transformers import TrainerCallback

    from reproduce import ReproduceError
    from reproduce.recipes import apply_overrides, load_recipe
    from reproduce.run import train

    class DiskFull(TrainerCallback):  # a save that dies half-way through writing checkpoint-3
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                (tmp_path / "checkpoint-3").mkdir()
                (tmp_path / "checkpoint-3" / "adapter_model.safetensors").write_bytes(b"\0" * 10)
                raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ReproduceError) as caught:
        train(apply_overrides(load_recipe(RECIPE), ["hyperparameters.eval_steps=2"]), tmp_path, smoke=True, steps=4,
              save_steps=2, callbacks=[DiskFull()])
    message = str(caught.value)
    assert "no space left" in message and str(tmp_path) in message and "removed checkpoint-3" in message
    assert "continue from checkpoint-2" in message
    assert not (tmp_path / "checkpoint-3").exists() and (tmp_path / "checkpoint-2" / "COMPLETE").is_file()
