"""`python -m survey`: check, format, scaffold, describe and export the catalog.

Exit codes: 0 all good, 1 the data has errors (or `fmt --check` would change
files), 2 the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from rich.console import Console

from survey import export, schemas
from survey.check import check_files
from survey.diagnostics import Diagnostic
from survey.fmt import FormatError, formatted, write_atomically
from survey.loader import SUFFIX, card_files, card_type_for, load_catalog, load_file
from survey.positions import place
from survey.rules import run_all
from survey.schema import KINDS
from survey.schema.common import is_id
from survey.templates import template

DEFAULT_ROOT = Path("catalog")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """A mistake on the command line (exit 2), as opposed to a mistake in the data (exit 1)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        err.print(f"survey {args.command}: {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m survey", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate cards and cross-card rules")
    check.add_argument("paths", nargs="*", type=Path, help="card files or catalog folders (default: catalog)")
    check.add_argument("--format", choices=("text", "github"), default="text", help="github: workflow annotations")
    check.add_argument("--no-warnings", action="store_true", help="report errors only")
    check.add_argument("--no-cache", action="store_true", help="re-read every file (the cache lives in .cache/survey/)")
    check.set_defaults(run=cmd_check)

    new = commands.add_parser("new", help="write a new card from the commented template")
    new.add_argument("kind", help=f"one of {', '.join(KINDS)}")
    new.add_argument("id", help="the card's id, also its file name")
    new.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="catalog folder")
    new.set_defaults(run=cmd_new)

    fmt = commands.add_parser("fmt", help="rewrite cards in canonical form, keeping comments")
    fmt.add_argument("paths", nargs="*", type=Path, help="card files or catalog folders (default: catalog)")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    fmt.set_defaults(run=cmd_fmt)

    schema = commands.add_parser("schema", help="write the JSON Schema of each card kind")
    schema.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="catalog folder")
    schema.add_argument("--check", action="store_true", help="change nothing; exit 1 if a schema file is stale")
    schema.set_defaults(run=cmd_schema)

    exp = commands.add_parser("export", help="write the catalog as JSON and the model table as CSV")
    exp.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="catalog folder")
    exp.add_argument("--out", type=Path, default=Path("build/export"), help="output folder")
    exp.set_defaults(run=cmd_export)
    return parser


# --- selecting files ------------------------------------------------------------------


def _roots_and_files(paths: list[Path]) -> tuple[list[Path], set[Path] | None]:
    """Catalog roots to load whole (references need every card) and the files to report on."""
    if not paths:
        paths = [DEFAULT_ROOT]
    roots: list[Path] = []
    files: set[Path] = set()
    whole = False
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        if path.is_dir() and card_type_for(path / f"x{SUFFIX}") is None:
            roots.append(path)
            whole = True
        elif path.is_dir():
            roots.append(path.parent)
            files.update(p.resolve() for p in path.glob(f"*{SUFFIX}"))
        else:
            roots.append(path.parent.parent)
            files.add(path.resolve())
    unique_roots = list(dict.fromkeys(r.resolve() for r in roots))
    return unique_roots, None if whole else files


def _check(paths: list[Path], use_cache: bool) -> tuple[int, list[Diagnostic], set[Path] | None]:
    """Check every root whole; return how many files were read, all diagnostics, the files asked for."""
    roots, only = _roots_and_files(paths)
    read, diagnostics = 0, []
    for root in roots:
        files = [p.resolve() for p in card_files(root)]
        files += [p for p in (only or ()) if p.parent.parent == root and p not in set(files)]
        read += len(files)
        diagnostics.extend(check_files(root, files, use_cache=use_cache))
    return read, diagnostics, only


# --- commands -------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    read, diagnostics, only = _check(args.paths, use_cache=not args.no_cache)
    if only is not None:
        diagnostics = [d for d in diagnostics if d.path.resolve() in only]
    if args.no_warnings:
        diagnostics = [d for d in diagnostics if d.severity == "error"]
    diagnostics = sorted(diagnostics)
    cwd = Path.cwd()
    for diagnostic in diagnostics:
        if args.format == "github":
            out.print(diagnostic.github(cwd), markup=False)
        else:
            out.print(diagnostic.render(cwd), markup=False, style="red" if diagnostic.severity == "error" else "yellow")
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    cards = len(only) if only is not None else read
    summary = f"checked {cards} card{'s' if cards != 1 else ''}: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    (err if args.format == "github" else out).print(summary, markup=False, style="bold")
    return 1 if errors else 0


def cmd_new(args: argparse.Namespace) -> int:
    if args.kind not in KINDS:
        hint = difflib.get_close_matches(args.kind, list(KINDS), n=1)
        raise UsageError(f"unknown kind {args.kind!r}" + (f"; did you mean {hint[0]!r}?" if hint else f"; expected one of {', '.join(KINDS)}"))
    if not is_id(args.id):
        raise UsageError(f"expected an id of lowercase letters, digits and single '-', '_' or '.', found {args.id!r}")
    folder = args.root / KINDS[args.kind].FOLDER
    path = folder / f"{args.id}{SUFFIX}"
    if path.exists():
        raise UsageError(f"{path} exists already")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(path, template(args.kind, args.id))
    out.print(f"wrote {path}; fill in every TODO, then run: python -m survey check {path}", markup=False)
    return 0


def cmd_fmt(args: argparse.Namespace) -> int:
    roots, only = _roots_and_files(args.paths)
    paths = sorted(only) if only is not None else [p for root in roots for p in card_files(root)]
    changed, broken = [], []
    for path in paths:
        card, problems = load_file(path)
        if card is None:
            broken.extend(problems)
            continue
        text = path.read_text("utf-8")
        try:
            canonical = formatted(text, card)
        except FormatError as exc:
            broken.append(Diagnostic(path, message=str(exc), rule="fmt"))
            continue
        if canonical != text:
            changed.append(path)
            if not args.check:
                write_atomically(path, canonical)
    cwd = Path.cwd()
    for diagnostic in sorted(broken):
        err.print(diagnostic.render(cwd), markup=False, style="red")
    verb = "would reformat" if args.check else "reformatted"
    for path in changed:
        out.print(f"{verb} {_rel(path, cwd)}", markup=False)
    out.print(f"{len(paths)} cards, {len(changed)} {verb}, {len({d.path for d in broken})} not valid (left as they are)", markup=False)
    return 1 if broken or (args.check and changed) else 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.check:
        stale = [kind for kind in KINDS if not _fresh_schema(args.root, kind)]
        for kind in stale:
            out.print(f"stale: {schemas.schema_path(args.root, kind)} (run: python -m survey schema)", markup=False)
        return 1 if stale else 0
    changed = schemas.write_all(args.root)
    for path in changed:
        out.print(f"wrote {path}", markup=False)
    out.print(f"{len(KINDS)} schemas, {len(changed)} changed", markup=False)
    return 0


def _fresh_schema(root: Path, kind: str) -> bool:
    path = schemas.schema_path(root, kind)
    return path.is_file() and path.read_text("utf-8") == schemas.rendered(kind)


def cmd_export(args: argparse.Namespace) -> int:
    if not args.root.is_dir():
        raise UsageError(f"no such catalog folder: {args.root}")
    catalog, problems = load_catalog(args.root)
    errors = [d for d in [*problems, *run_all(catalog)] if d.severity == "error"]
    if errors:
        for diagnostic in sorted(place(errors)):
            err.print(diagnostic.render(Path.cwd()), markup=False, style="red")
        err.print("not exported: fix the errors above first", markup=False)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = args.out / "catalog.json", args.out / "models.csv"
    write_atomically(json_path, export.catalog_json(catalog))
    write_atomically(csv_path, export.models_csv(catalog))
    out.print(f"wrote {json_path} and {csv_path}", markup=False)
    return 0


def _rel(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
