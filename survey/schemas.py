"""JSON Schema of every card kind, generated from the pydantic classes, for editors and the site."""

from __future__ import annotations

import json
from pathlib import Path

from survey.schema import KINDS

FOLDER = "schema"


def schema_of(kind: str) -> dict:
    schema = KINDS[kind].model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"{kind} card"
    return schema


def rendered(kind: str) -> str:
    return json.dumps(schema_of(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_path(catalog_root: Path, kind: str) -> Path:
    return catalog_root / FOLDER / f"{kind}.schema.json"


def write_all(catalog_root: Path) -> list[Path]:
    """Write each kind's schema; return the files whose content changed."""
    from survey.fmt import write_atomically

    changed = []
    for kind in KINDS:
        path = schema_path(catalog_root, kind)
        text = rendered(kind)
        if not path.is_file() or path.read_text("utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, text)
            changed.append(path)
    return changed
