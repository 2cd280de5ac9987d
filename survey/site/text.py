"""Turning card text into something safe to put in a generated page.

Card text is untrusted: it is escaped completely, and only a small Markdown
subset is let through, rebuilt by this module: `**strong**`, `*em*`,
`` `code` ``, links to http(s) addresses, and (in blocks) paragraphs and
bullet lists. Everything else, HTML tags included, shows as the characters
that were typed. Images are not rendered (they would fetch from elsewhere).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import quote

# Characters Markdown (or the attr_list, footnote and table extensions) could act on.
# `?` too: "??? note" at the start of a line opens a pymdownx.details block.
_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|<>~^:=\"'$?"}
_SPECIAL["&"] = "&amp;"
_ESCAPE = re.compile("[" + re.escape("".join(_SPECIAL)) + "]")

_URL_OK = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)

# Inline constructs of the subset, tried left to right.
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<link>\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\))"
    r"|(?P<strong>\*\*(?P<strong_text>[^*\n]+)\*\*)"
    r"|(?P<em>(?<![\w*])\*(?P<em_text>[^*\s][^*\n]*?)\*(?![\w*]))"
)

Linker = Callable[[str], str]
"""Turns a plain-text run into Markdown (escaping it, maybe linking terms)."""


def md_escape(text: str) -> str:
    """Plain text as Markdown that renders as exactly these characters, on one line."""
    flat = re.sub(r"\s+", " ", str(text))
    return _ESCAPE.sub(lambda m: _SPECIAL[m.group()], flat)


def html_escape(text: str) -> str:
    return html.escape(str(text), quote=True)


def safe_url(url: str | None) -> str | None:
    """An http(s) address made safe to place in a Markdown link or an attribute; None if not http(s)."""
    if not url or not _URL_OK.match(url.strip()):
        return None
    return quote(url.strip(), safe="/:?#[]@!$&*+,;=%~-._")


def md_link(label_md: str, url: str) -> str:
    return f"[{label_md}]({url})"


def inline(text: str, linker: Linker | None = None) -> str:
    """One run of card text (joined onto one line) as safe Markdown."""
    plain = linker or md_escape
    flat = " ".join(str(text).split())
    out: list[str] = []
    pos = 0
    for match in _INLINE.finditer(flat):
        out.append(plain(flat[pos : match.start()]))
        pos = match.end()
        if match.group("code"):
            out.append(f"<code>{md_escape(match.group('code')[1:-1])}</code>")
        elif match.group("link"):
            url = safe_url(match.group("url"))
            label = md_escape(match.group("label"))
            out.append(md_link(label, url) if url else label)
        elif match.group("strong"):
            out.append(f"<strong>{plain(match.group('strong_text'))}</strong>")
        else:
            out.append(f"<em>{plain(match.group('em_text'))}</em>")
    out.append(plain(flat[pos:]))
    # "2023. Something" at the start of a line would begin an ordered list.
    return re.sub(r"^(\d+)\.", r"\1&#46;", "".join(out))


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")


def block(text: str, linker: Linker | None = None) -> str:
    """Longer card text: paragraphs and bullet lists, each run through `inline`."""
    paragraphs = re.split(r"\n\s*\n", str(text).strip())
    out: list[str] = []
    for paragraph in paragraphs:
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if lines and all(_BULLET.match(line) for line in lines):
            out.append("\n".join(f"- {inline(_BULLET.match(line).group(1), linker)}" for line in lines))
        else:
            out.append(inline(" ".join(lines), linker))
    return "\n\n".join(p for p in out if p)


class TermLinker:
    """Links the first mention on a page of each concept term to the concept's page."""

    def __init__(self, terms: dict[str, str], link_for: Callable[[str], str | None]) -> None:
        # Longest terms first so "scaling laws" wins over "scaling".
        self.terms = dict(sorted(terms.items(), key=lambda item: (-len(item[0]), item[0])))
        self.link_for = link_for
        self.done: set[str] = set()
        self._pattern = self._compile()

    def _compile(self) -> re.Pattern[str] | None:
        if not self.terms:
            return None
        parts = []
        for term in self.terms:
            body = re.escape(term)
            if term[:1].isascii() and term[:1].isalnum():
                body = r"(?<![A-Za-z0-9])" + body
            if term[-1:].isascii() and term[-1:].isalnum():
                body = body + r"(?![A-Za-z0-9])"
            if term not in (term.lower(), term.upper()):  # "ZeRO", "LoRA": the casing is the name ("zero-shot" is not ZeRO)
                body = f"(?-i:{body})"
            parts.append(body)
        return re.compile("|".join(parts), re.IGNORECASE)

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return md_escape(text)
        out: list[str] = []
        pos = 0
        for match in self._pattern.finditer(text):
            concept = self._concept(match.group())
            if concept is None or concept in self.done:
                continue
            target = self.link_for(concept)
            if target is None:
                continue
            self.done.add(concept)
            out.append(md_escape(text[pos : match.start()]))
            out.append(md_link(md_escape(match.group()), target))
            pos = match.end()
        out.append(md_escape(text[pos:]))
        return "".join(out)

    def _concept(self, found: str) -> str | None:
        lowered = found.lower()
        for term, concept in self.terms.items():
            if term.lower() == lowered:
                return concept
        return None


def plain(text: str) -> str:
    """Card text with the subset's markup taken off, on one line (for meta descriptions)."""
    flat = " ".join(str(text).split())

    def strip(match: re.Match[str]) -> str:
        if match.group("code"):
            return match.group("code")[1:-1]
        if match.group("link"):
            return match.group("label")
        return match.group("strong_text") or match.group("em_text")

    return _INLINE.sub(strip, flat)


def fenced(code: str, language: str = "text", indent: str = "", css: str | None = None) -> str:
    """A fenced code block (pymdownx.superfences) holding `code` verbatim: the highlighter escapes it, and the
    fence is longer than any run of backticks inside, so nothing in `code` can close it early. `css` is an
    extra class on the block."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    opening = f"{fence} {{ .{language} .{css} }}" if css else f"{fence}{language}"
    lines = [opening, *code.splitlines(), fence]
    return "\n".join(indent + line if line else line for line in lines)
