"""Reading cards: bytes -> text -> YAML -> screened data -> validated card, every problem a `Diagnostic`.

The fast path parses with libyaml (`survey.fastyaml`) and keeps no positions;
only files with something to report are parsed again, with ruamel.yaml's
round-trip loader, to find the line and column (`survey.positions`).

Between parsing and validation every value of the file is screened (`screen`), whatever field it
is in: no alias, no nesting deeper than `MAX_DEPTH`, text keys only, no NaN or infinity, no
ambiguous integer (`0x1A`, `017`), and every string and key passes `survey.markup.problem`.
Only regular files of at most `MAX_CARD_BYTES` are read (`survey.files.read_regular`).
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from survey import fastyaml, markup
from survey.diagnostics import Diagnostic, Loc, dotted
from survey.files import Unreadable, read_regular
from survey.messages import reword
from survey.positions import place
from survey.schema import FOLDERS, Card

SUFFIX = ".yaml"
MAX_CARD_BYTES = 2**20  # 1 MiB: 70x the largest card; a bigger file is not a card someone wrote
MAX_DEPTH = 32  # levels of lists and mappings; the deepest card (a DeepSpeed config) has 6
OTHER_FOLDERS = ("schema",)  # the catalog's own non-card folder (JSON Schemas)


@dataclass(frozen=True)
class Entry:
    card: Card
    path: Path


@dataclass
class Catalog:
    """All valid cards, by kind and id."""

    root: Path
    cards: dict[str, dict[str, Entry]] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        self.cards.setdefault(entry.card.KIND, {})[entry.card.id] = entry

    def of(self, kind: str) -> list[Card]:
        return [entry.card for entry in self.cards.get(kind, {}).values()]

    def get(self, kind: str, card_id: str) -> Card | None:
        entry = self.cards.get(kind, {}).get(card_id)
        return entry.card if entry else None

    def entries(self) -> Iterator[Entry]:
        for kind in self.cards.values():
            yield from kind.values()

    def path_of(self, card: Card) -> Path:
        return self.cards[card.KIND][card.id].path


def card_type_for(path: Path) -> type[Card] | None:
    return FOLDERS.get(path.parent.name)


def is_catalog(path: Path) -> bool:
    """A catalog folder is one holding at least one kind folder."""
    return any((path / folder).is_dir() for folder in FOLDERS)


def catalog_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a catalog folder ("expected …, found …"), or None."""
    try:
        if path.is_dir() and is_catalog(path):
            return None
        if path.is_dir():
            found = (f"the kind folder {path.name}/ (its catalog is {path.parent})" if path.name in FOLDERS
                     else "a folder that holds none of these")
        else:
            found = "a file" if os.path.lexists(path) else "nothing"
    except OSError as exc:
        return f"cannot use it: {exc.strerror}"
    return f"expected a catalog folder (holding {', '.join(sorted(FOLDERS))}/…), found {found}"


def card_files(root: Path) -> list[Path]:
    """Every card file under `root` (anything named `<kind folder>/*.yaml`), in a stable order."""
    return sorted(p for folder in FOLDERS for p in (root / folder).glob(f"*{SUFFIX}"))


def _looks_like_yaml(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml"))


def layout_problem(path: Path) -> Diagnostic | None:
    """Why `path` is not where a card belongs, or None: `<catalog>/<kind folder>/<id>.yaml`."""
    folders = ", ".join(sorted(FOLDERS))
    if card_type_for(path) is None:
        if path.parent.parent.name in FOLDERS:
            where = f"a subfolder of {path.parent.parent.name}/ (cards sit directly in their kind's folder)"
        else:
            hint = difflib.get_close_matches(path.parent.name, list(FOLDERS), n=1, cutoff=0.6)
            where = f"the folder {path.parent.name + '/'!r}" + (f" (did you mean {hint[0] + '/'!r}?)" if hint else "")
        return Diagnostic(path, message=f"expected a card inside one of catalog/{{{folders}}}/, found it in {where}", rule="layout")
    if path.suffix != SUFFIX:
        return Diagnostic(
            path, message=f"expected a {SUFFIX} file, found {path.suffix or 'no suffix'} (rename it {path.stem}{SUFFIX})", rule="layout"
        )
    return None


def stray_files(root: Path) -> list[Diagnostic]:
    """Files under `root` that look like cards but are not where `card_files` finds cards.

    Looks two levels down (and three inside a kind's folder), never following links to folders, so
    pointing the check at a big folder by mistake stays quick.
    """
    found: list[Diagnostic] = []
    for entry in _entries(root):
        if entry.is_dir(follow_symlinks=False):
            if entry.name in OTHER_FOLDERS:
                continue
            for inner in _entries(Path(entry.path)):
                inner_path = Path(inner.path)
                if entry.name in FOLDERS and inner.name.endswith(SUFFIX):
                    continue  # a card (or something named like one): load_file judges it
                if inner.is_dir(follow_symlinks=False) and entry.name in FOLDERS:
                    found += [layout_problem(Path(p.path)) for p in _entries(inner_path) if _looks_like_yaml(p.name)]
                elif _looks_like_yaml(inner.name):
                    found.append(layout_problem(inner_path))
                elif entry.name in FOLDERS and not inner.is_dir(follow_symlinks=False):
                    found.append(Diagnostic(inner_path, message=f"expected only {SUFFIX} cards here, found another file (ignored)",
                                            severity="warning", rule="layout"))
        elif _looks_like_yaml(entry.name):
            found.append(layout_problem(Path(entry.path)))
    return sorted(d for d in found if d is not None)


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return sorted((e for e in entries if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError:
        return []


def read_text(path: Path, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    if not data.strip():
        return None, [Diagnostic(path, 1, 1, message="expected a card (a YAML mapping), found an empty file")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, [
            Diagnostic(path, line, col, message=f"expected UTF-8 text, found the byte 0x{data[exc.start]:02x}")
        ]
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                Diagnostic(path, number, indent.index("\t") + 1, message="expected spaces for indentation, found a tab")
            )
    return (None, problems) if problems else (text, [])


def parse(path: Path, text: str) -> tuple[object, list[Diagnostic]]:
    """The YAML data of a card's text, screened; or None and the problems (positions filled in)."""
    try:
        data = fastyaml.load(text)
    except fastyaml.DuplicateKey as exc:
        mark = exc.problem_mark
        return None, [
            Diagnostic(
                path,
                mark.line + 1,
                mark.column + 1,
                field=exc.key,
                message=f"expected each key once in a mapping, found {exc.key!r} a second time",
            )
        ]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if problem.startswith("expected"):
            return None, [Diagnostic(path, line, col, message=problem, rule="yaml")]
        return None, [Diagnostic(path, line, col, message=f"YAML syntax: {problem}", rule="yaml")]
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        return None, [Diagnostic(path, line, col, message=f"expected printable text, found the control character U+{exc.character:04X}", rule="yaml")]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(path, 1, 1, message=f"YAML syntax: {exc}", rule="yaml")]
    if data is None:
        return None, [Diagnostic(path, 1, 1, message="expected a card (a YAML mapping), found only comments")]
    if not isinstance(data, dict):
        return None, [Diagnostic(path, 1, 1, message=f"expected a mapping of fields, found {_kind_of(data)}")]
    problems = screen(path, data)
    if problems:
        return None, place(problems, {path: text})
    return data, []


def _kind_of(value: object) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true or false"}.get(type(value), type(value).__name__)


def screen(path: Path, data: object, limit: int = 20) -> list[Diagnostic]:
    """Problems of any value anywhere in the parsed data, each at its field (at most `limit`)."""
    if not _suspect(data):
        return []
    problems: list[Diagnostic] = []
    seen: set[int] = set()
    stack: list[tuple[object, Loc]] = [(data, ())]
    aliased = False

    def report(loc: Loc, message: str, *, field_loc: Loc | None = None, key: bool = False) -> None:
        shown = loc if field_loc is None else field_loc
        problems.append(Diagnostic(path, field=dotted(shown), loc=loc, message=message, rule="text", key=key))

    while stack and len(problems) < limit:
        node, loc = stack.pop()
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                # An alias makes two places hold one object; refusing them all also refuses alias bombs.
                if not aliased:  # at the key: an alias's own position is its anchor's
                    report(loc, "expected plain values, found a YAML alias (*name)", key=True)
                aliased = True
                continue
            seen.add(id(node))
            if len(loc) >= MAX_DEPTH:
                report(loc, f"expected at most {MAX_DEPTH} levels of nesting (lists and mappings), found more")
                continue
            if isinstance(node, list):
                stack.extend(reversed([(item, (*loc, index)) for index, item in enumerate(node)]))
                continue
            for key, value in reversed(node.items()):  # the stack then yields them in file order
                if not isinstance(key, str):
                    report((*loc, key), f"expected text keys, found the key {key!r}", field_loc=loc, key=True)
                elif key_problem := markup.problem(key):
                    report((*loc, key), f"key {key[:40]!r}: {key_problem}", field_loc=loc, key=True)
                else:
                    stack.append((value, (*loc, key)))
        elif isinstance(node, fastyaml.Ambiguous):
            if node.why.endswith("digits"):
                report(loc, f"expected a number of at most {fastyaml.MAX_DIGITS} digits, found {node.why}")
            else:
                report(loc, f"expected a decimal number, found {node} ({node.why}); write it in decimal, or quote it if it is text")
        elif isinstance(node, float) and not math.isfinite(node):
            report(loc, f"expected a finite number, found {node}")
        elif isinstance(node, str) and (text_problem := markup.problem(node)):
            report(loc, text_problem)
    return problems


def _suspect(data: object) -> bool:
    """Whether `screen` would find anything: the same tests without keeping paths, for speed."""
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is dict or kind is list:
            if id(node) in seen or depth >= MAX_DEPTH:
                return True
            seen.add(id(node))
            if kind is list:
                stack.extend((item, depth + 1) for item in node)
                continue
            for key, value in node.items():
                if type(key) is not str or markup.problem(key):
                    return True
                stack.append((value, depth + 1))
        elif kind is str:
            if markup.problem(node):
                return True
        elif kind is float:
            if not math.isfinite(node):
                return True
        elif kind is not int and kind is not bool and node is not None:
            return True  # Ambiguous, or anything else a loader built
    return False


def validate(path: Path, data: dict, card_type: type[Card]) -> tuple[Card | None, list[Diagnostic]]:
    try:
        card = card_type.model_validate(data)
    except ValidationError as exc:
        diagnostics = []
        for error in exc.errors(include_url=False):
            loc, message, key = reword(error, card_type)
            diagnostics.append(Diagnostic(path, field=dotted(loc), message=message, loc=loc, key=key))
        return None, diagnostics
    if card.id != path.stem:
        return None, [
            Diagnostic(
                path,
                field="id",
                loc=("id",),
                message=f"expected the file name to be the id: {card.id}{SUFFIX}, found {path.name}",
                rule="file-name",
            )
        ]
    return card, []


def load_file(path: Path, card_type: type[Card] | None = None) -> tuple[Card | None, list[Diagnostic]]:
    """One card from disk, or the diagnostics that explain why not (positions filled in)."""
    card, _text, problems = read_card(path, card_type)
    return card, problems


def read_card(path: Path, card_type: type[Card] | None = None, raw: bytes | None = None) -> tuple[Card | None, str | None, list[Diagnostic]]:
    """`load_file`, also giving the text the card was read from (`raw`: the file's bytes, if read already)."""
    if card_type is None:
        problem = layout_problem(path)
        if problem is not None:
            return None, None, [problem]
        card_type = card_type_for(path)
    if raw is None:
        try:
            raw = read_regular(path, MAX_CARD_BYTES)
        except Unreadable as exc:
            return None, None, [Diagnostic(path, message=str(exc), rule="layout")]
    text, problems = read_text(path, raw)
    if text is None:
        return None, None, problems
    data, problems = parse(path, text)
    if data is None:
        return None, text, problems
    card, problems = validate(path, data, card_type)
    return card, text, place(problems, {path: text})


def load_catalog(root: Path, paths: Iterable[Path] | None = None) -> tuple[Catalog, list[Diagnostic]]:
    """Every card under `root` (or just `paths`), and every problem of every file."""
    catalog = Catalog(root)
    diagnostics: list[Diagnostic] = stray_files(root) if paths is None else []
    for path in paths if paths is not None else card_files(root):
        card, problems = load_file(path)
        diagnostics.extend(problems)
        if card is not None:
            catalog.add(Entry(card, path))
    return catalog, diagnostics
