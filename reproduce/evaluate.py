"""`python -m reproduce eval`: held-out loss, lm-eval benchmarks and the original's prompts answered, measured the
same way for a run directory and for a released original, written to eval.json (whole, at the end, then renamed).

eval.json: {"format": 1, "subject": {kind, path, hub, revision, manifest_sha256}, "recipe", "created", "settings",
"versions", "heldout": {loss, perplexity, examples, tokens, split}, "benchmarks": [{task, metric, value, stderr,
shots, limit}] (percent), "prompts": {name, url, revision, count}, "generations": [{id, prompt, output}]}.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from reproduce import ReproduceError, eval_bench, eval_heldout, eval_prompts, eval_subject

FORMAT = 1
PACKAGES = ("torch", "transformers", "peft", "lm_eval", "datasets", "huggingface_hub", "tokenizers")


def versions() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def default_out(target: str) -> Path:
    path = Path(target)
    return path / "eval.json" if path.is_dir() else Path("eval.json")


def evaluate(target: str, recipe_id: str | None = None, tasks: list[str] | None = None, limit: int | None = None,
             out: Path | None = None, max_new_tokens: int = 256, prompts_limit: int | None = None,
             batch_size: int = 4) -> dict:
    """Everything is checked before the model loads (subject, tasks); nothing is written until all is measured."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    subject = eval_subject.resolve(target, recipe_id)
    out = out or default_out(target)
    chosen = eval_bench.parse(tasks)
    manager = eval_bench.task_manager() if chosen else None
    if chosen:
        eval_bench.check(chosen, manager)
    settings = {"tasks": [f"{name}:{shots}" for name, shots in chosen], "limit": limit, "max_new_tokens": max_new_tokens,
                "prompts_limit": prompts_limit, "batch_size": batch_size, "greedy": True, "out": str(out),
                "recipe": subject.recipe.id}
    model, tokenizer = eval_subject.load(subject)
    items, split = eval_heldout.examples(subject)
    prompts, rows = eval_prompts.prompt_set(subject)
    rows = rows[:prompts_limit] if prompts_limit else rows
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as progress:
        heldout = {**eval_heldout.measure(subject, model, tokenizer, items, progress), "split": split}
        benchmarks = eval_bench.run(model, tokenizer, chosen, limit, manager, batch_size, progress) if chosen else []
        generations = eval_prompts.generate(subject, model, tokenizer, rows, max_new_tokens, progress)
    result = {"format": FORMAT, "subject": subject.record(), "recipe": subject.recipe.id,
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "settings": settings,
              "versions": versions(), "heldout": heldout, "benchmarks": benchmarks,
              "prompts": {**prompts, "count": len(rows)}, "generations": generations}
    write(out, result)
    return result


def write(path: Path, result: dict) -> None:
    if not all(math.isfinite(result["heldout"][k]) for k in ("loss", "perplexity")):
        raise ReproduceError(f"held-out loss is not finite ({result['heldout']['loss']}): no supervised token in "
                             f"{result['heldout']['examples']} examples, or the model diverged; {path} not written")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    partial.replace(path)


def read(path: Path) -> dict:
    """An eval.json, checked for the keys compare and reports rely on."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ReproduceError(f"{path}: expected an eval.json written by `reproduce eval`, found "
                             f"{type(exc).__name__}: {exc}") from None
    missing = [key for key in ("format", "subject", "recipe", "heldout", "benchmarks", "generations")
               if not isinstance(data, dict) or key not in data]
    if missing or data.get("format") != FORMAT:
        raise ReproduceError(f"{path}: expected an eval.json of format {FORMAT} with subject, recipe, heldout, "
                             f"benchmarks and generations, found {'no ' + ', '.join(missing) if missing else 'format ' + str(data.get('format'))}")
    return data
