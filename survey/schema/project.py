"""Projects: what the survey lists as one entry (FastChat, OpenChatKit, MOSS…).

A project releases one or more models; each model card names its project, so
the project's model list is derived, never written twice. A project the survey
tabulates without releasing a model (DeepSpeed-Chat, Open-Assistant's row) keeps
the survey's openness cells itself.
"""

from __future__ import annotations

from pydantic import Field

from survey.schema.common import Card, Dated, Links, Ref
from survey.schema.model import Openness3


class Project(Card):
    KIND = "project"
    FOLDER = "projects"

    organizations: list[Ref("organization")]
    released: Dated
    links: Links
    frameworks: list[Ref("framework")] = []
    open: Openness3 | None = Field(default=None, description="The survey's openness cells for a row that no model card "
                                   "carries; a project's models carry their own.")
