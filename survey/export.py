"""The whole catalog as one JSON file, and the model table as CSV."""

from __future__ import annotations

import csv
import io
import json

from survey.convert import to_export
from survey.loader import Catalog
from survey.schema.common import Hardware, Measure
from survey.schema.model import Model

CSV_COLUMNS = (
    "id",
    "name_zh",
    "name_en",
    "project",
    "organizations",
    "released",
    "open_code",
    "open_data",
    "open_weights",
    "parameters",
    "training_data",
    "hardware",
    "training_time",
    "cost",
    "base_models",
    "license",
    "languages",
    "repository",
)


def catalog_json(catalog: Catalog) -> str:
    data = {kind: [to_export(catalog.get(kind, card_id)) for card_id in sorted(cards)] for kind, cards in sorted(catalog.cards.items())}
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def measure_text(measure: Measure | None) -> str:
    """Plain text of a quantity for a table cell: "1400000000000 tokens", "~3 hours", "unknown"."""
    if measure is None:
        return ""
    if measure.unknown:
        return "unknown"
    number = f"{measure.value}" if measure.value is not None else f"{measure.min}-{measure.max}"
    unit = "" if measure.unit in (None, "parameters") else f" {measure.unit}"
    return f"{'~' if measure.approx else ''}{number}{unit}"


def hardware_text(hardware: Hardware) -> str:
    if hardware.unknown:
        return "unknown"
    return f"{hardware.count}x{hardware.type}" if hardware.count else hardware.type


def model_row(model: Model) -> dict[str, str]:
    training = model.training
    hardware = training.hardware
    return {
        "id": model.id,
        "name_zh": model.name.zh,
        "name_en": model.name.en,
        "project": model.project or "",
        "organizations": ";".join(model.organizations),
        "released": model.released.date,
        "open_code": model.open.code.status,
        "open_data": model.open.data.status,
        "open_weights": model.open.weights.status,
        "parameters": ";".join(measure_text(size.parameters) for size in model.sizes),
        "training_data": ";".join(measure_text(d) for d in training.data),
        "hardware": hardware_text(hardware),
        "training_time": measure_text(training.time),
        "cost": measure_text(training.cost),
        "base_models": ";".join(link.model for link in model.lineage),
        "license": model.license.id,
        "languages": ";".join(model.languages),
        "repository": model.links.repository or "",
    }


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP, "CSV
# Injection"; ASVS 1.2.10 adds NUL). A leading single quote makes the spreadsheet show the cell as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def spreadsheet_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def models_csv(catalog: Catalog) -> str:
    """The model table, every cell safe to open in a spreadsheet (see `spreadsheet_safe`)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for model in sorted(catalog.of("model"), key=lambda m: m.id):
        writer.writerow({column: spreadsheet_safe(cell) for column, cell in model_row(model).items()})
    return out.getvalue()
