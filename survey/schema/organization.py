"""Organizations: companies, labs, universities, communities and individual authors."""

from __future__ import annotations

from typing import Literal

from survey.schema.common import Card, Links

OrganizationType = Literal["company", "university", "research-lab", "community", "individual", "government"]


class Organization(Card):
    KIND = "organization"
    FOLDER = "organizations"

    type: OrganizationType
    country: str | None = None
    links: Links = Links()
