"""`survey check` over a catalog folder, remembering the results of unchanged files.

A file's result (its load and card-rule diagnostics, and the facts the cross rules need) is kept in
`.cache/survey/check.json` beside the catalog, keyed by a digest of the file's bytes (never by its
modification time: an edit that keeps the size and restores the time is still an edit) and by the
code of this package; a later check re-reads every file but parses only the ones whose bytes
changed, then runs the cross rules over every card's facts.

The cache is data, never code: JSON, validated field by field when read. It is also signed with a
key kept in the user's own cache folder (`$XDG_CACHE_HOME/survey/key`), so a cache file that came
with a pull request or from another user's run is not trusted: a damaged, foreign or planted file
is ignored and replaced. Without a usable key or a writable folder the check runs uncached.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from survey.diagnostics import Diagnostic
from survey.facts import CardFacts, facts_of
from survey.files import Unreadable, read_regular, user_secret, write_atomically
from survey.loader import MAX_CARD_BYTES, read_card
from survey.positions import place
from survey.rules import card_diagnostics, cross_diagnostics
from survey.walk import fields

CACHE_FOLDER = Path(".cache") / "survey"
CACHE_NAME = "check.json"
MAX_CACHE_BYTES = 256 * 2**20


@dataclass(frozen=True)
class FileResult:
    digest: str  # blake2b of the file's bytes; "" for a file that could not be read
    facts: CardFacts | None
    diagnostics: tuple[Diagnostic, ...]


_RESULTS = TypeAdapter(dict[str, FileResult])


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


def check_files(root: Path, files: list[Path], *, use_cache: bool = True) -> list[Diagnostic]:
    """Every diagnostic of `files` (all the cards of the catalog at `root`), placed at its line."""
    cache_path = root.resolve().parent / CACHE_FOLDER / CACHE_NAME
    key = user_secret() if use_cache else None
    previous = _read(cache_path, key) if key else {}
    results: dict[str, FileResult] = {}
    for path in files:
        name = str(path)  # the command line passes absolute paths, folders resolved (`files.placed`)
        try:
            raw = read_regular(path, MAX_CARD_BYTES)
        except Unreadable:
            raw = None  # read_card says why, and is never cached
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest() if raw is not None else ""
        cached = previous.get(name)
        if raw is not None and cached is not None and cached.digest == digest:
            results[name] = cached
            continue
        card, _text, problems = read_card(path, raw=raw)
        facts = None
        if card is not None:
            walked = list(fields(card))
            problems = problems + place(card_diagnostics(card, path, walked))
            facts = facts_of(card, path, walked)
        results[name] = FileResult(digest, facts, tuple(problems))
    cross = place(cross_diagnostics(result.facts for result in results.values() if result.facts is not None))
    if key and results != previous:
        _write(cache_path, key, {name: result for name, result in results.items() if result.digest and _encodable(name)})
    return [d for result in results.values() for d in result.diagnostics] + cross


def _encodable(name: str) -> bool:
    """Whether a file name is text JSON can hold (a name of non-UTF-8 bytes is never cached)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _signature(key: bytes, body: bytes) -> str:
    return hmac.new(key, code_version().encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _read(path: Path, key: bytes) -> dict[str, FileResult]:
    """The cached results, or nothing when the file is missing, damaged, foreign or stale."""
    try:
        signature, _, body = read_regular(path, MAX_CACHE_BYTES).partition(b"\n")
    except Unreadable:
        return {}
    if not hmac.compare_digest(signature, _signature(key, body).encode()):
        return {}
    try:
        return _RESULTS.validate_json(body)
    except ValidationError:
        return {}


def _write(path: Path, key: bytes, results: dict[str, FileResult]) -> None:
    body = _RESULTS.dump_json(results)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, _signature(key, body).encode() + b"\n" + body)
    except OSError:
        pass  # a read-only checkout still checks, only without a cache
