"""Commented starting points for `python -m survey new KIND ID`."""

from __future__ import annotations

from importlib.resources import files

from survey.fmt import SCHEMA_LINE


def template(kind: str, card_id: str) -> str:
    body = files("survey").joinpath("card_templates", f"{kind}.yaml").read_text("utf-8")
    return SCHEMA_LINE.format(kind=kind) + "\n" + body.replace("{id}", card_id)
