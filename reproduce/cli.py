"""`python -m reproduce`: list, show, data, and RECIPE [--plan | --dry-run | --smoke | run]."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reproduce import ReproduceError, distributed
from reproduce.deepspeed_config import predicted
from reproduce.recipes import all_recipes, apply_overrides, load_recipe
from survey.files import write_atomically

COMMANDS = ("list", "show", "data", "report")


def _console() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def cmd_list(args: argparse.Namespace) -> int:
    table = Table(title="Recipes (catalog/recipes/)")
    for column in ("id", "base model", "method", "data", "global batch", "lr", "hardware"):
        table.add_column(column)
    for recipe in all_recipes():
        h = recipe.hyperparameters
        method = f"LoRA r={recipe.lora.r}" if recipe.lora else (
            f"ZeRO-{recipe.deepspeed.stage}" if recipe.deepspeed else recipe.distributed.strategy)
        if recipe.distributed.strategy not in ("deepspeed", "single"):
            method += f" (original: {recipe.distributed.strategy})"
        hw = "unknown" if recipe.hardware.unknown else f"{recipe.hardware.count} x {recipe.hardware.type}"
        data = ", ".join(p.name for p in recipe.data if p.included)
        table.add_row(recipe.id, recipe.base.hub, method, data, str(h.global_batch_size or "?"), f"{h.learning_rate:g}", hw)
    _console().print(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    recipe = apply_overrides(load_recipe(args.recipe), args.set or [])
    resolved = recipe.model_dump(mode="json", exclude_none=True)
    resolved["effective_deepspeed"] = predicted(recipe)
    print(json.dumps(resolved, ensure_ascii=False, indent=2))
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from reproduce.data import construct, load_examples

    recipe = load_recipe(args.recipe)
    part = next((p for p in recipe.data if p.included), None)
    if part is None:
        raise ReproduceError(f"{recipe.id}: no data part to build")
    input_path = Path(args.input)
    output = Path(args.output)
    refused = output_problem(output)  # before the data is read: a mistake in --output costs no wait
    if refused:
        raise ReproduceError(refused)
    if args.construction or part.construction:
        rows = construct(args.construction or part.construction, input_path)
    else:
        rows = [
            {k: v for k, v in example.items() if k in ("instruction", "input", "output", "messages")}
            for example in load_examples(input_path, part.format)
        ]
    if not rows:
        raise ReproduceError(f"{input_path}: expected conversations to build rows from, found none that give a row"
                             f" (nothing written to {output})")
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    try:
        if output.exists() and not output.is_file():  # /dev/stdout, /dev/null, a pipe: a stream, never replaced
            with output.open("w", encoding="utf-8") as stream:
                stream.write(text)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            # a unique temporary file beside the output, renamed over it when whole: a kill leaves no short file
            write_atomically(output, text)
    except OSError as exc:
        raise ReproduceError(f"--output {output}: cannot write there: {exc.strerror or exc}") from None
    print(f"wrote {len(rows)} rows to {output}")
    return 0


def output_problem(output: Path) -> str | None:
    """Why `output` cannot become the written file, or None: it must be a regular file or a new name, in a
    folder that exists or can be made (its nearest existing ancestor a writable folder), or a stream (a device
    such as /dev/stdout, or a pipe)."""
    if output.is_dir():
        return f"--output {output}: expected a file to write, found a folder"
    if output.exists() and not output.is_file():
        return None  # a device or a pipe, written as a stream
    if os.path.islink(output):
        return f"--output {output}: expected a file to write, found a link to nothing"
    folder = output.absolute().parent
    while not os.path.lexists(folder):
        folder = folder.parent
    if not folder.is_dir():
        return f"--output {output}: expected a folder at {folder}, found a file"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--output {output}: cannot write in {folder} (permission denied)"
    return None


def _fmt_bytes_gib(value: float) -> str:
    return f"{value:,.1f} GiB"


def cmd_plan(recipe, args: argparse.Namespace) -> int:
    from reproduce.plan import make_plan

    plan = make_plan(recipe, args.hardware)
    if args.json:
        print(json.dumps(plan, ensure_ascii=False, indent=2))
        return 0
    out = _console()
    out.print(f"[bold]{recipe.id}[/] on {plan['hardware']} ({plan['hardware_origin']}), {plan['devices']} device(s), "
              f"{'LoRA' if recipe.lora else 'ZeRO stage ' + str(plan['zero_stage']) if plan['zero_stage'] is not None else recipe.distributed.strategy}")
    table = Table(title="Memory estimate")
    table.add_column("part")
    table.add_column("GiB", justify="right")
    for key, value in plan["memory_gib"].items():
        table.add_row(key.replace("_", " "), f"{value:,.1f}")
    out.print(table)
    out.print(f"model states: {plan['memory_basis']}", markup=False)
    if plan["fits"] is not None:
        out.print("fits in device memory" if plan["fits"] else "[red]does not fit in device memory[/]")
    if plan["memory_gib"]["host"]:
        known = f", this host has {plan['host_memory_gib']:.0f} GiB" if plan["host_memory_gib"] else ""
        out.print(f"host memory for the offload: {plan['memory_gib']['host']:.1f} GiB per host{known}"
                  + ("" if plan["host_fits"] is not False else " [red](too little)[/]"))
    tokens = f"{plan['tokens']:,.0f}" if plan["tokens"] is not None else "unknown"
    out.print(f"tokens: {tokens} — {plan['tokens_basis']}", markup=False)
    if plan["flops"]:
        out.print(f"FLOPs: {plan['flops']:.3e}", markup=False)
    if plan["hours"] is not None:
        t = plan["time"]
        out.print(f"estimated time: {t['hours']:.1f} hours = compute {t['compute_hours']:.1f} (at {t['mfu_assumed']:.0%} "
                  f"utilisation) + communication {t['communication_hours']:.1f} + offload {t['offload_hours']:.1f}; "
                  f"{t['effective_mfu']:.0%} of peak overall", markup=False)
    else:
        out.print("estimated time: unknown (name hardware with --hardware 8xA100-80GB)", markup=False)
    out.print("launch:")
    for label, command in plan["launch"].items():
        out.print(f"  {label}: {command}", markup=False, soft_wrap=True)  # one line each, to copy whole
    return 0


def cmd_dry_run(recipe, args: argparse.Namespace) -> int:
    from reproduce.dry_run import dry_run

    for sample in dry_run(recipe, smoke=args.smoke, input_path=Path(args.input) if args.input else None, count=args.samples):
        print(f"--- sample {sample['index']} ({len(sample['input_ids'])} tokens, {sample['supervised_count']} supervised)")
        print("prompt text:")
        print(sample["text"])
        print("token ids:", sample["input_ids"])
        print("supervised:", "".join("1" if s else "0" for s in sample["supervised"]))
        print("supervised text:", repr(sample["supervised_text"]))
    return 0


def cmd_run(recipe, args: argparse.Namespace) -> int:
    from reproduce.run import train

    result = train(recipe, output_dir=Path(args.output_dir) if args.output_dir else None, smoke=args.smoke,
                   resume=args.resume, force=args.force, steps=args.steps, save_steps=args.save_steps,
                   overrides=args.set or [])
    if distributed.is_main():
        print(json.dumps(result, indent=2))
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, found {value}")
    return value


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reproduce", description="Retrain a baseline from its recipe.",
                                     epilog="other commands: list, show RECIPE, data RECIPE --input FILE --output FILE.jsonl, "
                                            "eval RUN-DIR, compare A B, chat RUN-DIR, export RUN-DIR, report RUN-DIR "
                                            "(each with --help)")
    parser.add_argument("recipe")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true", help="memory, tokens, FLOPs, time and launch commands; downloads nothing")
    mode.add_argument("--dry-run", action="store_true", help="show the first samples: prompt text, token ids, supervised tokens")
    parser.add_argument("--smoke", action="store_true",
                        help="the real configuration with a tiny random model and the shipped examples, on the CPU")
    parser.add_argument("--hardware", help="for --plan: e.g. 8xA100-80GB (default: detected, else recorded)")
    parser.add_argument("--json", action="store_true", help="for --plan: machine-readable output")
    parser.add_argument("--input", help="for --dry-run: a data file instead of the recipe's data")
    parser.add_argument("--samples", type=_positive, default=2)
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a recipe value (dotted path)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the newest complete checkpoint (one with a COMPLETE marker) in the output folder")
    parser.add_argument("--save-steps", type=_positive, help="save a checkpoint every this many optimizer steps")
    parser.add_argument("--force", action="store_true", help="run even if the feasibility check fails")
    parser.add_argument("--steps", type=_positive,
                        help="stop after this many optimizer steps, on the full run's schedule (--smoke: 20)")
    parser.add_argument("--output-dir")
    return parser


def _command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reproduce")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every recipe, as a table")
    show = sub.add_parser("show", help="the resolved recipe and its effective DeepSpeed config")
    show.add_argument("recipe")
    show.add_argument("--set", action="append", metavar="KEY=VALUE")
    data = sub.add_parser("data", help="build a recipe's training file from original data")
    data.add_argument("recipe")
    data.add_argument("--input", required=True)
    data.add_argument("--output", required=True)
    data.add_argument("--construction", help="neo-conversations, neo-multi, neo-single or neo-all-pair")
    _report_parser(sub)
    return parser


# --- report: a finished run as a reproduction card ---------------------------------------------------


def _report_parser(sub) -> None:  # noqa: ANN001 - argparse's private subparsers action
    report = sub.add_parser("report", help="write a finished run's reproduction card (catalog/reproductions/ID.yaml)")
    report.add_argument("run_dir", metavar="RUN-DIR")
    report.add_argument("--eval", help="the run's eval.json (default: RUN-DIR/eval.json when there is one)")
    report.add_argument("--id", help="the card's id (default: --out's file name, else RECIPE-DATE, with -smoke for a smoke run)")
    report.add_argument("--out", help="where to write it (default: catalog/reproductions/ID.yaml)")
    report.add_argument("--by", help="who ran it (default: git config user.name)")
    report.add_argument("--logs", help="an http(s) link to the run's published logs (becomes the card's source)")
    report.add_argument("--weights", help="an http(s) link to the published weights")


def cmd_report(args: argparse.Namespace) -> int:
    from reproduce.report import report

    path = report(Path(args.run_dir), Path(args.eval) if args.eval else None, args.id, Path(args.out) if args.out else None,
                  args.by, args.logs, args.weights)
    print(f"wrote {path}; check it with: python -m survey check {path}")
    return 0


def _close_progress_bars() -> None:
    """Close the Trainer's tqdm bars now: left open, each redraws itself at exit, after the last message."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        bar.close()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # the `deepspeed` launcher passes --local_rank=N first; the rank is also in LOCAL_RANK, which is what is read
    argv = [a for a in argv if not re.match(r"^--local[_-]rank(=\d+)?$", a)]
    try:
        from reproduce import eval_cli  # eval, compare, chat, export

        if argv and argv[0] in eval_cli.COMMANDS:
            return eval_cli.main(argv)
        if argv and argv[0] in COMMANDS:
            args = _command_parser().parse_args(argv)
            return {"list": cmd_list, "show": cmd_show, "data": cmd_data, "report": cmd_report}[args.command](args)
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
            _run_parser().print_usage(sys.stderr)
            print("python -m reproduce: expected a command (list, show, data, eval, compare, chat, export, report) or a recipe id", file=sys.stderr)
            return 2
        args = _run_parser().parse_args(argv)
        recipe = apply_overrides(load_recipe(args.recipe), args.set or [])
        if args.plan:
            return cmd_plan(recipe, args)
        if args.dry_run:
            return cmd_dry_run(recipe, args)
        return cmd_run(recipe, args)
    except ReproduceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:  # Ctrl-C: what was being written is a temporary file, removed; one line, no stack
        _close_progress_bars()
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse
        return int(exc.code or 0)
