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
