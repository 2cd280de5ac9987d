"""The card kinds of the catalog. Each kind lives in `catalog/<FOLDER>/<id>.yaml`."""

from survey.schema.common import Card
from survey.schema.concept import Concept
from survey.schema.dataset import Dataset
from survey.schema.evaluation import Evaluation
from survey.schema.experiment import Experiment
from survey.schema.framework import Framework
from survey.schema.model import Model
from survey.schema.organization import Organization
from survey.schema.project import Project
from survey.schema.recipe import Recipe
from survey.schema.reproduction import Reproduction

CARD_TYPES: tuple[type[Card], ...] = (
    Organization,
    Project,
    Model,
    Dataset,
    Framework,
    Evaluation,
    Experiment,
    Concept,
    Recipe,
    Reproduction,
)
KINDS: dict[str, type[Card]] = {card.KIND: card for card in CARD_TYPES}
FOLDERS: dict[str, type[Card]] = {card.FOLDER: card for card in CARD_TYPES}

__all__ = ["CARD_TYPES", "FOLDERS", "KINDS", "Card"]
