"""Rows of IWSLT/ted_talks_iwslt read straight from the archive its loading script downloads
(data/XML_releases.tgz), giving what `load_dataset("ted_talks_iwslt", language_pair=(a, b), year=…)` gave
Open-Assistant; the Hub has no Parquet export of most pairs, en-ja and zh-ja among them.

The loading script (huggingface/datasets, datasets/ted_talks_iwslt/ted_talks_iwslt.py) pairs the two
languages' WIT3 XML releases by talk id and, for each talk of the second language (in file order) that the
first also has, yields two rows: the talk descriptions, with "TED Talk Subtitles and Transcript: " removed,
and the titles, each only when both sides have text. A third branch meant for transcript segments asks for
<seekvideo> elements directly under <head>; WIT3 keeps them inside <transcription>, so it never yields a row
(its published row counts, e.g. 3,852 for nl_en_2016, are those of descriptions and titles) and it is left out.
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from reproduce import ReproduceError

# the script's _YEAR and _YEAR_FOLDER: where each year's release lies in the archive and the date in its names
RELEASES = {"2014": ("XML_releases/xml-20140120", "-20140120"),
            "2015": ("XML_releases/xml-20150616", "-20150530"),
            "2016": ("XML_releases/xml", "-20160408")}
DESCRIPTION_PREFIX = "TED Talk Subtitles and Transcript: "
_CONFIG = re.compile(r"^([a-z-]+)_([a-z-]+)_(\d{4})$")


def parse_config(config: str | None) -> tuple[str, str, str]:
    """`en_ja_2016` -> ("en", "ja", "2016"), the script's config name."""
    match = _CONFIG.match(config or "")
    if not match or match.group(3) not in RELEASES:
        raise ReproduceError(f"ted_talks_iwslt needs `config: <lang>_<lang>_<year>` with a year in "
                             f"{', '.join(RELEASES)}; found {config!r}", code=2)
    return match.group(1), match.group(2), match.group(3)


def _text(element: ElementTree.Element | None) -> str:
    """An element's own text, stripped, as the script's XML-to-dict conversion keeps it ('' when empty)."""
    return (element.text or "").strip() if element is not None else ""


def _releases(archive: Path, members: dict[str, str]) -> dict[str, bytes]:
    """The named members of the archive (a zip per language), found in one pass over the gzip stream."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for info in tar:
                name = info.name.removeprefix("./")
                if name in members and name not in found:
                    found[name] = tar.extractfile(info).read()
                    if len(found) == len(members):
                        break
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ReproduceError(f"{archive}: not a readable .tgz archive ({exc}); delete it and re-run to download "
                             "it again") from None
    for name in members:
        if name not in found:
            raise ReproduceError(f"{archive}: no {name} in the archive, so this language has no release for that "
                                 "year; pick another pair or year in the recipe's `config`")
    return found


def _heads(archive: Path, member: str, data: bytes, xml_name: str) -> list[ElementTree.Element]:
    """The <head> of each <file> in one language's release."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as release:
            root = ElementTree.fromstring(release.read(xml_name))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ReproduceError(f"{archive}: {member}: expected a zip holding {xml_name} in WIT3 XML; {exc}") from None
    return [head for file in root.findall("file") if (head := file.find("head")) is not None]


def talk_rows(archive: Path, config: str | None) -> list[dict]:
    """The rows of one config, each `{"translation": {a: …, b: …}}`, in the loading script's order."""
    first, second, year = parse_config(config)
    folder, date = RELEASES[year]
    members = {lang: (f"{folder}/ted_{lang}{date}.zip", f"ted_{lang}{date}.xml") for lang in (first, second)}
    data = _releases(archive, dict(members.values()))
    heads = {lang: _heads(archive, member, data[member], xml) for lang, (member, xml) in members.items()}

    def ids(head: ElementTree.Element) -> tuple[str, ...]:
        return tuple(_text(t) for t in head.findall("talkid"))

    by_id: dict[str, dict[tuple[str, ...], ElementTree.Element]] = {first: {}, second: {}}
    for lang, talks in by_id.items():
        for head in heads[lang]:
            talks.setdefault(ids(head), head)  # a repeated id resolves to its first talk, as in the script
    rows = []
    for head in heads[second]:
        talk = ids(head)
        if not talk or talk not in by_id[first]:
            continue
        a, b = by_id[first][talk], by_id[second][talk]
        for tag, clean in (("description", lambda s: s.replace(DESCRIPTION_PREFIX, "")), ("title", lambda s: s)):
            text_a, text_b = _text(a.find(tag)), _text(b.find(tag))
            if text_a and text_b:
                rows.append({"translation": {first: clean(text_a), second: clean(text_b)}})
    return rows
