"""The whole site as files: `pages(catalog, lang)` -> {relative path: content}, and writing them.

Output is deterministic: the same catalog and git history give byte-identical files (the only
dates shown are each card's last commit, no ordering is taken from the file system). Writing touches only files whose
content changed, so `mkdocs serve` reloads just what a card edit affected.
"""

from __future__ import annotations

from pathlib import Path

from survey import export
from survey.loader import Catalog, load_catalog
from survey.site import cards, charts, compare, health, history, home, search, tree
from survey.site.lang import LANGS
from survey.site.page import KIND_ORDER, Site, heading, kind_index, kinds

ASSETS = Path(__file__).parent / "assets"
THEME = Path(__file__).parent / "theme"  # Material template overrides (theme.custom_dir in mkdocs.yml)
OUT = Path("docs/generated")
# jieba's user dictionary for the search index, next to the two languages' pages (see mkdocs.yml).
SEARCH_WORDS = "search-words.txt"


def pages(
    catalog: Catalog, lang: str, schema_dir: Path | None = None, updated: dict[Path, str] | None = None
) -> dict[str, str | bytes]:
    """`updated`: each card file's last commit date (`history.last_changed`), shown on its page."""
    site = Site(catalog, lang, updated=updated or {})
    schema_files = sorted(schema_dir.glob("*.json")) if schema_dir and schema_dir.is_dir() else []
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
    add(home.downloads(site, [p.name for p in schema_files]))
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
    for path in schema_files:
        files[f"downloads/schema/{path.name}"] = path.read_bytes()
    for asset in sorted(ASSETS.iterdir()):
        if asset.is_file():
            files[f"assets/{asset.name}"] = asset.read_bytes()
    return files


def write(out: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write `files` under `out`, leaving unchanged files alone and removing files no longer generated."""
    changed = []
    out.mkdir(parents=True, exist_ok=True)
    for relative, content in sorted(files.items()):
        if _write_if_changed(out / relative, content):
            changed.append(out / relative)
    wanted = {out / relative for relative in files}
    for path in sorted(out.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
            changed.append(path)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def _write_if_changed(path: Path, content: str | bytes) -> bool:
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def generate(root: Path = Path("catalog"), out: Path = OUT) -> tuple[list[Path], list]:
    """Load the catalog and write both languages, and the search dictionary beside them (outside the
    pages, so it is not published); returns changed files and the load problems."""
    catalog, problems = load_catalog(root)
    changed = []
    updated = history.last_changed(root)
    for lang in LANGS:
        changed += write(out / lang, pages(catalog, lang, root / "schema", updated))
    if _write_if_changed(out / SEARCH_WORDS, search.dictionary(catalog)):
        changed.append(out / SEARCH_WORDS)
    return changed, problems
