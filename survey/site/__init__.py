"""The survey site: the catalog rendered into Markdown under docs/generated/<lang>/, built by mkdocs.

`python -m survey.site generate|build|serve`. One module per concern: `text` (escaping), `page`
(links, footnotes, values), `cards` (a page per card), `compare`, `charts`, `tree`, `health`,
`home`, and `render` (everything, written to disk).
"""
