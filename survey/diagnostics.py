"""Diagnostics: one problem in one file, at a line and column, in words a contributor can act on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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
        return head + (f"{self.field}: " if self.field else "") + self.message

    def github(self, root: Path | None = None) -> str:
        """A GitHub Actions workflow command, so the problem shows on the pull request's line."""
        level = "error" if self.severity == "error" else "warning"
        text = (f"{self.field}: " if self.field else "") + self.message
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        place = f"file={_shown(self.path, root)}"
        if self.line:
            place += f",line={self.line},col={self.col}"
        return f"::{level} {place},title={self.rule}::{text}"


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
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
