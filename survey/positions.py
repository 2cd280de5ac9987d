"""Line and column of a field path, found by a round-trip parse of the card.

The fast load keeps no positions, so a file is parsed again here only when it
has something to report.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.resolver import VersionedResolver

from survey.diagnostics import Diagnostic, Loc


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _DatesAsText(VersionedResolver):
    """Resolves `2023-03-13` as text both ways, so dates load as text and dump unquoted."""

    _cache: dict | None = None

    @property
    def versioned_resolver(self) -> dict:
        if self._cache is None:
            table = super().versioned_resolver
            self._cache = {ch: [rule for rule in rules if rule[0] != _TIMESTAMP] for ch, rules in table.items()}
        return self._cache


class _LenientInts(RoundTripConstructor):
    """Integers Python will not convert (thousands of digits) stay text: the fast path reports them."""

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            return self.construct_scalar(node)


_LenientInts.add_constructor("tag:yaml.org,2002:int", _LenientInts.construct_yaml_int)


def round_trip_yaml() -> YAML:
    """The comment- and position-keeping parser; dates stay text, as in the fast path."""
    yaml = YAML(typ="rt")
    yaml.Resolver = _DatesAsText
    yaml.Constructor = _LenientInts
    return yaml


def round_trip(text: str):
    return round_trip_yaml().load(text)


def locate(tree, loc: Loc, *, key: bool = False) -> tuple[int, int]:
    """1-based (line, col) of the deepest node of `loc` present in `tree`.

    A missing key points at its parent mapping; `key=True` points at the last key
    itself (for unknown keys) instead of its value.
    """
    node = tree
    line, col = 1, 1
    if isinstance(node, (CommentedMap, CommentedSeq)):
        line, col = node.lc.line + 1, node.lc.col + 1
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            # An empty value has no position of its own (ruamel gives the next token's): use its key's.
            position = node.lc.key(part) if (key and last) or node[part] is None else node.lc.value(part)
            line, col = position[0] + 1, position[1] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            position = node.lc.item(part)
            line, col = position[0] + 1, position[1] + 1
            node = node[part]
        else:
            break
    return line, col


def locate_nodes(node: pyyaml.Node, loc: Loc, *, key: bool = False) -> tuple[int, int]:
    """`locate` over libyaml's node tree, for files too deeply nested for the round-trip parser."""
    mark = node.start_mark
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, pyyaml.MappingNode):
            pairs = [(k, v) for k, v in node.value if isinstance(k, pyyaml.ScalarNode) and k.value == str(part)]
            if not pairs:
                break
            key_node, node = pairs[0]
            mark = key_node.start_mark if (key and last) else node.start_mark
        elif isinstance(node, pyyaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def _tree(text: str):
    try:
        return round_trip(text)
    except RecursionError:
        return pyyaml.compose(text, Loader=pyyaml.CSafeLoader)


def place(diagnostics: list[Diagnostic], texts: dict[Path, str] | None = None) -> list[Diagnostic]:
    """Give every diagnostic that has a `loc` but no line its position in its file."""
    trees: dict[Path, object] = {}
    placed = []
    for diagnostic in diagnostics:
        known = (texts and diagnostic.path in texts) or diagnostic.path.is_file()
        if diagnostic.line or not known:
            placed.append(diagnostic)
            continue
        if diagnostic.path not in trees:
            try:
                text = texts[diagnostic.path] if texts and diagnostic.path in texts else diagnostic.path.read_text("utf-8")
                trees[diagnostic.path] = _tree(text)
            except Exception:  # the fast parse accepted it; any failure here only costs the position
                trees[diagnostic.path] = None
        tree = trees[diagnostic.path]
        if tree is None:
            placed.append(diagnostic)
            continue
        where = locate_nodes if isinstance(tree, pyyaml.Node) else locate
        line, col = where(tree, diagnostic.loc, key=diagnostic.key)
        placed.append(replace(diagnostic, line=line, col=col))
    return placed
