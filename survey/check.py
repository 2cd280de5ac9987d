"""`survey check` over a catalog folder, remembering the results of unchanged files.

A file's result (its load and card-rule diagnostics, and the facts the cross
rules need) is kept in `.cache/survey/` beside the catalog, keyed by the
file's modification time and size and by the code of this package; a later
check re-reads only the files that changed, then runs the cross rules over
every card's facts.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from survey.diagnostics import Diagnostic
from survey.facts import CardFacts, facts_of
from survey.loader import load_file
from survey.positions import place
from survey.rules import card_diagnostics, cross_diagnostics
from survey.walk import fields

CACHE_FOLDER = Path(".cache") / "survey"


@dataclass(frozen=True)
class FileResult:
    stamp: tuple[int, int, int]
    facts: CardFacts | None
    diagnostics: tuple[Diagnostic, ...]


def code_version() -> str:
    """A digest of this package's source: any change to the schema or the rules voids the cache."""
    digest = hashlib.blake2b(digest_size=8)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        if "site" in path.relative_to(package).parts:
            continue
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size, status.st_ino


def check_files(root: Path, files: list[Path], *, use_cache: bool = True) -> list[Diagnostic]:
    """Every diagnostic of `files` (all the cards of the catalog at `root`), placed at its line."""
    cache_path = root.resolve().parent / CACHE_FOLDER / f"check-{code_version()}.pickle"
    previous = _read(cache_path) if use_cache else {}
    results: dict[Path, FileResult] = {}
    for path in files:
        key = path.resolve()
        stamp = _stamp(path)
        cached = previous.get(key)
        if cached is not None and cached.stamp == stamp:
            results[key] = cached
            continue
        card, problems = load_file(path)
        facts = None
        if card is not None:
            walked = list(fields(card))
            problems = problems + place(card_diagnostics(card, path, walked))
            facts = facts_of(card, path, walked)
        results[key] = FileResult(stamp, facts, tuple(problems))
    cross = place(cross_diagnostics(result.facts for result in results.values() if result.facts is not None))
    if use_cache and results != previous:
        _write(cache_path, results)
    return [d for result in results.values() for d in result.diagnostics] + cross


def _read(path: Path) -> dict[Path, FileResult]:
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)  # noqa: S301 - our own cache file, written below
        return data if isinstance(data, dict) else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return {}


def _write(path: Path, results: dict[Path, FileResult]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob("check-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(results, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a read-only checkout still checks, only without a cache
