"""When each card last changed: the date of the newest commit touching its file, from one `git log` call
for the whole catalog (one call per file would cost seconds at a thousand cards)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def last_changed(root: Path) -> dict[Path, str]:
    """{file path (under the resolved root): YYYY-MM-DD} for every file under `root` that git has a commit for.

    Empty when `root` is not in a git work tree or git is missing; files never committed are absent."""
    root = root.resolve()
    try:
        run = subprocess.run(
            # --no-show-signature: a repository's own config (log.showSignature with gpg.program) would
            # otherwise have git run a program of its choosing for every signed commit.
            ["git", "-C", str(root), "log", "--no-show-signature", "--format=%x00%cs", "--name-only", "--relative", "--no-renames", "--", "."],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
    except OSError:
        return {}
    if run.returncode != 0:
        return {}
    dates: dict[Path, str] = {}
    date = ""
    for line in run.stdout.splitlines():
        if line.startswith("\0"):
            date = line[1:]
        elif line and date:
            dates.setdefault(root / line, date)  # newest commit first
    return dates
