"""The one rule for text that reaches a reader: plain characters and http(s) links, never markup.

Every string of every card (values and mapping keys, in every field, known or not) passes
`problem(text)` before the card is validated. Card text reaches readers through the site (which
escapes it) and through the exports (`catalog.json`, `models.csv`), which carry it as it is, so the
rule is about the text itself, not about one renderer. A string is refused when it holds:

1. **HTML**, as an HTML parser reads it: `<` directly followed by a letter (or by `/` and a letter)
   opens a tag, `<!` and `<?` open comments and declarations. Each such `<` must begin a *token*:
   `<name>` or `</name>`, the name made of letters, digits, `_`, `.` and `-` with nothing else before
   the `>`, and not the name of an HTML element (in any case) other than `s`. So `<!-- -->`, `<?xml`,
   `<img src=x>`, `<a href=…>`, `<br/>`, `</s foo>`, `<b>`, `</div>`, `<script>` are refused, and so
   is an unclosed `<img src=x onerror=…` (the next `>` of a page that shows the string would close
   it), while `<|im_start|>`, `<|system|>`, `<s>`, `</s>`, `<eoh>`, `<reserved_106>`, `<0x0A>` and
   `a < b` pass. This holds inside Markdown code spans too: a backticked `<img src=x onerror=…>` is
   still HTML to whatever reads the exports.
2. **A link that is not http(s)**: the target of a Markdown link or image `[x](target)`, of a
   reference definition `[x]: target`, or an autolink `<scheme:…>`. Only `http://` and `https://`
   targets (and `#anchors`) are links; `javascript:`, `data:`, `vbscript:`, `file:`, relative paths
   and targets spelled with entities or odd case are refused.
3. **Control characters**: C0 and C1 controls other than tab and newline, and the Unicode bidi
   controls (U+202A–U+202E, U+2066–U+2069) that make text read differently from what it holds.
4. **More than `MAX_LENGTH` characters**.

Prose fields (`Text`: summaries, notes) are Markdown and add two rules of their own
(`prose_problem`): outside code spans no tag-like token at all (write `` `</s>` ``, since Markdown
would swallow a bare `</s>`) and no character references (`&lt;`, `&#60;`).
"""

from __future__ import annotations

import re

MAX_LENGTH = 10_000  # characters: 7x the longest string in the catalog; a longer one is not text to read

# Elements of the HTML living standard, the obsolete ones browsers still parse, and the foreign roots.
HTML_ELEMENTS = frozenset(
    """
    a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink
    blockquote body br button canvas caption center cite code col colgroup data datalist dd del details
    dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2
    h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins isindex kbd keygen label legend
    li link listing main map mark marquee math menu menuitem meta meter multicol nav nextid nobr
    noembed noframes noscript object ol optgroup option output p param picture plaintext portal pre
    progress q rb rp rt rtc ruby s samp script search section select slot small source spacer span
    strike strong style sub summary sup svg table tbody td template textarea tfoot th thead time title
    tr track tt u ul var video wbr xmp
    """.split()
)
TOKENS_LIKE_TAGS = frozenset({"s"})  # `<s>` / `</s>`: tokenizer markers, not strikethrough

_TAG_START = re.compile(r"</?[A-Za-z]")
_TOKEN = re.compile(r"</?([A-Za-z][A-Za-z0-9_.\-]*)>")
_DECLARATION = re.compile(r"<[!?][A-Za-z\-\[]")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}):[^\s<>]*>")
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]*)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S*?)>?(?:\s|$)", re.MULTILINE)
# An address as `Url` fields take it: the characters RFC 3986 lets one hold unencoded, less the
# quote, so nothing in it can end an HTML attribute or a Markdown link where a reader puts it.
URL = re.compile(r"^https?://[A-Za-z0-9\-._~%!$&()*+,;=:@\[\]][A-Za-z0-9\-._~%!$&()*+,;=:@\[\]/?#]*$", re.IGNORECASE)
_ANCHOR = re.compile(r"^#[\w\-.]*$")
# C0 and C1 controls (Unicode category Cc) but tab and newline, and the bidi embeddings and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANY_RULE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069<\\]]")  # where a rule could apply

# Prose only: what Markdown would read as raw HTML or a character reference.
_TAG_LIKE = re.compile(r"</?[A-Za-z][^>\s]*|<[!?]")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_CODE_SPAN = re.compile(r"`[^`]*`")


def problem(text: str) -> str | None:
    """What is wrong with `text` as reader-facing text ("expected …"), or None."""
    if len(text) <= MAX_LENGTH and not _ANY_RULE.search(text):
        return None  # no control character, tag, declaration or link: most strings, kept fast
    if len(text) > MAX_LENGTH:
        return f"expected text of at most {MAX_LENGTH} characters, found {len(text)}"
    if control := _CONTROL.search(text):
        return f"expected text without control characters, found U+{ord(control.group()):04X}"
    if _DECLARATION.search(text):
        return "expected text without HTML, found an HTML comment or declaration (<!…> or <?…>)"
    for start in _TAG_START.finditer(text):
        if _AUTOLINK.match(text, start.start()):
            continue  # a link, judged below
        token = _TOKEN.match(text, start.start())
        name = token.group(1).lower() if token else ""
        if token is None or (name in HTML_ELEMENTS and name not in TOKENS_LIKE_TAGS):
            return f"expected text without HTML tags, found {_snippet(text, start.start())!r}"
    for target in _link_targets(text):
        if not (URL.match(target) or _ANCHOR.match(target)):
            return f"expected links to http(s) addresses only, found a link to {target[:60]!r}"
    return None


def prose_problem(text: str) -> str | None:
    """`problem`, plus the rules of Markdown prose: tokens in backticks, no character references."""
    found = problem(text)
    if found:
        return found
    outside_code = _AUTOLINK.sub("", _CODE_SPAN.sub("", text))
    if tag := _TAG_LIKE.search(outside_code):
        return (f"expected plain text or Markdown without HTML tags (put tokens such as `</s>` in backticks),"
                f" found {_snippet(outside_code, tag.start())!r}")
    if entity := _ENTITY.search(outside_code):
        return f"expected plain text or Markdown without HTML entities, found {entity.group()!r}"
    return None


def _link_targets(text: str) -> list[str]:
    targets = [m.group(1) for m in _INLINE_LINK.finditer(text)]
    targets += [m.group(1) for m in _REFERENCE.finditer(text)]
    targets += [f"{m.group(1)}:" for m in _AUTOLINK.finditer(text) if m.group(1).lower() not in ("http", "https")]
    return targets


def _snippet(text: str, start: int) -> str:
    end = text.find(">", start)
    end = end + 1 if 0 <= end - start < 40 else start + 40
    return text[start:end]
