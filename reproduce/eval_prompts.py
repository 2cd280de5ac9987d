"""The original's own evaluation prompts (Alpaca: self-instruct's 252 user-oriented instructions; Vicuna: its 80
questions), fetched at the pinned commit the recipe records, or a shipped set; answered greedily in the recipe's
template. A --smoke run answers the shipped set, as it trains on shipped data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reproduce import SHIPPED, ReproduceError, hub
from reproduce.eval_subject import Subject
from reproduce.layout import cache
from reproduce.samples import generation_prompt, greedy

SHIPPED_PROMPTS = SHIPPED / "eval_prompts.jsonl"


def _rows(path: Path, fmt: str) -> list[dict]:
    """(id, instruction, input) of each line of `path`, read in `fmt`."""
    out = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if fmt == "fastchat-questions":
                out.append({"id": str(row["question_id"]), "instruction": row["text"], "input": ""})
            elif fmt == "self-instruct":
                instances = row.get("instances") or [{}]
                out.append({"id": str(row["id"]), "instruction": row["instruction"],
                            "input": instances[0].get("input") or ""})
            else:
                out.append({"id": str(row["id"]), "instruction": row["instruction"], "input": row.get("input") or ""})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReproduceError(f"{path}:{number}: expected a {fmt} prompt record, found {type(exc).__name__}: "
                                 f"{exc}") from None
    return out


def prompt_set(subject: Subject) -> tuple[dict, list[dict]]:
    """(the set's record for eval.json, its prompts)."""
    spec = subject.recipe.evaluation_prompts
    if spec is None or subject.smoke:
        rows = _rows(SHIPPED_PROMPTS, "shipped")
        return {"name": "shipped", "url": None, "revision": None, "count": len(rows)}, rows
    path = hub.download_url(spec.url, cache() / "eval" / spec.sha256[:16] / Path(spec.url).name, spec.sha256)
    rows = _rows(path, spec.format)
    commit = next((part for part in spec.url.split("/") if len(part) == 40 and all(c in "0123456789abcdef" for c in part)),
                  None)
    return {"name": spec.name, "url": spec.url, "revision": commit, "count": len(rows)}, rows


def generate(subject: Subject, model: Any, tokenizer: Any, rows: list[dict], max_new_tokens: int,
             progress: Any = None) -> list[dict]:
    task = progress.add_task("generations", total=len(rows)) if progress else None
    out = []
    for row in rows:
        prompt = generation_prompt(subject.recipe, row["instruction"], row["input"])
        out.append({"id": row["id"], "prompt": prompt,
                    "output": greedy(subject.recipe, model, tokenizer, prompt, max_new_tokens)})
        if task is not None:
            progress.advance(task)
    return out
