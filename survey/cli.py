"""`python -m survey`: check, format, scaffold, describe and export the catalog.

Exit codes: 0 all good, 1 the data has errors (or `fmt --check` would change
files, or a card could not be rewritten), 2 the command line itself is wrong: an
unknown option, or a path that is missing, of the wrong kind or cannot be written.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from survey import export, schemas
from survey.check import check_files
from survey.diagnostics import Diagnostic, printable
from survey.files import placed, write_atomically
from survey.fmt import FormatError, formatted
from survey.loader import SUFFIX, card_files, catalog_problem, is_catalog, load_catalog, read_card, stray_files
from survey.positions import place
from survey.schema import FOLDERS
from survey.rules import run_all
from survey.schema import KINDS
from survey.schema.common import RESERVED_CARD_IDS, RESERVED_WHY, is_id
from survey.templates import template

DEFAULT_ROOT = Path("catalog")
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class UsageError(Exception):
    """A mistake on the command line (exit 2), as opposed to a mistake in the data (exit 1)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        err.print(printable(f"survey {args.command}: {exc}"), markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return 130
    except BrokenPipeError:  # `survey check | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a path the command line named, in a state no check above foresaw
        where = f": {exc.filename}" if exc.filename else ""
        err.print(printable(f"survey {args.command}: {exc.strerror or exc}{where}"), markup=False)
        return 2


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


@dataclass
class Selection:
    """What a command works on: catalog roots (loaded whole, as references need every card) and,
    when only some files or kind folders were named, those."""

    roots: list[Path]
    wanted: list[Path] | None  # None: everything under the roots

    def keeps(self, path: Path) -> bool:
        if self.wanted is None:
            return True
        path = placed(path)
        return any(path == w or w in path.parents for w in self.wanted)

    def files(self, root: Path) -> list[Path]:
        """The root's card files, and any file named on the command line that lies under it."""
        found = card_files(root)
        named = [w for w in self.wanted or () if w.parent.parent == root and not w.is_dir() and w not in found]
        return [p for p in found if self.keeps(p)] + named


def _select(paths: list[Path]) -> Selection:
    if not paths:
        paths = [DEFAULT_ROOT]
    roots: list[Path] = []
    wanted: list[Path] = []
    whole = False
    for given in paths:
        try:
            exists = os.path.lexists(given)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot use the path {str(given)[:80]!r}: {exc}") from None
        if not exists:
            raise UsageError(f"no such file or folder: {given}")
        path = placed(given)
        if path.is_dir() and path.name not in FOLDERS:
            if not is_catalog(path):
                raise UsageError(
                    f"expected a catalog folder (holding {', '.join(sorted(FOLDERS))}/…), a kind folder or card files,"
                    f" found {given}, which holds none of these"
                )
            roots.append(Path(os.path.realpath(path)))
            whole = True
        elif path.is_dir():
            roots.append(path.parent)
            wanted.append(path)
        else:
            roots.append(path.parent.parent)
            wanted.append(path)
    return Selection(list(dict.fromkeys(roots)), None if whole else wanted)


def _check(selection: Selection, use_cache: bool) -> tuple[int, list[Diagnostic]]:
    """Check every root whole; return how many files were read and the diagnostics asked for."""
    read, diagnostics = 0, []
    for root in selection.roots:
        files = card_files(root)
        files += [p for p in selection.files(root) if p not in set(files)]
        read += len([p for p in files if selection.keeps(p)])
        diagnostics.extend(stray_files(root))
        diagnostics.extend(check_files(root, files, use_cache=use_cache))
    return read, [d for d in set(diagnostics) if selection.keeps(d.path)]


# --- commands -------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    cards, diagnostics = _check(_select(args.paths), use_cache=not args.no_cache)
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
    summary = f"checked {cards} card{'s' if cards != 1 else ''}: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    (err if args.format == "github" else out).print(summary, markup=False, style="bold")
    return 1 if errors else 0


def cmd_new(args: argparse.Namespace) -> int:
    if args.kind not in KINDS:
        hint = difflib.get_close_matches(args.kind, list(KINDS), n=1)
        raise UsageError(f"unknown kind {args.kind!r}" + (f"; did you mean {hint[0]!r}?" if hint else f"; expected one of {', '.join(KINDS)}"))
    if not is_id(args.id):
        raise UsageError(f"expected an id of lowercase letters, digits and single '-', '_' or '.' (at most 100 characters), found {args.id[:120]!r}")
    if args.id in RESERVED_CARD_IDS:
        raise UsageError(f"expected {RESERVED_WHY}, found {args.id!r}")
    _existing_folder(args.root, "--root")
    folder = args.root / KINDS[args.kind].FOLDER
    path = folder / f"{args.id}{SUFFIX}"
    if os.path.lexists(path):
        raise UsageError(f"{path} exists already")
    _make_folder(folder)
    _write(path, template(args.kind, args.id))
    out.print(printable(f"wrote {path}; fill in every TODO, then run: python -m survey check {path}"), markup=False)
    return 0


def cmd_fmt(args: argparse.Namespace) -> int:
    selection = _select(args.paths)
    paths = [p for root in selection.roots for p in selection.files(root)]
    changed, broken = [], []
    for path in paths:
        card, text, problems = read_card(path)
        if card is None:
            broken.extend(problems)
            continue
        try:
            canonical = formatted(text, card)
        except FormatError as exc:
            broken.append(Diagnostic(path, message=str(exc), rule="fmt"))
            continue
        if canonical == text:
            continue
        if not args.check:
            try:
                write_atomically(path, canonical)
            except OSError as exc:
                broken.append(Diagnostic(path, message=f"cannot write the file: {exc.strerror} (left as it was)", rule="fmt"))
                continue
        changed.append(path)
    cwd = Path.cwd()
    for diagnostic in sorted(broken):
        err.print(diagnostic.render(cwd), markup=False, style="red")
    verb = "would reformat" if args.check else "reformatted"
    for path in changed:
        out.print(printable(f"{verb} {_rel(path, cwd)}"), markup=False)
    out.print(f"{len(paths)} cards, {len(changed)} {verb}, {len({d.path for d in broken})} not valid (left as they are)", markup=False)
    return 1 if broken or (args.check and changed) else 0


def cmd_schema(args: argparse.Namespace) -> int:
    _existing_folder(args.root, "--root")
    if args.check:
        stale = [kind for kind in KINDS if not _fresh_schema(args.root, kind)]
        for kind in stale:
            out.print(f"stale: {schemas.schema_path(args.root, kind)} (run: python -m survey schema)", markup=False)
        return 1 if stale else 0
    folder = schemas.schema_path(args.root, next(iter(KINDS))).parent
    _make_folder(folder)
    changed = []
    for kind in KINDS:
        path, text = schemas.schema_path(args.root, kind), schemas.rendered(kind)
        if not _fresh_schema(args.root, kind):
            _write(path, text)
            changed.append(path)
    for path in changed:
        out.print(f"wrote {path}", markup=False)
    out.print(f"{len(KINDS)} schemas, {len(changed)} changed", markup=False)
    return 0


def _fresh_schema(root: Path, kind: str) -> bool:
    path = schemas.schema_path(root, kind)
    try:
        return path.is_file() and path.read_text("utf-8") == schemas.rendered(kind)
    except (OSError, UnicodeDecodeError):
        return False


def cmd_export(args: argparse.Namespace) -> int:
    if problem := catalog_problem(args.root):
        raise UsageError(f"--root {args.root}: {problem}")
    catalog, problems = load_catalog(args.root)
    errors = [d for d in [*problems, *run_all(catalog)] if d.severity == "error"]
    if errors:
        for diagnostic in sorted(place(errors)):
            err.print(diagnostic.render(Path.cwd()), markup=False, style="red")
        err.print("not exported: fix the errors above first", markup=False)
        return 1
    _make_folder(args.out)
    json_path, csv_path = args.out / "catalog.json", args.out / "models.csv"
    _write(json_path, export.catalog_json(catalog))
    _write(csv_path, export.models_csv(catalog))
    out.print(f"wrote {json_path} and {csv_path}", markup=False)
    return 0


# --- paths the command line names ------------------------------------------------------


def _existing_folder(path: Path, option: str) -> None:
    if not path.is_dir():
        found = "a file" if path.exists() else "nothing"
        raise UsageError(f"{option} {path}: expected an existing folder, found {found}")


def _make_folder(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write into {path}: expected a folder, found a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {path}: {exc.strerror}") from None


def _write(path: Path, text: str) -> None:
    if path.is_dir():
        raise UsageError(f"cannot write {path}: expected a file, found a folder")
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _rel(path: Path, cwd: Path) -> str:
    try:
        return placed(path).relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
