"""Diagnostics: one problem in one file, at a line and column, in words a contributor can act on."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from survey.files import placed

Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """`path:line:col: field: message`. Lines and columns are 1-based; 0 means "whole file".

    Checks that know only a field path leave `line` at 0 and set `loc`;
    `survey.positions.place` fills in the line and column from the file.
    """

    path: Path
    line: int = 0
    col: int = 0
    field: str = ""
    message: str = ""
    severity: Severity = "error"
    rule: str = "schema"
    loc: Loc = dataclasses.field(default=(), compare=False)
    key: bool = dataclasses.field(default=False, compare=False)  # point at the key itself, not its value

    def render(self, root: Path | None = None) -> str:
        where = _shown(self.path, root)
        if self.line:
            where += f":{self.line}:{self.col}"
        head = f"{where}: "
        if self.severity == "warning":
            head += "warning: "
        # A file name or key may hold a newline or an escape sequence: shown escaped, it forges no line.
        return printable(head + (f"{self.field}: " if self.field else "") + self.message)

    def github(self, root: Path | None = None) -> str:
        """A GitHub Actions workflow command, so the problem shows on the pull request's line.

        Escaped as the runner reads workflow commands (actions/toolkit `command.ts`): `%`, CR and LF
        in the message; those and `:` and `,` in property values. A file name holding a newline and
        `::error …` then stays inside its own annotation instead of forging another.
        """
        level = "error" if self.severity == "error" else "warning"
        text = (f"{self.field}: " if self.field else "") + self.message
        properties = {"file": _shown(self.path, root)}
        if self.line:
            properties.update(line=str(self.line), col=str(self.col))
        properties["title"] = self.rule
        head = ",".join(f"{name}={_escape_property(value)}" for name, value in properties.items())
        return f"::{level} {head}::{_escape_data(text)}"


def printable(text: str, keep: str = "") -> str:
    """`text` with every character a terminal would act on (but those in `keep`) written as an escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else repr(c)[1:-1] for c in text)


def _escape_data(text: str) -> str:
    return printable(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _shown(path: Path, root: Path | None) -> str:
    """The path relative to `root` where it lies inside (a symlinked card where it is linked)."""
    if root is not None:
        try:
            return placed(path).relative_to(os.path.realpath(root)).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def dotted(loc: Loc) -> str:
    """('training', 'data', 0, 'unit') -> 'training.data[0].unit'."""
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a mapping key that failed validation
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
