"""What the hostile-input corpora share (tests/test_hostile_survey.py, tests/test_hostile_site.py).

A case copies the real catalog into a temporary folder (`World`), breaks one thing and says what the user
must get (`Expect`); `run_case` runs the command line as a user would (a subprocess of
`sys.executable -m <module>`) and asserts it: the exit code (1 for bad data, 2 for a bad command line),
messages naming the file, line, field and what was expected, no Python traceback, no file changed or
half-written but those the case allows, nothing run that the input asked to run, and nothing written
outside the temporary folder (`repo_state`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL = REPO / "catalog"
PWNED = "PWNED-by-hostile-input"


@dataclass
class Expect:
    args: list[str]
    code: int = 1
    says: list[str] = field(default_factory=list)  # regular expressions the output must match
    changes: tuple[str, ...] = ()  # paths (relative to the temporary folder) the command may write
    check: Callable | None = None  # further assertions: check(world, result)
    timeout: float = 60
    module: str = "survey"  # the command: python -m <module>


class World:
    """A temporary copy of the real catalog and helpers to break it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.catalog = tmp / "catalog"
        shutil.copytree(REAL, self.catalog, symlinks=True)
        (tmp / "home").mkdir()

    def path(self, relative: str) -> Path:
        return self.catalog / relative

    def text(self, relative: str) -> str:
        return self.path(relative).read_text("utf-8")

    def edit(self, relative: str, old: str, new: str) -> int:
        """Replace the first `old` by `new`; return the line where `new` starts."""
        text = self.text(relative)
        assert old in text, (relative, old)
        at = text.index(old)
        self.path(relative).write_text(text[:at] + new + text[at + len(old):], "utf-8")
        return text[:at].count("\n") + 1

    def write(self, relative: str, data: str | bytes) -> Path:
        path = self.catalog / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, "utf-8")
        return path

    def env(self) -> dict[str, str]:
        home = self.tmp / "home"
        return {
            "PYTHONPATH": str(REPO),
            "PATH": "/usr/bin:/bin",
            "COLUMNS": "300",
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "TMPDIR": str(self.tmp),
            "PYTHONDONTWRITEBYTECODE": "1",
            "NO_MKDOCS_2_WARNING": "1",
        }

    def run(self, *args: str, timeout: float = 60, module: str = "survey") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                              cwd=self.tmp, env=self.env(), timeout=timeout, stdin=subprocess.DEVNULL)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under `root` except caches and the fake home: its type and content."""
    found: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".cache", "home")]
        for name in dirs + files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                found[relative] = ("file", hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(info.st_mode))
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("dir",)
            else:
                found[relative] = ("other", stat.S_IFMT(info.st_mode))
    return found


def field_error(relative: str, line: int, field_name: str, expected: str, found: str = ".+") -> str:
    """`catalog/<relative>:<line>:<col>: <field>: ...expected <expected>..., found <found>`."""
    return rf"catalog/{re.escape(relative)}:{line}:\d+: {field_name}: .*expected .*{expected}.*found {found}"


def a_file(w: World) -> Path:
    """A plain file where a command line wants a folder."""
    path = w.tmp / "a-file"
    path.write_text("not a folder\n")
    return path


class Corpus(dict):
    """Cases by name: `corpus.case(name)` registers a function World -> Expect."""

    def case(self, name: str):
        def register(build: Callable[[World], Expect]) -> Callable[[World], Expect]:
            assert name not in self, name
            self[name] = build
            return build
        return register


def run_case(w: World, expect: Expect) -> subprocess.CompletedProcess:
    """Run the case's command line in `w` and assert everything a user must get from it."""
    before = snapshot(w.tmp)
    result = w.run(*expect.args, timeout=expect.timeout, module=expect.module)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == expect.code, output
    for pattern in expect.says:
        assert re.search(pattern, output), f"{pattern!r} not in:\n{output}"
    after = snapshot(w.tmp)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    allowed = {p for p in changed if any(p == c or p.startswith(c + "/") for c in expect.changes)}
    assert changed - allowed == set(), f"changed: {sorted(changed - allowed)}"
    leftovers = [p for p in w.tmp.rglob("*") if p.name.endswith((".tmp", ".part")) or ".tmp." in p.name]
    assert leftovers == [], leftovers
    assert not (w.tmp / PWNED).exists(), "the input ran a command"
    if expect.check:
        expect.check(w, result)
    return result


@pytest.fixture(scope="module")
def repo_state():
    """Asserts that no case changed the repository's own catalog or code."""
    def state() -> str:
        return subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "catalog", "survey"],
                              cwd=REPO, capture_output=True, text=True).stdout
    before = state()
    yield
    assert state() == before, "a hostile input changed the repository itself"
