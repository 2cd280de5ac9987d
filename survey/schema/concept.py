"""Concepts: the survey's glossary of terms and observed phenomena."""

from __future__ import annotations

from pydantic import Field

from survey.schema.common import Card, Links, Localized, Ref


class Concept(Card):
    KIND = "concept"
    FOLDER = "concepts"

    details: Localized | None = Field(default=None, description="A longer explanation, in Markdown.")
    related: list[Ref("concept")] = []
    links: Links = Links()
    terms: list[str] = Field(default=[], description="Words in running text that should link to this concept.")
