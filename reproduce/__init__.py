"""Retrain the survey's baselines from their recorded recipes (catalog/recipes/).

`python -m reproduce list | show | data | RECIPE [--plan | --dry-run | --smoke]`.
Only the standard library, pydantic and rich are needed for list/show/data; `--plan`
takes DeepSpeed's memory estimators for ZeRO recipes; tokenising and training need
the `train` extra (transformers, tokenizers, deepspeed, peft, huggingface_hub) and a
torch build of your own. The modules are listed in the README (Reproducing a baseline).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
SHIPPED = Path(__file__).resolve().parent / "shipped"


class ReproduceError(Exception):
    """A problem the user can fix; the CLI prints it and exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
