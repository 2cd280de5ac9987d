"""The canonical form of a card: schema key order, shorthand numbers and units, comments kept.

The validated card's canonical data (`convert.to_card`) is merged into the
round-trip tree of the file, so comments and the quoting of unchanged values
stay where the author put them. Where a record collapses to shorthand
(`hardware: {type: A100, count: 8}` -> `8 x A100`), the comments inside it move
to the end of its line. A rewrite that would still lose a comment, or would not
read back as the same card, is refused and the file left alone.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from survey.convert import to_card
from survey.positions import round_trip_yaml
from survey.schema import Card

SCHEMA_LINE = "# yaml-language-server: $schema=../schema/{kind}.schema.json"


def _yaml():
    yaml = round_trip_yaml()
    yaml.preserve_quotes = True
    yaml.width = 4096  # long Chinese sentences stay on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def formatted(text: str, card: Card) -> str:
    """The canonical text of a valid card whose current text is `text`."""
    yaml = _yaml()
    tree = yaml.load(text)
    merged = _merge(tree, to_card(card))
    out = io.StringIO()
    yaml.dump(merged, out)
    body = out.getvalue()
    lines = [line for line in body.splitlines() if not line.startswith("# yaml-language-server:")]
    result = "\n".join([SCHEMA_LINE.format(kind=card.KIND), *lines]).rstrip("\n") + "\n"
    _same_card(result, card)
    _same_comments(tree, yaml.load(result))
    return result


class FormatError(Exception):
    """The rewritten text would lose something of the card; the file is left alone."""


def _same_comments(before: Any, after: Any) -> None:
    kept = "\n".join(comment_lines(after))
    for text in comment_lines(before):
        if text not in kept and not text.startswith("yaml-language-server:"):
            raise FormatError(f"the canonical form would drop the comment {text[:60]!r}; please report this")


def _same_card(text: str, card: Card) -> None:
    from survey.loader import parse, validate

    path = Path(f"{card.id}.yaml")
    data, problems = parse(path, text)
    again = validate(path, data, type(card))[0] if data is not None else None
    if again is None or to_card(again) != to_card(card):
        raise FormatError("the canonical form would not read back as the same card; please report this")


def _merge(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        if not isinstance(old, CommentedMap):
            return _fresh(new)
        merged = CommentedMap()
        for key, value in new.items():
            merged[key] = _merge(old[key], value) if key in old else _fresh(value)
            inner = old.get(key)
            if isinstance(inner, (CommentedMap, CommentedSeq)) and not isinstance(merged[key], (CommentedMap, CommentedSeq)):
                # Collapsed to shorthand: the record's own comments go to the end of its line.
                lines = comment_lines(inner) + comment_lines(old.ca.items.get(key))
                if lines:
                    merged.yaml_add_eol_comment("# " + "; ".join(dict.fromkeys(lines)), key)
            elif key in old.ca.items:
                merged.ca.items[key] = old.ca.items[key]
        merged.ca.comment = old.ca.comment
        if old.fa.flow_style():
            merged.fa.set_flow_style()
        return merged
    if isinstance(new, list):
        if not isinstance(old, CommentedSeq) or len(old) != len(new):
            return _fresh(new)
        merged_seq = CommentedSeq(_merge(o, n) for o, n in zip(old, new))
        for index, comment in old.ca.items.items():
            merged_seq.ca.items[index] = comment
        merged_seq.ca.comment = old.ca.comment
        if old.fa.flow_style():
            merged_seq.fa.set_flow_style()
        return merged_seq
    if type(old) is not bool and old == new and not isinstance(old, (dict, list)):
        return old  # unchanged: keep the author's quoting
    return _fresh(new)


def _fresh(value: Any) -> Any:
    if isinstance(value, dict):
        return CommentedMap((k, _fresh(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_fresh(v) for v in value)
    if isinstance(value, str) and ":" in value:
        # ruamel writes "https://…" unquoted even inside {flow: maps}, where it no longer parses.
        return SingleQuotedScalarString(value)
    return value


def comment_lines(node: Any) -> list[str]:
    """The text of every comment in a round-trip tree (or a list of comment tokens), in file order."""
    tokens: dict[int, CommentToken] = {}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CommentToken):
            tokens[id(item)] = item
        elif isinstance(item, list) and not isinstance(item, CommentedSeq):
            stack.extend(item)
        elif isinstance(item, (CommentedMap, CommentedSeq)):
            stack.append(item.ca.comment)
            stack.extend(item.ca.items.values())
            stack.append(getattr(item.ca, "end", None))
            stack.extend(item.values() if isinstance(item, CommentedMap) else item)
    found = []
    for token in sorted(tokens.values(), key=lambda t: (t.start_mark.line, t.start_mark.column)):
        found += [line.strip().lstrip("#").strip() for line in token.value.splitlines() if line.strip().startswith("#")]
    return [text for text in found if text]
