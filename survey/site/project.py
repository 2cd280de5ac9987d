"""Where the survey lives: its repository and its published site, named once for the whole renderer.

mkdocs.yml, mkdocs.en.yml and CITATION.cff repeat these addresses (YAML cannot import them);
tests/test_site_share.py checks that they agree with this module.
"""

from __future__ import annotations

from urllib.parse import quote

REPOSITORY = "https://github.com/small-alpaca/survey"
BRANCH = "main"
# GitHub Pages address of the repository above (.github/workflows/site.yml publishes there).
SITE_URL = "https://small-alpaca.github.io/survey/"
SITE_ROOTS = {"zh": SITE_URL, "en": SITE_URL + "en/"}


def edit_url(path: str) -> str:
    """GitHub's editor for a file of the repository (`catalog/models/alpaca.yaml`)."""
    return f"{REPOSITORY}/edit/{BRANCH}/{quote(path)}"


def file_url(path: str) -> str:
    return f"{REPOSITORY}/blob/{BRANCH}/{quote(path)}"


def new_file_url(folder: str) -> str:
    """GitHub's "add a file" page for a folder; it offers to fork and open a pull request."""
    return f"{REPOSITORY}/new/{BRANCH}/{quote(folder)}"
