"""Projects: what the survey lists as one entry (FastChat, OpenChatKit, MOSS…).

A project releases one or more models; each model card names its project, so
the project's model list is derived, never written twice.
"""

from __future__ import annotations

from survey.schema.common import Card, Dated, Links, Ref


class Project(Card):
    KIND = "project"
    FOLDER = "projects"

    organizations: list[Ref("organization")]
    released: Dated
    links: Links
    frameworks: list[Ref("framework")] = []
