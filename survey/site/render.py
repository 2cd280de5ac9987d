"""The whole site as files: `pages(catalog, lang)` -> {relative path: content}, and writing them.

Output is deterministic: the same catalog and git history give byte-identical files (the only
dates shown are each card's last commit, no ordering is taken from the file system). Writing touches only files whose
content changed, so `mkdocs serve` reloads just what a card edit affected.

The output folder is generate's own (`Output`): a new or empty folder, or one holding `MANIFEST`, the list
of every file generate wrote there with its SHA-256. Generate replaces only files the manifest names (or
that already hold what it would write) and removes only files it names whose content is still what
generate wrote; everything else in the folder is left as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from survey import export, schemas
from survey.diagnostics import Diagnostic
from survey.files import Unreadable, claim, kind_of, read_regular, refusal as folder_refusal, shown, stamp, write_atomically
from survey.loader import Catalog, load_catalog
from survey.positions import place
from survey.rules import run_all
from survey.schema import KINDS
from survey.site import cards, charts, compare, health, history, home, search, tree
from survey.site.lang import LANGS
from survey.site.page import KIND_ORDER, Site, heading, kind_index, kinds

ASSETS = Path(__file__).parent / "assets"
THEME = Path(__file__).parent / "theme"  # Material template overrides (theme.custom_dir in mkdocs.yml)
OUT = Path("docs/generated")
# jieba's user dictionary for the search index, next to the two languages' pages (see mkdocs.yml).
SEARCH_WORDS = "search-words.txt"
MANIFEST = ".survey-generated.json"  # in the output folder, beside the pages (mkdocs skips dotfiles)
MAX_FILE = 2**26  # 64 MiB: no generated file comes near; a bigger one in the folder is not ours to read
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def pages(
    catalog: Catalog, lang: str, schema_dir: Path | None = None, updated: dict[Path, str] | None = None
) -> dict[str, str | bytes]:
    """`updated`: each card file's last commit date (`history.last_changed`), shown on its page."""
    site = Site(catalog, lang, updated=updated or {})
    # The schemas as the code defines them (what `survey schema` writes and `--check` compares), not the
    # folder's files: whatever else lies there (a link to a secret, a FIFO) is never read or published.
    named = {schemas.schema_path(Path(), kind).name: kind for kind in KINDS} if schema_dir and schema_dir.is_dir() else {}
    files: dict[str, str | bytes] = {}

    def add(item: tuple[str, str]) -> None:
        files[item[0]] = item[1]

    add(home.home(site))
    add(compare.render(site))
    files[compare.DATA] = compare.side_by_side_data(site)
    add(charts.render(site))
    add(tree.render(site))
    add(health.render(site))
    add(home.contributing(site))
    add(home.downloads(site, sorted(named)))
    add(home.catalog_page(site))
    for kind in kinds(catalog):
        add(home.kind_page(site, kind))
        for card in site.sorted_cards(kind):
            add(cards.render_card(site, card))
    for kind in KIND_ORDER:
        if not catalog.of(kind):  # keep the nav's links valid while a kind has no cards yet
            path = kind_index(catalog, kind)
            empty = "目录中还没有这类卡片。" if lang == "zh" else "The catalog has no cards of this kind yet."
            files.setdefault(path, f"{heading(1, site.word('kind.' + kind), path.split('/')[0])}\n\n{empty}\n")
    files["downloads/catalog.json"] = export.catalog_json(catalog)
    files["downloads/models.csv"] = export.models_csv(catalog)
    for name in sorted(named):
        files[f"downloads/schema/{name}"] = schemas.rendered(named[name])
    for asset in sorted(ASSETS.iterdir()):
        if asset.is_file():
            files[f"assets/{asset.name}"] = asset.read_bytes()
    return files


class Refused(Exception):
    """An output folder or file generate may not write, and why (a sentence for the user)."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(relative: object) -> bool:
    """A manifest entry generate could have written: a relative path inside the folder, nothing else."""
    if not isinstance(relative, str) or not relative:
        return False
    path = PurePosixPath(relative)
    return not path.is_absolute() and path.as_posix() == relative and ".." not in path.parts


def refusal(out: Path, option: str = "--out") -> str | None:
    """Why generate may not write into `out`, or None; looks without writing (see `files.refusal`)."""
    return folder_refusal(out, option, MANIFEST, "generate")


class Output:
    """A folder generate writes into, and the manifest of what it wrote there (see the module's docstring)."""

    def __init__(self, out: Path, option: str = "--out") -> None:
        problem = claim(out, option, MANIFEST, "generate", lambda folder: self._manifest({}, folder))
        if problem:
            raise Refused(problem)
        self.out = out
        self.stamp = stamp(out)
        self.owned = self._read_manifest()
        self.kept: list[Path] = []  # files generate made and no longer makes, left because they were changed since

    def write(self, files: dict[str, str | bytes]) -> list[Path]:
        """Make the folder hold `files`; return the paths written or removed. Raises Refused (before writing
        anything) when a file in the way is not generate's, OSError when the folder cannot be written."""
        data = {relative: content.encode("utf-8") if isinstance(content, str) else content for relative, content in files.items()}
        for relative in sorted(data):
            self._check(relative, data[relative])
        # Named in the manifest before they are written, so a generate killed halfway still knows its files.
        self._save({r: self.owned.get(r, set()) | ({_digest(data[r])} if r in data else set()) for r in set(self.owned) | set(data)})
        changed = [self.out / r for r in sorted(data) if self._put(r, data[r])]
        changed += [self.out / r for r in sorted(set(self.owned) - set(data), reverse=True) if self._remove(r)]
        self.owned = {r: {_digest(d)} for r, d in data.items()}
        self._save(self.owned)
        return changed

    def _read_manifest(self) -> dict[str, set[str]]:
        path = self.out / MANIFEST
        try:
            files = json.loads(read_regular(path, MAX_FILE))["files"]
            if not isinstance(files, dict):
                raise TypeError
        except (Unreadable, ValueError, KeyError, TypeError) as exc:
            found = str(exc) if isinstance(exc, Unreadable) else "something else (damaged or not generate's)"
            raise Refused(f"{shown(path)}: expected the list of files generate wrote, found {found};"
                          f" not touching {shown(self.out)} (remove it yourself, or choose another --out)") from None
        return {r: {d for d in digests if isinstance(d, str) and _DIGEST.match(d)}
                for r, digests in files.items() if _plain(r) and isinstance(digests, list)}

    @staticmethod
    def _manifest(owned: dict[str, set[str]], folder: str) -> str:
        """{"made by": …, "in": <the folder's stamp>, "files": {path: [SHA-256, …]}}, a file to a line."""
        lines = [f"  {json.dumps(r, ensure_ascii=False)}: {json.dumps(sorted(d))}" for r, d in sorted(owned.items())]
        head = json.dumps({"made by": "python -m survey.site generate", "in": folder})[1:-1]
        return "{" + head + ',\n "files": {\n' + ",\n".join(lines) + "\n }\n}\n"

    def _save(self, owned: dict[str, set[str]]) -> None:
        write_atomically(self.out / MANIFEST, self._manifest(owned, self.stamp))

    def _in_the_way(self, relative: str) -> str | None:
        """Why a folder on the way to `relative` cannot be written through (a link, a file), or None."""
        folder = self.out
        for part in PurePosixPath(relative).parts[:-1]:
            folder = folder / part
            if os.path.islink(folder):
                return f"{shown(folder)}: expected a folder generate made, found a link (to {os.readlink(folder)}); not writing through it"
            if os.path.lexists(folder) and not folder.is_dir():
                mode = os.lstat(folder).st_mode
                return f"{shown(folder)}: expected a folder for the generated pages, found {'a file' if stat.S_ISREG(mode) else kind_of(mode)}"
        return None

    def _check(self, relative: str, data: bytes) -> None:
        path = self.out / relative
        problem = self._in_the_way(relative)
        if problem is None and os.path.lexists(path):
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                problem = f"{shown(path)}: expected a file generate wrote, found a link (to {os.readlink(path)}); not replacing it"
            elif not stat.S_ISREG(mode):
                problem = f"{shown(path)}: expected a file generate wrote, found {kind_of(mode)}; not replacing it"
            elif relative not in self.owned and self._content(path) != data:
                problem = f"{shown(path)}: not written by generate; not replacing it (move it away, or choose another --out)"
        if problem:
            raise Refused(problem)

    @staticmethod
    def _content(path: Path) -> bytes | None:
        try:
            return read_regular(path, MAX_FILE)
        except Unreadable:
            return None

    def _put(self, relative: str, data: bytes) -> bool:
        path = self.out / relative
        if path.is_file() and path.stat().st_size == len(data) and self._content(path) == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
        return True

    def _remove(self, relative: str) -> bool:
        """Remove a file generate no longer makes, if it is still what generate wrote; drop empty folders."""
        path = self.out / relative
        if self._in_the_way(relative) or not os.path.lexists(path) or not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        content = self._content(path)
        if content is None or _digest(content) not in self.owned[relative]:
            self.kept.append(path)
            return False
        path.unlink()
        for folder in path.parents:
            if folder == self.out or not folder.is_relative_to(self.out):
                break
            try:
                folder.rmdir()
            except OSError:  # not empty: another file is still there
                break
        return True


def write(out: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write `files` under `out` (see `Output`), leaving unchanged files alone and removing files no longer generated."""
    return Output(out).write(files)


@dataclass
class Generated:
    changed: list[Path]  # files written or removed
    problems: list[Diagnostic]  # of the catalog: cards left out (errors), cross-card errors, warnings
    left_out: list[Path]  # card files not rendered: they could not be read as valid cards
    kept: list[Path] = field(default_factory=list)  # see Output.kept


def generate(root: Path = Path("catalog"), out: Path = OUT) -> Generated:
    """Load and check the catalog and write both languages, and the search dictionary beside them (outside
    the pages, so it is not published)."""
    output = Output(out)
    catalog, problems = load_catalog(root)
    rendered = {entry.path for kind in catalog.cards.values() for entry in kind.values()}
    left_out = sorted({d.path for d in problems if d.severity == "error" and d.path not in rendered})
    problems = sorted(problems + place(run_all(catalog)))  # the loader's own are placed already
    updated = history.last_changed(root)
    files: dict[str, str | bytes] = {}
    for lang in LANGS:
        files.update({f"{lang}/{path}": content for path, content in pages(catalog, lang, root / "schema", updated).items()})
    files[SEARCH_WORDS] = search.dictionary(catalog)
    return Generated(output.write(files), problems, left_out, output.kept)
