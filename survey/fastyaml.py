"""The fast parse: libyaml through PyYAML's C loader, read with YAML 1.2 core rules.

Measured here, ruamel.yaml's safe loader (C parser, Python constructor) takes
about 2.7x as long as PyYAML's CSafeLoader on the same cards (bench/README.md),
so checking uses this loader and keeps ruamel.yaml for what needs positions or
comments (`survey.positions`, `survey.fmt`). The resolvers here follow YAML 1.2,
as ruamel does, so both read a card the same way: `yes` is text, `1e-5` is a
number, dates stay text for the schema to check.

Numbers a reader could take two ways are kept as `Ambiguous` text for the loader to refuse:
hexadecimal (`0x1A`) and octal (`0o17`) integers, and decimal integers with a leading zero
(`017`, which YAML 1.1 tools read as octal 15). So are integers of more than `MAX_DIGITS` digits,
which no field needs and whose conversion alone can take seconds. Tags that build anything but
plain scalars, lists and mappings (`!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!python/…`, local
`!tags`) are YAML errors at their position.
"""

from __future__ import annotations

import re

import yaml

TAG = "tag:yaml.org,2002:"


class DuplicateKey(yaml.MarkedYAMLError):
    def __init__(self, key: str, mark: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=mark)
        self.key = key


class FastLoader(yaml.CSafeLoader):
    """CSafeLoader with YAML 1.2 core scalars and duplicate keys refused."""

    def construct_mapping(self, node, deep=False):
        # Merge keys (<<) are not part of YAML 1.2 and cards do not use them, so no flattening here.
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in mapping:
                    raise DuplicateKey(str(key), key_node.start_mark)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "expected a plain key, found a mapping or list as a key", key_node.start_mark
                ) from None
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


MAX_DIGITS = 30


class Ambiguous(str):
    """An integer written in a form a reader could misread, kept as its text; `why` says how."""

    why: str = ""


def _ambiguous(text: str, why: str) -> Ambiguous:
    value = Ambiguous(text)
    value.why = why
    return value


def _int(loader: FastLoader, node: yaml.ScalarNode) -> int | Ambiguous:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    if digits[:2].lower() in ("0x", "0o", "0b"):
        return _ambiguous(text, {"0x": "hexadecimal", "0o": "octal", "0b": "binary"}[digits[:2].lower()])
    if len(digits) > 1 and digits.startswith("0"):
        return _ambiguous(text, "a leading zero, which YAML 1.1 reads as octal")
    if len(digits) > MAX_DIGITS:
        return _ambiguous(text, f"{len(digits)} digits")
    try:
        return int(text, 10)
    except ValueError:  # `!!int banana`
        raise yaml.constructor.ConstructorError(None, None, f"expected an integer, found {text!r}", node.start_mark) from None


def _float(loader: FastLoader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node).lower()
    try:
        return float(text.replace(".inf", "inf").replace(".nan", "nan"))
    except ValueError:  # `!!float banana`
        raise yaml.constructor.ConstructorError(None, None, f"expected a number, found {text!r}", node.start_mark) from None


def _refuse(loader: FastLoader, node: yaml.Node):
    raise yaml.constructor.ConstructorError(
        None, None, f"expected plain text, numbers, lists and mappings, found the tag {node.tag.replace(TAG, '!!')}", node.start_mark
    )


_CORE = {
    "bool": (re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    "int": (re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789"),  # as YAML 1.2; see _int
    "float": (
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        "-+.0123456789",
    ),
    "null": (re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
}

FastLoader.yaml_implicit_resolvers = {}
for _name, (_pattern, _first) in _CORE.items():
    FastLoader.add_implicit_resolver(TAG + _name, _pattern, list(_first))
FastLoader.add_constructor(TAG + "int", _int)
FastLoader.add_constructor(TAG + "float", _float)
FastLoader.add_constructor(TAG + "timestamp", FastLoader.construct_yaml_str)
for _tag in ("binary", "set", "omap", "pairs"):
    FastLoader.add_constructor(TAG + _tag, _refuse)
FastLoader.add_constructor(None, _refuse)  # any other tag: python/object, !local…


def load(text: str):
    return yaml.load(text, Loader=FastLoader)  # noqa: S506 - FastLoader is a SafeLoader
