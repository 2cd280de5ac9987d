"""The command lines of `eval`, `compare`, `chat` and `export` (what a run is worth, and using it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

COMMANDS = ("eval", "compare", "chat", "export")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, found {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m reproduce")
    sub = top.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("eval", help="held-out loss, lm-eval benchmarks and the original's prompts, into eval.json")
    ev.add_argument("target", help="a run directory, or a released model as owner/name@revision")
    ev.add_argument("--recipe", help="the recipe whose template and masking to use (needed for a Hub model)")
    ev.add_argument("--tasks", action="append", metavar="TASK[:SHOTS],...",
                    help="lm-eval tasks (default: the Open LLM Leaderboard v1 set at its shots); 'none' for no benchmark")
    ev.add_argument("--limit", type=_positive, help="lm-eval: at most this many examples per task")
    ev.add_argument("--prompts-limit", type=_positive, help="answer only the first N evaluation prompts")
    ev.add_argument("--max-new-tokens", type=_positive, default=256)
    ev.add_argument("--batch-size", type=_positive, default=4)
    ev.add_argument("--out", help="where to write eval.json (default: RUN/eval.json, or ./eval.json)")
    cmp = sub.add_parser("compare", help="two evaluations side by side, with the published scores")
    cmp.add_argument("a", help="a run directory (holding eval.json) or an eval.json")
    cmp.add_argument("b")
    cmp.add_argument("--out", help="also write the comparison as report.md or report.html")
    chat = sub.add_parser("chat", help="talk to a trained model in its recipe's template")
    chat.add_argument("target", help="a run directory, or owner/name@revision with --recipe")
    chat.add_argument("--recipe")
    chat.add_argument("--max-new-tokens", type=_positive, default=256)
    chat.add_argument("--show-prompt", action="store_true", help="print the exact text the model is given each turn")
    exp = sub.add_parser("export", help="a Hugging Face folder (LoRA merged, safetensors, model card)")
    exp.add_argument("target", help="a run directory")
    exp.add_argument("--out", help="the folder to write (default: RUN/export); must not exist or be empty")
    exp.add_argument("--push", metavar="REPO", help="then upload it to this Hub repository")
    return top


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "eval":
        from reproduce.evaluate import default_out, evaluate

        tasks = [] if args.tasks and args.tasks == ["none"] else args.tasks
        out = Path(args.out) if args.out else default_out(args.target)
        result = evaluate(args.target, args.recipe, tasks, args.limit, out, args.max_new_tokens, args.prompts_limit,
                          args.batch_size)
        print(json.dumps({"out": str(out), "heldout": result["heldout"],
                          "benchmarks": len(result["benchmarks"]), "generations": len(result["generations"])}))
        return 0
    if args.command == "compare":
        from reproduce.compare import compare

        return compare(Path(args.a), Path(args.b), Path(args.out) if args.out else None)
    if args.command == "chat":
        from reproduce.chat import chat

        return chat(args.target, args.recipe, args.max_new_tokens, args.show_prompt)
    from reproduce.export import export

    export(Path(args.target), Path(args.out) if args.out else None, args.push)
    return 0
