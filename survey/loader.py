"""Reading cards: bytes -> text -> YAML -> validated card, every problem a `Diagnostic`.

The fast path parses with libyaml (`survey.fastyaml`) and keeps no positions;
only files with something to report are parsed again, with ruamel.yaml's
round-trip loader, to find the line and column (`survey.positions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from survey import fastyaml
from survey.diagnostics import Diagnostic, dotted
from survey.messages import reword
from survey.positions import place
from survey.schema import FOLDERS, Card

SUFFIX = ".yaml"


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


def card_files(root: Path) -> list[Path]:
    """Every card file under `root`, in a stable order."""
    return sorted(p for folder in FOLDERS for p in (root / folder).glob(f"*{SUFFIX}"))


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
        return None, [Diagnostic(path, line, col, message=f"YAML syntax: {problem}", rule="yaml")]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(path, 1, 1, message=f"YAML syntax: {exc}", rule="yaml")]
    if not isinstance(data, dict):
        return None, [Diagnostic(path, 1, 1, message=f"expected a mapping of fields, found {type(data).__name__}")]
    if "*" in text and _first_alias(data) is not None:  # an alias needs a '*'; most cards have none
        # An alias makes two places hold one object; refusing them all also refuses alias bombs.
        loc = _first_alias(data)
        return None, place(
            [Diagnostic(path, field=dotted(loc), loc=loc, message="expected plain values, found a YAML alias (*name)", rule="yaml")],
            {path: text},
        )
    return data, []


def _first_alias(data: object) -> tuple | None:
    seen: set[int] = set()
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if id(node) in seen:
            return loc
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((child, (*loc, key)) for key, child in items)
    return None


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
    card_type = card_type or card_type_for(path)
    if card_type is None:
        folders = ", ".join(sorted(FOLDERS))
        return None, [Diagnostic(path, message=f"expected a card inside one of catalog/{{{folders}}}/", rule="layout")]
    if path.suffix != SUFFIX:
        return None, [Diagnostic(path, message=f"expected a {SUFFIX} file, found {path.suffix or 'no suffix'}", rule="layout")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(path, message=f"cannot read the file: {exc.strerror}", rule="layout")]
    text, problems = read_text(path, raw)
    if text is None:
        return None, problems
    data, problems = parse(path, text)
    if data is None:
        return None, place(problems, {path: text})
    card, problems = validate(path, data, card_type)
    return card, place(problems, {path: text})


def load_catalog(root: Path, paths: Iterable[Path] | None = None) -> tuple[Catalog, list[Diagnostic]]:
    """Every card under `root` (or just `paths`), and every problem of every file."""
    catalog = Catalog(root)
    diagnostics: list[Diagnostic] = []
    for path in paths if paths is not None else card_files(root):
        card, problems = load_file(path)
        diagnostics.extend(problems)
        if card is not None:
            catalog.add(Entry(card, path))
    return catalog, diagnostics
