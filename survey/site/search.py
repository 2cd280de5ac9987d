"""What the search index needs from the catalog: jieba's user dictionary.

Material's search plugin cuts Chinese text into words with jieba before indexing it, and jieba's general
dictionary splits names it has never seen ("小羊驼" into 小羊 + 驼, so a search for 小羊驼 finds nothing).
Every run of Chinese characters in a card's names and aliases goes into the dictionary, and jieba then
keeps each as one word (a word listed without a frequency gets one high enough to be cut out whole).
"""

from __future__ import annotations

import re

from survey.loader import Catalog

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def names(catalog: Catalog) -> set[str]:
    found: set[str] = set()
    for entry in catalog.entries():
        card = entry.card
        texts = [card.name.zh, card.name.en or "", *card.aliases, *getattr(card, "terms", [])]
        for text in texts:
            found.update(_HAN.findall(text))
    return found


def dictionary(catalog: Catalog) -> str:
    """jieba's user dictionary format: one word a line."""
    return "".join(f"{word}\n" for word in sorted(names(catalog)))
