"""Benchmarks through lm-evaluation-harness: its own task definitions (plus the one shipped here, for runs without
the Hub), the model already loaded handed to its HFLM, each task at its number of shots."""

from __future__ import annotations

from typing import Any

from reproduce import SHIPPED, ReproduceError

# The Open LLM Leaderboard (v1) set the survey's models were scored on, with its shots.
LEADERBOARD_V1 = (("arc_challenge", 25), ("hellaswag", 10), ("mmlu", 5), ("truthfulqa_mc2", 0), ("winogrande", 5),
                  ("gsm8k", 5))
SHIPPED_TASKS = SHIPPED / "lm_eval"


def task_manager():
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(SHIPPED_TASKS))


def parse(specs: list[str] | None) -> list[tuple[str, int]]:
    """`task` or `task:shots` (default 0 shots, or the leaderboard's for its tasks); None: the leaderboard's set."""
    if specs is None:
        return list(LEADERBOARD_V1)
    known = dict(LEADERBOARD_V1)
    out = []
    for spec in (s for item in specs for s in item.split(",") if s):
        name, sep, shots = spec.partition(":")
        if sep and not shots.isdigit():
            raise ReproduceError(f"--tasks {spec}: expected TASK or TASK:SHOTS with a whole number, found {shots!r}",
                                 code=2)
        out.append((name, int(shots) if sep else known.get(name, 0)))
    return out


def check(tasks: list[tuple[str, int]], manager: Any) -> None:
    """Unknown task names are refused before any model is loaded."""
    import difflib

    names = set(manager.all_tasks)
    for name, _ in tasks:
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=3)
            raise ReproduceError(f"--tasks: lm-eval has no task {name!r}"
                                 + (f"; did you mean {', '.join(close)}?" if close else ""), code=1)


def _headline(results: dict) -> list[tuple[str, float, float | None]]:
    """(metric, value, stderr) of a task's results: the metrics of the unfiltered output, else of its first filter
    (gsm8k's strict-match)."""
    keyed = [(key.partition(",")[0], key.partition(",")[2], value) for key, value in results.items()
             if "," in key and not key.partition(",")[0].endswith("_stderr") and isinstance(value, (int, float))]
    filters = [f for _, f, _ in keyed]
    chosen = "none" if "none" in filters else (filters[0] if filters else None)
    out = []
    for metric, filt, value in keyed:
        if filt == chosen:
            err = results.get(f"{metric}_stderr,{filt}")
            out.append((metric, float(value), float(err) if isinstance(err, (int, float)) else None))
    return out


def run(model: Any, tokenizer: Any, tasks: list[tuple[str, int]], limit: int | None, manager: Any,
        batch_size: int = 4, progress: Any = None) -> list[dict]:
    """One lm-eval evaluation per task; values and standard errors in percent."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    rows = []
    bar = progress.add_task("benchmarks", total=len(tasks)) if progress else None
    for name, shots in tasks:
        out = simple_evaluate(model=lm, tasks=[name], num_fewshot=shots, limit=limit, task_manager=manager,
                              log_samples=False, random_seed=0, numpy_random_seed=0, torch_random_seed=0,
                              fewshot_random_seed=0)
        for metric, value, err in _headline(out["results"][name]):
            rows.append({"task": name, "metric": metric, "value": 100 * value,
                         "stderr": 100 * err if err is not None else None, "shots": shots, "limit": limit})
        if bar is not None:
            progress.advance(bar)
    return rows
